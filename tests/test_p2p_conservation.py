"""Money is conserved by transfers whatever fails: over many seeds, with legs that time out at
the switch or at the app's service at random, every transfer ends in exactly one final state,
a completed one moved exactly its amount (and fee) from one card to another, and every other
one left every account as it was. Fast and wire give the same transfers."""

from __future__ import annotations

import pandas as pd
import pytest

from elcart_sim import Simulation, load_scenario

# Issuers slow at random (a heavy-tailed service time) and short timeouts: some legs time out
# at the switch (91, which then reverses the leg itself), some at the app's service (68).
RANDOM_LEG_FAILURES = {
    "issuer.service_time": {"dist": "lognormal", "mean_s": 0.01, "cv": 4.0},
    "switch.timeout_s": 0.03,
    "services.transfers.timeout_s": 0.045,
}


def _day(seed: int, fidelity: str = "fast"):
    scenario = load_scenario("money-services-day", scale=0.0005, seed=seed, fidelity=fidelity)
    return Simulation(scenario.with_overrides(RANDOM_LEG_FAILURES)).run()


def _p2p(results) -> pd.DataFrame:
    """The day's transfers between cards (the table also holds bills and account transfers,
    tests/test_bills_conservation.py)."""
    return results.transfers[results.transfers.service == "p2p"]


def _net_by_account(results) -> pd.DataFrame:
    """Per transfer and account, what the account's holder gained (credits − debits), in tyiyn."""
    postings = results.postings[results.postings.trace_id.isin(_p2p(results).trace_id)]
    credited = postings.groupby(["trace_id", "credit_account"], observed=True).amount_tyiyn.sum()
    debited = postings.groupby(["trace_id", "debit_account"], observed=True).amount_tyiyn.sum()
    credited.index.names = debited.index.names = ["trace_id", "account"]
    return credited.sub(debited, fill_value=0).rename("gained_tyiyn").reset_index()


@pytest.mark.parametrize("seed", range(10))
def test_every_transfer_ends_once_and_moves_exactly_its_amount_or_nothing(seed):
    results = _day(seed)
    assert results.transfers.trace_id.is_unique
    transfers = _p2p(results)
    assert len(transfers) > 60  # ~120 expected: 30 % of 1.36 M app payments × 60 % P2P × scale
    assert set(transfers.outcome) <= {"completed", "declined", "reversed"}
    assert results.trial_balance_tyiyn == 0
    net = _net_by_account(results)
    cards = net[net.account.astype(str).str.contains("/cardholder/")]
    by_trace = transfers.set_index("trace_id")
    for trace_id, moved in cards.groupby("trace_id"):
        transfer = by_trace.loc[trace_id]
        gains = sorted(g for g in moved.gained_tyiyn.tolist() if g)
        if transfer.outcome == "completed":
            assert gains == sorted([-(transfer.amount_tyiyn + transfer.fee_tyiyn), transfer.amount_tyiyn]), trace_id
        else:
            assert gains == [], (trace_id, transfer.outcome)
    not_completed = net[net.trace_id.isin(transfers.trace_id[transfers.outcome != "completed"])]
    assert (not_completed.gained_tyiyn == 0).all()  # settlement positions too


def test_random_leg_failures_happen_and_each_kind_ends_reversed():
    outcomes = pd.concat([_p2p(_day(seed)) for seed in range(3)])
    reversed_ = outcomes[outcomes.outcome == "reversed"]
    assert {"91", "68"} <= set(reversed_.response_code)  # timed out at the switch, and at the service
    assert set(reversed_.decided_by) <= {"debit", "credit"}


def test_fast_and_wire_give_the_same_transfers():
    fast, wire = _day(3, "fast"), _day(3, "wire")
    pd.testing.assert_frame_equal(fast.transfers, wire.transfers)
    pd.testing.assert_frame_equal(fast.postings, wire.postings)
