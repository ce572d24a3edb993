"""Plastic ELKART cards and ATMs, exactly: a chip purchase and a contactless card purchase at a
POS terminal, a cash withdrawal at an ATM — their APDUs, messages, processing codes, DE55, the
issuer's ARPC, times and postings; a card whose cryptogram does not verify is declined 63; an ATM
that waits too long reverses; and over seeds, every tyiyn a card lost is an approval."""

from __future__ import annotations

import pytest
from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, load_scenario
from elcart_sim.cards import CardKeys, plastic_card_applet
from elcart_sim.money import accounts
from elcart_sim.protocol.emv import arqc_verify
from elcart_sim.protocol.emv.icc_data import RESPONSE_TAGS, parse_icc_data
from elcart_sim.world.population import CARD_STATUSES

FIXED = {
    **FIXED_DELAYS,
    "cards.contact_apdu_latency": {"dist": "constant", "mean_s": 0.05},
    "cards.contactless_apdu_latency": {"dist": "constant", "mean_s": 0.02},
    "cards.insert": {"dist": "constant", "mean_s": 3.0},
    "atm.session": {"dist": "constant", "mean_s": 20.0},
    "atm.dispense": {"dist": "constant", "mean_s": 8.0},
}
# terminal⇄acquirer + acquirer + acquirer⇄switch + switch + switch⇄issuer + issuer
HOSTS_S = 2 * 0.1 + 0.002 + 2 * 0.004 + 0.001 + 2 * 0.003 + 0.006


@pytest.fixture(params=["wire", "fast"])
def sim(request):
    return Simulation(load_scenario("national-day", seed=99).with_overrides({**FIXED, "fidelity": request.param}))


def active_card(sim, at_least_tyiyn):
    pop = sim.population
    for card in range(pop.n_cards):
        if CARD_STATUSES[pop.card_status[card]] == "active" and pop.opening_balance_tyiyn[card] >= at_least_tyiyn:
            return card
    raise AssertionError("no such card")


def balance(sim, card):
    return sim.ledger.available_tyiyn(accounts.cardholder(sim.population.bank_of_card(card).code, card), sim.env.now)


def check_arpc(sim, card, request, response):
    """DE55 of the answer holds tag 91: the ARPC over the request's ARQC under the card's session key, and the CSU."""
    if sim.scenario.fidelity != "wire":
        assert 0x91 in response["55"]
        return
    sent = parse_icc_data(request["55"])
    key = arqc_verify.session_key(sim.card_keys.issuer_key(sim.population.pan(card), 1), int.from_bytes(sent[0x9F36], "big"))
    csu = arqc_verify.CSU_APPROVED if response["39"] == "00" else arqc_verify.CSU_DECLINED
    assert parse_icc_data(response["55"], RESPONSE_TAGS)[0x91] == arqc_verify.arpc(key, sent[0x9F26], csu) + csu


def test_a_chip_card_purchase_carries_the_pan_and_the_issuer_signs_it(sim):
    card = active_card(sim, 200_000)
    tokens_before = len(sim.token_service)
    result = sim.card_payment(card, terminal=0, amount_tyiyn=123_45, channel="card_chip")
    assert result.outcome == "approved" and result.response_code == "00"
    assert [e.name for e in result.kernel.exchanges] == ["SELECT PPSE", "SELECT AID", "GPO", "READ RECORD SFI 1 REC 1"]
    request = result.request
    assert request["t"] == "0100" and request["3"] == "000000" and request["22"] == "051" and request["23"] == "001"
    assert request["2"] == sim.population.pan(card)  # the card number itself: no token, no DE123
    assert "123" not in request and result.response["2"] == request["2"]
    check_arpc(sim, card, request, result.response)

    row = sim.records.transactions.to_frame().iloc[0]
    assert row.channel == "card_chip" and row.apdus == 4 and row.receipt_no == 1
    assert row.token_masked == sim.population.pan(card)[:6] + "******" + sim.population.pan(card)[-4:]
    assert row.nfc_s == pytest.approx(4 * 0.05)
    assert row.tap_to_result_s == pytest.approx(4 * 0.05 + 0.05 + HOSTS_S, abs=1e-12)
    assert not sim.terminal(0).lane.busy and sim.env.now >= row.result_at + 0.5 + 3.0  # receipt, then the card taken back
    hops = sim.records.hops.to_frame()
    assert list(hops.hop) == ["issuer", "switch", "acquirer"] and set(hops.mti) == {"0100"}
    assert balance(sim, card) == int(sim.population.opening_balance_tyiyn[card]) - 123_45
    assert len(sim.token_service) == tokens_before  # the token service sees only phone taps
    sim.ledger.prove_balanced()


def test_a_contactless_card_purchase_needs_no_device_cvm(sim):
    card = active_card(sim, 10_000)
    result = sim.card_payment(card, terminal=1, amount_tyiyn=5_000, channel="card_contactless")
    assert result.outcome == "approved" and result.request["22"] == "071"
    assert result.kernel.cdcvm_performed is False
    row = sim.records.transactions.to_frame().iloc[0]
    assert row.channel == "card_contactless"
    assert row.tap_to_result_s == pytest.approx(4 * 0.02 + 0.05 + HOSTS_S, abs=1e-12)
    # the card's ATC counts on from one transaction to the next
    again = sim.card_payment(card, terminal=1, amount_tyiyn=5_000, channel="card_contactless")
    assert again.outcome == "approved" and again.kernel.atc == result.kernel.atc + 1


def test_an_atm_withdrawal_is_a_0200_cash_with_chip_data(sim):
    card = active_card(sim, 1_000_000)
    result = sim.withdraw(card, atm=0, amount_tyiyn=500_000)
    assert result.outcome == "approved"
    request = result.request
    assert (request["t"], request["3"], request["22"], request["18"]) == ("0200", "010000", "051", "6011")
    assert request["41"] == "A0000000" and request["48"] == "ATM A0000000" and request["2"] == sim.population.pan(card)
    assert result.response["t"] == "0210" and result.response["39"] == "00"
    check_arpc(sim, card, request, result.response)
    hops = sim.records.hops.to_frame()
    assert list(hops.hop) == ["issuer", "switch", "acquirer"] and set(hops.mti) == {"0200"}
    row = sim.records.transactions.to_frame().iloc[0]
    assert (row.channel, row.merchant, row.terminal_id, row.receipt_no) == ("atm", "ATM", "A0000000", -1)
    assert row.acquirer == sim.population.banks[sim.atm_fleet.atm(0).acquirer].code
    assert row.tapped_at == pytest.approx(20.0) and row.lane_wait_s == 0.0  # the session (card in, PIN, amount) before
    assert row.tap_to_result_s == pytest.approx(4 * 0.05 + HOSTS_S, abs=1e-12)
    assert balance(sim, card) == int(sim.population.opening_balance_tyiyn[card]) - 500_000
    kinds = sim.results().postings.kind.astype(str).tolist()
    assert kinds.count("cash_withdrawal") == 1


@pytest.mark.parametrize("channel", ["card_chip", "atm"])
def test_a_card_whose_cryptogram_does_not_verify_is_declined_63(sim, channel):
    card = active_card(sim, 1_000_000)
    pan = sim.population.pan(card)
    # a card personalised under another issuer master key (a counterfeit chip)
    sim.plastic_cards._applets[card] = plastic_card_applet(pan, CardKeys("a counterfeiter's keys"), aid=sim.aid, kernel="qvsdc", cryptogram_version=0x12)
    if channel == "atm":
        result = sim.withdraw(card, atm=1, amount_tyiyn=100_000)
    else:
        result = sim.card_payment(card, terminal=2, amount_tyiyn=100_000, channel=channel)
    assert (result.outcome, result.response_code, result.stopped_by) == ("declined", "63", "arqc")
    assert balance(sim, card) == int(sim.population.opening_balance_tyiyn[card])
    assert "55" not in result.response  # no cryptogram verified: nothing to sign


def test_an_atm_that_waits_too_long_sends_a_reversal_advice_and_the_debit_is_undone(sim):
    sim = Simulation(sim.scenario.with_overrides({"atm.timeout_s": 0.15}))
    card = active_card(sim, 1_000_000)
    result = sim.withdraw(card, atm=1, amount_tyiyn=300_000)
    assert (result.outcome, result.response_code) == ("reversed", "68")
    hops = sim.records.hops.to_frame()
    issuer = hops[hops.hop == "issuer"]
    assert issuer.mti.tolist() == ["0200", "0420"] and issuer.response_code.tolist() == ["00", "00"]
    assert balance(sim, card) == int(sim.population.opening_balance_tyiyn[card])
    kinds = sim.results().postings.kind.astype(str).tolist()
    assert kinds.count("cash_withdrawal") == 1 and kinds.count("reversal") == 1


def test_a_cardholder_who_knows_the_balance_asks_for_no_more():
    from elcart_sim.world.atms import withdrawal_amount_tyiyn

    assert withdrawal_amount_tyiyn(654_321.0, 10_000_000, True) == 650_000  # whole hundreds of som
    assert withdrawal_amount_tyiyn(654_321.0, 412_345, True) == 410_000  # the balance, rounded down
    assert withdrawal_amount_tyiyn(654_321.0, 412_345, False) == 650_000  # one who does not know asks anyway
    assert withdrawal_amount_tyiyn(654_321.0, 9_999, True) == 0  # under 100 som: does not try
    assert withdrawal_amount_tyiyn(10.0, 10_000_000, False) == 10_000  # at least one note


@pytest.mark.parametrize("seed", range(4))
def test_every_tyiyn_a_card_lost_is_an_approved_purchase_or_withdrawal(seed):
    scenario = load_scenario("national-day", scale=0.0005, seed=seed).with_overrides(
        {
            "clearing.enabled": True,
            "issuer.service_time": {"dist": "lognormal", "mean_s": 0.01, "cv": 4.0},
            "switch.timeout_s": 0.03,
            "atm.timeout_s": 0.3,
        }
    )
    simulation = Simulation(scenario)
    results = simulation.run()
    assert results.trial_balance_tyiyn == 0
    tx = results.transactions
    assert set(tx.channel.astype(str)) == {"contactless", "card_chip", "card_contactless", "atm"}
    assert {"approved", "declined", "reversed"} <= set(tx[tx.channel == "atm"].outcome.astype(str))
    p = results.postings[results.postings.trace_id >= 0]
    debit_kind = p.debit_account.astype(str).str.split("/").str[1]
    credit_kind = p.credit_account.astype(str).str.split("/").str[1]
    lost = p.amount_tyiyn.where(debit_kind == "cardholder", 0) - p.amount_tyiyn.where(credit_kind == "cardholder", 0)
    lost_by_trace = lost.groupby(p.trace_id).sum()
    expected = tx.amount_tyiyn.where(tx.outcome == "approved", 0)
    assert lost_by_trace.reindex(tx.trace_id, fill_value=0).tolist() == expected.tolist()
    # what the ATMs paid out is what clearing says the cards' banks owe for cash
    atm = tx[(tx.channel == "atm") & (tx.outcome == "approved")]
    paid_out = p.amount_tyiyn[credit_kind == "atm_cash"].sum() - p.amount_tyiyn[debit_kind == "atm_cash"].sum()
    cleared = results.clearing
    owed = cleared.amount_tyiyn[cleared.kind == "cash_withdrawal"].sum() - cleared.amount_tyiyn[cleared.reverses == "cash_withdrawal"].sum()
    assert paid_out == owed == atm.amount_tyiyn.sum()
