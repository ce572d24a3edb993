"""Utilisation is printed one way everywhere: per cent with three decimals, the header saying (%)."""

from __future__ import annotations

import re

import pandas as pd

from elcart_sim.analysis import plots
from elcart_sim.analysis.units import PERCENT_DECIMALS
from elcart_sim.capacity.tables import interval_table
from elcart_sim.capacity.validation import Check

PERCENT_FIGURE = rf"\d+\.\d{{{PERCENT_DECIMALS}}}"


def test_the_run_summary_prints_utilisation_in_per_cent(small_results):
    line = next(line for line in small_results.summary_text().splitlines() if "utilisation" in line)
    assert line.split()[:2] == ["utilisation", "(%)"]
    s = small_results.summary()
    expected = [f"{100 * s[k]:.3f}" for k in ("utilisation_acquirer", "utilisation_switch",
                                              "utilisation_issuer_mean", "utilisation_issuer_max")]
    assert re.findall(PERCENT_FIGURE, line) == expected
    assert "%" not in line.replace("(%)", "")


def test_interval_tables_print_utilisation_in_per_cent():
    frame = pd.DataFrame({"metric": ["acquirer_utilisation", "issuers_max_utilisation", "latency_p99_s"],
                          "mean": [0.0123456, 1.738e-05, 0.5], "half_width": [0.001, 2e-06, 0.01],
                          "n": [5, 5, 5], "confidence": [0.95, 0.95, 0.95]})  # fmt: skip
    lines = interval_table(frame).splitlines()
    assert lines[2].split() == ["acquirer_utilisation", "(%)", "1.235", "0.100", "5"]
    assert lines[3].split() == ["issuers_max_utilisation", "(%)", "0.002", "0.000", "5"]
    assert lines[4].split() == ["latency_p99_s", "0.5", "0.01", "5"]


def test_validation_and_sizing_print_utilisation_in_per_cent():
    from elcart_sim.capacity.sizing_report import _in_percent

    row = Check("M/M/1 switch: utilisation", 0.5, 0.50913, True, 0.47535, 0.54291).row(95)
    assert row == {"check": "M/M/1 switch: utilisation (%)", "expected": "50.000", "observed": "50.913",
                   "95% CI": "[47.535, 54.291]", "result": "pass"}  # fmt: skip
    assert Check("mean wait (s)", 1.0, 1.125, True).row(95)["observed"] == "1.125"
    assert _in_percent([{"host": "acquirer", "utilisation now": 0.0104}]) == [{"host": "acquirer", "utilisation now (%)": "1.040"}]


def test_the_report_tables_and_the_plots_say_per_cent(small_results):
    from elcart_sim.report.day import DayStudy

    study = DayStudy(
        scenario=small_results.scenario,
        replications=pd.DataFrame({"replication": [0, 1], "switch_utilisation": [0.00172, 0.00174]}),
        hourly=pd.DataFrame(),
        utilisation=pd.DataFrame({"replication": [0, 1, 0, 1], "component": ["switch"] * 4,
                                  "window": ["day", "day", "peak hour 18:00", "peak hour 18:00"],
                                  "utilisation": [0.00172, 0.00174, 0.01, 0.012]}),
    )  # fmt: skip
    summary = study.summary_table()
    assert summary["metric"].tolist() == ["switch_utilisation (%)"] and summary["mean"].tolist() == [0.173]
    busiest = study.busiest_components_table()
    assert list(busiest.columns) == ["component", "window", "utilisation (%)", "ci_low (%)", "ci_high (%)", "n"]
    assert busiest["utilisation (%)"].tolist() == [1.1]
    assert plots.utilisation(small_results).axes[0].get_ylabel() == "utilisation (%)"
    assert plots.utilisation_per_component(study.utilisation_intervals()).axes[0].get_ylabel() == "utilisation (%)"
