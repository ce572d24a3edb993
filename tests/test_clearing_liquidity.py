"""The clearing cycle's liquidity: bilateral positions per batch, gridlock between queued batches
resolved by offsetting, and (below) the position check during the day. Built around one
ClearingCycle fed the switch's approvals by hand, with exact amounts and times."""

from __future__ import annotations

import datetime

import pandas as pd
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


# -- the position check during the day -------------------------------------------------------------


def _checked_cycle(declines: bool):
    """Every bank opens with 10 KGS of cover, a net debit cap of 60 % of it, the alarm at 50 %."""
    env, records, ledger = simpy.Environment(), Records(), Ledger()
    cycle = _cycle(
        env, records, ledger, opening_liquidity_kgs=10.0, net_debit_cap_share=0.6, alarm_share=0.5, breach_declines=declines, cutoffs=["12:00"]
    )
    return env, records, cycle


def test_cover_first_then_the_cap_an_alarm_once_and_reservations_released_on_decline():
    from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason

    env, records, cycle = _checked_cycle(declines=True)
    debit = ProcessingCode.TRANSFER_DEBIT
    first, second, third, fourth, fifth = (_leg(debit, amount, stan) for stan, amount in enumerate((400, 150, 100, 700, 60), 1))
    assert cycle.prepare(first, "A", 1) is None  # 400 of 1,000: below the alarm at 500
    assert cycle.prepare(second, "A", 2) is None  # 550: past the alarm, still passes
    assert cycle.prepare(third, "A", 3) is DeclineReason.NET_DEBIT_CAP  # 650 > the cap of 600
    assert cycle.prepare(fourth, "A", 4) is DeclineReason.LIQUIDITY_COVER  # over both: cover is asked first
    account = cycle.liquidity.accounts["A"]
    assert (account.paid_out_tyiyn, account.reserved_tyiyn) == (0, 550)
    cycle.declined(second)  # the issuer declined: its 150 released
    cycle.approved(first, "A", 1)  # committed: A owes IPC 400 in the open period
    assert (account.paid_out_tyiyn, account.reserved_tyiyn) == (400, 0)
    assert cycle.prepare(fifth, "A", 5) is None  # 460: under the alarm, already raised this period
    cycle.declined(fifth)
    events = records.liquidity_events.to_frame()
    assert list(events.itertuples(index=False, name=None)) == [
        (0.0, "A", "alarm", 550, 1_000, 2),
        (0.0, "A", "breach_cap", 550, 1_000, 3),
        (0.0, "A", "breach_cover", 550, 1_000, 4),
    ]
    env.run(until=43_201)  # the noon batch settles: A paid 400 into it, IPC was paid 400
    assert (account.paid_out_tyiyn, account.received_tyiyn, account.reserved_tyiyn, account.cover_tyiyn) == (0, 0, 0, 600)
    assert cycle.liquidity.accounts[IPC_BANK].cover_tyiyn == 1_400


def test_breaches_only_recorded_when_they_do_not_decline():
    env, records, cycle = _checked_cycle(declines=False)
    assert cycle.prepare(_leg(ProcessingCode.TRANSFER_DEBIT, 700, 1), "A", 1) is None
    assert cycle.liquidity.accounts["A"].reserved_tyiyn == 700
    assert list(records.liquidity_events.to_frame().event) == ["breach_cap"]


def test_a_credit_leg_is_checked_against_ipc_and_an_on_us_purchase_not_at_all():
    _env, records, cycle = _checked_cycle(declines=True)
    assert cycle.prepare(_leg(ProcessingCode.TRANSFER_CREDIT, 200, 1), "B", 1) is None
    assert cycle.liquidity.accounts[IPC_BANK].reserved_tyiyn == 200
    cycle.bank_of_institution = {"0001": "A"}
    tap = {**_leg(ProcessingCode.PURCHASE, 5_000, 2), "t": "0100", "32": "0001"}
    assert cycle.prepare(tap, "A", 2) is None  # over A's cover, but A pays itself
    assert cycle.liquidity.accounts["A"].reserved_tyiyn == 0 and not len(records.liquidity_events)


def _liquidity_day(declines: bool):
    from elcart_sim import Simulation, load_scenario

    scenario = load_scenario("money-services-day", scale=0.0005, seed=4)
    overrides = {"clearing.enabled": True, "clearing.opening_liquidity_kgs": 2_000.0, "clearing.breach_declines": declines}
    return Simulation(scenario.with_overrides(overrides)).run()


def test_in_a_day_breaches_decline_51_with_their_reason_and_each_has_its_event():
    results = _liquidity_day(declines=True)
    events, hops = results.liquidity_events, results.hops
    breaches = events[events.event.isin(["breach_cover", "breach_cap"])]
    assert len(breaches) and (events.event == "alarm").any()
    declined = hops[(hops.hop == "switch") & (hops.response_code == "51")]  # the issuers' 51s too
    assert set(breaches.trace_id) <= set(declined.trace_id)
    # a breach never clears; a transfer whose credit leg breached IPC's limits has its debit leg reversed
    cleared = results.clearing[results.clearing.trace_id.isin(breaches.trace_id)]
    signed = cleared.amount_tyiyn.where(cleared.kind != "reversal", -cleared.amount_tyiyn)
    assert set(cleared.kind.astype(str)) == {"transfer_debit", "reversal"} and (signed.groupby(cleared.trace_id).sum() == 0).all()
    assert set(breaches.bank[breaches.trace_id.isin(cleared.trace_id)]) == {IPC_BANK}
    taps = results.transactions[results.transactions.trace_id.isin(breaches.trace_id)]
    assert set(taps.stopped_by.astype(str)) <= {"liquidity_cover", "net_debit_cap"}
    assert (results.positions.groupby("batch_id", observed=True).net_tyiyn.sum() == 0).all()
    assert results.trial_balance_tyiyn == 0


def test_in_a_day_breaches_recorded_only_change_nothing_else():
    from elcart_sim import Simulation, load_scenario

    recorded = _liquidity_day(declines=False)
    ample = Simulation(load_scenario("money-services-day", scale=0.0005, seed=4).with_overrides({"clearing.enabled": True})).run()
    assert recorded.liquidity_events.event.isin(["breach_cover", "breach_cap"]).any() and not len(ample.liquidity_events)
    pd.testing.assert_frame_equal(recorded.clearing, ample.clearing)
    pd.testing.assert_frame_equal(recorded.transactions, ample.transactions)
    pd.testing.assert_frame_equal(recorded.hops, ample.hops)


# -- interchange -------------------------------------------------------------------------------------


def test_interchange_rule_rounds_half_up_and_never_exceeds_the_amount():
    from elcart_sim.scenario.clearing import InterchangeRule

    rule = InterchangeRule("purchase", 0.5, 0)
    assert [rule.interchange_tyiyn(a) for a in (99, 100, 300, 100_000)] == [0, 1, 2, 500]  # 0.495, 0.5, 1.5, 500
    assert InterchangeRule("bill", 0.0, 300).interchange_tyiyn(200) == 200
    spec = ClearingSpec(interchange=[rule])
    assert (spec.interchange_tyiyn("purchase", 100_000), spec.interchange_tyiyn("transfer_debit", 100_000)) == (500, 0)
    assert ClearingSpec().interchange_tyiyn("purchase", 100_000) == 0  # none by default


def test_an_interchange_rule_for_a_credit_kind_is_refused_with_its_path():
    import pytest

    from elcart_sim import load_scenario
    from elcart_sim.core.errors import ScenarioError

    scenario = load_scenario("money-services-day", scale=0.0005, seed=1)
    with pytest.raises(ScenarioError, match=r"clearing\.interchange\[0\]\.kind"):
        scenario.with_overrides({"clearing.interchange": [{"kind": "transfer_credit", "percent": 1.0}]})


def test_interchange_is_netted_the_other_way_from_the_amount():
    from elcart_sim.clearing.netting import Obligations, bilateral_positions, multilateral_positions
    from elcart_sim.clearing.records import ClearingRecord

    purchase = ClearingRecord("1", "purchase", "ACQ", "ISS", 10_000, 0, 10.0, interchange_tyiyn=50)
    obligations = Obligations.from_records([purchase, purchase.reversal(20.0), purchase])
    assert multilateral_positions(obligations) == {"ACQ": 9_950, "ISS": -9_950}
    assert bilateral_positions(obligations) == {("ACQ", "ISS"): 9_950}
    assert obligations.total_tyiyn() == 3 * 10_050


def test_in_a_day_purchases_carry_interchange_and_the_settlement_positions_still_close_at_zero():
    from elcart_sim import Simulation, load_scenario

    overrides = {"clearing.enabled": True, "clearing.interchange": [{"kind": "purchase", "percent": 0.5}]}
    simulation = Simulation(load_scenario("money-services-day", scale=0.0005, seed=3).with_overrides(overrides))
    results = simulation.run()
    clearing = results.clearing
    purchases = clearing[clearing.kind == "purchase"]
    assert len(purchases) and (purchases.interchange_tyiyn == (purchases.amount_tyiyn * 5_000 + 500_000) // 1_000_000).all()
    assert (clearing.interchange_tyiyn[~clearing.kind.isin(["purchase", "reversal"])] == 0).all()
    interchange = results.postings[results.postings.kind == "interchange"]
    assert interchange.amount_tyiyn.sum() == 2 * purchases.interchange_tyiyn.sum()  # issuer's side and acquirer's (reversed as "reversal")
    assert results.trial_balance_tyiyn == 0
    for bank in simulation.clearing.participants:
        assert simulation.ledger.balance_tyiyn(accounts.elkart_settlement(bank)) == 0, bank
