"""Bill payments and top-ups end to end: the reference checked before anything is sent, the
debit (0200, DE3 500000, DE48 BILL <biller> <reference>) at the payer's issuer, the biller
gateway's confirmation, the biller credited at its bank — and the debit reversed (0420) when the
biller or its gateway does not answer. Exact times (every delay fixed), messages as sent,
postings, both fidelities."""

from __future__ import annotations

import pytest
from app_services import GATEWAY_S, LEG_S, app_simulation, balance, spy

from elcart_sim import Simulation
from elcart_sim.money import accounts
from elcart_sim.scenario import CARD_STATUSES
from elcart_sim.world.bank_accounts import bank_of_biller

TIMEOUT_S = 30.0  # services.bills.timeout_s
GATEWAY_TIMEOUT_S = 20.0  # services.bills.gateway.timeout_s: how long a gateway waits for a biller


@pytest.fixture(params=["wire", "fast"])
def sim(request):
    return app_simulation(request.param, {"services.bills.biller_availability": 1.0})


def _payer(sim):
    """A cardholder linked in the app, with an active card."""
    population = sim.population
    return next(int(c) for c in sim.app_directory.linked.nonzero()[0] if CARD_STATUSES[population.card_status[c]] == "active")


def _biller_balance(sim, biller_id):
    bank = bank_of_biller(biller_id, sim.population.banks).code
    return sim.ledger.balance_tyiyn(accounts.biller(bank, biller_id))


def test_a_top_up_by_phone_number_debits_the_payer_and_credits_the_operator_exactly(sim):
    payer = _payer(sim)
    sent = spy(sim)
    before = balance(sim, payer)
    result = sim.pay_bill(payer, "BL0001", "0555 123 456", 15_000)  # MegaCom, 150 som
    assert (result.outcome, result.response_code, result.decided_by) == ("completed", "00", "credit")
    assert balance(sim, payer) == before - 15_000
    assert -_biller_balance(sim, "BL0001") == 15_000  # a credit balance: the bank owes MegaCom

    [debit] = sent
    assert (debit["t"], debit["2"], debit["3"], debit["4"], debit["28"], debit["48"]) == (
        "0200", sim.population.pan(payer), "500000", "000000015000", "D00000000", "BILL BL0001 996555123456")  # fmt: skip
    assert debit["37"] == f"{result.trace_id:012d}"

    results = sim.results()
    [row] = results.transfers.itertuples()
    assert (row.service, row.channel, row.outcome, row.biller_id, row.category) == ("topup", "phone", "completed", "BL0001", "mobile_topup")
    assert (row.debit_code, row.credit_code) == ("00", "00")
    assert row.receiver_issuer == bank_of_biller("BL0001", sim.population.banks).code
    assert row.result_at == pytest.approx(LEG_S + GATEWAY_S, abs=1e-12)
    hops = results.hops[["hop", "mti", "issuer", "response_code"]].values.tolist()
    bank = sim.population.bank_of_card(payer).code
    assert hops == [["switch", "0200", bank, "00"], ["issuer", "0200", bank, "00"], ["biller_gateway", "", "GW-TELECOM", "00"]]
    postings = results.postings[results.postings.trace_id == result.trace_id]
    assert postings[["kind", "amount_tyiyn"]].values.tolist() == [["bill_payment", 15_000], ["bill_credit", 15_000]]
    assert postings.credit_account.iloc[1].endswith("/biller/BL0001")
    assert results.trial_balance_tyiyn == 0


def test_a_utility_bill_is_paid_under_its_account_number(sim):
    payer = _payer(sim)
    sent = spy(sim)
    result = sim.pay_bill(payer, "BL0004", "1234567890", 250_000)  # electricity, Bishkek: 10 digits
    assert (result.outcome, result.response_code) == ("completed", "00")
    assert sent[0]["48"] == "BILL BL0004 1234567890" and sent[0]["3"] == "500000"
    assert -_biller_balance(sim, "BL0004") == 250_000
    [row] = sim.results().transfers.itertuples()
    assert (row.service, row.channel, row.category) == ("bill", "reference", "electricity")
    assert row.result_at == pytest.approx(LEG_S + GATEWAY_S, abs=1e-12)


@pytest.mark.parametrize(
    ("biller_id", "reference", "words"),
    [
        ("BL0004", "123456789", "personal account, 10 digits"),  # a digit missing
        ("BL0004", "12345678901", "personal account, 10 digits"),  # one too many
        ("BL0001", "+996 555 12", "not a Kyrgyz mobile number"),  # not a phone number
        ("BL0003", "0700 123 456", "tops up Beeline numbers; +996700123456 is an O! number"),  # Beeline top-up to an O! number
        ("BL0004", "12345678９0", "printable ASCII"),  # a full-width digit
    ],
)
def test_a_wrong_reference_is_declined_before_any_message_is_sent(sim, biller_id, reference, words):
    payer = _payer(sim)
    sent = spy(sim)
    before = len(sim.ledger)
    result = sim.pay_bill(payer, biller_id, reference, 15_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "14", "reference")
    assert words in result.reason
    assert sent == [] and len(sim.ledger) == before
    assert len(sim.results().hops) == 0


def test_an_unknown_biller_is_declined_before_any_message_is_sent(sim):
    result = sim.pay_bill(_payer(sim), "BL9999", "1", 15_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "12", "reference")


def test_a_gateway_that_is_down_gets_the_debit_reversed_and_the_money_back(sim):
    payer = _payer(sim)
    sim.bills.gateways["GW-UTILITIES"].down = True
    sent = spy(sim)
    before = balance(sim, payer)
    result = sim.pay_bill(payer, "BL0004", "1234567890", 250_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("reversed", "68", "credit")
    assert result.reason == "biller gateway did not answer in time; debit reversed"
    assert balance(sim, payer) == before and _biller_balance(sim, "BL0004") == 0
    assert [m["t"] for m in sent] == ["0200", "0420"]
    assert sent[1]["3"] == "500000" and sent[1]["90"].startswith("0200" + sent[0]["11"] + sent[0]["7"])
    results = sim.results()
    [row] = results.transfers.itertuples()
    assert (row.debit_code, row.credit_code) == ("00", "68")
    assert row.result_at == pytest.approx(LEG_S + TIMEOUT_S + LEG_S, abs=1e-9)
    kinds = results.postings[results.postings.trace_id == result.trace_id].kind.tolist()
    assert kinds == ["bill_payment", "reversal"]
    assert results.trial_balance_tyiyn == 0


def test_a_biller_that_does_not_answer_gets_the_debit_reversed(sim):
    sim = Simulation(sim.scenario.with_overrides({"services.bills.biller_availability": 0.0}))
    payer = _payer(sim)
    before = balance(sim, payer)
    result = sim.pay_bill(payer, "BL0001", "+996555123456", 15_000)
    assert (result.outcome, result.response_code, result.reason) == ("reversed", "91", "biller did not answer; debit reversed")
    assert balance(sim, payer) == before and _biller_balance(sim, "BL0001") == 0
    results = sim.results()
    gateway = results.hops[results.hops.hop == "biller_gateway"].iloc[0]
    assert (gateway.response_code, gateway.timed_out) == ("91", 1)
    [row] = results.transfers.itertuples()
    assert row.result_at == pytest.approx(LEG_S + GATEWAY_S + GATEWAY_TIMEOUT_S + LEG_S, abs=1e-9)


def test_a_payer_short_of_funds_is_declined_at_the_debit_and_the_gateway_is_not_asked(sim):
    payer = _payer(sim)
    result = sim.pay_bill(payer, "BL0004", "1234567890", balance(sim, payer) + 1)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "51", "debit")
    assert "biller_gateway" not in set(sim.results().hops.hop)
