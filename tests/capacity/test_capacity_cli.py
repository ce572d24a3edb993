"""The capacity commands: help for every option, tables printed, files written, errors as one line."""

from __future__ import annotations

import pandas as pd
import pytest

from elcart_sim.capacity import queue_scenario
from elcart_sim.cli import main

OPTIONS = {
    "validate": ["--size", "--confidence", "--seed", "--out", "--workers", "--dask", "--no-progress"],
    "replicate": ["--scenario", "--seed", "--scale", "--fidelity", "--set", "--replications", "--warmup", "--confidence",
                  "--out", "--workers", "--dask", "--no-progress"],
    "sweep": ["--set", "--scenario", "--seed", "--scale", "--fidelity", "--replications", "--warmup",
              "--confidence", "--out", "--workers", "--dask", "--no-progress"],
    "size": ["--target-p99", "--scenario", "--seed", "--scale", "--set", "--growth", "--no-growth",
             "--max-years", "--taps", "--replications", "--out", "--workers", "--dask", "--no-progress"],
}


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_help_explains_every_option(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in OPTIONS[command]:
        assert option in out, option
    assert "Dask" in out


def test_sweep_prints_intervals_and_writes_the_tidy_table(tmp_path, capsys):
    args = ["sweep", "--scale", "0.0005", "--seed", "5", "--fidelity", "fast", "--set", "switch.servers=1,2",
            "--replications", "2", "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    for words in ("switch.servers", "latency_p99_s", "± (95% CI)", "switch_utilisation", "wrote 3 files"):
        assert words in out
    frame = pd.read_parquet(tmp_path / "sweep.parquet")
    assert frame[["switch.servers", "replication"]].values.tolist() == [[1, 0], [1, 1], [2, 0], [2, 1]]
    assert pd.read_csv(tmp_path / "sweep.csv").shape == frame.shape
    intervals = pd.read_csv(tmp_path / "intervals.csv")
    assert {"switch.servers", "metric", "mean", "ci_low", "ci_high"} <= set(intervals.columns)


def test_replicate_prints_headline_intervals(tmp_path, capsys):
    args = ["replicate", "--scale", "0.0005", "--fidelity", "fast", "--replications", "2", "--warmup", "3600",
            "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    for metric in ("approval_rate", "latency_p50_s", "latency_p95_s", "latency_p99_s", "issuers_max_utilisation",
                   "timeouts", "reversals"):
        assert metric in out
    assert (pd.read_parquet(tmp_path / "replications.parquet")["replication"] == [0, 1]).all()


def test_size_answers_for_a_scenario_file(tmp_path, capsys):
    scenario = queue_scenario(2, 0.5, 1.0, seed=7).with_overrides({"acquirer.servers": 4, "issuer.servers": 4})
    path = tmp_path / "slow-switch.yaml"
    path.write_text(scenario.to_yaml(), encoding="utf-8")
    args = ["size", "--scenario", str(path), "--target-p99", "6", "--no-growth", "--taps", "200",
            "--replications", "2", "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "bottleneck at the peak (highest utilisation): switch" in out and "sized:" in out
    assert (tmp_path / "sizing.json").exists() and (tmp_path / "evaluations.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep", "--set", "switch.servers", "--no-progress"], "expected PATH=VALUE"),
        (["sweep", "--set", "switch.bogus=1,2", "--scale", "0.0005", "--no-progress"], "switch.bogus is not a scenario field"),
        (["replicate", "--replications", "0", "--scale", "0.0005", "--no-progress"], "replications must be >= 1"),
    ],
)
def test_input_errors_are_one_line_and_exit_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("elcart-sim: error: ") and message in err
