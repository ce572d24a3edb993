"""The validation suite: it passes on the model, and each of its checks can fail."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from elcart_sim.capacity import queue_scenario
from elcart_sim.capacity.validation import (
    Check,
    ValidationReport,
    _identical_check,
    _little_checks,
    _monotone_check,
    _queue_checks,
)
from elcart_sim.cli import main


def test_the_suite_passes_at_ci_size(capsys):
    """`elcart-sim validate` at its CI size, on two worker processes: exit 0, every check shown."""
    assert main(["validate", "--workers", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.endswith(("pass", "FAIL"))]
    assert len(lines) == 10 and all(line.endswith("pass") for line in lines)
    for words in ("M/M/1 switch", "M/M/3 switch", "mean wait", "utilisation", "Little's law", "more servers",
                  "serial = 2 local processes", "95% CI", "expected", "observed", "all checks pass"):
        assert words in out


def test_queue_scenario_is_a_textbook_queue():
    scenario = queue_scenario(3, 2.1, 1.0, customers=1_000, warmup_s=100.0)
    assert scenario.switch.servers == 3 and scenario.switch.service_time.dist == "exponential"
    assert scenario.demand.hourly_profile == [1.0] * 24
    assert scenario.demand.duration_s == 100.0 + 500.0  # 1000 / 2.1 s, in whole 50-s intervals
    assert scenario.monitor_interval_s == 50.0
    assert scenario.fidelity == "fast"


def _queue_frame(waits, utilisations, terminated=0):
    n = len(waits)
    return pd.DataFrame({"switch_mean_wait_s": waits, "switch_utilisation": utilisations,
                         "switch_arrival_rate_per_s": [0.5] * n, "terminated": [terminated] * n, "reversals": [0] * n})


def test_queue_checks_fail_off_theory():
    mm1 = queue_scenario(1, 0.5, 1.0)
    good = _queue_checks(_queue_frame([0.9, 1.1, 1.0, 0.95], [0.49, 0.51, 0.5, 0.5]), mm1, 0.95)
    assert [c.passed for c in good] == [True, True]
    assert good[0].expected == pytest.approx(1.0)
    bad = _queue_checks(_queue_frame([1.5, 1.6, 1.55, 1.52], [0.6, 0.61, 0.6, 0.62]), mm1, 0.95)
    assert [c.passed for c in bad] == [False, False]
    broken = _queue_checks(_queue_frame([0.9, 1.1, 1.0, 0.95], [0.49, 0.51, 0.5, 0.5], terminated=3), mm1, 0.95)
    assert not broken[0].passed and "premise broken" in broken[0].detail


def test_little_check_fails_when_the_records_disagree():
    frame = pd.DataFrame({
        "acquirer_mean_in_system": [0.2, 0.3], "acquirer_arrival_rate_per_s": [1.0, 1.0], "acquirer_mean_sojourn_s": [0.2, 0.3],
        "switch_mean_in_system": [0.2, 0.3], "switch_arrival_rate_per_s": [1.0, 1.0], "switch_mean_sojourn_s": [0.2, 0.25],
        "issuer:A_mean_in_system": [0.0, 0.0], "issuer:A_arrival_rate_per_s": [0.0, 0.0], "issuer:A_mean_sojourn_s": [math.nan] * 2,
    })
    acquirer, switch, issuers = _little_checks(frame, 0.95)
    assert acquirer.passed and issuers.passed  # an idle bank: L = λW = 0
    assert not switch.passed and "1.67e-01" in switch.detail
    with_hsm = frame.assign(hsm_mean_in_system=[0.1, 0.1], hsm_arrival_rate_per_s=[1.0, 1.0], hsm_mean_sojourn_s=[0.1, 0.2])
    *_, hsms = _little_checks(with_hsm, 0.95)
    assert hsms.name.startswith("Little's law L = λW: HSMs (1 pools") and not hsms.passed


def test_monotone_check_fails_when_more_servers_wait_longer():
    rows = [{"switch.servers": c, "replication": r, "switch_mean_wait_s": w}
            for r, waits in enumerate([[3.0, 0.5, 0.1], [2.0, 0.4, 0.6]]) for c, w in zip([1, 2, 3], waits)]
    check = _monotone_check(pd.DataFrame(rows))
    assert not check.passed  # the means fall (2.5, 0.45, 0.35) but replication 1 rises from 2 to 3 servers
    assert "non-increasing in 1/2 replications" in check.detail


def test_identical_check_spots_one_differing_value():
    a = pd.DataFrame({"replication": [0, 1], "latency_p99_s": [0.5, 0.6]})
    assert _identical_check(a, a.copy(), "2 processes").passed
    b = a.copy()
    b.loc[1, "latency_p99_s"] = np.nextafter(0.6, 1.0)
    assert not _identical_check(a, b, "2 processes").passed


def test_report_verdict_and_table():
    report = ValidationReport([Check("a", 1.0, 1.01, True, 0.9, 1.1), Check("b", "x", "y", False, detail="why")], 0.95, "ci")
    assert not report.passed
    text = report.table()
    assert "FAIL" in text and "[0.9, 1.1]" in text and "b: why" in text and "1 check(s) FAILED" in text
    assert list(report.to_frame()["passed"]) == [True, False]


def test_validate_exits_1_when_a_check_fails(monkeypatch, capsys):
    import elcart_sim.capacity.validation as validate_module

    failing = ValidationReport([Check("broken", 1.0, 2.0, False)], 0.95, "ci")
    monkeypatch.setattr(validate_module, "validate", lambda **kwargs: failing)
    assert main(["validate", "--workers", "1", "--no-progress"]) == 1
    assert "FAIL" in capsys.readouterr().out
