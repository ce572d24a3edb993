"""Every host entry survives any message: a message that does not decode, or decodes to another
message type than the entry takes, or lacks a mandatory field, is answered with a format error
(DE39 30) and recorded as a hop — at the acquirer, the switch and the issuer, for authorisations
and reversals alike, in both fidelities — and nothing is posted. The issuer matches a reversal to
its original by the original's data elements, not by the simulator's trace id."""

from __future__ import annotations

import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.iso8583 import messages

RESPONSE = {
    "t": "0110", "3": "000000", "4": "000000012345", "7": "1126101500", "11": "000001", "37": "000000000001",
    "38": "A1B2C3", "39": "00", "41": "TERM0001", "49": "417",
}  # fmt: skip


@pytest.fixture(params=["wire", "fast"])
def sim(request):
    return Simulation(load_scenario("national-day", scale=0.001, seed=11, fidelity=request.param))


def _send(sim, entry, payload):
    """Deliver ``payload`` to ``entry`` (trace 99) and run: the answer, decoded."""
    answers = []
    entry(payload, 99, answers.append)
    sim.env.run()
    [answer] = answers
    return sim.wire.decode(answer)


def _garbage(sim):
    """What cannot be read in this fidelity: bytes that are no ISO 8583 message, or no message object."""
    return b"\x00\x01garbage" if sim.wire.name == "wire" else 42


def _message(sim, fields):
    return iso8583.encode(fields) if sim.wire.name == "wire" else dict(fields)


def _request(sim):
    """A well-formed 0100 for a real card of the population (routes to its issuer)."""
    card = 5
    return {
        "t": "0100", "2": sim.population.pan(card), "3": "000000", "4": "000000001000", "7": "0701101500", "11": "000123",
        "12": "161500", "13": "0701", "14": "3012", "18": "5411", "22": "051", "25": "00", "32": "417001",
        "37": "000000000777", "41": "TERM0001", "42": "MERCHANT0000001", "49": "417",
    }  # fmt: skip


HOSTS = ("acquirer", "switch", "issuer")


def _entries(sim, host):
    target = sim.issuers[sim.population.bank_of_card(5).index] if host == "issuer" else getattr(sim, host)
    return {"0100": target.authorise, "0400": target.reverse}


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("entry_mti", ["0100", "0400"])
@pytest.mark.parametrize("what", ["undecodable", "a response", "the other request", "a field missing"])
def test_a_message_the_entry_cannot_take_gets_a_format_error_and_a_hop_record(sim, host, entry_mti, what):
    request = _request(sim)
    other = messages.reversal_for(request) if entry_mti == "0100" else request
    payload = {
        "undecodable": lambda: _garbage(sim),
        "a response": lambda: _message(sim, RESPONSE if entry_mti == "0100" else {**RESPONSE, "t": "0410"}),
        "the other request": lambda: _message(sim, other) if entry_mti == "0100" else _message(sim, request),
        "a field missing": lambda: _message(sim, {k: v for k, v in (request if entry_mti == "0100" else messages.reversal_for(request)).items() if k != "4"})
        if sim.wire.name == "fast"
        else _missing_field_bytes(request if entry_mti == "0100" else messages.reversal_for(request)),
    }[what]()
    before = len(sim.ledger)
    answer = _send(sim, _entries(sim, host)[entry_mti], payload)
    assert answer["t"] == {"0100": "0110", "0400": "0410"}[entry_mti]
    assert answer["39"] == "30"
    hops = sim.records.hops.to_frame()
    assert hops[["trace_id", "hop", "mti", "response_code"]].values.tolist() == [[99, host, entry_mti, "30"]]
    assert len(sim.ledger) == before  # nothing posted


def _transfer_leg(sim):
    """A well-formed 0200, a transfer's debit leg, for a real card of the population."""
    return {
        "t": "0200", "2": sim.population.pan(5), "3": "100000", "4": "000000001000", "7": "0701101500", "11": "000124",
        "12": "161500", "13": "0701", "28": "D00000000", "32": "417001", "37": "000000000778", "41": "ELKMOBIL",
        "48": "P2P PHONE", "49": "417",
    }  # fmt: skip


@pytest.mark.parametrize("host", ["switch", "issuer"])
@pytest.mark.parametrize("entry_mti", ["0200", "0420"])
@pytest.mark.parametrize("what", ["undecodable", "a response", "the other request", "a field missing"])
def test_the_financial_entries_answer_what_they_cannot_take_with_a_format_error(sim, host, entry_mti, what):
    leg = _transfer_leg(sim)
    advice = messages.reversal_for(leg)
    own, other = (leg, advice) if entry_mti == "0200" else (advice, leg)
    payload = {
        "undecodable": lambda: _garbage(sim),
        "a response": lambda: _message(sim, {**RESPONSE, "t": "0210" if entry_mti == "0200" else "0430"}),
        "the other request": lambda: _message(sim, other),
        "a field missing": lambda: _message(sim, {k: v for k, v in own.items() if k != "4"})
        if sim.wire.name == "fast"
        else _missing_field_bytes(own),
    }[what]()
    target = sim.issuers[sim.population.bank_of_card(5).index] if host == "issuer" else sim.switch
    before = len(sim.ledger)
    answer = _send(sim, {"0200": target.transfer, "0420": target.reverse_advice}[entry_mti], payload)
    assert (answer["t"], answer["39"]) == ({"0200": "0210", "0420": "0430"}[entry_mti], "30")
    hops = sim.records.hops.to_frame()
    assert hops[["trace_id", "hop", "mti", "response_code"]].values.tolist() == [[99, host, entry_mti, "30"]]
    assert len(sim.ledger) == before


def test_an_issuer_refuses_a_processing_code_it_does_not_handle(sim):
    issuer = sim.issuers[sim.population.bank_of_card(5).index]
    answer = _send(sim, issuer.transfer, _message(sim, {**_transfer_leg(sim), "3": "400000"}))
    assert (answer["t"], answer["39"]) == ("0210", "12")


def _missing_field_bytes(message):
    """A 0100/0400 on the wire without its DE4: the codec refuses to encode it, so lay it out
    with DE4 present and clear its bit in the bitmap (the receiver then misses it)."""
    raw = bytearray(iso8583.encode(message))
    raw[4] &= ~0x10  # primary bitmap byte 1, bit 4: DE4
    amount_at = raw.index(message["4"].encode())
    del raw[amount_at : amount_at + 12]
    return bytes(raw)


def test_a_well_formed_0110_at_the_authorisation_entry_does_not_stop_the_run(sim):
    answer = _send(sim, sim.switch.authorise, _message(sim, RESPONSE))
    assert (answer["t"], answer["39"]) == ("0110", "30")


def test_the_issuer_matches_a_reversal_by_the_originals_data_elements_not_the_trace_id(sim):
    issuer = sim.issuers[sim.population.bank_of_card(5).index]
    request = {**_request(sim), "100": issuer.bank.institution_id}
    approved = _send(sim, issuer.authorise, _message(sim, request))
    assert approved["39"] == "00"
    posted = len(sim.ledger)
    # The reversal arrives under another trace id: the data elements name the original.
    answers = []
    issuer.reverse(_message(sim, messages.reversal_for(request)), 12345, answers.append)
    sim.env.run()
    assert sim.wire.decode(answers[0])["39"] == "00"
    assert len(sim.ledger) == posted + 1  # the purchase reversed
    entries = sim.ledger.kind[-2:].tolist()
    assert entries == [1, 2]  # purchase, reversal (POSTING_KINDS)
    # A second reversal of the same original finds nothing left to undo.
    issuer.reverse(_message(sim, messages.reversal_for(request)), 12346, answers.append)
    sim.env.run()
    assert len(sim.ledger) == posted + 1


def test_a_reversal_that_overtakes_its_original_declines_the_original_unposted(sim):
    issuer = sim.issuers[sim.population.bank_of_card(5).index]
    request = {**_request(sim), "100": issuer.bank.institution_id}
    answers = []
    issuer.reverse(_message(sim, messages.reversal_for(request)), 1, answers.append)
    sim.env.run()
    before = len(sim.ledger)
    declined = _send(sim, issuer.authorise, _message(sim, request))
    assert declined["39"] == "05" and len(sim.ledger) == before
