"""Clearing periods and batch ids: exact boundaries at each cut-off, the next day's first period
after the last cut-off, ids made from what a record carries, and records checked at the door."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from elcart_sim.clearing import ClearingRecord, Period, batch_id, batch_of, period_of, periods_of
from elcart_sim.core.errors import SettlementError

DAY = datetime.date(2025, 7, 1)
FOUR_S = [6 * 3600, 12 * 3600, 16 * 3600, 20 * 3600]


@pytest.mark.parametrize(
    ("cleared_at", "period"),
    [
        (0.0, Period(0, 1)),
        (6 * 3600 - 1e-6, Period(0, 1)),
        (6 * 3600, Period(0, 2)),  # at the cut-off: the next period
        (12 * 3600 - 1e-6, Period(0, 2)),
        (16 * 3600, Period(0, 4)),
        (20 * 3600 - 1e-6, Period(0, 4)),
        (20 * 3600, Period(1, 1)),  # after the last cut-off: the next day's first
        (86_399.9, Period(1, 1)),
        (86_400.0, Period(1, 1)),  # the drain past midnight
        (86_400 + 6 * 3600, Period(1, 2)),
    ],
)
def test_period_boundaries_are_exact(cleared_at, period):
    assert period_of(cleared_at, FOUR_S) == period


def test_one_cutoff_at_midnight_closes_the_day_itself():
    assert period_of(86_399.0, [86_400]) == Period(0, 1)
    assert period_of(86_400.0, [86_400]) == Period(1, 1)


def test_periods_of_an_array_match_one_by_one():
    at = np.random.default_rng(3).uniform(0, 2 * 86_400, 1_000)
    days, cutoffs = periods_of(at, FOUR_S)
    assert [Period(int(d), int(c)) for d, c in zip(days, cutoffs)] == [period_of(t, FOUR_S) for t in at]


def test_batch_ids_are_deterministic():
    assert batch_id("DNS", 417, DAY, 1) == "DNS-417-2025-07-01-C1"
    late = ClearingRecord("T9", "purchase", "MBANK", "AIYL", 100, 0, 21 * 3600.0)
    assert batch_of(late, DAY, FOUR_S) == "DNS-417-2025-07-02-C1"
    assert batch_of(late, DAY, FOUR_S) == batch_of(late, DAY, list(FOUR_S))
    assert batch_of(late, DAY, FOUR_S, model="IGS") == "IGS-417-2025-07-02-C1"


@pytest.mark.parametrize(
    ("cutoffs", "message"),
    [([], "at least one cut-off"), ([43_200, 43_200], "rise strictly"), ([0], "rise strictly"), ([90_000], "rise strictly")],
)
def test_bad_cutoffs_are_refused(cutoffs, message):
    with pytest.raises(SettlementError, match=message):
        period_of(1.0, cutoffs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "refund"}, "kind must be one of"),
        ({"amount_tyiyn": 0}, "amount_tyiyn must be a positive integer"),
        ({"amount_tyiyn": 10.5}, "amount_tyiyn must be a positive integer"),
        ({"issuer_bank": ""}, "both banks must be named"),
        ({"kind": "reversal"}, "a reversal must name the kind it reverses"),
        ({"reverses": "purchase"}, "only a reversal reverses"),
        ({"cleared_at": -1.0}, "cleared_at must be >= 0"),
    ],
)
def test_a_malformed_record_is_refused_with_its_trace_id(kwargs, message):
    fields = {"trace_id": "T1", "kind": "purchase", "acquirer_bank": "MBANK", "issuer_bank": "AIYL", "amount_tyiyn": 100, "fee_tyiyn": 0, "cleared_at": 1.0}
    with pytest.raises(SettlementError, match=f"clearing record T1: {message}"):
        ClearingRecord(**(fields | kwargs))


def test_directions_of_each_kind():
    credit = ClearingRecord("T1", "transfer_credit", "IPC", "RSK", 100, 0, 1.0)
    assert (credit.debtor_bank, credit.creditor_bank) == ("IPC", "RSK")
    assert (credit.reversal(2.0).debtor_bank, credit.reversal(2.0).creditor_bank) == ("RSK", "IPC")
    with pytest.raises(SettlementError, match="not reversed again"):
        credit.reversal(2.0).reversal(3.0)
