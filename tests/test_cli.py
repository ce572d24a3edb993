"""The main job from the command line: summary, tables, plots, help."""

from __future__ import annotations

import json
import subprocess
import sys

from elcart_sim.cli import main


def test_run_writes_summary_tables_and_plots(tmp_path, capsys):
    assert main(["run", "--scale", "0.001", "--seed", "3", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    for words in ("transactions", "approval rate", "p50", "p95", "p99", "peak TPS", "utilisation", "acquirer", "switch", "issuers"):
        assert words in out
    names = {p.name for p in tmp_path.iterdir()}
    for table in ("transactions", "hops", "postings", "receipts", "samples", "components"):
        assert f"{table}.parquet" in names and f"{table}.csv" in names
    assert {"latency_distribution.png", "throughput_and_queues.png", "summary.json"} <= names
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["scale"] == 0.001 and summary["trial_balance_tyiyn"] == 0
    assert (tmp_path / "latency_distribution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_help_explains_every_option():
    proc = subprocess.run([sys.executable, "-m", "elcart_sim.cli", "run", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for option in ("--scenario", "--seed", "--scale", "--fidelity", "--set", "--out", "--no-progress", "--no-plots", "--format"):
        assert option in proc.stdout
    assert "docs/records.md" in proc.stdout


def test_scenarios_lists_the_default(capsys):
    assert main(["scenarios"]) == 0
    assert "national-day" in capsys.readouterr().out


def test_set_overrides_fields_and_the_run_writes_the_scenario_it_ran(tmp_path, capsys):
    from elcart_sim import load_scenario

    argv = ["run", "--scale", "0.001", "--seed", "3", "--set", "switch.servers=3", "--set", "network.acquirer_switch={dist: constant, mean_s: 0.05}"]
    assert main([*argv, "--out", str(tmp_path), "--no-progress", "--no-plots", "--format", "csv"]) == 0
    expected = load_scenario("national-day").with_overrides(
        {"seed": 3, "scale": 0.001, "switch.servers": 3, "network.acquirer_switch": {"dist": "constant", "mean_s": 0.05}}
    )
    assert load_scenario(tmp_path / "scenario.yaml") == expected  # `--scenario DIR/scenario.yaml` runs it again


def test_set_refuses_what_is_not_one_valid_field_value(capsys):
    for assignment, problem in (
        ("switch.server=3", "switch.server is not a scenario field"),
        ("switch.servers=2,4", "switch.servers takes one value with --set, got 2"),
        ("switch.servers", "expected PATH=VALUE"),
        ("switch.servers=-1", "switch.servers"),
    ):
        assert main(["run", "--scale", "0.001", "--set", assignment, "--no-progress"]) == 2, assignment
        assert problem in capsys.readouterr().err, assignment
