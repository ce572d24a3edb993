"""Repeats and duplicates, every delay fixed: a message delivered twice is posted once and both
copies get the same answer (at the switch: hosts/switch/exchanges.py; at the issuer:
hosts/answers.py — every request with ``switch.duplicates: all``, reversals and repeats always);
a repeat that changes the amount is refused 94 and posts nothing; a reversal repeated until
acknowledged reverses once."""

from __future__ import annotations

import pytest
from app_services import active_linked_cards, app_simulation, balance
from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, load_scenario
from elcart_sim.hosts.host import REPEAT_AFTER_S
from elcart_sim.protocol.iso8583 import messages
from elcart_sim.protocol.iso8583.repeats import as_repeat
from elcart_sim.world.population import CARD_STATUSES

PURCHASE, REVERSAL = 1, 2  # ledger posting kinds (money/ledger.POSTING_KINDS)
TAP_TO_SWITCH_S = 4 * 0.02 + 0.05 + 0.1 + 0.002 + 0.004  # a tap's 0100 reaches the switch


def simulation(fidelity: str, duplicates: str = "reversals") -> Simulation:
    return Simulation(load_scenario("national-day", seed=99).with_overrides(dict(FIXED_DELAYS, fidelity=fidelity, **{"switch.duplicates": duplicates})))


@pytest.fixture(params=["wire", "fast"])
def sim(request):
    return simulation(request.param)


def a_card(sim, balance_at_least=10_000):
    pop = sim.population
    return next(
        int(c) for c in pop.enrolled_cards if CARD_STATUSES[pop.card_status[c]] == "active" and pop.opening_balance_tyiyn[c] >= balance_at_least
    )


def twice(host, name: str, answers: list):
    """The link to ``host``'s entry ``name`` delivers every message twice; the copy's answer goes to ``answers``."""
    original = getattr(host, name)

    def deliver(payload, trace_id, reply):
        original(payload, trace_id, reply)
        original(payload, trace_id, lambda answer: answers.append(host.wire.decode(answer)))

    setattr(host, name, deliver)


def kinds(sim) -> list[int]:
    return list(sim.ledger.kind)


@pytest.mark.parametrize("fidelity", ["wire", "fast"])
@pytest.mark.parametrize("where", ["switch", "issuer"])
def test_a_duplicated_0100_is_posted_once_and_both_copies_get_the_same_answer(fidelity, where):
    sim = simulation(fidelity, "all")
    card = a_card(sim)
    host = sim.switch if where == "switch" else sim.issuers[sim.population.bank_of_card(card).index]
    copies: list = []
    twice(host, "authorise", copies)
    result = sim.tap(card, terminal=0, amount_tyiyn=1_000)
    assert (result.outcome, result.response_code) == ("approved", "00")
    [copy] = copies
    assert (copy["t"], copy["39"], copy["38"]) == ("0110", "00", result.response["38"])
    assert kinds(sim) == [0, PURCHASE]  # the opening balance, one purchase
    hops = sim.records.hops.to_frame()
    assert len(hops[(hops.hop == where) & (hops.mti == "0100")]) == 2
    assert len(hops[(hops.hop == "issuer")]) == (2 if where == "issuer" else 1)  # the switch passed one copy on


def test_a_duplicated_0200_is_posted_once_and_both_copies_get_the_same_answer():
    sim = app_simulation("fast", {"switch.duplicates": "all"})
    sender, recipient = active_linked_cards(sim)[:2]
    issuer = sim.issuers[sim.population.bank_of_card(sender).index]
    copies: list = []
    twice(issuer, "transfer", copies)
    before = balance(sim, sender)
    result = sim.transfer("p2p_card", sender, sim.population.pan(recipient), 10_000)
    assert result.outcome == "completed"
    assert balance(sim, sender) == before - 10_000  # debited once
    legs = [c for c in copies if c["2"] == sim.population.pan(sender)]
    assert [(c["t"], c["39"]) for c in legs] == [("0210", "00")]


def test_a_duplicated_0400_reverses_once_and_both_copies_are_acknowledged(sim):
    card = a_card(sim)
    result = sim.tap(card, terminal=0, amount_tyiyn=1_000)
    issuer = sim.issuers[sim.population.bank_of_card(card).index]
    copies: list = []
    twice(sim.switch, "reverse", copies)
    twice(issuer, "reverse", copies)
    answers: list = []
    reversal = messages.reversal_for(dict(result.request))
    sim.acquirer.reverse(sim.wire.encode(reversal), result.trace_id, answers.append)
    sim.env.run()
    # the acquirer's link to the switch doubled the 0400 (the switch passed one on) and the
    # switch's link to the issuer doubled that one: every copy acknowledged, one reversal posted
    assert [sim.wire.decode(a)["39"] for a in answers] == ["00"]
    assert sorted((c["t"], c["39"]) for c in copies) == [("0410", "00")] * 2
    hops = sim.records.hops.to_frame()
    assert len(hops[(hops.hop == "issuer") & (hops.mti == "0400")]) == 2
    assert kinds(sim) == [0, PURCHASE, REVERSAL]
    account = issuer.cardholder_account(card)
    assert sim.ledger.available_tyiyn(account) == int(sim.population.opening_balance_tyiyn[card])


@pytest.mark.parametrize("fidelity", ["wire", "fast"])
@pytest.mark.parametrize("duplicates", ["reversals", "all"])
def test_a_repeat_with_a_changed_amount_is_refused_94_and_not_posted(fidelity, duplicates):
    sim = simulation(fidelity, duplicates)
    card = a_card(sim, 100_000)
    result = sim.tap(card, terminal=0, amount_tyiyn=1_000)
    issuer = sim.issuers[sim.population.bank_of_card(card).index]
    changed = {**as_repeat(dict(result.request)), "4": "000000002000"}
    answers: list = []
    sim.switch.authorise_repeat(sim.wire.encode(changed), result.trace_id, answers.append)
    sim.env.run()
    [answer] = [sim.wire.decode(a) for a in answers]
    # a switch that remembers the original refuses it; one that does not (reversals only) reads
    # it as an original, whose chip data no longer match its amount: 63, ICC DATA MISMATCH
    assert (answer["t"], answer["39"], answer.get("44")) == (("0110", "94", None) if duplicates == "all" else ("0110", "63", "ICC DATA MISMATCH"))
    # the issuer refuses it either way: its original's approval is in its columns
    forwarded = {**changed, "2": sim.population.pan(card)}
    forwarded.pop("35", None)
    answers.clear()
    issuer.authorise_repeat(sim.wire.encode(forwarded), result.trace_id, answers.append)
    sim.env.run()
    assert sim.wire.decode(answers[0])["39"] == "94"
    assert kinds(sim) == [0, PURCHASE]
    # an unchanged repeat is answered as the original was
    answers.clear()
    issuer.authorise_repeat(sim.wire.encode({**forwarded, "4": "000000001000"}), result.trace_id, answers.append)
    sim.env.run()
    assert (sim.wire.decode(answers[0])["39"], sim.wire.decode(answers[0])["38"]) == ("00", result.response["38"])
    assert kinds(sim) == [0, PURCHASE]


def test_without_memory_of_every_request_a_duplicated_0100_would_be_posted_twice():
    # why `switch.duplicates: all` exists: by default (reversals) the issuer's link may not
    # deliver a request twice — the issuer decides each copy
    sim = simulation("fast")
    card = a_card(sim)
    issuer = sim.issuers[sim.population.bank_of_card(card).index]
    twice(issuer, "authorise", [])
    sim.tap(card, terminal=0, amount_tyiyn=1_000)
    assert kinds(sim) == [0, PURCHASE, PURCHASE]


def test_an_unanswered_reversal_is_repeated_0401_until_acknowledged_and_reverses_once(sim):
    # The switch loses the acquirer's first 0400; the acquirer repeats it (0401) after 30 s
    # (REPEAT_AFTER_S, jPOS's store-and-forward interval); the switch passes it on to the issuer
    # as the 0400 it never had.
    card = a_card(sim)
    result = sim.tap(card, terminal=0, amount_tyiyn=1_000)
    lost = []
    original = sim.switch.reverse

    def lossy(payload, trace_id, reply):
        if not lost:
            lost.append(payload)
            return
        original(payload, trace_id, reply)

    sim.switch.reverse = lossy
    answers: list = []
    sent_at = sim.env.now
    sim.acquirer.reverse(sim.wire.encode(messages.reversal_for(dict(result.request))), result.trace_id, lambda a: answers.append((sim.env.now, a)))
    sim.env.run()
    [(acknowledged_at, answer)] = answers
    # acquirer 0.002 + 30 s + link 0.004 + switch 0.001 + link 0.003 + issuer 0.006 + back 0.003 + 0.004
    assert acknowledged_at - sent_at == pytest.approx(0.002 + REPEAT_AFTER_S + 0.004 + 0.001 + 0.003 + 0.006 + 0.003 + 0.004, abs=1e-9)
    assert sim.wire.decode(answer)["t"] == "0410"
    hops = sim.records.hops.to_frame()
    assert list(hops.loc[hops.trace_id == result.trace_id, "mti"])[-3:] == ["0400", "0401", "0400"]  # issuer, switch, acquirer
    assert kinds(sim) == [0, PURCHASE, REVERSAL]
