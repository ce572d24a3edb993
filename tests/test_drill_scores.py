"""A drill's business scores (analysis/drill_scores.py) against the same day without faults, the
drill's runs (drill/runs.py) and the report's drills section (report/drills.py)."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.analysis.drill_scores import OUTCOME_COLUMNS, SCORE_COLUMNS, outcomes, score
from elcart_sim.core.errors import ConfigurationError, ReportError, ScenarioError
from elcart_sim.drill import drill, fault_plan, plan_seed
from elcart_sim.report import drills_study


@pytest.fixture(scope="module")
def day():
    return load_scenario("money-services-day", scale=0.001, seed=3, fidelity="fast")


@pytest.fixture(scope="module")
def baseline(day):
    return outcomes(Simulation(day).run())


def test_the_same_day_scores_nothing_lost(day, baseline):
    assert list(baseline.columns) == list(OUTCOME_COLUMNS)
    assert baseline.trace_id.is_unique and baseline.approved.any() and (baseline.customer[baseline.approved] != "").all()
    scores = score(baseline, Simulation(day).run(), pd.DataFrame({"kind": ["x"], "ended_at": [0.0]}))
    assert list(scores) == list(SCORE_COLUMNS)
    assert scores["payments"] == len(baseline)
    assert (scores["sales_lost"], scores["sales_lost_kgs"], scores["customers_affected"], scores["extra_reversals"]) == (0, 0.0, 0, 0)
    assert scores["time_to_recover_s"] == 0.0


def test_an_issuer_too_slow_to_answer_loses_its_sales_and_they_are_counted_exactly(day, baseline):
    """A stand-in for an issuer outage (the faults package injects real ones): one bank's host
    takes 60 s per message, so the switch times out on every one of its payments."""
    bank = "DCB"
    slow = day.with_overrides({"issuers": {bank: {"servers": 4, "service_time": {"dist": "constant", "mean_s": 60.0}, "timeout_s": 10.0}}})
    results = Simulation(slow).run()
    scores = score(baseline, results, pd.DataFrame({"kind": ["issuer_slow"], "ended_at": [0.0]}))
    drilled = outcomes(results)
    both = baseline.merge(drilled, on="trace_id", suffixes=("", "_drill"))
    lost = both[both.approved & ~both.approved_drill]
    assert len(lost) > 0 and scores["sales_lost"] == len(lost)
    assert scores["sales_lost_kgs"] == pytest.approx(lost.amount_tyiyn.sum() / 100)
    taps = results.transactions.set_index("trace_id")
    issuers = taps.loc[taps.index.intersection(lost.trace_id), "issuer"].astype(str)
    assert (issuers == bank).mean() > 0.8  # and knock-on losses: money that never reached another bank's card
    changed = both[both.outcome != both.outcome_drill]
    assert scores["customers_affected"] == changed.customer.nunique()
    assert scores["time_to_recover_s"] == pytest.approx(changed.started_at.max())  # the fault "ended" at 0 s


def test_stand_in_approvals_and_their_exposure_come_from_the_stand_in_table(baseline):
    drilled = types.SimpleNamespace(
        transactions=pd.DataFrame({"trace_id": [1], "tapped_at": [1.0], "outcome": ["approved"], "amount_tyiyn": [500], "token_masked": ["4000…0001"]}),
        transfers=pd.DataFrame(),
        postings=pd.DataFrame({"trace_id": pd.Series([], dtype=int), "kind": pd.Series([], dtype=str), "debit_account": pd.Series([], dtype=str)}),
        stand_in=pd.DataFrame({"trace_id": [1, 2], "response_code": ["00", "05"], "amount_tyiyn": [500, 900]}),
    )
    scores = score(baseline.iloc[:0], drilled)
    assert (scores["stand_in_approvals"], scores["stand_in_exposure_kgs"], scores["sales_gained"]) == (1, 5.0, 1)
    assert np.isnan(scores["time_to_recover_s"])


def test_plan_seeds_are_the_same_everywhere_and_differ_between_runs():
    seeds = [plan_seed(7, run) for run in range(100)]
    assert len(set(seeds)) == 100 and seeds == [plan_seed(7, run) for run in range(100)]
    assert plan_seed(8, 0) != plan_seed(7, 0)


def test_a_plan_file_is_read_and_a_missing_one_named(day, tmp_path):
    assert fault_plan("none", day, 1, 0) is None
    path = tmp_path / "plan.yaml"
    path.write_text("faults:\n  - {kind: host_down, target: 'issuer:DCB', start_s: 100, end_s: 200}\n")
    assert fault_plan(str(path), day, 1, 0) == [{"kind": "host_down", "target": "issuer:DCB", "start_s": 100, "end_s": 200}]
    with pytest.raises(ScenarioError, match="--faults must be random, none or a YAML file"):
        fault_plan(str(tmp_path / "nothing.yaml"), day, 1, 0)


def test_a_random_drill_is_the_same_run_by_run_serially_on_processes_and_replayed_alone(day):
    from elcart_sim.capacity.executors import ProcessExecutor

    serial = drill(day, 2, seed=4, faults="random", first=3)
    with ProcessExecutor(2) as executor:
        parallel = drill(day, 2, seed=4, faults="random", first=3, executor=executor)
    alone = drill(day, 1, seed=4, faults="random", first=4)
    assert list(serial.runs.run) == [3, 4] and (serial.runs.faults > 0).all()
    pd.testing.assert_frame_equal(serial.runs.drop(columns="wall_s"), parallel.runs.drop(columns="wall_s"))
    pd.testing.assert_frame_equal(serial.violations, parallel.violations)
    pd.testing.assert_frame_equal(alone.runs.drop(columns="wall_s"), serial.runs.drop(columns="wall_s").iloc[1:].reset_index(drop=True))
    pd.testing.assert_frame_equal(alone.violations, serial.violations[serial.violations.run == 4].reset_index(drop=True))
    with pytest.raises(ConfigurationError, match="runs must be a whole number >= 1, got 0"):
        drill(day, 0)


def test_the_reports_drills_section_is_off_by_default_and_a_table_of_runs_when_asked(day):
    off = drills_study(day, 0)
    assert off.heading() == "" and off.table().empty
    study = drills_study(day, 1, faults="none")
    assert study.heading().startswith("Fault drills: 1 runs of money-services-day at scale 0.001 under none fault plans")
    assert "no invariant broken" in study.heading()
    assert list(study.table().columns)[:3] == ["faults", "violations", "sales lost"]
    with pytest.raises(ReportError, match="drills must be a whole number >= 0"):
        drills_study(day, -1)


def test_the_drill_plots_draw_what_they_are_given(day, baseline):
    from elcart_sim.analysis import drill_plots

    results = Simulation(day).run()
    results.faults = pd.DataFrame({"kind": ["host_down"], "started_at": [3600.0], "ended_at": [7200.0]})
    ax = drill_plots.approvals_against_baseline(results, baseline).axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["without faults", "under the faults"]
    assert sum(ax.get_lines()[0].get_ydata()) == baseline.approved.sum()
    stand_in = types.SimpleNamespace(
        stand_in=pd.DataFrame({"response_code": ["00", "00", "91"], "decided_at": [3700.0, 3800.0, 3900.0], "advice_posted_at": [7300.0, np.nan, np.nan]}),
        faults=results.faults,
    )
    lines = drill_plots.advices_draining(stand_in).axes[0].get_lines()
    assert [max(line.get_ydata()) for line in lines] == [2, 1]
    runs = pd.DataFrame({"run": [0, 1], "sales_lost_kgs": [10.0, 0.0], "customers_affected": [3, 0]})
    assert len(drill_plots.drill_scores(runs).axes) == 2


def test_the_stand_in_table_counts_approvals_advices_and_the_wait_per_issuer():
    from elcart_sim.analysis.drill_scores import stand_in_table

    stand_in = pd.DataFrame({
        "trace_id": [1, 2, 3], "issuer": ["AIYL"] * 3, "reason": ["issuer_unavailable"] * 3, "response_code": ["00", "00", "91"],
        "amount_tyiyn": [100, 200, 900], "decided_at": [10.0, 20.0, 30.0], "advice_sent_at": [40.0, 50.0, np.nan],
        "advice_posted_at": [100.0, np.nan, np.nan], "attempts": [3, 1, 0], "expired": [0, 1, 0], "exposure_tyiyn": [50, 0, 0],
    })  # fmt: skip
    row = stand_in_table(stand_in).loc[("AIYL", "issuer_unavailable")]
    assert row.to_dict() == {"approved": 2, "declined": 1, "advices_posted": 1, "advices_expired": 1, "repeats": 2,
                             "longest_wait_s": 90.0, "exposure_kgs": 0.5}  # fmt: skip
