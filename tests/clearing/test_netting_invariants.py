"""Netting's invariants over random batches (sum zero, net never above gross, bilateral then
multilateral equals multilateral), a closed batch netted again gives the same id and positions,
and the exact positions of a small batch of clearing records."""

from __future__ import annotations

import datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from elcart_sim.clearing import (
    ClearingRecord,
    Obligations,
    batch_of,
    bilateral_positions,
    gross_credits,
    gross_debits,
    multilateral_from_bilateral,
    multilateral_positions,
)

BANKS = ["AIYL", "RSK", "MBANK", "OPTIMA", "KICB", "IPC"]
KINDS = ["purchase", "transfer_debit", "transfer_credit", "bill", "topup", "account_transfer", "qr_payment"]
CUTOFFS_S = [43_200, 64_800]
DAY = datetime.date(2025, 7, 1)

records_strategy = st.lists(
    st.builds(
        ClearingRecord,
        trace_id=st.integers(0, 10**6).map(lambda i: f"T{i:07d}"),
        kind=st.sampled_from(KINDS),
        acquirer_bank=st.sampled_from(BANKS),
        issuer_bank=st.sampled_from(BANKS),
        amount_tyiyn=st.integers(1, 10**9),
        fee_tyiyn=st.integers(0, 10**4),
        cleared_at=st.floats(0, 2 * 86_400 - 1, allow_nan=False),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(records_strategy)
def test_netting_invariants(records):
    obligations = Obligations.from_records(records)
    net = multilateral_positions(obligations)
    debits, credits = gross_debits(obligations), gross_credits(obligations)
    assert sum(net.values()) == 0
    for bank, value in net.items():
        assert abs(value) <= max(debits[bank], credits[bank])
        assert value == credits[bank] - debits[bank]
    bilateral = bilateral_positions(obligations)
    for (a, b), value in bilateral.items():
        assert a < b
        pair_gross = sum(r.amount_tyiyn for r in records if {r.debtor_bank, r.creditor_bank} == {a, b})
        assert abs(value) <= pair_gross
    assert multilateral_from_bilateral(bilateral, obligations.banks) == net


@settings(max_examples=100, deadline=None)
@given(records_strategy, st.randoms(use_true_random=False))
def test_a_closed_batch_netted_again_is_the_same(records, rnd):
    def close(batch_records):
        by_batch: dict[str, list[ClearingRecord]] = {}
        for r in batch_records:
            by_batch.setdefault(batch_of(r, DAY, CUTOFFS_S), []).append(r)
        return {bid: multilateral_positions(Obligations.from_records(rs)) for bid, rs in by_batch.items()}

    shuffled = list(records)
    rnd.shuffle(shuffled)
    first = close(records)
    assert close(records) == first
    assert close(shuffled) == first


def test_a_reversal_nets_its_record_away():
    sale = ClearingRecord("T1", "purchase", "MBANK", "AIYL", 5_000, 0, 100.0)
    refund = sale.reversal(200.0)
    assert multilateral_positions(Obligations.from_records([sale, refund])) == {"AIYL": 0, "MBANK": 0}


def test_positions_of_a_small_batch():
    records = [
        ClearingRecord("T1", "purchase", "MBANK", "AIYL", 10_000, 0, 10.0),  # AIYL owes MBANK
        ClearingRecord("T2", "transfer_debit", "IPC", "RSK", 3_000, 0, 20.0),  # RSK owes IPC
        ClearingRecord("T2", "transfer_credit", "IPC", "AIYL", 3_000, 0, 20.5),  # IPC owes AIYL
        ClearingRecord("T3", "purchase", "AIYL", "MBANK", 4_000, 0, 30.0),  # MBANK owes AIYL
        ClearingRecord("T4", "purchase", "AIYL", "AIYL", 999, 0, 40.0),  # on-us
    ]
    obligations = Obligations.from_records(records, banks=["KICB"])
    assert multilateral_positions(obligations) == {"AIYL": -3_000, "IPC": 0, "KICB": 0, "MBANK": 6_000, "RSK": -3_000}
    assert bilateral_positions(obligations) == {("AIYL", "IPC"): 3_000, ("AIYL", "MBANK"): -6_000, ("IPC", "RSK"): 3_000}


def test_a_million_records_net_as_columns():
    rng = np.random.default_rng(7)
    n = 1_000_000
    debtors = np.array(BANKS)[rng.integers(0, len(BANKS), n)]
    creditors = np.array(BANKS)[rng.integers(0, len(BANKS), n)]
    amounts = rng.integers(1, 10**7, n)
    obligations = Obligations.from_columns(debtors, creditors, amounts)
    net = multilateral_positions(obligations)
    assert sum(net.values()) == 0
    assert multilateral_from_bilateral(bilateral_positions(obligations), obligations.banks) == net
