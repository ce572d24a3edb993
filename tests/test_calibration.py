"""Calibration (analysis/calibration.py, `elcart-sim calibrate`): each target reads what the run
produced, so changing the input behind it moves it out of its tolerance; a broken targets file
stops the command with exit 2 naming the row and the column; the bundled national day passes."""

from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd
import pytest

from elcart_sim.analysis.calibration import (
    HOURLY_SERVICES,
    MEASURES,
    CalibrationError,
    calibration_table,
    load_hourly,
    load_targets,
    nrmse,
)
from elcart_sim.cli.main import main
from elcart_sim.model.simulation import run
from elcart_sim.scenario import load_scenario

SCALE = 0.01  # ~6,000 card-side transactions and ~4,000 app payments: seconds a run


@functools.lru_cache(maxsize=None)
def _table(overrides: str = "{}", scale: float = SCALE) -> pd.DataFrame:
    scenario = load_scenario("national-day", scale=scale, fidelity="fast").with_overrides(json.loads(overrides))
    return calibration_table(run(scenario)).set_index("target")


def test_the_bundled_targets_name_known_figures_each_with_a_label():
    targets = load_targets()
    names = [t.name for t in targets]
    assert len(names) == len(set(names))
    assert set(MEASURES) <= set(names)
    assert {f"hourly_nrmse_{s}" for s in HOURLY_SERVICES} <= set(names)
    hourly = load_hourly()
    assert list(hourly.columns) == list(HOURLY_SERVICES) and len(hourly) == 24
    assert np.allclose(hourly.sum(), 100, atol=0.5)


def test_nrmse_is_paysims_rmse_over_the_targets_range():
    target = np.array([10.0, 30.0, 60.0])  # per cent; range 0.5
    counts = np.array([20, 30, 50])  # shares 0.2, 0.3, 0.5: errors 0.1, 0, -0.1
    error, noise = nrmse(counts, target)
    assert error == pytest.approx(np.sqrt((0.01 + 0 + 0.01) / 3) / 0.5)
    assert noise == pytest.approx(np.sqrt(np.mean(target / 100 * (1 - target / 100) / 100)) / 0.5)
    assert nrmse(np.zeros(3, dtype=int), target)[0] != nrmse(np.zeros(3, dtype=int), target)[0]  # NaN: nothing to compare


NIGHT = [8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 4.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 4.0, 6.0, 8.0, 8.0, 8.0]
REVERSED = [0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 1.0, 2.5, 4.0, 5.0, 6.0, 6.5, 8.0, 8.0, 6.3, 5.5, 6.5, 8.5, 9.0, 8.5, 6.5, 4.0, 2.0, 1.0][::-1]
CASH_HEAVY = {"atm": 0.8, "card_chip": 0.1, "card_contactless": 0.05, "contactless": 0.05}  # national-day: atm 0.50
# Each target, the input behind it, and a value of that input that must take the target out.
CHANGES = {
    "elkart_cards": {"population.cards": 2_000_000},
    "card_transactions_per_day": {"demand.transactions_per_day": 150_000},
    "pos_purchases_per_day": {"demand.channels": CASH_HEAVY},
    "cash_withdrawals_per_day": {"demand.channels": CASH_HEAVY},
    "pos_share": {"demand.channels": CASH_HEAVY},
    "atm_share": {"demand.channels": CASH_HEAVY},
    "cash_withdrawal_mean_kgs": {"demand.cash_withdrawal.mean_kgs": 8000},
    "transfers_per_day": {"demand.elkart_app_share": 0.12},
    "app_payments_per_day": {"demand.app_channels": {"p2p_phone": 0.6, "p2p_card": 0.1, "p2p_qr": 0.1, "qr_merchant": 0.04,
                                                     "topup": 0.03, "bill": 0.03, "account_transfer": 0.1}},
    "pos_ticket_mean_kgs": {"demand.ticket.mean_kgs": 1390},  # the published mean used as the attempts' mean: approved ~16 % below
    "peak_hour_share": {"demand.hourly_profile": [100 / 24] * 24},
    "hourly_nrmse_pos_purchase": {"demand.hourly_profile": REVERSED},
    "hourly_nrmse_cash_withdrawal": {"demand.hourly_profile": REVERSED},
    "hourly_nrmse_transfer": {"services.transfers.hourly_profile": [100 / 24] * 24},
    "hourly_nrmse_app_payment": {"services.bills.hourly_profile": NIGHT, "services.qr_payments.hourly_profile": NIGHT},
}  # fmt: skip


def test_every_target_has_an_input_that_moves_it():
    assert set(CHANGES) == {t.name for t in load_targets()}


@pytest.mark.parametrize("target", sorted(CHANGES))
def test_a_target_fails_when_its_input_is_changed(target):
    base = _table()
    assert base.loc[target, "passed"], base.loc[target].to_dict()
    changed = _table(json.dumps(CHANGES[target]))
    assert not changed.loc[target, "passed"], changed.loc[target].to_dict()


def test_the_national_day_at_one_per_cent_passes_every_target():
    table = _table()
    assert table["passed"].all(), table[~table["passed"]].to_dict("index")


def _write(tmp_path, text: str, name: str = "targets.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "name,value,unit,tolerance,label,source\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("peak_hour_share,0.09,share,0.01,estimate,x\nnope,1,x,1,estimate,x\n", "row 3, column 'name': unknown target 'nope'"),
        ("peak_hour_share,nine,share,0.01,estimate,x\n", "row 2, column 'value': must be a number, got 'nine'"),
        ("peak_hour_share,0.09,share,-1,estimate,x\n", "row 2, column 'tolerance': must be >= 0, got '-1'"),
        ("peak_hour_share,0.09,share,0.01,guess,x\n", "row 2, column 'label': must be one of"),
        ("peak_hour_share,0.09,share,0.01,estimate,x\npeak_hour_share,0.1,share,0.01,estimate,x\n", "row 3, column 'name': target 'peak_hour_share' is given twice"),
        ("peak_hour_share,0.09,share\n", "row 2: needs 6 fields"),
    ],
)  # fmt: skip
def test_a_broken_targets_file_names_row_and_column(tmp_path, body, message):
    path = _write(tmp_path, HEADER + body)
    with pytest.raises(CalibrationError, match=message.replace("(", r"\(")):
        load_targets(path)


def test_a_broken_hourly_file_names_row_and_column(tmp_path):
    rows = "".join(f"{h},{100 / 24}\n" for h in range(24))
    with pytest.raises(CalibrationError, match="row 1, column 'atm': unknown service"):
        load_hourly(_write(tmp_path, "hour,atm\n" + rows, "hourly.csv"))
    with pytest.raises(CalibrationError, match="column 'transfer': the shares must sum to 100"):
        load_hourly(_write(tmp_path, "hour,transfer\n" + "".join(f"{h},1\n" for h in range(24)), "hourly.csv"))
    with pytest.raises(CalibrationError, match="row 4, column 'hour': must be 2"):
        load_hourly(_write(tmp_path, "hour,transfer\n" + rows.replace("2,", "7,", 1), "hourly.csv"))


def test_the_command_exits_2_on_a_bad_targets_file_before_simulating(tmp_path, capsys):
    path = _write(tmp_path, HEADER + "peak_hour_share,0.09,share,0.01,estimate,x\nnope,1,x,1,estimate,x\n")
    assert main(["calibrate", "--targets", str(path), "--out", str(tmp_path / "c.csv")]) == 2
    err = capsys.readouterr().err
    assert "row 3, column 'name': unknown target 'nope'" in err
    assert not (tmp_path / "c.csv").exists()


def test_the_command_writes_the_table_and_exits_1_outside_a_tolerance(tmp_path, capsys):
    targets = _write(tmp_path, HEADER + "peak_hour_share,0.09,share,0.01,estimate,x\npos_ticket_mean_kgs,9999,KGS,1,estimate,x\n")
    out = tmp_path / "calibration.csv"
    code = main(["calibrate", "--scale", "0.002", "--fidelity", "fast", "--targets", str(targets), "--out", str(out)])
    assert code == 1
    table = pd.read_csv(out)
    assert list(table["target"]) == ["peak_hour_share", "pos_ticket_mean_kgs"]
    assert list(table["passed"]) == [True, False]
    printed = capsys.readouterr().out
    assert "1 of 2 targets inside their tolerance" in printed


def test_requests_by_hour_counts_every_request_once_by_service(small_services_day):
    from elcart_sim.analysis.services import requests_by_hour

    results = small_services_day
    table = requests_by_hour(results)
    assert table["requests"].sum() == len(results.transactions) + len(results.transfers)
    completed = (results.transactions.outcome == "approved").sum() + (results.transfers.outcome == "completed").sum()
    assert table["completed"].sum() == completed
    assert (table.groupby("service").size() == 24).all()
    channels = set(results.transactions["channel"].astype(str))
    assert {"tap" if c == "contactless" else c for c in channels} <= set(table["service"])
    assert "p2p phone" in set(table["service"])


@pytest.fixture(scope="module")
def small_services_day():
    return run(load_scenario("national-day", scale=0.001, fidelity="fast"))


def test_the_report_s_day_study_carries_the_load_by_service_and_the_calibration():
    from elcart_sim.report import day_study

    day = day_study(load_scenario("national-day", scale=0.0005, seed=5, fidelity="fast"), 2)
    hours = day.service_hours_table()
    assert list(hours.index[:24]) == list(range(24)) and hours.index[-1] == "day"
    per_replication = day.by_service.groupby("replication")["requests"].sum()
    assert hours.loc["day"].sum() == pytest.approx(per_replication.mean(), abs=0.1 * hours.shape[1])
    table = day.calibration_table()
    assert list(table["target"]) == [t.name for t in load_targets()]
    assert set(table["n"]) == {2} and table["passed"].str.fullmatch(r"[0-2] of 2").all()


def test_the_command_refuses_a_folder_as_its_out_file_before_simulating(tmp_path, capsys):
    assert main(["calibrate", "--scale", "0.001", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "it is a folder, not a file" in captured.err and "calibrating" not in captured.err
