"""Money is conserved by bill payments, top-ups and transfers to bank accounts whatever fails:
over many seeds, with debits that time out at the switch or at the app's service, gateways and
billers that answer late or not at all, and an interaction operator that answers late, every
payment ends in exactly one final state; a completed one moved exactly its amount from the card
to the biller's or the bank account, and every other one left every account as it was. Fast and
wire give the same payments."""

from __future__ import annotations

import pandas as pd
import pytest

from elcart_sim import Simulation, load_scenario

HEAVY_TAIL = {"dist": "lognormal", "mean_s": 0.01, "cv": 4.0}
RANDOM_FAILURES = {
    "issuers": {},  # every bank on the heavy-tailed `issuer` below, and no HSM time before its timeouts
    "hsm.enabled": False,
    "issuer.service_time": HEAVY_TAIL,
    "switch.timeout_s": 0.03,
    "services.bills.timeout_s": 0.045,
    "services.bills.gateway.service_time": HEAVY_TAIL,
    "services.bills.gateway.timeout_s": 0.02,  # a silent biller: the gateway answers 91 after 20 ms
    "services.bills.biller_availability": 0.9,
    "services.account_transfers.timeout_s": 0.045,
    "services.account_transfers.operator.service_time": HEAVY_TAIL,
}
SERVICES = ("topup", "bill", "account")
PAID = ("/biller/", "/customer_account/")  # the accounts a payment pays into


def _day(seed: int, fidelity: str = "fast"):
    scenario = load_scenario("money-services-day", scale=0.0005, seed=seed, fidelity=fidelity)
    return Simulation(scenario.with_overrides(RANDOM_FAILURES)).run()


def _net_by_account(results, trace_ids) -> pd.DataFrame:
    """Per payment and account, what the account's holder gained (credits − debits), in tyiyn."""
    postings = results.postings[results.postings.trace_id.isin(trace_ids)]
    credited = postings.groupby(["trace_id", "credit_account"], observed=True).amount_tyiyn.sum()
    debited = postings.groupby(["trace_id", "debit_account"], observed=True).amount_tyiyn.sum()
    credited.index.names = debited.index.names = ["trace_id", "account"]
    net = credited.sub(debited, fill_value=0).rename("gained_tyiyn").reset_index()
    return net[net.gained_tyiyn != 0]


@pytest.mark.parametrize("seed", range(10))
def test_every_payment_ends_once_and_moves_exactly_its_amount_or_nothing(seed):
    results = _day(seed)
    assert results.transfers.trace_id.is_unique
    payments = results.transfers[results.transfers.service.isin(SERVICES)]
    assert set(payments.service) == set(SERVICES) and len(payments) > 30
    assert set(payments.outcome) <= {"completed", "declined", "reversed"}
    assert results.trial_balance_tyiyn == 0
    net = _net_by_account(results, payments.trace_id)
    net = net.assign(account=net.account.astype(str))
    moved = {trace_id: rows for trace_id, rows in net.groupby("trace_id")}
    for payment in payments.itertuples():
        rows = moved.get(payment.trace_id)
        if payment.outcome != "completed":
            assert rows is None, (payment.trace_id, payment.outcome, payment.reason)
            continue
        cards = rows[rows.account.str.contains("/cardholder/")].gained_tyiyn.tolist()
        paid = rows[rows.account.str.contains("|".join(PAID))]
        assert cards == [-(payment.amount_tyiyn + payment.fee_tyiyn)], payment.trace_id
        assert paid.gained_tyiyn.tolist() == [payment.amount_tyiyn], payment.trace_id
        key = f"/biller/{payment.biller_id}" if payment.service != "account" else "/customer_account/"
        assert paid.account.iloc[0].startswith(payment.receiver_issuer + "/") and key in paid.account.iloc[0]


def test_random_failures_happen_and_each_kind_ends_reversed():
    payments = pd.concat([_day(seed).transfers for seed in range(3)])
    reversed_ = payments[(payments.outcome == "reversed") & payments.service.isin(SERVICES)]
    assert {"68", "91"} <= set(reversed_.response_code)  # timed out at the service; a silent biller
    assert set(reversed_.decided_by) == {"credit"}  # a debit the switch gave up on is declined (91), not reversed
    declined = payments[(payments.outcome == "declined") & payments.service.isin(SERVICES)]
    assert {"reference", "debit"} <= set(declined.decided_by)  # wrong references and accounts; the switch's 91
    assert "91" in set(declined.response_code[declined.decided_by == "debit"])


def test_fast_and_wire_give_the_same_payments():
    fast, wire = _day(3, "fast"), _day(3, "wire")
    pd.testing.assert_frame_equal(fast.transfers, wire.transfers)
    pd.testing.assert_frame_equal(fast.postings, wire.postings)
    pd.testing.assert_frame_equal(fast.hops, wire.hops)
