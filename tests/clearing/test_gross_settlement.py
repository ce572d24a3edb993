"""The gross settlement system: the three-bank gridlock, offsetting and partial netting, net
batches under each rule for a bank without cover, and the settlement measures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elcart_sim.clearing import (
    LiquidityBounds,
    Obligations,
    Payment,
    Rtgs,
    delay_indicator,
    liquidity_bounds,
    multilateral_positions,
    offset_share,
    pro_rata,
    unsettled_value_tyiyn,
)
from elcart_sim.core.errors import SettlementError

CYCLE = [Payment("p1", "A", "B", 100, 10.0), Payment("p2", "B", "C", 100, 20.0), Payment("p3", "C", "A", 100, 30.0)]
CLOSE_S = 110.0


def _submit(rtgs, payments):
    return [rtgs.submit(p) for p in payments]


def test_a_cycle_with_zero_balances_does_not_settle_payment_by_payment():
    rtgs = Rtgs.opened({"A": 0, "B": 0, "C": 0})
    assert _submit(rtgs, CYCLE) == [False, False, False]
    assert rtgs.release(40.0) == 0
    assert rtgs.is_gridlocked()
    assert unsettled_value_tyiyn(rtgs) == 300
    assert delay_indicator(rtgs.settled, rtgs.queue, CLOSE_S) == 1.0


def test_the_cycle_settles_in_full_by_offsetting():
    rtgs = Rtgs.opened({"A": 0, "B": 0, "C": 0})
    _submit(rtgs, CYCLE)
    assert rtgs.offset(60.0) == CYCLE
    assert rtgs.queue == [] and not rtgs.is_gridlocked()
    assert rtgs.balances_tyiyn == {"A": 0, "B": 0, "C": 0}
    assert offset_share(rtgs.settled) == 1.0
    assert unsettled_value_tyiyn(rtgs) == 0
    # waits 50, 40 and 30 s of possible 100, 90 and 80 s, all of equal value
    assert delay_indicator(rtgs.settled, rtgs.queue, CLOSE_S) == pytest.approx(120 / 270)


def test_the_cycle_needs_liquidity_between_the_bounds():
    bounds = liquidity_bounds(CYCLE)
    assert bounds == {"A": LiquidityBounds(100, 0), "B": LiquidityBounds(0, 0), "C": LiquidityBounds(0, 0)}
    rtgs = Rtgs.opened({"A": 100, "B": 0, "C": 0})  # the upper bound: every payment settles on arrival
    assert _submit(rtgs, CYCLE) == [True, True, True]
    assert delay_indicator(rtgs.settled, rtgs.queue, CLOSE_S) == 0.0
    assert offset_share(rtgs.settled) == 0.0


def test_fresh_liquidity_releases_the_queue_in_order():
    rtgs = Rtgs.opened({"A": 0, "B": 0, "C": 0})
    _submit(rtgs, CYCLE)
    rtgs.fund("A", 100, 50.0)
    assert [(s.payment.payment_id, s.settled_at, s.by_offset) for s in rtgs.settled] == [("p1", 50.0, False), ("p2", 50.0, False), ("p3", 50.0, False)]
    assert rtgs.balances_tyiyn == {"A": 100, "B": 0, "C": 0}


def test_a_payer_queue_is_first_in_first_out():
    rtgs = Rtgs.opened({"A": 50, "B": 0})
    assert rtgs.submit(Payment("big", "A", "B", 80, 0.0)) is False
    assert rtgs.submit(Payment("small", "A", "B", 10, 1.0)) is False  # may not overtake
    rtgs.fund("A", 30, 5.0)
    assert [s.payment.payment_id for s in rtgs.settled] == ["big"]
    assert [p.payment_id for p in rtgs.queue] == ["small"]


def test_partial_netting_leaves_the_largest_uncovered_payment_queued():
    # The cycle plus a payment A cannot fund: together A's net debit is 150 with nothing to cover
    # it; leaving A's largest payment out, the cycle offsets to zero.
    rtgs = Rtgs.opened({"A": 0, "B": 0, "C": 0})
    extra = Payment("a2", "A", "C", 150, 15.0)
    _submit(rtgs, [CYCLE[0], extra, *CYCLE[1:]])
    assert rtgs.is_gridlocked()
    assert rtgs.offset(60.0) == CYCLE
    assert rtgs.queue == [extra]
    assert rtgs.balances_tyiyn == {"A": 0, "B": 0, "C": 0}
    assert unsettled_value_tyiyn(rtgs) == 150
    assert offset_share(rtgs.settled) == 1.0


def _batch():
    # A owes B 300, B owes C 100, C owes A 50: positions A -250, B +200, C +50.
    return Obligations.from_columns(["A", "B", "C"], ["B", "C", "A"], [300, 100, 50])


def test_a_covered_batch_settles_its_multilateral_positions():
    rtgs = Rtgs.opened({"A": 1_000, "B": 0, "C": 0})
    outcome = rtgs.settle_batch("DNS-417-2025-07-01-C1", _batch(), "queue", 64_800.0)
    assert outcome.status == "settled" and outcome.unsettled_tyiyn == 0
    assert rtgs.balances_tyiyn == {"A": 750, "B": 200, "C": 50}


def test_queue_rule_holds_the_batch_until_liquidity_arrives():
    rtgs = Rtgs.opened({"A": 100, "B": 0, "C": 0})
    outcome = rtgs.settle_batch("b1", _batch(), "queue", 64_800.0)
    assert (outcome.status, outcome.settled_at, outcome.unsettled_tyiyn) == ("queued", None, 250)
    assert unsettled_value_tyiyn(rtgs) == 250
    rtgs.fund("A", 150, 66_000.0)
    latest = rtgs.outcome("b1")
    assert (latest.status, latest.submitted_at, latest.settled_at) == ("settled", 64_800.0, 66_000.0)
    assert rtgs.balances_tyiyn == {"A": 0, "B": 200, "C": 50}
    assert unsettled_value_tyiyn(rtgs) == 0


def test_partial_rule_settles_what_the_cover_allows_pro_rata():
    rtgs = Rtgs.opened({"A": 100, "B": 0, "C": 0})
    outcome = rtgs.settle_batch("b1", _batch(), "partial", 64_800.0)
    assert outcome.status == "partial"
    assert outcome.settled_tyiyn == {"A": -100, "B": 80, "C": 20}
    assert outcome.unsettled_tyiyn == 150
    assert rtgs.total_tyiyn() == 100


def test_exclude_rule_removes_a_defaulting_debtor_and_nets_again():
    # D owes A a lot and has nothing: without D, A is a debtor it can cover.
    batch = Obligations.from_columns(["A", "B", "C", "D"], ["B", "C", "A", "A"], [300, 100, 50, 500])
    assert multilateral_positions(batch) == {"A": 250, "B": 200, "C": 50, "D": -500}
    rtgs = Rtgs.opened({"A": 1_000, "B": 0, "C": 0, "D": 0})
    outcome = rtgs.settle_batch("b1", batch, "exclude", 64_800.0)
    assert outcome.excluded_banks == ("D",)
    assert outcome.settled_tyiyn == {"A": -250, "B": 200, "C": 50, "D": 0}
    assert outcome.unsettled_tyiyn == 500
    assert rtgs.balances_tyiyn == {"A": 750, "B": 200, "C": 50, "D": 0}


def test_exclusion_can_uncover_another_bank():
    # Without D's payment to B, B becomes a net debtor it cannot cover: B is excluded too.
    batch = Obligations.from_columns(["D", "B", "A"], ["B", "A", "C"], [500, 300, 100])
    rtgs = Rtgs.opened({"A": 100, "B": 0, "C": 0, "D": 0})
    outcome = rtgs.settle_batch("b1", batch, "exclude", 64_800.0)
    assert outcome.excluded_banks == ("B", "D")
    assert rtgs.balances_tyiyn == {"A": 0, "B": 0, "C": 100, "D": 0}


def test_a_batch_sent_again_is_a_resend_and_a_changed_one_is_refused():
    rtgs = Rtgs.opened({"A": 1_000, "B": 0, "C": 0})
    first = rtgs.settle_batch("b1", _batch(), "queue", 64_800.0)
    assert rtgs.settle_batch("b1", _batch(), "queue", 70_000.0) is first
    assert rtgs.balances_tyiyn == {"A": 750, "B": 200, "C": 50}
    with pytest.raises(SettlementError, match="b1 was submitted before with other positions"):
        rtgs.settle_batch("b1", Obligations.from_columns(["A"], ["B"], [1]), "queue", 70_000.0)


def test_settlement_faults_are_typed():
    rtgs = Rtgs.opened({"A": 0, "B": 0})
    with pytest.raises(SettlementError, match="X has no settlement account"):
        rtgs.submit(Payment("p", "A", "X", 1, 0.0))
    with pytest.raises(SettlementError, match="must be one of queue, partial, exclude"):
        rtgs.settle_batch("b", Obligations.from_columns(["A"], ["B"], [1]), "hope", 0.0)
    with pytest.raises(SettlementError, match="opening liquidity of A"):
        Rtgs.opened({"A": -1})


@given(st.integers(0, 10**6), st.lists(st.integers(1, 10**6), min_size=1, max_size=8))
def test_pro_rata_shares_every_tyiyn_and_no_more_than_claimed(total, claims):
    named = {f"B{i}": c for i, c in enumerate(claims)}
    total = min(total, sum(claims))
    shares = pro_rata(total, named)
    assert sum(shares.values()) == total
    assert all(0 <= shares[b] <= named[b] for b in named)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ABCD"), st.sampled_from("ABCD"), st.integers(1, 1_000)), max_size=30),
    st.lists(st.integers(0, 2_000), min_size=4, max_size=4),
)
def test_gross_settlement_and_offsetting_only_move_money(rows, opening):
    rtgs = Rtgs.opened(dict(zip("ABCD", opening)))
    payments = [Payment(f"p{i}", a, b, v, float(i)) for i, (a, b, v) in enumerate(rows) if a != b]
    _submit(rtgs, payments)
    rtgs.offset(100.0)
    assert rtgs.total_tyiyn() == sum(opening)
    assert all(balance >= 0 for balance in rtgs.balances_tyiyn.values())
    assert sum(s.payment.amount_tyiyn for s in rtgs.settled) + unsettled_value_tyiyn(rtgs) == sum(p.amount_tyiyn for p in payments)
