"""The directory: a phone number, a card number or a QR recipient id to a card and its bank, or a
decline that says why — every kind of decline, the found cases, opaque QR ids, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from elcart_sim import load_scenario
from elcart_sim.core.errors import ConfigurationError
from elcart_sim.core.streams import RandomStreams
from elcart_sim.protocol.luhn import luhn_check_digit
from elcart_sim.world.directory import Directory, DirectoryDecline, Lookup
from elcart_sim.world.msisdn import msisdn_from_digits
from elcart_sim.world.population import Population

SEED = 5


def _build(seed: int = SEED) -> tuple[Population, Directory]:
    scenario = load_scenario("national-day", scale=0.002, seed=seed)
    population = Population.build(scenario, RandomStreams(seed))
    return population, Directory.build(population, RandomStreams(seed))


@pytest.fixture(scope="module")
def built():
    return _build()


@pytest.fixture(scope="module")
def population(built):
    return built[0]


@pytest.fixture(scope="module")
def directory(built):
    return built[1]


def _linked(directory):
    return int(np.flatnonzero(directory.linked)[0])


def _unlinked(directory):
    return int(np.flatnonzero(~directory.linked)[0])


def test_every_cardholder_has_one_number_of_their_own(population):
    assert population.msisdn.dtype == np.int64 and len(population.msisdn) == population.n_cards
    assert len(np.unique(population.msisdn)) == population.n_cards


def test_wallet_holders_are_linked_and_a_share_of_the_others(population, directory):
    assert directory.linked[population.enrolled_cards].all()
    others = ~population.enrolled
    assert 0.25 < directory.linked[others].mean() < 0.35  # DEFAULT_LINKED_SHARE 0.3


@pytest.mark.parametrize("style", ["e164", "digits", "national", "spaced"])
def test_a_linked_cardholders_number_finds_their_card_and_bank(population, directory, style):
    card = _linked(directory)
    number = msisdn_from_digits(int(population.msisdn[card]))
    text = {"e164": number.e164, "digits": number.digits, "national": number.national,
            "spaced": f"+996 {number.digits[3:6]} {number.digits[6:9]} {number.digits[9:]}"}[style]  # fmt: skip
    lookup = directory.by_phone(text)
    assert lookup == Lookup(card=card, bank_code=population.bank_of_card(card).code)
    assert lookup.found and lookup.response_code == "00"


def test_phone_declines(population, directory):
    unlinked = directory.by_phone(f"+{population.msisdn[_unlinked(directory)]}")
    assert unlinked.decline is DirectoryDecline.NOT_LINKED and unlinked.card is None and unlinked.response_code == "56"
    taken = set(population.msisdn.tolist())
    free = next(n for n in range(996_700_000_000, 996_700_001_000) if n not in taken)
    assert directory.by_phone(f"+{free}").decline is DirectoryDecline.UNKNOWN_NUMBER
    for text in ("+996 312 123 456", "+7 701 123 4567", "12", "not a number"):
        lookup = directory.by_phone(text)
        assert lookup.decline is DirectoryDecline.INVALID_NUMBER and lookup.response_code == "14" and not lookup.found


def test_a_card_number_finds_any_issued_card_linked_or_not(population, directory):
    for card in (_linked(directory), _unlinked(directory), population.n_cards - 1):
        assert directory.by_card_number(population.pan(card)) == Lookup(card, population.bank_of_card(card).code)


def test_card_number_declines(population, directory):
    pan = population.pan(3)
    wrong_luhn = pan[:15] + str((int(pan[15]) + 1) % 10)
    assert directory.by_card_number(wrong_luhn).decline is DirectoryDecline.INVALID_CARD_NUMBER
    assert directory.by_card_number(pan[:15]).decline is DirectoryDecline.INVALID_CARD_NUMBER
    assert directory.by_card_number("4111 1111 1111 1111").decline is DirectoryDecline.INVALID_CARD_NUMBER
    visa = "411111111111111" + luhn_check_digit("411111111111111")
    foreign = directory.by_card_number(visa)
    assert foreign.decline is DirectoryDecline.UNKNOWN_CARD and foreign.response_code == "15"
    bank = population.banks[0]
    partial = f"{bank.card_bin}{999_999_999:09d}"  # an account number beyond the bank's cards
    not_issued = directory.by_card_number(partial + luhn_check_digit(partial))
    assert not_issued.decline is DirectoryDecline.CARD_NOT_ISSUED and not_issued.response_code == "56"


def test_qr_ids_are_opaque_and_resolve_to_their_card(population, directory):
    cards = np.flatnonzero(directory.linked)[:50].tolist()
    ids = [directory.qr_id(card) for card in cards]
    assert len(set(ids)) == len(ids)
    for card, recipient_id in zip(cards, ids):
        pan = population.pan(card)
        assert len(recipient_id) == 32 and int(recipient_id, 16) >= 0
        assert pan not in recipient_id and pan[6:15] not in recipient_id  # neither the PAN nor its account digits
        assert str(population.msisdn[card]) not in recipient_id
        assert directory.by_qr_id(recipient_id) == Lookup(card, population.bank_of_card(card).code)
        assert directory.by_qr_id(recipient_id.upper()).card == card
    assert directory.qr_id(cards[0]) == ids[0]


def test_qr_id_declines(directory):
    assert directory.by_qr_id("0" * 32).decline is DirectoryDecline.UNKNOWN_QR_ID
    for bad in ("", "abc", "g" * 32, "0" * 33):
        lookup = directory.by_qr_id(bad)
        assert lookup.decline is DirectoryDecline.INVALID_QR_ID and lookup.response_code == "14"
    with pytest.raises(ConfigurationError, match=r"card \d+ is not linked in ELKART Mobile"):
        directory.qr_id(_unlinked(directory))


def test_a_qr_id_handed_out_by_another_run_is_unknown(directory):
    _, other = _build(seed=SEED + 1)
    card = _linked(other)
    assert directory.by_qr_id(other.qr_id(card)).decline is DirectoryDecline.UNKNOWN_QR_ID


def test_same_seed_same_directory():
    (pop_a, a), (pop_b, b) = _build(), _build()
    assert np.array_equal(pop_a.msisdn, pop_b.msisdn) and np.array_equal(a.linked, b.linked)
    card = _linked(a)
    assert a.qr_id(card) == b.qr_id(card)
    assert b.by_qr_id(a.qr_id(card)).card == card


def test_every_decline_has_a_code_response_code_and_words():
    codes = [d.code for d in DirectoryDecline]
    assert len(set(codes)) == len(codes)
    for decline in DirectoryDecline:
        assert decline.response_code in {"14", "15", "56"} and decline.description


def test_linked_must_be_a_boolean_column(population):
    with pytest.raises(ConfigurationError, match="linked must be a boolean column"):
        Directory(population, np.ones(3, dtype=bool), b"k" * 32)
    with pytest.raises(ConfigurationError, match="linked_share must be between 0 and 1"):
        Directory.build(population, RandomStreams(1), linked_share=1.5)


def test_no_qr_id_holds_a_run_of_digits_a_qr_code_would_refuse_as_a_card_number():
    import re

    from elcart_sim import load_scenario
    from elcart_sim.core.streams import RandomStreams
    from elcart_sim.world.directory import Directory
    from elcart_sim.world.population import Population

    scenario = load_scenario("national-day", scale=0.01)
    streams = RandomStreams(scenario.seed)
    population = Population.build(scenario, streams)
    directory = Directory.build(population, streams, linked_share=1.0)
    ids = [directory.qr_id(card) for card in range(min(population.n_cards, 5000))]
    assert not any(re.search(r"[0-9]{13}", i) for i in ids)
    assert all(directory.by_qr_id(i).card == card for card, i in enumerate(ids))
