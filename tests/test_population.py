"""The population: 21 banks with separate card and token ranges, Luhn-valid synthetic PANs,
phones that decide who can use ELKART Pay, Globus and Narodny terminals — all column-wise."""

from __future__ import annotations

import numpy as np
import pytest

from elcart_sim import load_scenario
from elcart_sim.core.errors import PopulationError
from elcart_sim.core.streams import RandomStreams
from elcart_sim.protocol.luhn import is_luhn_valid
from elcart_sim.scenario import data_dir
from elcart_sim.tokens.identity import IdvResult
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.wallet.wallet import EnrolmentRefused, Wallet
from elcart_sim.world.population import MIN_ELKART_PAY_ANDROID, Population, load_banks, version_code


@pytest.fixture(scope="module")
def population():
    scenario = load_scenario("national-day", scale=0.01, seed=3)
    return Population.build(scenario, RandomStreams(scenario.seed))


def test_21_member_banks_with_disjoint_card_and_token_bins(population):
    banks = population.banks
    assert len(banks) == 21
    card_bins = {b.card_bin for b in banks}
    token_bins = {b.token_bin for b in banks}
    assert len(card_bins) == len(token_bins) == 21
    assert not card_bins & token_bins
    assert all(b.startswith("9417") for b in card_bins | token_bins)


def test_pans_are_luhn_valid_and_invert_to_their_card(population):
    for card in (0, 1, 17, population.n_cards // 2, population.n_cards - 1):
        pan = population.pan(card)
        assert len(pan) == 16 and pan.startswith("9417") and is_luhn_valid(pan)
        assert population.card_of_pan(pan) == card
        assert population.bank_of_card(card).card_bin == pan[:6]
    bad = population.pan(5)
    assert population.card_of_pan(bad[:15] + str((int(bad[15]) + 1) % 10)) is None  # Luhn fails


def test_scale_knob_scales_cards_and_terminals(population):
    assert population.n_cards == round(3_651_617 * 0.01)
    assert 230 <= population.n_terminals <= 250
    assert sum(population.card_starts[1:] - population.card_starts[:-1]) == population.n_cards


def test_columns_not_objects(population):
    # A national population is arrays, not a Python object per card.
    assert isinstance(population.card_status, np.ndarray)
    assert isinstance(population.opening_balance_tyiyn, np.ndarray)
    assert population.opening_balance_tyiyn.dtype == np.int64


def test_globus_and_narodny_have_terminals(population):
    chains = {population.terminal(i).chain for i in range(population.n_terminals)}
    assert {"Globus", "Narodny"} <= chains
    globus = next(population.terminal(i) for i in range(population.n_terminals) if population.terminal(i).chain == "Globus")
    assert globus.mcc == "5411" and len(globus.terminal_id) == 8 and len(globus.merchant_id) == 15


def test_only_android_601_with_nfc_can_enrol(population):
    capable = (population.android_version >= MIN_ELKART_PAY_ANDROID) & population.has_nfc
    assert np.all(capable[population.enrolled_cards])
    assert version_code("6.0.1") == 60001 and version_code("6.0") < version_code("6.0.1") < version_code("8.1")
    tokens = TokenService(population)
    old = int(np.flatnonzero((population.android_version == version_code("6.0")) & population.has_nfc)[0])
    with pytest.raises(EnrolmentRefused, match="needs Android 6.0.1 or newer with NFC, the phone runs Android 6.0.0"):
        Wallet.enrol(population, tokens, old, bytes.fromhex("F0000004171010"))
    no_nfc = int(np.flatnonzero(~population.has_nfc)[0])
    with pytest.raises(EnrolmentRefused, match="no NFC"):
        Wallet.enrol(population, tokens, no_nfc, bytes.fromhex("F0000004171010"))
    wallet = Wallet.enrol(population, tokens, int(population.enrolled_cards[0]), bytes.fromhex("F0000004171010"))
    assert "*" in wallet.token_masked


def test_tokens_come_from_the_token_range_and_detokenise(population):
    tokens = TokenService(population)
    card = int(population.enrolled_cards[3])
    credential = tokens.provision(card, IdvResult.passed_before_the_day(card))
    assert credential.token_pan != population.pan(card)
    assert population.bank_of_token_bin(credential.token_pan[:6]) is population.bank_of_card(card)
    assert is_luhn_valid(credential.token_pan)
    assert tokens.detokenise(credential.token_pan).card == card
    assert tokens.token_pan_for(card) == credential.token_pan  # same whenever provisioned
    assert len(credential.par) == 29


def test_bad_bank_file_is_named(tmp_path):
    text = (data_dir() / "banks.csv").read_text().replace("941710,", "94171,", 1)
    path = tmp_path / "banks.csv"
    path.write_text(text)
    with pytest.raises(PopulationError, match=r"banks.csv line 2: card_bin must be 6 digits under 9417, got '94171'"):
        load_banks(path)
