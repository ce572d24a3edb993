"""The day's settlement figures: each bank's net position, the liquidity it needed (upper and lower
bounds, and under the cut-offs), the settlement delay, the value unsettled and the share offset;
a hand-made two-batch day with exact figures, a simulated day checked against the pure measures
of clearing/measures.py, and a day without clearing whose summary is unchanged."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from types import SimpleNamespace

import pandas as pd
import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.analysis.settlement import (
    BANK_COLUMNS,
    balances_over_the_day,
    positions_by_bank,
    record_delays,
    settlement_metrics,
    settlement_summary,
    settlement_text,
)
from elcart_sim.clearing.measures import delay_indicator, liquidity_bounds
from elcart_sim.clearing.records import ClearingRecord
from elcart_sim.clearing.settlement import Payment, SettledPayment
from elcart_sim.scenario.clearing import ClearingSpec

FOUR_CUTOFFS = ["06:00", "12:00", "18:00", "24:00"]


def _hand_day(second_batch: str = "settled") -> SimpleNamespace:
    """Three banks, two batches, opening 100 tyiyn each. C1 (settled at 50 s): A pays B 10 at
    0 s, B pays C 4 at 10 s; C2 (at 100 s): C pays A 6 at 60 s."""
    clearing = pd.DataFrame(
        {
            "kind": ["purchase"] * 3,
            "reverses": [""] * 3,
            "acquirer_bank": ["B", "C", "A"],  # the payee of a purchase is its acquirer
            "issuer_bank": ["A", "B", "C"],
            "amount_tyiyn": [10, 4, 6],
            "cleared_at": [0.0, 10.0, 60.0],
            "batch_id": ["C1", "C1", "C2"],
        }
    )
    positions = pd.DataFrame(
        {
            "batch_id": ["C1"] * 3 + ["C2"] * 3,
            "bank": ["A", "B", "C"] * 2,
            "gross_debit_tyiyn": [10, 4, 0, 0, 0, 6],
            "gross_credit_tyiyn": [0, 10, 4, 6, 0, 0],
            "net_tyiyn": [-10, 6, 4, 6, 0, -6],
        }
    )
    done = second_batch == "settled"
    settlement = pd.DataFrame(
        {
            "batch_id": ["C1", "C2"],
            "status": ["settled", second_batch],
            "submitted_at": [50.0, 100.0],
            "settled_at": [50.0, 100.0 if done else math.nan],
            "unsettled_tyiyn": [0, 0 if done else 6],
            "excluded_banks": ["", ""],
        }
    )
    moves = [(50.0, "A", -10), (50.0, "B", 6), (50.0, "C", 4)] + ([(100.0, "A", 6), (100.0, "C", -6)] if done else [])
    postings = pd.DataFrame(
        {
            "kind": ["settlement"] * len(moves),
            "posted_at": [at for at, _, _ in moves],
            "debit_account": [f"{b}/nbkr_correspondent/" if v > 0 else f"{b}/elkart_settlement/" for _, b, v in moves],
            "credit_account": [f"{b}/elkart_settlement/" if v > 0 else f"{b}/nbkr_correspondent/" for _, b, v in moves],
            "amount_tyiyn": [abs(v) for _, _, v in moves],
        }
    )
    scenario = SimpleNamespace(clearing=ClearingSpec(enabled=True, opening_liquidity_kgs=1.0), demand=SimpleNamespace(duration_s=100.0))
    return SimpleNamespace(scenario=scenario, clearing=clearing, positions=positions, settlement=settlement, postings=postings)


def test_a_hand_made_day_gives_exact_liquidity_delays_and_offset():
    day = _hand_day()
    table = positions_by_bank(day)
    assert list(table.columns) == BANK_COLUMNS
    assert table.set_index("bank")[["net_tyiyn", "liquidity_upper_tyiyn", "liquidity_needed_tyiyn", "liquidity_lower_tyiyn"]].to_dict(
        "index"
    ) == {
        "A": {"net_tyiyn": -4, "liquidity_upper_tyiyn": 10, "liquidity_needed_tyiyn": 10, "liquidity_lower_tyiyn": 4},
        "B": {"net_tyiyn": 6, "liquidity_upper_tyiyn": 0, "liquidity_needed_tyiyn": 0, "liquidity_lower_tyiyn": 0},
        "C": {"net_tyiyn": -2, "liquidity_upper_tyiyn": 2, "liquidity_needed_tyiyn": 2, "liquidity_lower_tyiyn": 2},
    }
    assert table.closing_balance_tyiyn.tolist() == [96, 106, 98]
    assert balances_over_the_day(day).query("bank == 'A'").balance_tyiyn.tolist() == [100, 90, 96]
    assert record_delays(day).tolist() == [50.0, 40.0, 40.0]
    summary = settlement_summary(day)
    assert summary["settlement_delay_mean_s"] == pytest.approx(130 / 3)
    assert summary["settlement_delay_max_s"] == 50.0
    assert summary["delay_indicator"] == pytest.approx((10 * 50 + 4 * 40 + 6 * 40) / (10 * 100 + 4 * 90 + 6 * 40))
    assert summary["offset_share"] == pytest.approx(1 - (10 + 6) / (14 + 6))  # net moved ÷ gross, per batch
    assert summary["unsettled_tyiyn"] == 0
    assert summary["net_position_tyiyn"] == {"A": -4, "B": 6, "C": -2}
    assert settlement_metrics(day)["liquidity_needed_A_tyiyn"] == 10


def test_a_queued_batch_is_unsettled_its_records_have_no_delay_and_wait_until_the_close():
    day = _hand_day("queued")
    summary = settlement_summary(day)
    assert summary["unsettled_tyiyn"] == 6
    assert record_delays(day).tolist() == [50.0, 40.0]
    assert summary["delay_indicator"] == pytest.approx((10 * 50 + 4 * 40 + 6 * 40) / (10 * 100 + 4 * 90 + 6 * 40))
    assert summary["offset_share"] == pytest.approx(1 - 10 / 14)  # only C1 settled
    assert positions_by_bank(day).set_index("bank").liquidity_needed_tyiyn.to_dict() == {"A": 10, "B": 0, "C": 0}


@pytest.fixture(scope="module", params=[["18:00"], FOUR_CUTOFFS], ids=["one_cutoff", "four_cutoffs"])
def day(request):
    scenario = load_scenario("money-services-day", scale=0.0005, seed=3, fidelity="fast")
    return Simulation(scenario.with_overrides({"clearing.enabled": True, "clearing.cutoffs": request.param})).run()


def _records(results) -> list[ClearingRecord]:
    return [
        ClearingRecord(str(r.trace_id), r.kind, r.acquirer_bank, r.issuer_bank, r.amount_tyiyn, r.fee_tyiyn, r.cleared_at, r.reverses)
        for r in results.clearing.itertuples()
    ]


def test_the_bounds_and_the_delay_indicator_match_the_pure_measures(day):
    records = _records(day)
    between = [i for i, r in enumerate(records) if r.debtor_bank != r.creditor_bank]  # on-us records move nothing
    assert len(between) < len(records)
    payments = [
        Payment(str(i), records[i].debtor_bank, records[i].creditor_bank, records[i].amount_tyiyn, records[i].cleared_at) for i in between
    ]
    bounds = liquidity_bounds(payments)
    table = positions_by_bank(day).set_index("bank")
    for bank, (upper, lower) in bounds.items():
        assert (table.loc[bank, "liquidity_upper_tyiyn"], table.loc[bank, "liquidity_lower_tyiyn"]) == (upper, lower)
    assert (table.liquidity_lower_tyiyn <= table.liquidity_needed_tyiyn).all()
    assert (table.liquidity_needed_tyiyn <= table.liquidity_upper_tyiyn).all()
    delays = record_delays(day)
    settled = [
        SettledPayment(Payment(str(i), "A", "B", r.amount_tyiyn, r.cleared_at), r.cleared_at + delays[i], False)
        for i, r in enumerate(records)
    ]
    close = max(day.scenario.demand.duration_s, day.settlement.submitted_at.max())
    assert settlement_summary(day)["delay_indicator"] == pytest.approx(delay_indicator(settled, [], close))


def test_the_day_nets_to_zero_and_each_account_closes_at_opening_plus_net(day):
    table = positions_by_bank(day)
    assert table.net_tyiyn.sum() == 0
    assert (table.closing_balance_tyiyn == table.opening_liquidity_tyiyn + table.net_tyiyn).all()
    summary = day.summary()
    assert summary["net_position_tyiyn"] == dict(zip(table.bank, table.net_tyiyn.tolist()))
    assert summary["unsettled_tyiyn"] == 0 and 0 < summary["offset_share"] < 1
    json.dumps(summary)  # summary.json takes it as it is
    text = day.summary_text()
    assert "settlement delay" in text and "offset by netting" in text


def test_four_cutoffs_settle_sooner_than_one():
    indicators = {}
    for name, cutoffs in (("one", ["18:00"]), ("four", FOUR_CUTOFFS)):
        scenario = load_scenario("money-services-day", scale=0.0005, seed=3, fidelity="fast")
        results = Simulation(scenario.with_overrides({"clearing.enabled": True, "clearing.cutoffs": cutoffs})).run()
        indicators[name] = settlement_summary(results)["delay_indicator"]
    assert indicators["four"] < indicators["one"]


def test_without_clearing_nothing_is_added():
    results = Simulation(load_scenario("money-services-day", scale=0.0005, seed=3, fidelity="fast")).run()
    assert settlement_summary(results) == {} and settlement_metrics(results) == {}
    assert settlement_text(results.summary()) == []
    assert positions_by_bank(results).empty and balances_over_the_day(results).empty
    assert "clearing_records" not in results.summary() and "settlement" not in results.summary_text()


def test_the_settlement_plots_are_drawn_only_when_clearing_ran(day, tmp_path):
    from elcart_sim.analysis.settlement_plots import liquidity_over_the_day, net_positions_by_bank, save_settlement_plots

    assert len(net_positions_by_bank(day).axes[0].patches) == len(positions_by_bank(day)) * day.settlement.batch_id.nunique()
    assert liquidity_over_the_day(day).axes[0].get_lines()
    written = save_settlement_plots(day, tmp_path)
    assert [p.name for p in written] == ["net_positions_by_bank.png", "liquidity_over_the_day.png"]
    assert all(p.stat().st_size > 0 for p in written)
    without = Simulation(load_scenario("national-day", scale=0.0002, fidelity="fast")).run()
    assert save_settlement_plots(without, tmp_path) == []


def test_run_prints_the_settlement_and_writes_positions_by_bank(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "elcart_sim.cli", "run", "--scenario", "money-services-day", "--scale", "0.0005", "--fidelity", "fast",
         "--set", "clearing.enabled=true", "--set", 'clearing.cutoffs=["06:00", "12:00", "18:00", "24:00"]',
         "--out", str(out), "--no-progress", "--format", "csv"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "settlement delay" in proc.stdout and "by bank" in proc.stdout
    table = pd.read_csv(out / "positions_by_bank.csv", keep_default_na=False)
    assert list(table.columns) == BANK_COLUMNS and table.net_tyiyn.sum() == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["net_position_tyiyn"] == dict(zip(table.bank, table.net_tyiyn.tolist()))
    assert summary["clearing_batches"] == 4
    for name in ("clearing", "positions", "settlement"):
        assert (out / f"{name}.csv").exists()
    assert (out / "net_positions_by_bank.png").exists() and (out / "liquidity_over_the_day.png").exists()
