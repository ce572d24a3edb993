"""The hosts of the bill and account-transfer services survive any message: a biller gateway and
the interaction operator answer what they cannot read with a format error (30), recorded as a
hop, and post nothing; an issuer answers a bill payment whose DE48 names no biller with 30,
unposted. Both fidelities. The DE48 layouts are read strictly."""

from __future__ import annotations

import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.core.errors import IsoMessageError
from elcart_sim.hosts.biller_gateway import BillPosting, GatewayAnswer
from elcart_sim.hosts.interaction_operator import AccountCredit, CreditCancellation, OperatorAnswer
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.iso8583.service_data import BillData, bill_data, read_bill_data
from elcart_sim.world.bank_accounts import account_number


@pytest.fixture(params=["wire", "fast"])
def sim(request):
    return Simulation(load_scenario("national-day", scale=0.001, seed=11, fidelity=request.param))


def _send(sim, entry, payload):
    answers = []
    entry(payload, 99, answers.append)
    sim.env.run()
    [answer] = answers
    return answer


def _hops(sim):
    return sim.records.hops.to_frame()[["trace_id", "hop", "response_code"]].values.tolist()


GOOD_POSTING = BillPosting("BL0001", "996555123456", 15_000, "000000000099")


@pytest.mark.parametrize(
    "posting",
    [
        b"\x00garbage",
        42,
        {"biller_id": "BL0001"},
        BillPosting("BL0004", "1234567890", 15_000, "000000000099"),  # a biller of another gateway
        BillPosting("BL0001", "996555123456", 0, "000000000099"),
        BillPosting("BL0001", "996555123456", 150.0, "000000000099"),
        BillPosting("BL0001", "", 15_000, "000000000099"),
    ],
)
def test_a_biller_gateway_answers_what_it_cannot_read_with_a_format_error(sim, posting):
    gateway = sim.bills.gateways["GW-TELECOM"]
    before = len(sim.ledger)
    answer = _send(sim, gateway.post, posting)
    assert isinstance(answer, GatewayAnswer) and answer.code == "30"
    assert _hops(sim) == [[99, "biller_gateway", "30"]]
    assert len(sim.ledger) == before


def test_a_biller_gateway_confirms_a_well_formed_posting(sim):
    assert _send(sim, sim.bills.gateways["GW-TELECOM"].post, GOOD_POSTING) == GatewayAnswer("000000000099", "00")


@pytest.mark.parametrize(
    "request_",
    [
        b"\x00garbage",
        None,
        AccountCredit("0040000000000421", 15_000, "000000000099"),  # fails its check digit
        AccountCredit("1234", 15_000, "000000000099"),
        AccountCredit("ok", 15_000, "000000000099"),
        "AccountCredit",
    ],
)
def test_the_interaction_operator_answers_what_it_cannot_read_with_a_format_error(sim, request_):
    operator = sim.account_transfers.operator
    before = len(sim.ledger)
    answer = _send(sim, operator.credit, request_)
    assert isinstance(answer, OperatorAnswer) and answer.code == "30"
    assert _send(sim, operator.cancel, request_).code == "30"
    assert _hops(sim) == [[99, "interaction_operator", "30"]] * 2
    assert len(sim.ledger) == before


def test_a_credit_whose_cancellation_came_first_is_refused_unposted(sim):
    operator = sim.account_transfers.operator
    credit = AccountCredit(account_number(sim.population.banks[0], 7), 15_000, "000000000099")
    assert _send(sim, operator.cancel, CreditCancellation(credit.rrn)).code == "00"
    before = len(sim.ledger)
    assert _send(sim, operator.credit, credit).code == "05"
    assert len(sim.ledger) == before


def _payment(sim, de48):
    return {
        "t": "0200", "2": sim.population.pan(5), "3": "500000", "4": "000000001000", "7": "0701101500", "11": "000124",
        "12": "161500", "13": "0701", "28": "D00000000", "32": "417000", "37": "000000000778", "41": "ELKMOBIL",
        "48": de48, "49": "417",
    }  # fmt: skip


@pytest.mark.parametrize("de48", ["P2P PHONE", "BILL BL1 123", "BILL BL0001", "BILL BL0001 " + "1" * 41])
def test_an_issuer_answers_a_bill_payment_that_names_no_biller_with_a_format_error(sim, de48):
    issuer = sim.issuers[sim.population.bank_of_card(5).index]
    message = _payment(sim, de48)
    payload = iso8583.encode(message) if sim.wire.name == "wire" else message
    before = len(sim.ledger)
    answer = sim.wire.decode(_send(sim, issuer.transfer, payload))
    assert (answer["t"], answer["39"]) == ("0210", "30")
    assert len(sim.ledger) == before


def test_the_bill_layout_of_de48_reads_back_and_refuses_what_is_not_one():
    assert read_bill_data(bill_data("BL0042", "note with spaces")) == BillData("BL0042", "note with spaces")
    for text in ("BILL BL0042 ", "BILL BL42 x", "PAY BL0042 x", "BILL BL0042 caf\u00e9"):
        with pytest.raises(IsoMessageError, match="DE48 of a bill payment") as refused:
            read_bill_data(text)
        assert refused.value.field == "48"
