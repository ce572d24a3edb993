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
    for option in ("--scenario", "--seed", "--scale", "--fidelity", "--out", "--no-progress", "--no-plots", "--format"):
        assert option in proc.stdout
    assert "docs/records.md" in proc.stdout


def test_scenarios_lists_the_default(capsys):
    assert main(["scenarios"]) == 0
    assert "national-day" in capsys.readouterr().out
