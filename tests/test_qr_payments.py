"""Merchant QR payments end to end: the payer scans a merchant's static ELQR code, the app reads
it (a damaged code is declined unsent), the debit (0200, DE3 000000, DE18 the code's MCC, DE42
the merchant id, DE48 QRPAY <merchant id>) at the payer's issuer, the interaction operator's
credit to the merchant at its acquirer — and, when the operator does not answer, the credit
cancelled and the debit reversed. Exact times, both fidelities."""

from __future__ import annotations

import pytest
from app_services import LEG_S, OPERATOR_S, app_simulation, balance, spy

from elcart_sim.core.errors import IsoMessageError
from elcart_sim.money import accounts
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.qr import elqr
from elcart_sim.scenario import CARD_STATUSES
from elcart_sim.world.merchant_codes import merchant_token
from elcart_sim.world.qr_demand import damaged

TIMEOUT_S = 30.0  # services.qr_payments.timeout_s


@pytest.fixture(params=["wire", "fast"])
def sim(request):
    return app_simulation(request.param)


def _payer(sim):
    """A cardholder linked in the app, with an active card and 10,000 som or more."""
    population = sim.population
    linked = sim.app_directory.linked.nonzero()[0]
    return next(int(c) for c in linked if CARD_STATUSES[population.card_status[c]] == "active" and balance(sim, int(c)) >= 1_000_000)


def _merchant_of_another_bank(sim, payer):
    """A terminal whose merchant's acquirer is not the payer's bank."""
    population = sim.population
    payer_bank = population.bank_of_card(payer).index
    return next(t for t in range(population.n_terminals) if population.terminal(t).acquirer != payer_bank)


def test_a_merchant_qr_payment_debits_the_payer_and_credits_the_merchant_at_its_acquirer_exactly(sim):
    payer = _payer(sim)
    terminal = sim.population.terminal(_merchant_of_another_bank(sim, payer))
    acquirer = sim.population.banks[terminal.acquirer].code
    code = sim.qr_payments.merchants.link(terminal.index)
    assert code is sim.qr_payments.merchants.link(terminal.index)  # made once, kept
    payload = elqr.decode(code)
    assert (payload.provider_guid, payload.mcc, payload.recipient_id, payload.amount_tyiyn) == (
        "qr.elcart.kg", terminal.mcc, merchant_token(terminal.merchant_id), None)  # fmt: skip
    sent = spy(sim)
    before = balance(sim, payer)
    result = sim.qr_payment(payer, code, 123_400)
    assert (result.outcome, result.response_code, result.decided_by) == ("completed", "00", "credit")
    assert balance(sim, payer) == before - 123_400
    assert -sim.ledger.balance_tyiyn(accounts.merchant(acquirer, terminal.merchant_id)) == 123_400

    [debit] = sent
    assert (debit["t"], debit["2"], debit["3"], debit["4"]) == ("0200", sim.population.pan(payer), "000000", "000000123400")
    assert (debit["18"], debit["42"], debit["48"]) == (terminal.mcc, terminal.merchant_id, f"QRPAY {terminal.merchant_id}")
    assert debit["37"] == f"{result.trace_id:012d}"
    results = sim.results()
    [row] = results.transfers.itertuples()
    assert (row.service, row.channel, row.receiver_issuer, row.debit_code, row.credit_code) == ("qr_payment", "qr", acquirer, "00", "00")
    assert row.sender_issuer == sim.population.bank_of_card(payer).code
    assert row.result_at == pytest.approx(LEG_S + OPERATOR_S, abs=1e-12)
    assert results.hops[["hop", "mti", "issuer"]].values.tolist() == [
        ["switch", "0200", row.sender_issuer], ["issuer", "0200", row.sender_issuer], ["interaction_operator", "", acquirer]
    ]  # fmt: skip
    postings = results.postings[results.postings.trace_id == result.trace_id]
    assert postings[["kind", "amount_tyiyn"]].values.tolist() == [["qr_payment", 123_400], ["merchant_credit", 123_400]]
    assert results.trial_balance_tyiyn == 0


def test_the_debit_carries_the_mcc_the_code_gives(sim):
    payer = _payer(sim)
    terminal = sim.population.terminal(_merchant_of_another_bank(sim, payer))
    sim.qr_payments.merchants.link(terminal.index)  # IPC issued this merchant's code
    other_mcc = "5999" if terminal.mcc != "5999" else "5411"
    relabelled = elqr.link(elqr.merchant_payload(merchant_token(terminal.merchant_id), "Relabelled shop", other_mcc))
    sent = spy(sim)
    assert sim.qr_payment(payer, relabelled, 10_000).outcome == "completed"
    assert (sent[0]["18"], sent[0]["42"]) == (other_mcc, terminal.merchant_id)


@pytest.mark.parametrize(
    ("what", "code"),
    [
        ("damaged", None),  # one character changed: the checksum fails
        ("a transfer code", elqr.link(elqr.p2p_payload("3435fba7738e54e59d8f3e8e664785d9", "9417 **** **** 5269"))),
        ("not a code", "https://pay.payqr.kg"),
    ],
)
def test_a_code_that_does_not_read_is_declined_and_nothing_is_sent(sim, what, code):
    payer = _payer(sim)
    if code is None:
        code = damaged(sim.qr_payments.merchants.link(0))
    before = len(sim.ledger), balance(sim, payer)
    result = sim.qr_payment(payer, code, 50_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "30", "qr")
    assert result.reason.startswith("QR code does not read: ")
    assert (len(sim.ledger), balance(sim, payer)) == before
    results = sim.results()
    assert len(results.hops) == 0
    [row] = results.transfers.itertuples()
    assert (row.service, row.channel, row.debit_code, row.result_at) == ("qr_payment", "qr", "", 0.0)


def test_a_code_ipc_never_issued_is_declined_and_nothing_is_sent(sim):
    payer = _payer(sim)
    stranger = elqr.link(elqr.merchant_payload("0" * 32, "Nobody", "5411"))
    result = sim.qr_payment(payer, stranger, 50_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "14", "qr")
    assert len(sim.results().hops) == 0


def test_an_operator_that_does_not_answer_gets_the_debit_reversed_and_the_money_back(sim):
    payer = _payer(sim)
    terminal = sim.population.terminal(_merchant_of_another_bank(sim, payer))
    acquirer = sim.population.banks[terminal.acquirer].code
    sim.qr_payments.operator.down = True
    sent = spy(sim)
    before = balance(sim, payer)
    result = sim.qr_payment(payer, sim.qr_payments.merchants.link(terminal.index), 500_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("reversed", "68", "credit")
    assert result.reason == "interaction operator did not answer in time; debit reversed"
    assert balance(sim, payer) == before
    assert sim.ledger.balance_tyiyn(accounts.merchant(acquirer, terminal.merchant_id)) == 0
    assert [m["t"] for m in sent] == ["0200", "0420"]
    assert (sent[1]["3"], sent[1]["11"]) == ("000000", sent[0]["11"])
    results = sim.results()
    [row] = results.transfers.itertuples()
    assert row.result_at == pytest.approx(LEG_S + TIMEOUT_S + LEG_S, abs=1e-9)
    assert results.postings[results.postings.trace_id == result.trace_id].kind.tolist() == ["qr_payment", "reversal"]
    assert results.trial_balance_tyiyn == 0


def test_a_credit_posted_after_the_service_gave_up_is_undone_by_the_cancellation(sim):
    payer = _payer(sim)
    terminal = sim.population.terminal(_merchant_of_another_bank(sim, payer))
    acquirer = sim.population.banks[terminal.acquirer].code
    sim.qr_payments.operator.service_time_s = lambda: 40.0  # past the service's 30 s
    before = balance(sim, payer)
    result = sim.qr_payment(payer, sim.qr_payments.merchants.link(terminal.index), 500_000)
    assert (result.outcome, result.response_code) == ("reversed", "68")
    sim.env.run()
    assert balance(sim, payer) == before
    assert sim.ledger.balance_tyiyn(accounts.merchant(acquirer, terminal.merchant_id)) == 0
    assert sim.ledger.trial_balance() == 0


def test_the_account_transfers_and_the_qr_payments_share_one_interaction_operator(sim):
    assert sim.qr_payments.operator is sim.account_transfers.operator is sim.interaction_operator
    assert [c.name for c in sim.registry].count("interaction_operator") == 1


def test_a_purchase_0200_needs_the_merchants_mcc_and_id():
    purchase = {
        "t": "0200", "2": "9999041700000019", "3": "000000", "4": "000000010000", "7": "0701060000", "11": "000001",
        "12": "120000", "13": "0701", "32": "417000", "37": "000000000001", "41": "ELKMOBIL", "48": "QRPAY M00010000000003", "49": "417",
    }  # fmt: skip
    with pytest.raises(IsoMessageError) as caught:
        iso8583.encode(purchase)
    assert caught.value.field in ("18", "42")
    iso8583.encode({**purchase, "18": "5411", "42": "M00010000000003"})
    iso8583.encode({**purchase, "3": "100000"})  # a transfer's debit names no merchant
