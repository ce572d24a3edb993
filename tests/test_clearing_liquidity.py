"""The clearing cycle's liquidity: bilateral positions per batch, gridlock between queued batches
resolved by offsetting, and (below) the position check during the day. Built around one
ClearingCycle fed the switch's approvals by hand, with exact amounts and times."""

from __future__ import annotations

import datetime

import simpy

from elcart_sim.core.records import Records
from elcart_sim.model.clearing_cycle import IPC_BANK, ClearingCycle
from elcart_sim.money import accounts
from elcart_sim.money.ledger import Ledger
from elcart_sim.protocol.iso8583 import MTI_FINANCIAL_REQUEST, ProcessingCode
from elcart_sim.scenario.clearing import ClearingSpec

BANKS = ("A", "B", "C")
DATE = datetime.date(2025, 7, 1)


def _cycle(env: simpy.Environment, records: Records, ledger: Ledger, **spec) -> ClearingCycle:
    settings = {"enabled": True, "cutoffs": ["06:00", "12:00", "18:00", "24:00"], "opening_liquidity_kgs": 0.0, **spec}
    return ClearingCycle(env, ClearingSpec(**settings), DATE, BANKS, {}, ledger, records, 86_400.0)


def _leg(code: str, amount_tyiyn: int, stan: int) -> dict:
    return {"t": MTI_FINANCIAL_REQUEST, "3": code + "0000", "4": f"{amount_tyiyn:012d}", "37": f"{stan:012d}", "11": f"{stan:06d}", "7": "0701120000"}


def _transfer(cycle: ClearingCycle, payer: str, payee: str, amount_tyiyn: int, trace_id: int) -> None:
    """A P2P transfer's two legs approved: the payer's bank owes IPC, IPC owes the payee's bank."""
    cycle.approved(_leg(ProcessingCode.TRANSFER_DEBIT, amount_tyiyn, 2 * trace_id), payer, trace_id)
    cycle.approved(_leg(ProcessingCode.TRANSFER_CREDIT, amount_tyiyn, 2 * trace_id + 1), payee, trace_id)


def _three_bank_cycle(rule: str = "queue"):
    """A pays B 500 in the first period, B pays C 500 in the second, C pays A 500 in the third;
    every bank opens with no liquidity."""
    env, records, ledger = simpy.Environment(), Records(), Ledger()
    cycle = _cycle(env, records, ledger, uncovered_rule=rule)

    def payments():
        for at, (payer, payee) in zip((3_600, 25_200, 46_800), (("A", "B"), ("B", "C"), ("C", "A"))):
            yield env.timeout(at - env.now)
            _transfer(cycle, payer, payee, 500, at)

    env.process(payments())
    env.run()
    cycle.settle_rest()
    return cycle, records.settlement.to_frame(), records.positions.to_frame(), records.bilateral.to_frame(), ledger


def test_a_three_bank_cycle_without_liquidity_queues_then_settles_in_full_by_offsetting():
    cycle, settlement, _positions, _bilateral, ledger = _three_bank_cycle()
    rows = list(settlement[["batch_id", "status", "submitted_at", "settled_at"]].itertuples(index=False, name=None))
    c1, c2, c3 = (f"DNS-417-2025-07-01-C{i}" for i in (1, 2, 3))
    assert [r[:3] for r in rows] == [
        (c1, "queued", 21_600.0),
        (c2, "queued", 43_200.0),
        (c3, "queued", 64_800.0),
        (c1, "offset", 21_600.0),
        (c2, "offset", 43_200.0),
        (c3, "offset", 64_800.0),
    ]
    assert [r[3] for r in rows[3:]] == [64_800.0] * 3
    assert cycle.rtgs.balances_tyiyn == {"A": 0, "B": 0, "C": 0, IPC_BANK: 0}
    assert not cycle.rtgs.batches_gridlocked()
    for bank in (*BANKS, IPC_BANK):  # each bank's settlement position posted out and back: zero
        assert ledger.balance_tyiyn(accounts.elkart_settlement(bank)) == ledger.balance_tyiyn(accounts.nbkr_correspondent(bank)) == 0


def test_two_queued_batches_that_do_not_close_the_cycle_stay_queued():
    env, records, ledger = simpy.Environment(), Records(), Ledger()
    cycle = _cycle(env, records, ledger)
    _transfer(cycle, "A", "B", 500, 1)
    env.run(until=25_200)
    _transfer(cycle, "B", "C", 500, 2)
    env.run()
    cycle.settle_rest()
    assert list(records.settlement.to_frame().status) == ["queued", "queued"]
    assert cycle.rtgs.batches_gridlocked()  # and only new liquidity could settle them


def test_bilateral_then_multilateral_equals_the_positions_table():
    _cycle_, _settlement, positions, bilateral, _ledger = _three_bank_cycle()
    assert list(bilateral.itertuples(index=False, name=None)) == [
        ("DNS-417-2025-07-01-C1", "A", IPC_BANK, -500),
        ("DNS-417-2025-07-01-C1", "B", IPC_BANK, 500),
        ("DNS-417-2025-07-01-C2", "B", IPC_BANK, -500),
        ("DNS-417-2025-07-01-C2", "C", IPC_BANK, 500),
        ("DNS-417-2025-07-01-C3", "A", IPC_BANK, 500),
        ("DNS-417-2025-07-01-C3", "C", IPC_BANK, -500),
    ]
    for batch, rows in positions.groupby("batch_id", observed=True):
        pairs = bilateral[bilateral.batch_id == batch]
        net = {bank: 0 for bank in rows.bank}
        for row in pairs.itertuples():
            net[row.bank_a] += row.net_tyiyn
            net[row.bank_b] -= row.net_tyiyn
        assert net == dict(zip(rows.bank, rows.net_tyiyn))


def test_in_a_day_bilateral_then_multilateral_equals_the_positions_table():
    from elcart_sim import Simulation, load_scenario
    from elcart_sim.clearing.netting import multilateral_from_bilateral

    scenario = load_scenario("money-services-day", scale=0.0005, seed=3)
    results = Simulation(scenario.with_overrides({"clearing.enabled": True, "clearing.cutoffs": ["12:00", "24:00"]})).run()
    assert len(results.bilateral)
    for batch, rows in results.positions.groupby("batch_id", observed=True):
        pairs = results.bilateral[results.bilateral.batch_id == batch]
        bilateral = {(a, b): net for a, b, net in zip(pairs.bank_a, pairs.bank_b, pairs.net_tyiyn)}
        assert multilateral_from_bilateral(bilateral, rows.bank) == dict(sorted(zip(rows.bank, rows.net_tyiyn)))
