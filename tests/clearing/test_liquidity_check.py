"""The position check during the day: Mojaloop settlements-bc's worked example as a table, the
order of the checks (cover before the cap) and the alarm at a share of cover."""

from __future__ import annotations

import pytest

from elcart_sim.clearing import INSUFFICIENT_LIQUIDITY, LIMIT_ERROR, OK, LiquidityAccount, check
from elcart_sim.core.errors import SettlementError


def _banks():
    a = LiquidityAccount("A", cover_tyiyn=100, net_debit_cap_tyiyn=100, alarm_share=0.8)
    b = LiquidityAccount("B", cover_tyiyn=50, net_debit_cap_tyiyn=50, alarm_share=0.8)
    return a, b


def test_settlements_bc_worked_example_step_by_step():
    a, b = _banks()
    # step: deposits 100 and 50
    assert (a.balance_tyiyn, b.balance_tyiyn) == (100, 50)
    # step: A prepares a payment of 10 to B; A's reservation is made, its balance unchanged
    assert a.reserve("sally-chips", 10).code == OK
    assert (a.balance_tyiyn, a.reserved_tyiyn, a.spendable_tyiyn) == (100, 10, 90)
    # step: fulfil: positions 90 and 60
    b.receive(a.commit("sally-chips"))
    assert (a.balance_tyiyn, b.balance_tyiyn) == (90, 60)
    assert (a.position_tyiyn, b.position_tyiyn) == (10, -10)
    # step: B may spend only 50 until the window settles
    assert b.spendable_tyiyn == 50
    assert b.check(51).code == INSUFFICIENT_LIQUIDITY
    assert b.check(50).code == OK
    # step: the window settles: the net positions move into the cover; B may spend 60
    assert (a.settle(), b.settle()) == (-10, 10)
    assert (a.cover_tyiyn, b.cover_tyiyn) == (90, 60)
    assert (a.balance_tyiyn, b.balance_tyiyn) == (90, 60)
    assert b.spendable_tyiyn == 50  # the cap (50) now binds, not the cover
    b.net_debit_cap_tyiyn = 60
    assert b.spendable_tyiyn == 60


@pytest.mark.parametrize(
    ("position", "reserved", "amount", "cover", "cap", "code"),
    [
        (0, 0, 10, 100, 100, OK),
        (0, 0, 100, 100, 100, OK),  # exactly the cover
        (0, 0, 101, 100, 200, INSUFFICIENT_LIQUIDITY),
        (0, 0, 60, 100, 50, LIMIT_ERROR),
        (0, 0, 150, 100, 50, INSUFFICIENT_LIQUIDITY),  # both breached: cover first
        (40, 0, 61, 100, 200, INSUFFICIENT_LIQUIDITY),  # the position counts
        (0, 40, 61, 100, 200, INSUFFICIENT_LIQUIDITY),  # so do the reservations
        (20, 20, 20, 100, 50, LIMIT_ERROR),
        (-30, 0, 120, 100, 200, OK),  # a net creditor (Mojaloop's own check) has more room
    ],
)
def test_cover_is_checked_before_the_cap(position, reserved, amount, cover, cap, code):
    assert check(position, reserved, amount, cover, cap, alarm_share=1.0).code == code


@pytest.mark.parametrize(
    ("position", "amount", "alarm"),
    [(0, 80, False), (0, 81, True), (79, 1, False), (80, 1, True), (90, 20, True)],  # 90+20 refused: 90 > 80 still alarms
)
def test_alarm_when_the_position_passes_the_share_of_cover(position, amount, alarm):
    answer = check(position, 0, amount, liquidity_cover_tyiyn=100, net_debit_cap_tyiyn=100, alarm_share=0.8)
    assert answer.alarm is alarm


def test_a_refused_payment_reserves_nothing_and_an_abort_releases():
    a, _ = _banks()
    assert a.reserve("big", 101).code == INSUFFICIENT_LIQUIDITY
    assert a.reserved == {}
    assert a.reserve("t1", 60).ok
    assert a.reserve("t2", 50).code == INSUFFICIENT_LIQUIDITY
    a.abort("t1")
    assert a.reserve("t2", 50).ok and a.spendable_tyiyn == 50


def test_reservation_faults_are_typed():
    a, _ = _banks()
    a.reserve("t1", 10)
    with pytest.raises(SettlementError, match="t1 is already reserved"):
        a.reserve("t1", 10)
    with pytest.raises(SettlementError, match="t9 has no reservation"):
        a.commit("t9")
    with pytest.raises(SettlementError, match="positive amount_tyiyn"):
        check(0, 0, 0, 100, 100, 0.8)
