"""Clearing wired into the day: every approval the switch relays has one clearing record, every
reversal it delivers of one of them the opposite record; the positions of each batch sum to
zero; settled in full, every bank's ELKART settlement position is zero again; every tyiyn a card
lost reached a merchant, a biller, an account or another card, and the net positions moved it
between the banks' correspondent accounts at the National Bank. Off by default: no table then."""

from __future__ import annotations

import pandas as pd
import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.clearing.records import CREDIT_KINDS, DEBIT_KINDS, ClearingRecord, batch_of
from elcart_sim.model.clearing_cycle import IPC_BANK
from elcart_sim.money import accounts

FOUR_CUTOFFS = ["06:00", "12:00", "18:00", "24:00"]
HEAVY_TAIL = {"dist": "lognormal", "mean_s": 0.01, "cv": 4.0}
FAILURES = {  # timeouts on every leg, so reversals happen (tests/test_qr_payments_conservation.py)
    "issuer.service_time": HEAVY_TAIL,
    "switch.timeout_s": 0.03,
    "services.qr_payments.timeout_s": 0.045,
    "services.account_transfers.operator.service_time": HEAVY_TAIL,
}


def _simulation(seed: int, cutoffs: list[str], **overrides) -> Simulation:
    scenario = load_scenario("money-services-day", scale=0.0005, seed=seed)
    return Simulation(scenario.with_overrides({"clearing.enabled": True, "clearing.cutoffs": cutoffs, **overrides}))


@pytest.fixture(scope="module", params=[["18:00"], FOUR_CUTOFFS], ids=["one_cutoff", "four_cutoffs"])
def day(request):
    simulation = _simulation(3, request.param, **FAILURES)
    return simulation, simulation.run(), request.param


def _signed(clearing: pd.DataFrame, kinds) -> pd.Series:
    """Per trace id: the amount of records of ``kinds``, less their reversals."""
    kind, reverses = clearing.kind.astype(str), clearing.reverses.astype(str)
    sign = kind.isin(kinds).astype(int) - ((kind == "reversal") & reverses.isin(kinds)).astype(int)
    return (clearing.amount_tyiyn * sign).groupby(clearing.trace_id).sum()


def test_every_approval_relayed_has_one_record_and_every_reversal_names_an_approval(day):
    _simulation, results, _cutoffs = day
    hops = results.hops
    approvals = hops[(hops.hop == "switch") & hops.mti.isin(["0100", "0200"]) & (hops.response_code == "00")]
    switch_kinds = ("purchase", "cash_withdrawal", "transfer_debit", "transfer_credit", "bill", "account_transfer", "qr_payment")
    records = results.clearing[results.clearing.kind.isin(switch_kinds)]
    assert approvals.groupby("trace_id").size().to_dict() == records.groupby("trace_id").size().to_dict()
    reversals = results.clearing[results.clearing.kind == "reversal"]
    assert len(reversals) > 0
    originals = results.clearing[results.clearing.kind != "reversal"]
    for reversal in reversals.itertuples():
        same = originals[(originals.trace_id == reversal.trace_id) & (originals.kind == reversal.reverses)]
        assert len(same) >= 1 and (same.cleared_at <= reversal.cleared_at).all()
        assert (same.amount_tyiyn == reversal.amount_tyiyn).any()


def test_each_record_is_in_the_batch_of_its_period_and_positions_sum_to_zero(day):
    simulation, results, cutoffs = day
    date, cutoffs_s = simulation.scenario.business_date, simulation.scenario.clearing.cutoffs_s
    clearing = results.clearing
    for row in clearing.itertuples():
        record = ClearingRecord(str(row.trace_id), row.kind, row.acquirer_bank, row.issuer_bank, row.amount_tyiyn, row.fee_tyiyn, row.cleared_at, row.reverses)
        assert row.batch_id == batch_of(record, date, cutoffs_s)
    positions = results.positions
    assert set(positions.batch_id) == set(clearing.batch_id) == set(results.settlement.batch_id)
    assert len(set(clearing.batch_id)) >= len(cutoffs) - 1
    assert (positions.groupby("batch_id", observed=True).net_tyiyn.sum() == 0).all()
    assert (positions.net_tyiyn.abs() <= positions[["gross_debit_tyiyn", "gross_credit_tyiyn"]].max(axis=1)).all()
    assert set(positions.bank) == {bank.code for bank in simulation.population.banks} | {IPC_BANK}


def test_settled_in_full_every_settlement_position_is_zero_and_the_national_bank_moved_the_nets(day):
    simulation, results, _cutoffs = day
    assert (results.settlement.status == "settled").all() and (results.settlement.unsettled_tyiyn == 0).all()
    assert results.trial_balance_tyiyn == 0
    ledger, rtgs, spec = simulation.ledger, simulation.clearing.rtgs, simulation.scenario.clearing
    nets = results.positions.groupby("bank", observed=True).net_tyiyn.sum()
    for bank in simulation.clearing.participants:
        assert ledger.balance_tyiyn(accounts.elkart_settlement(bank)) == 0, bank
        correspondent = ledger.balance_tyiyn(accounts.nbkr_correspondent(bank))
        assert correspondent == nets[bank] == rtgs.balances_tyiyn[bank] - spec.opening_liquidity_tyiyn(bank)
    assert nets[IPC_BANK] == 0  # every app payment completed or undone: nothing left in transit at IPC
    postings = results.postings
    assert (postings.kind == "settlement").sum() == (results.positions.net_tyiyn != 0).sum()


@pytest.mark.parametrize("seed", range(10))
def test_every_tyiyn_from_tap_to_settlement(seed):
    simulation = _simulation(seed, FOUR_CUTOFFS, **FAILURES)
    results = simulation.run()
    assert results.trial_balance_tyiyn == 0
    postings = results.postings[(results.postings.trace_id >= 0) & (results.postings.kind != "fee")]
    credited = postings.groupby(["trace_id", "credit_account"], observed=True).amount_tyiyn.sum()
    debited = postings.groupby(["trace_id", "debit_account"], observed=True).amount_tyiyn.sum()
    credited.index.names = debited.index.names = ["trace_id", "account"]
    gained = credited.sub(debited, fill_value=0).rename("gained").reset_index()
    gained["kind"] = gained.account.astype(str).str.split("/").str[1]
    by_kind = gained.groupby(["trace_id", "kind"]).gained.sum().unstack(fill_value=0)
    clearing = results.clearing
    debits, card_credits = _signed(clearing, DEBIT_KINDS), _signed(clearing, ("transfer_credit",))
    payee_credits = _signed(clearing, ("purchase", "cash_withdrawal", *CREDIT_KINDS[1:]))
    traces = by_kind.index.union(clearing.trace_id.unique())
    by_kind = by_kind.reindex(traces, fill_value=0)
    # a card's net loss is what clearing says its bank owes, less what it says a card received
    assert (by_kind.cardholder == card_credits.reindex(traces, fill_value=0) - debits.reindex(traces, fill_value=0)).all()
    # what a merchant, biller or account gained (or an ATM paid out) is what clearing says is owed to its bank
    payees = sum(by_kind.get(kind, 0) for kind in ("merchant", "biller", "customer_account", "atm_cash"))
    assert (payees == payee_credits.reindex(traces, fill_value=0)).all()
    # and no tyiyn stays in a settlement position: everything went through the National Bank
    assert (by_kind.elkart_settlement == -(by_kind.cardholder + payees)).all()
    for bank in simulation.clearing.participants:
        assert simulation.ledger.balance_tyiyn(accounts.elkart_settlement(bank)) == 0


def test_same_seed_same_tables():
    first, second = (_simulation(5, FOUR_CUTOFFS, **FAILURES).run() for _ in range(2))
    for name in ("clearing", "positions", "settlement"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
        assert len(getattr(first, name))


def test_off_by_default_no_clearing_tables():
    results = Simulation(load_scenario("money-services-day", scale=0.0002, seed=1)).run()
    assert not results.scenario.clearing.enabled
    assert {"clearing", "positions", "settlement"}.isdisjoint(results.tables())
    assert "settlement" not in set(results.postings.kind.astype(str))


def test_a_bank_without_cover_is_excluded_and_its_value_left_unsettled():
    simulation = _simulation(2, ["18:00"], **{"clearing.opening_liquidity_kgs": 0, "clearing.uncovered_rule": "exclude"})
    results = simulation.run()
    settlement = results.settlement
    assert (settlement.status == "settled").all() and (settlement.excluded_banks != "").any()
    assert settlement.unsettled_tyiyn.sum() > 0
    assert results.trial_balance_tyiyn == 0
    for bank in simulation.clearing.participants:  # what did settle moved exactly what the gross settlement system moved
        assert simulation.ledger.balance_tyiyn(accounts.nbkr_correspondent(bank)) == simulation.clearing.rtgs.balances_tyiyn[bank]


def test_without_cover_under_queue_the_batch_waits_and_nothing_moves():
    simulation = _simulation(2, ["18:00"], **{"clearing.opening_liquidity_kgs": 0, "clearing.uncovered_rule": "queue"})
    results = simulation.run()
    assert set(results.settlement.status) == {"queued"} and results.settlement.settled_at.isna().all()
    assert "settlement" not in set(results.postings.kind.astype(str))
