"""P2P transfers end to end: the directory, the debit leg (0200, DE3 10) at the sender's issuer,
the credit leg (0200, DE3 26) at the recipient's, and the reversal advice (0420) of the debit
when the credit fails — with exact times (every delay fixed), the messages as sent, the
postings, and one final state per transfer."""

from __future__ import annotations

import pytest
from app_services import LEG_S, LOOKUP_S, app_simulation, balance, spy

from elcart_sim import Simulation, load_scenario
from elcart_sim.core.redact import mask_pan_grouped
from elcart_sim.money import accounts
from elcart_sim.protocol.qr import elqr
from elcart_sim.scenario import CARD_STATUSES


@pytest.fixture(params=["wire", "fast"])
def sim(request):
    return app_simulation(request.param)


def _two_cards_of_different_banks(sim):
    """A sender and a recipient, both linked in the app, at different banks, both active."""
    population, directory = sim.population, sim.transfers.directory.directory
    linked = [int(c) for c in directory.linked.nonzero()[0] if CARD_STATUSES[population.card_status[c]] == "active"]
    sender = linked[0]
    recipient = next(c for c in linked if population.bank_of_card(c) is not population.bank_of_card(sender))
    return sender, recipient


def test_a_transfer_by_phone_number_debits_the_sender_and_credits_the_recipient_exactly(sim):
    sender, recipient = _two_cards_of_different_banks(sim)
    number = int(sim.population.msisdn[recipient])
    sent = spy(sim)
    before = balance(sim, sender), balance(sim, recipient)
    result = sim.transfer("p2p_phone", sender, f"+{number}", 250_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("completed", "00", "credit")
    assert (balance(sim, sender), balance(sim, recipient)) == (before[0] - 250_000, before[1] + 250_000)

    debit, credit = sent
    assert (debit["t"], debit["3"], debit["4"], debit["2"], debit["28"], debit["48"]) == (
        "0200", "100000", "000000250000", sim.population.pan(sender), "D00000000", "P2P PHONE")  # fmt: skip
    assert (credit["t"], credit["3"], credit["4"], credit["2"]) == ("0200", "260000", "000000250000", sim.population.pan(recipient))
    assert debit["37"] == credit["37"] == f"{result.trace_id:012d}" and debit["11"] != credit["11"]

    results = sim.results()
    [row] = results.transfers.itertuples()
    assert (row.channel, row.outcome, row.debit_code, row.credit_code) == ("phone", "completed", "00", "00")
    assert row.sender_issuer == sim.population.bank_of_card(sender).code
    assert row.receiver_issuer == sim.population.bank_of_card(recipient).code
    assert row.result_at == pytest.approx(LOOKUP_S + 2 * LEG_S, abs=1e-12)
    hops = results.hops[["hop", "mti", "response_code"]].values.tolist()
    assert hops == [["directory", "", "00"], ["switch", "0200", "00"], ["issuer", "0200", "00"], ["switch", "0200", "00"], ["issuer", "0200", "00"]]
    postings = results.postings[results.postings.trace_id == result.trace_id]
    assert postings[["kind", "amount_tyiyn"]].values.tolist() == [["transfer_debit", 250_000], ["transfer_credit", 250_000]]
    assert results.trial_balance_tyiyn == 0


def test_a_declined_credit_leg_reverses_the_debit_and_ends_reversed(sim):
    sender, recipient = _two_cards_of_different_banks(sim)
    sim.population.card_status[recipient] = CARD_STATUSES.index("blocked")
    sent = spy(sim)
    before = balance(sim, sender), balance(sim, recipient)
    result = sim.transfer("p2p_card", sender, sim.population.pan(recipient), 100_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("reversed", "62", "credit")
    assert (balance(sim, sender), balance(sim, recipient)) == before  # the money is back
    assert [m["t"] for m in sent] == ["0200", "0200", "0420"]
    advice = sent[2]
    assert advice["3"] == "100000" and advice["11"] == sent[0]["11"] and advice["90"].startswith("0200" + sent[0]["11"] + sent[0]["7"])
    results = sim.results()
    [row] = results.transfers.itertuples()
    assert (row.outcome, row.debit_code, row.credit_code) == ("reversed", "00", "62")
    assert row.result_at == pytest.approx(LOOKUP_S + 3 * LEG_S, abs=1e-12)  # ended when the reversal was acknowledged
    kinds = results.postings[results.postings.trace_id == result.trace_id].kind.tolist()
    assert kinds == ["transfer_debit", "reversal"]


def test_a_credit_leg_the_issuer_does_not_answer_in_time_is_reversed_on_both_sides(sim):
    sender, recipient = _two_cards_of_different_banks(sim)
    slow = sim.issuers[sim.population.bank_of_card(recipient).index]
    slow.service_time_s = lambda: 40.0  # past the switch's 15 s timeout
    before = balance(sim, sender), balance(sim, recipient)
    result = sim.transfer("p2p_card", sender, sim.population.pan(recipient), 100_000)
    assert (result.outcome, result.response_code) == ("reversed", "91")
    sim.env.run()  # the switch's reversal of the credit reaches the slow issuer
    assert (balance(sim, sender), balance(sim, recipient)) == before
    assert sim.ledger.trial_balance() == 0


@pytest.mark.parametrize(
    ("channel", "recipient", "code", "decided_by"),
    [
        ("p2p_phone", "+996 555 12", "14", "directory"),  # not a mobile number
        ("p2p_phone", "+996 312 123 456", "14", "directory"),  # a landline
        ("p2p_card", "9999041700000018", "14", "directory"),  # fails its Luhn check
        ("p2p_qr", elqr.link(elqr.p2p_payload("0" * 32, "9417 **** **** 5269")), "56", "directory"),  # an id never issued
    ],
)
def test_a_recipient_the_directory_cannot_find_is_a_decline_and_nothing_moves(sim, channel, recipient, code, decided_by):
    sender, _ = _two_cards_of_different_banks(sim)
    before = len(sim.ledger)
    result = sim.transfer(channel, sender, recipient, 100_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", code, decided_by)
    assert len(sim.ledger) == before
    assert sim.results().hops.hop.tolist() == ["directory"]


def test_limits_refuse_before_anything_is_sent(sim):
    sender, recipient = _two_cards_of_different_banks(sim)
    pan = sim.population.pan(recipient)
    limit = sim.scenario.services.transfers.limits.per_transfer_tyiyn
    result = sim.transfer("p2p_card", sender, pan, limit + 1)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "13", "limits")
    assert len(sim.results().hops) == 0


def test_a_sender_short_of_funds_is_declined_at_the_debit_and_nothing_moves(sim):
    limits = {"services.transfers.limits.per_transfer_tyiyn": 10**13, "services.transfers.limits.per_day_tyiyn": 10**13}
    sim = Simulation(sim.scenario.with_overrides(limits))
    sender, recipient = _two_cards_of_different_banks(sim)
    amount = balance(sim, sender) + 1
    before = len(sim.ledger)
    result = sim.transfer("p2p_card", sender, sim.population.pan(recipient), amount)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "51", "debit")
    assert len(sim.ledger) == before


def test_a_transfer_by_qr_code_resolves_its_opaque_id_and_a_damaged_code_is_declined_unsent(sim):
    sender, recipient = _two_cards_of_different_banks(sim)
    directory = sim.transfers.directory.directory
    pan = sim.population.pan(recipient)
    link = elqr.link(elqr.p2p_payload(directory.qr_id(recipient), mask_pan_grouped(pan)))
    assert pan not in link and pan[6:12] not in link  # an opaque id and a masked card only
    result = sim.transfer("p2p_qr", sender, link, 50_000)
    assert (result.outcome, result.response_code) == ("completed", "00")
    assert len(sim.results().hops) == 5  # collecting takes the records over: what follows starts empty
    damaged = link[:-6] + ("0" if link[-6] != "0" else "1") + link[-5:]  # one character of the name changed
    result = sim.transfer("p2p_qr", sender, damaged, 50_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "30", "qr")
    assert "ID 63" in result.reason  # the checksum names itself
    assert len(sim.results().hops) == 0  # nothing was sent


FEES = {"services.transfers.fees": [{"service": "p2p", "channel": "card", "flat_tyiyn": 1000, "percent": 0.5, "max_tyiyn": 1500},
                                    {"service": "p2p", "channel": "any", "percent": 0.1}]}  # fmt: skip


def test_a_fee_rule_charges_the_sender_beside_the_debit_and_a_reversal_gives_it_back(sim):
    sim = Simulation(sim.scenario.with_overrides(FEES))
    sender, recipient = _two_cards_of_different_banks(sim)
    sent = spy(sim)
    before = balance(sim, sender)
    result = sim.transfer("p2p_card", sender, sim.population.pan(recipient), 100_000)  # 1000 + 0.5 % = 1500, the cap
    assert result.outcome == "completed" and sent[0]["28"] == "D00001500"
    assert balance(sim, sender) == before - 101_500
    fee_bank = sim.population.bank_of_card(sender).code
    assert sim.ledger.available_tyiyn(accounts.fee_income(fee_bank)) == 1_500
    number = int(sim.population.msisdn[recipient])
    result = sim.transfer("p2p_phone", sender, f"+{number}", 20_000)  # any channel: 0.1 % = 20
    assert result.outcome == "completed", result
    assert sent[2]["28"] == "D00000020"
    # the recipient's card blocked: the credit fails and the fee comes back with the debit
    sim.population.card_status[recipient] = CARD_STATUSES.index("blocked")
    before = balance(sim, sender)
    result = sim.transfer("p2p_card", sender, sim.population.pan(recipient), 10_000)  # 1000 + 50 = 1050
    assert result.outcome == "reversed" and balance(sim, sender) == before
    rows = sim.results().transfers
    assert rows.fee_tyiyn.tolist() == [1_500, 20, 0]  # a reversed transfer charged nothing


def test_a_fee_rule_is_validated_at_the_door():
    from elcart_sim.core.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"services\.transfers\.fees\[0\]\.channel must be one of any, phone, card, qr, reference, account, got 'sms'"):
        load_scenario("national-day").with_overrides({"services.transfers.fees": [{"channel": "sms"}]})
