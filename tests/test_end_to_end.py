"""One tap end to end, with every delay fixed: exact APDUs, exact ISO 8583 answers, exact times."""

from __future__ import annotations

import numpy as np
import pytest
from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, load_scenario
from elcart_sim.core.streams import RandomStreams
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.emv import tlv
from elcart_sim.world.population import CARD_STATUSES

FIXED = FIXED_DELAYS
# 4 APDUs + processing + terminal⇄acquirer + acquirer + acquirer⇄switch + switch + switch⇄issuer + issuer
EXPECTED_TAP_TO_RESULT_S = 4 * 0.02 + 0.05 + 2 * 0.1 + 0.002 + 2 * 0.004 + 0.001 + 2 * 0.003 + 0.006


@pytest.fixture
def sim():
    return Simulation(load_scenario("national-day", seed=99).with_overrides(FIXED))


def active_card_with_balance(sim, at_least_tyiyn):
    pop = sim.population
    for card in pop.enrolled_cards:
        if CARD_STATUSES[pop.card_status[card]] == "active" and pop.opening_balance_tyiyn[card] >= at_least_tyiyn:
            return int(card)
    raise AssertionError("no such card")


def test_one_approved_tap_exact_bytes_and_times(sim):
    card = active_card_with_balance(sim, 200_000)
    result = sim.tap(card, terminal=0, amount_tyiyn=123_45)
    un = RandomStreams(99).integers("terminal.unpredictable_number", 2**32)().to_bytes(4, "big")

    commands = [e.command.hex().upper() for e in result.kernel.exchanges]
    assert commands == [
        "00A404000E325041592E5359532E444446303100",  # SELECT PPSE
        "00A4040007F000000417101000",  # SELECT AID
        # GPO: TTQ | amount 123.45 | other | country 0417 | TVR | currency 0417 | date | purchase | UN
        "80A80000238321" + "36004000" + "000000012345" + "000000000000" + "0417" + "0000000000" + "0417"
        + "250701" + "00" + un.hex().upper() + "00",
        "00B2010C00",  # READ RECORD SFI 1 record 1
    ]
    assert all(e.response[-2:] == b"\x90\x00" for e in result.kernel.exchanges)
    assert result.outcome == "approved" and result.response_code == "00"

    tx = sim.records.transactions.to_frame()
    assert len(tx) == 1
    row = tx.iloc[0]
    assert row.tap_to_result_s == pytest.approx(EXPECTED_TAP_TO_RESULT_S, abs=1e-12)
    assert row.nfc_s == pytest.approx(0.08)
    assert row.receipt_no == 1 and row.apdus == 4

    hops = sim.records.hops.to_frame()
    assert list(hops.hop) == ["issuer", "switch", "acquirer"]  # recorded as each answers
    assert set(hops.response_code) == {"00"}
    issuer = hops[hops.hop == "issuer"].iloc[0]
    assert issuer.service_s == pytest.approx(0.006) and issuer.wait_s == 0.0

    account = sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card)
    assert sim.ledger.available_tyiyn(account) == int(sim.population.opening_balance_tyiyn[card]) - 123_45
    sim.ledger.prove_balanced()


def test_request_carries_chip_data_and_token_not_pan(sim):
    card = active_card_with_balance(sim, 10_000)
    result = sim.tap(card, terminal=1, amount_tyiyn=5_000)
    request = sim.terminal(1).authorisation_request(1, result.kernel, 5_000, 0.0)
    decoded = iso8583.decode(iso8583.encode(request))
    assert decoded["22"] == "071" and decoded["49"] == "417" and decoded["4"] == "000000005000"
    assert decoded["2"] != sim.population.pan(card)
    assert decoded["2"][:6] == sim.population.bank_of_card(card).token_bin
    tags = [t.tag for t in tlv.decode(decoded["55"])]
    for tag in (0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82, 0x9F1A, 0x9F03):
        assert tag in tags


@pytest.mark.parametrize("status,code", [("lost", "41"), ("blocked", "62"), ("expired", "54")])
def test_card_status_declines_with_its_response_code(sim, status, code):
    pop = sim.population
    card = int(pop.enrolled_cards[0])
    pop.card_status[card] = CARD_STATUSES.index(status)
    result = sim.tap(card, terminal=0, amount_tyiyn=100)
    assert (result.outcome, result.response_code) == ("declined", code)
    assert len(sim.ledger.amount_tyiyn) == 0  # nothing posted, not even an opening balance


def test_insufficient_funds_declines_51_and_posts_nothing(sim):
    card = active_card_with_balance(sim, 1)
    balance = int(sim.population.opening_balance_tyiyn[card])
    result = sim.tap(card, terminal=0, amount_tyiyn=balance + 1)
    assert (result.outcome, result.response_code) == ("declined", "51")
    assert "purchase" not in [sim.ledger.kind[i] for i in range(len(sim.ledger))]
    assert list(sim.ledger.kind) == [0]  # the opening balance only


def test_issuer_timeout_declines_91_and_reverses_the_debit():
    slow = dict(FIXED, **{"issuer.service_time": {"dist": "constant", "mean_s": 20.0}})
    sim = Simulation(load_scenario("national-day", seed=99).with_overrides(slow))
    card = active_card_with_balance(sim, 10_000)
    result = sim.tap(card, terminal=0, amount_tyiyn=1_000)
    assert (result.outcome, result.response_code) == ("declined", "91")
    kinds = list(sim.ledger.kind)
    assert kinds == [0, 1, 2]  # opening, purchase (late approval), reversal
    account = sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card)
    assert sim.ledger.available_tyiyn(account) == int(sim.population.opening_balance_tyiyn[card])
    hops = sim.records.hops.to_frame()
    assert set(zip(hops.hop, hops.mti)) == {("issuer", "0100"), ("switch", "0100"), ("acquirer", "0100"), ("issuer", "0400")}
    assert hops.loc[hops.hop == "switch", "timed_out"].item() == 1


def test_terminal_timeout_ends_reversed_and_the_issuer_undoes_it():
    slow = dict(FIXED, **{"network.terminal_acquirer": {"dist": "constant", "mean_s": 16.0}})
    sim = Simulation(load_scenario("national-day", seed=99).with_overrides(slow))
    card = active_card_with_balance(sim, 10_000)
    result = sim.tap(card, terminal=0, amount_tyiyn=1_000)
    assert (result.outcome, result.response_code) == ("reversed", "68")
    account = sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card)
    assert sim.ledger.available_tyiyn(account) == int(sim.population.opening_balance_tyiyn[card])
    assert np.count_nonzero(np.array(sim.ledger.kind) == 2) == 1


def test_two_reversals_of_one_approval_undo_it_once():
    # The issuer takes 40 s; the acquirer gives up after 25 s (91, reversal) and the terminal
    # after 30 s (68, reversal): two 0400s of the same approved purchase reach the switch, which
    # passes the first on and has the second wait for its acknowledgement (hosts/switch/
    # exchanges.py); the acquirer's repeat of the first (0401, 30 s after it, at ~71 s) waits for
    # it too: one reaches the issuer, which reverses once.
    slow = dict(
        FIXED,
        **{
            "issuer.service_time": {"dist": "constant", "mean_s": 40.0},
            "switch.timeout_s": 100,
            "network.terminal_acquirer": {"dist": "constant", "mean_s": 16.0},
        },
    )
    sim = Simulation(load_scenario("national-day", seed=99).with_overrides(slow))
    card = active_card_with_balance(sim, 10_000)
    result = sim.tap(card, terminal=0, amount_tyiyn=1_000)
    assert (result.outcome, result.response_code) == ("reversed", "68")
    hops = sim.records.hops.to_frame()
    assert len(hops[(hops.hop == "issuer") & (hops.mti == "0400")]) == 1
    assert list(sim.ledger.kind) == [0, 1, 2]  # opening, purchase, one reversal
    account = sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card)
    assert sim.ledger.available_tyiyn(account) == int(sim.population.opening_balance_tyiyn[card])


def test_malformed_card_answer_terminates_without_a_host_message(sim):
    card = active_card_with_balance(sim, 10_000)
    wallet = sim.wallet(card)
    from elcart_sim.acceptance.nfc_link import SimulatedNfcLink

    def broken(command: bytes) -> bytes:
        answer = wallet.applet.process(command)
        return answer[:5] + b"\x90\x00" if command[1] == 0xA8 else answer  # truncated GPO template

    result = sim.tap(card, terminal=0, amount_tyiyn=1_000, link=SimulatedNfcLink(broken, lambda: 0.02))
    assert result.outcome == "terminated"
    assert result.reason.startswith("GPO: malformed answer: TLV: value of tag 77 at offset 0 runs past the end")
    assert len(sim.records.hops) == 0
