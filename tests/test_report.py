"""The capacity-planning report: its studies, its thin notebook, and one self-contained HTML file."""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from elcart_sim import load_scenario
from elcart_sim.analysis import plots
from elcart_sim.cli import main
from elcart_sim.core.errors import ReportError
from elcart_sim.report import (
    ReportParameters,
    day_study,
    days_study,
    headroom_study,
    headroom_years,
    notebook_path,
    report_scenario,
    sizing_study,
)
from elcart_sim.world.demand import hourly_rates_per_s

TINY = load_scenario("national-day", scale=0.0005, seed=5, fidelity="fast")


def test_report_writes_one_self_contained_html_naming_the_scenario(tmp_path, capsys):
    argv = ["report", "--scenario", "salary-day-peak", "--scale", "0.0005", "--seed", "3", "--replications", "2",
            "--years", "1", "--peak-taps", "50", "--sizing-points", "2", "--set", "switch.servers=5", "--days", "2", "--out", str(tmp_path)]
    assert main(argv) == 0
    html_path = tmp_path / "capacity-report-salary-day-peak.html"
    assert str(html_path.resolve()) in capsys.readouterr().out
    html = html_path.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 6  # demand, latency, utilisation, the days, sizing, headroom
    assert "The days: salary-day-peak from 2025-07-10 to 2025-07-11" in html
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", html, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", html, re.IGNORECASE)
    assert not re.search(r"<img[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", html, re.IGNORECASE)
    assert not re.search(r"@import\s+url\(\s*[\"']?(https?:)?//", html, re.IGNORECASE)
    assert "salary-day-peak" in html
    assert "<title>ELKART Pay capacity plan — salary-day-peak" in html
    assert "Traceback" not in html
    executed = nbformat.read(tmp_path / "capacity-report-salary-day-peak.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "REPLICATIONS = 2" in injected[0].source
    varied = tmp_path / "scenario.yaml"  # --set: the report is about the scenario with the field set
    assert f'SCENARIO = "{varied.resolve()}"' in injected[0].source and load_scenario(varied).switch.servers == 5


def test_report_refuses_too_few_replications_and_broken_scenarios(tmp_path, capsys):
    assert main(["report", "--replications", "1", "--out", str(tmp_path / "a")]) == 2
    assert "--replications must be >= 2" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("demand:\n  channels: {p2p: 1.0}\n", encoding="utf-8")
    assert main(["report", "--scenario", str(broken), "--out", str(tmp_path / "b")]) == 2
    assert "demand.channels.p2p is not modelled yet" in capsys.readouterr().err
    assert main(["report", "--target-p99", "0", "--out", str(tmp_path / "c")]) == 2
    assert "--target-p99 must be > 0 s, got 0.0" in capsys.readouterr().err
    assert main(["report", "--sizing-points", "1", "--out", str(tmp_path / "c")]) == 2
    assert "--sizing-points must be >= 2, got 1" in capsys.readouterr().err
    assert main(["report", "--set", "switch.server=5", "--out", str(tmp_path / "d")]) == 2
    assert "switch.server is not a scenario field" in capsys.readouterr().err
    assert not any((tmp_path / d).exists() for d in "abcd")


def test_report_refuses_a_days_section_of_fewer_than_two_days(tmp_path, capsys):
    assert main(["report", "--days", "1", "--out", str(tmp_path / "a")]) == 2
    assert "--days must be >= 2, got 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # argparse's own door
        main(["report", "--days", "two", "--out", str(tmp_path / "a")])
    assert exited.value.code == 2 and "--days: invalid int value: 'two'" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_days_study_has_one_row_per_day_and_the_ledger_balanced_at_each_close():
    scenario = TINY.with_overrides({"calendar.enabled": True, "date": "2025-03-07"})
    study = days_study(scenario, 3)
    days = study.days
    assert list(days["date"]) == ["2025-03-07", "2025-03-08", "2025-03-09"]
    assert list(days["day_kind"]) == ["workday", "holiday", "weekend"]
    assert study.ledger_balanced and (days["ledger_check"] == "balanced").all()
    assert (days["transactions"] > 0).all() and list(days["entries"]) == sorted(days["entries"])
    assert study.heading().startswith("The days: national-day from 2025-03-07 to 2025-03-09 (3 days")
    assert list(study.table().index) == list(days["date"])
    fig = plots.days_by_service(days)
    bars, share = fig.axes
    assert len(bars.patches) == 3 * int((days[["taps", "p2p", "topup", "bill", "account", "qr_payment"]].sum() > 0).sum())
    assert list(share.lines[0].get_ydata()) == pytest.approx(list(100 * days["approved_share"]))
    off = days_study(scenario, 0)  # the report's default: no run, no section
    assert off.days.empty and off.heading() == ""
    with pytest.raises(ReportError, match="days must be 0 .* or a whole number >= 2, got 1"):
        days_study(scenario, 1)


def test_the_report_notebook_is_thin():
    notebook = nbformat.read(notebook_path(), as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    first = code[0].source.splitlines()
    assert first[0] == "%matplotlib inline"
    assert all(line.startswith(("from elcart_sim", " ")) for line in first[1:]), first
    assert code[1].metadata.get("tags") == ["parameters"]
    assert set(ReportParameters().as_notebook_parameters()) <= set(re.findall(r"^([A-Z_0-9]+) =", code[1].source, re.M))
    for cell in code:
        assert not re.search(r"^\s*(def|class|for|while|if|import)\b", cell.source, re.M), cell.source
        assert "error" not in {o.get("output_type") for o in cell.get("outputs", [])}


def test_day_study_hours_add_up_to_the_day():
    study = day_study(TINY, 2)
    assert list(study.replications["replication"]) == [0, 1]
    per_replication = study.hourly.groupby("replication")["taps"].sum()
    assert list(per_replication) == list(study.replications["transactions"])
    assert len(study.hourly) == 2 * 24
    intervals = study.hourly_intervals()
    assert set(intervals["metric"]) == {"taps", "tps", "latency_p50_s", "latency_p95_s", "latency_p99_s"}
    peak = int(np.argmax(hourly_rates_per_s(TINY)))
    windows = set(study.utilisation["window"])
    assert windows == {"day", f"peak hour {peak:02d}:00"}
    assert (study.utilisation["utilisation"] >= 0).all()
    summary = study.summary_table()
    assert "latency_p99_s" in set(summary["metric"]) and "switch_utilisation (%)" in set(summary["metric"])


def test_sizing_marks_overloaded_counts_without_simulating_them():
    # Issuer service of 2 s at national scale: the busiest bank gets ~1 authorisation a second at
    # the peak, more than one server can do; four servers can.
    # (the card side alone, every bank on `issuer`: the app's payments would load the issuers too)
    slow = TINY.with_overrides({"scale": 1.0, "issuer.service_time": {"dist": "constant", "mean_s": 2.0}, "issuers": {}, "demand.app_channels": {}})
    study = sizing_study(slow, 2, target_p99_s=30.0, taps=50, components=["issuer"], server_counts={"issuer": [1, 4]})
    assert study.overloaded == [{"component": "issuer", "servers": 1}]
    assert set(study.frame["servers"]) == {4}
    table = study.table()
    assert math.isinf(table.loc[table.servers == 1, "p99_s"].iloc[0])
    assert list(table["meets_target"]) == [False, True]
    assert study.smallest_meeting_target() == {"issuer": 4}


def test_headroom_counts_years_beyond_the_scenario():
    grown = TINY.with_overrides({"demand.years_ahead": 2})
    study = headroom_study(grown, 2, target_p99_s=30.0, years=[0, 3], taps=50)
    assert sorted(set(study.frame["years_ahead"])) == [0, 3]
    assert study.years_absorbed() == 3
    table = study.table()
    assert table["demand_factor"].tolist() == pytest.approx([1.0, 1.3**3])


def test_headroom_years_and_report_scenario():
    assert headroom_years(4) == [0, 1, 2, 3, 4]
    assert headroom_years(50, breaks_in_year=3) == [0, 1, 2, 3, 4, 5]
    scenario = report_scenario("growth-5y", seed=9, scale=0.01)
    assert (scenario.seed, scenario.scale, scenario.fidelity, scenario.demand.years_ahead) == (9, 0.01, "fast", 5.0)


def test_notebook_path_can_be_moved(monkeypatch, tmp_path):
    monkeypatch.setenv("ELCART_SIM_NOTEBOOKS", str(tmp_path))
    assert notebook_path() == tmp_path / "04_capacity_planning.ipynb"
    assert Path(__file__).resolve().parents[1].joinpath("notebooks", "04_capacity_planning.ipynb").exists()


def test_the_report_follows_its_studies_from_the_kernels_progress_lines(tmp_path, monkeypatch, capsys):
    import json

    from elcart_sim.capacity import SerialExecutor
    from elcart_sim.capacity.executors import PROGRESS_FILE_ENV
    from elcart_sim.cli.interrupts import Activity
    from elcart_sim.cli.study_progress import StudyFollower

    sink = tmp_path / "progress.jsonl"
    monkeypatch.setenv(PROGRESS_FILE_ENV, str(sink))  # what the kernel's executors see
    SerialExecutor().map(abs, [-1, -2, -3], desc="national-day day")
    SerialExecutor().map(abs, [-4], desc="headroom")
    events = [json.loads(line) for line in sink.read_text().splitlines()]
    assert [(e["desc"], e["done"], e["total"]) for e in events] == [
        ("national-day day", 0, 3), ("national-day day", 1, 3), ("national-day day", 2, 3), ("national-day day", 3, 3),
        ("headroom", 0, 1), ("headroom", 1, 1),
    ]  # fmt: skip

    activity = Activity("report")
    lines = StudyFollower(sink, shown=True, activity=activity, bars=False)
    lines.poll()
    err = capsys.readouterr().err.splitlines()
    assert [line.split(" done in ")[0] for line in err] == ["report: national-day day: 3 runs", "report: headroom: 1 run"]
    assert activity.doing == "executing the report notebook (after headroom)"

    bars = StudyFollower(sink, shown=True, bars=True)
    bars.poll()
    bars.close()
    assert "national-day day" in capsys.readouterr().err
    quiet = StudyFollower(sink, shown=False)
    quiet.poll()
    assert capsys.readouterr().err == ""


def test_a_report_on_a_day_with_the_app_s_services_sizes_their_hosts_too():
    # Every biller answering: at this size a bill's p99 is its few slowest, and a biller that does
    # not answer keeps one 20 s (the gateway's timeout), which no server count shortens.
    services_day = load_scenario("money-services-day", scale=0.001, seed=5, fidelity="fast", services__bills__biller_availability=1.0)
    services_day = services_day.with_overrides({"issuers": {}, "hsm.enabled": False})  # one issuer spec, no HSM: six curves
    curves = sizing_study(services_day, 2, target_p99_s=2.0, taps=50, points=2)
    table = curves.table()
    assert list(dict.fromkeys(table["component"])) == [
        "acquirer", "switch", "issuer", "services.directory", "services.bills.gateway", "services.account_transfers.operator"
    ]  # fmt: skip
    assert set(curves.intervals()["metric"]) == {"worst_latency_p99_s"}  # the worst service's p99
    assert curves.smallest_meeting_target()["services.directory"] == 1
    day = day_study(services_day, 2)
    assert "directory" in set(day.utilisation_intervals()["component"])


def test_papermill_reads_every_parameter_of_the_report_notebook():
    """Each `NAME = value  # help` line of the parameters cell is one papermill can parse: a line it
    cannot parse makes it warn 'Passed unknown parameter' on every report (a `>=` in a comment did)."""
    from papermill.translators import PythonTranslator

    notebook = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "04_capacity_planning.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assigned = [line.split("=")[0].strip() for line in cell.source.splitlines() if re.match(r"^[A-Z_0-9]+ = ", line)]
    assert "DAYS" in assigned and [p.name for p in PythonTranslator.inspect(cell)] == assigned
