"""Security through the whole chain, with every delay fixed: token lifecycle declines explained in
the records, the ARPC back in the 0110, the M/Chip-style kernel, hostile requests from a terminal."""

from __future__ import annotations

import pytest
from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, load_scenario
from elcart_sim.acceptance.kernel import KernelOutcome
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.emv import tlv
from elcart_sim.protocol.emv.cryptogram import arpc_method_2, derive_icc_master_key, derive_limited_use_key, derive_session_key
from elcart_sim.wallet.wallet import PhoneWithoutToken, Wallet
from elcart_sim.world.population import CARD_STATUSES

FIXED = {**FIXED_DELAYS, "security.keys.offline_share": 0.0}
TO_SWITCH_AND_BACK_S = 0.05 + 2 * 0.1 + 0.002 + 2 * 0.004 + 0.001  # processing, links, acquirer, switch


def make(**overrides) -> Simulation:
    return Simulation(load_scenario("national-day", seed=99).with_overrides({**FIXED, **overrides}))


@pytest.fixture
def sim():
    return make()


def good_card(sim, at_least_tyiyn=100_000):
    pop = sim.population
    for card in pop.enrolled_cards:
        if CARD_STATUSES[pop.card_status[card]] == "active" and pop.opening_balance_tyiyn[card] >= at_least_tyiyn:
            return int(card)
    raise AssertionError("no such card")


def last_row(sim):
    return sim.records.transactions.to_frame().iloc[-1]


def test_an_approval_carries_the_arpc_the_phone_can_check(sim):
    card = good_card(sim)
    result = sim.tap(card, 0, 2_500)
    assert (result.outcome, result.stopped_by) == ("approved", "")
    (tag91,) = tlv.decode(result.response["55"])
    de55 = tlv.flatten(tlv.decode(result.request["55"]))
    wallet = sim.wallet(card)
    icc_mk = derive_icc_master_key(sim.token_service.issuer_master_key(wallet.token_pan[:6]), wallet.token_pan, 0)
    sk = derive_session_key(derive_limited_use_key(icc_mk, 1), 1)  # the first tap: key 1, ATC 1
    assert tag91.value == arpc_method_2(sk, de55[0x9F26], bytes.fromhex("00820000")) + bytes.fromhex("00820000")
    row = last_row(sim)
    assert (row.attack, row.stopped_by, row.reason) == ("", "", "")


def test_a_suspended_token_is_declined_62_with_its_reason_and_paid_again_once_resumed(sim):
    card = good_card(sim)
    wallet = sim.wallet(card)
    sim.token_service.suspend(wallet.token_pan, "frozen in the bank app", 0.0)
    result = sim.tap(card, 0, 1_000)
    assert (result.outcome, result.response_code, result.stopped_by) == ("declined", "62", "token_status")
    assert result.reason == "Restricted card: token suspended"
    assert result.response["44"] == "TOKEN SUSPENDED"
    row = last_row(sim)
    assert (row.reason, row.stopped_by, row.apdus) == ("Restricted card: token suspended", "token_status", 4)
    assert row.tap_to_result_s == pytest.approx(4 * 0.02 + TO_SWITCH_AND_BACK_S, abs=1e-12)  # no issuer leg
    hops = sim.records.hops.to_frame()
    assert list(hops.hop) == ["switch", "acquirer"] and set(hops.response_code) == {"62"}
    assert len(sim.ledger.amount_tyiyn) == 0  # nothing posted
    sim.token_service.resume(wallet.token_pan, "unfrozen", sim.env.now)
    assert sim.tap(card, 0, 1_000).outcome == "approved"


def test_a_deleted_token_is_declined_14(sim):
    card = good_card(sim)
    old = sim.wallet(card)
    sim.token_service.delete(old.token_pan, "phone lost", 0.0)
    result = sim.tap(card, 0, 1_000)
    assert (result.response_code, result.reason, result.stopped_by) == ("14", "Invalid card number: token deleted", "token_status")


def test_a_phone_replacement_deletes_the_old_token_and_provisions_the_new_phone_after_idv(sim):
    card = good_card(sim)
    old = sim.wallet(card)
    process = sim.env.process(sim.lifecycle.replace_phone(card))
    sim.env.run(until=0.001)
    waiting = sim.wallet(card)
    assert isinstance(waiting, PhoneWithoutToken) and waiting.phone == 1
    during = sim.tap(card, 0, 1_000)  # the new phone has no token yet: no payment application
    assert (during.outcome, during.reason) == ("terminated", "SELECT PPSE: card answered SW 6A82 (file or application not found)")
    sim.env.run(process)
    new = process.value
    assert sim.wallet(card) is new
    assert isinstance(new, Wallet)  # ID&V passed (for this seed)
    assert new.token_pan != old.token_pan and new.device_id != old.device_id
    assert sim.token_service.detokenise(new.token_pan).par == sim.token_service.detokenise(old.token_pan).par
    assert sim.tap(card, 0, 1_000).outcome == "approved"
    events = sim.records.token_events.to_frame()
    assert list(events.event.astype(str))[:3] == ["deleted", "provisioned", "keys_issued"]
    assert events["at"].iloc[1] > 0.001  # after the ID&V latency
    old_phone = sim.terminal(0)  # the old phone, still in someone's hand, is refused by the network
    from elcart_sim.acceptance.nfc_link import SimulatedNfcLink

    results = []
    old_phone.accept_tap(sim.next_trace_id(), SimulatedNfcLink(old.at_reader().process, lambda: 0.02), 1_000, old.token_masked, "X", then=results.append)
    sim.env.run()
    assert (results[0].response_code, results[0].stopped_by) == ("14", "token_status")


def test_a_failed_idv_leaves_the_new_phone_without_a_token():
    sim = make(**{"security.provisioning.idv_failure_share": 1.0})
    card = good_card(sim)
    process = sim.env.process(sim.lifecycle.replace_phone(card))
    sim.env.run(process)
    assert isinstance(process.value, PhoneWithoutToken) and sim.wallet(card) is process.value
    events = sim.records.token_events.to_frame()
    assert list(events.event.astype(str)) == ["deleted", "idv_failed"]
    assert events.reason.iloc[1].startswith("identity and verification failed")
    assert sim.tap(card, 0, 1_000).outcome == "terminated"


def test_the_mchip_style_kernel_end_to_end(sim):
    mchip = make(**{"security.kernel": "mchip"})
    card = good_card(mchip)
    result = mchip.tap(card, 0, 1_000)
    assert result.outcome == "approved", result.reason
    assert [x.name for x in result.kernel.exchanges] == ["SELECT PPSE", "SELECT AID", "GPO", "READ RECORD SFI 1 REC 1", "GENERATE AC"]
    row = last_row(mchip)
    assert row.apdus == 5
    assert row.tap_to_result_s == pytest.approx(5 * 0.02 + TO_SWITCH_AND_BACK_S + 2 * 0.003 + 0.006, abs=1e-12)


def test_another_cryptogram_version_is_declined_by_a_switch_configured_for_18():
    sim = make(**{"security.cryptogram_version": 0x2B})
    sim.card_authentication.cryptogram_version = 0x12  # the switch still expects CVN 18
    result = sim.tap(good_card(sim), 0, 1_000)
    assert (result.response_code, result.reason) == ("63", "Security violation: unsupported cryptogram version")


def test_a_locked_phone_produces_no_payment(sim):
    card = good_card(sim)
    from elcart_sim.acceptance.nfc_link import SimulatedNfcLink

    result = sim.tap(card, 0, 1_000, link=SimulatedNfcLink(sim.wallet(card).at_reader(unlocked=False).process, lambda: 0.02))
    assert (result.outcome, result.stopped_by) == ("terminated", "device_cvm")
    assert len(sim.records.hops) == 0 and last_row(sim).reason == "GPO: card answered SW 6982 (security status not satisfied)"


# -- hostile input from a terminal ------------------------------------------------------------------------


def test_a_terminal_sending_garbage_gets_a_format_error_and_one_final_state(sim):
    terminal = sim.terminal(0)
    results = []
    terminal.submit_request(sim.next_trace_id(), b"0100\x00garbage", 1_000, "", "", "hostile", then=results.append)
    sim.env.run()
    [result] = results
    assert (result.outcome, result.response_code, result.reason) == ("declined", "30", "Format error")
    tx = sim.records.transactions.to_frame()
    assert len(tx) == 1 and tx.outcome.iloc[0] == "declined" and tx.attack.iloc[0] == "hostile" and tx.apdus.iloc[0] == 0
    hops = sim.records.hops.to_frame()
    assert list(zip(hops.hop, hops.response_code)) == [("acquirer", "30")]


def test_the_switch_answers_garbage_with_a_format_error(sim):
    answers = []
    sim.switch.authorise(b"\x01\x02garbage", 7, answers.append)
    sim.env.run()
    answer = iso8583.decode(answers[0])
    assert (answer["t"], answer["39"], answer["37"]) == ("0110", "30", "000000000007")
    hops = sim.records.hops.to_frame()
    assert list(zip(hops.hop, hops.mti, hops.response_code)) == [("switch", "0100", "30")]


def _request(sim, card, **changes):
    terminal = sim.terminal(0)
    wallet = sim.wallet(card)
    from elcart_sim.acceptance import ContactlessKernel, SimulatedNfcLink

    kernel: KernelOutcome = ContactlessKernel().perform(SimulatedNfcLink(wallet.at_reader().process, lambda: 0.02), 1_000, "250701", b"\x00\x00\x00\x01")
    request = terminal.authorisation_request(sim.next_trace_id(), kernel, 1_000, 0.0)
    request.update(changes)
    return terminal, wallet, {k: v for k, v in request.items() if v is not None}


def test_a_well_formed_request_with_malformed_chip_data_is_declined_30_by_the_switch(sim):
    card = good_card(sim)
    terminal, wallet, request = _request(sim, card)
    request["55"] += bytes.fromhex("DF0101FF")  # a tag the host spec does not allow
    results = []
    terminal.submit_request(int(request["37"]), request, 1_000, wallet.token_masked, "X", then=results.append)
    sim.env.run()
    [result] = results
    assert (result.response_code, result.stopped_by) == ("30", "icc_data")
    assert result.reason == "Format error: chip data (DE55) do not follow the host spec"


def test_the_token_number_swiped_or_keyed_is_outside_its_domain(sim):
    card = good_card(sim)
    terminal, wallet, request = _request(sim, card, **{"22": "901", "55": None})
    results = []
    terminal.submit_request(int(request["37"]), request, 1_000, wallet.token_masked, "X", then=results.append)
    sim.env.run()
    [result] = results
    assert (result.response_code, result.stopped_by) == ("57", "token_domain")
    assert result.reason == "Transaction not permitted to cardholder: token used outside its domain: not a contactless tap at a POS"
