"""A sweep over clearing cut-offs: a list-valued field swept from the command line's text, the
liquidity each bank needed as replication metrics, and one cycle against four on a salary day at
a tiny scale. Without clearing, the metrics have no settlement columns."""

from __future__ import annotations

import subprocess
import sys

import pytest

from elcart_sim import load_scenario
from elcart_sim.capacity import confidence_intervals, parse_assignment, sweep
from elcart_sim.capacity.metrics import per_component

ONE_OR_FOUR = 'clearing.cutoffs=["18:00"],["06:00","12:00","18:00","24:00"]'


def test_a_list_valued_field_sweeps_from_text():
    assert parse_assignment(ONE_OR_FOUR) == ("clearing.cutoffs", [["18:00"], ["06:00", "12:00", "18:00", "24:00"]])
    path, values = parse_assignment("clearing.cutoffs=[06:00, 12:00]")  # unquoted, YAML 1.1 reads 12:00 as 720 (base 60)
    assert values == [["06:00", 720]]


@pytest.fixture(scope="module")
def frame():
    scenario = load_scenario("salary-day-peak", scale=0.0005, seed=5, fidelity="fast").with_overrides({"clearing.enabled": True})
    return sweep(scenario, dict([parse_assignment(ONE_OR_FOUR)]), replications=2)


def test_the_sweep_reports_each_banks_liquidity_and_what_was_left_unsettled(frame):
    assert frame["clearing.cutoffs"].tolist() == ['["18:00"]'] * 2 + ['["06:00","12:00","18:00","24:00"]'] * 2
    banks = [c[len("liquidity_needed_") : -len("_tyiyn")] for c in frame.columns if c.startswith("liquidity_needed_")]
    assert "IPC" in banks and len(banks) > 2
    for bank in banks:
        upper, needed, lower = (frame[f"liquidity_{m}_{bank}_tyiyn"] for m in ("upper", "needed", "lower"))
        assert (lower <= needed).all() and (needed <= upper).all()
    assert (frame["unsettled_tyiyn"] == 0).all()
    one, four = frame.iloc[:2], frame.iloc[2:]
    assert (four["delay_indicator"].to_numpy() < one["delay_indicator"].to_numpy()).all()  # common random numbers: the same taps
    for m in ("upper", "lower"):  # the bounds depend on the records alone, not on the cut-offs
        columns = [f"liquidity_{m}_{bank}_tyiyn" for bank in banks]
        assert (one[columns].to_numpy() == four[columns].to_numpy()).all()
    intervals = confidence_intervals(frame, by=["clearing.cutoffs"])
    assert {"liquidity_needed_IPC_tyiyn", "unsettled_tyiyn", "delay_indicator"} <= set(intervals.metric)
    assert set(per_component(frame).columns[:2]) == {"clearing.cutoffs", "replication"}


def test_the_sweep_command_prints_the_liquidity_needed(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "elcart_sim.cli", "sweep", "--scenario", "salary-day-peak", "--scale", "0.0005", "--fidelity", "fast",
         "--set", "clearing.enabled=true", "--set", ONE_OR_FOUR, "--replications", "2", "--no-progress", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "liquidity_needed_IPC_tyiyn" in proc.stdout and "delay_indicator" in proc.stdout
    assert "liquidity_upper_IPC_tyiyn" in (tmp_path / "sweep.csv").read_text()


def test_without_clearing_no_settlement_metric(tiny_scenario):
    frame = sweep(tiny_scenario, {"switch.servers": [1]}, replications=1)
    assert not [c for c in frame.columns if c.startswith("liquidity_") or c in ("unsettled_tyiyn", "delay_indicator")]
