"""The main job from the command line: summary, tables, plots, help."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from elcart_sim.cli import main


def test_run_writes_summary_tables_and_plots(tmp_path, capsys):
    assert main(["run", "--scale", "0.001", "--seed", "3", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    for words in ("transactions", "approval rate", "p50", "p95", "p99", "peak TPS", "utilisation", "acquirer", "switch", "issuers"):
        assert words in out
    names = {p.name for p in tmp_path.iterdir()}
    for table in ("transactions", "hops", "postings", "receipts", "samples", "components", "hourly", "hosts"):
        assert f"{table}.parquet" in names and f"{table}.csv" in names
    assert "by hour" in out and "by host" in out and "issuer:AIYL" in out and "p99 residence (s)" in out
    hourly = pd.read_csv(tmp_path / "hourly.csv")
    assert list(hourly["hour"]) == list(range(24)) and hourly["taps"].sum() == pd.read_csv(tmp_path / "transactions.csv").shape[0]
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


def test_size_and_report_aim_at_the_same_default_target():
    from elcart_sim.capacity.sizing_report import DEFAULT_TARGET_P99_S
    from elcart_sim.cli import build_parser
    from elcart_sim.report import ReportParameters

    parser = build_parser()
    assert parser.parse_args(["size"]).target_p99 == DEFAULT_TARGET_P99_S
    assert parser.parse_args(["report", "--out", "reports"]).target_p99 == DEFAULT_TARGET_P99_S
    assert ReportParameters().target_p99_s == DEFAULT_TARGET_P99_S


@pytest.mark.parametrize("command", ["validate", "replicate", "sweep", "size", "report"])
def test_workers_default_to_the_machines_cores_and_the_help_says_so(command, capsys):
    import os

    from elcart_sim.capacity import ProcessExecutor, SerialExecutor, make_executor
    from elcart_sim.cli import build_parser

    needed = {"sweep": ["--set", "switch.servers=1,2"], "report": ["--out", "reports"]}
    args = build_parser().parse_args([command, *needed.get(command, [])])
    assert args.workers == os.cpu_count()
    executor = make_executor(args.workers)
    assert isinstance(executor, ProcessExecutor if os.cpu_count() > 1 else SerialExecutor)
    with pytest.raises(SystemExit):
        main([command, "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "os.cpu_count()" in help_text and f"{os.cpu_count()} here" in help_text
    assert "serially by default" not in help_text


def test_every_command_has_a_description(capsys):
    from elcart_sim.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for name, parser in commands.items():
        assert parser.description, name
    with pytest.raises(SystemExit):
        main(["scenarios", "--help"])
    assert "data/scenarios" in capsys.readouterr().out


def test_the_format_option_decides_the_planner_tables_format_too(tmp_path, capsys):
    assert main(["run", "--scale", "0.001", "--out", str(tmp_path), "--no-progress", "--no-plots", "--format", "csv"]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"hourly.csv", "hosts.csv"} <= names and not {"hourly.parquet", "hosts.parquet"} & names
