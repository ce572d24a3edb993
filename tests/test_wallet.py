"""The wallet on the phone: limited-use keys spent one per tap, expiry, replenishment, offline phones."""

from __future__ import annotations

import pytest
import simpy

from elcart_sim import load_scenario
from elcart_sim.acceptance import ContactlessKernel, SimulatedNfcLink
from elcart_sim.core.streams import Distribution, RandomStreams, Sampler
from elcart_sim.tokens.identity import IdvResult
from elcart_sim.tokens.keys import LimitedUseKey
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.wallet.keys import KeyStore
from elcart_sim.wallet.wallet import PhoneWithoutToken, Wallet, WalletServices, attested_device_id, offline_phones
from elcart_sim.world.population import Population

AID = bytes.fromhex("F0000004171010")
UN = bytes.fromhex("01020304")


@pytest.fixture(scope="module")
def population():
    scenario = load_scenario("national-day", scale=0.001, seed=5)
    return Population.build(scenario, RandomStreams(scenario.seed))


def _services(env, tokens, replenish_s=2.0, batch=4, threshold=1):
    return WalletServices(env, tokens, Sampler(None, Distribution("constant", replenish_s)), batch, threshold)


def _pay(wallet, unlocked=True):
    return ContactlessKernel().perform(SimulatedNfcLink(wallet.at_reader(unlocked).process, lambda: 0.01), 100, "250701", UN)


def test_key_store_hands_out_keys_oldest_first_and_drops_expired_ones():
    derive = lambda i: bytes([i]) * 16  # noqa: E731
    store = KeyStore([LimitedUseKey(1, 10.0, derive), LimitedUseKey(2, 20.0, derive), LimitedUseKey(3, 30.0, derive)])
    assert store.discard_expired(20.0) == 2 and store.key_indexes() == [3]
    key = store.take_key()
    assert (key.key_index, key.key, store.take_key(), store.has_key()) == (3, b"\x03" * 16, None, False)
    assert "key=<hidden>" in repr(key) and "0303" not in repr(key)
    with pytest.raises(ValueError, match="key_index must be 1-65535, got 0"):
        LimitedUseKey(0, 1.0, derive)


def test_each_tap_spends_a_key_and_a_low_batch_is_replenished_after_one_round_trip(population):
    env = simpy.Environment()
    tokens = TokenService(population)
    card = int(population.enrolled_cards[0])
    wallet = Wallet.enrol(population, tokens, card, AID, services=_services(env, tokens))
    assert wallet.keys.key_indexes() == [1, 2, 3, 4]
    assert _pay(wallet).outcome == "online"
    assert _pay(wallet).outcome == "online"  # 4 -> 2 keys: not yet low
    assert not wallet.replenishing and wallet.keys.key_indexes() == [3, 4]
    assert _pay(wallet).outcome == "online"  # 1 left = the threshold: a replenishment starts
    assert wallet.replenishing
    env.run(until=1.999)
    assert wallet.keys.key_indexes() == [4]
    env.run(until=2.001)
    assert wallet.keys.key_indexes() == [4, 5, 6, 7] and not wallet.replenishing
    assert [len(tokens.detokenise(wallet.token_pan).key_batches)] == [2]


def test_an_offline_phone_spends_its_batch_then_cannot_pay(population):
    env = simpy.Environment()
    tokens = TokenService(population)
    card = int(population.enrolled_cards[1])
    wallet = Wallet.enrol(population, tokens, card, AID, services=_services(env, tokens), online=False, keys_left=2)
    outcomes = [_pay(wallet) for _ in range(3)]
    assert [o.outcome for o in outcomes] == ["online", "online", "terminated"]
    assert (outcomes[2].reason, outcomes[2].check) == ("GPO: card answered SW 6984 (reference data not usable)", "limited_use_keys")
    env.run()
    assert not wallet.replenishing and len(wallet.keys) == 0


def test_expired_keys_are_not_used(population):
    env = simpy.Environment()
    tokens = TokenService(population, key_ttl_s=100.0)
    card = int(population.enrolled_cards[2])
    wallet = Wallet.enrol(population, tokens, card, AID, services=_services(env, tokens), online=False, keys_issued_at=-50.0)
    assert _pay(wallet).outcome == "online"
    env.run(until=50.0)
    assert _pay(wallet).check == "limited_use_keys" and len(wallet.keys) == 0


def test_a_locked_phone_does_not_pay_and_the_phone_is_unlocked_again_afterwards(population):
    tokens = TokenService(population)
    wallet = Wallet.enrol(population, tokens, int(population.enrolled_cards[3]), AID)
    locked = _pay(wallet, unlocked=False)
    assert (locked.outcome, locked.check) == ("terminated", "device_cvm")
    assert wallet.applet.cdcvm_performed is True and len(wallet.keys) == 10
    assert _pay(wallet).outcome == "online"


def test_device_ids_are_fixed_per_phone(population):
    tokens = TokenService(population)
    card = int(population.enrolled_cards[4])
    first = Wallet.enrol(population, tokens, card, AID)
    assert first.device_id == attested_device_id(f"card {card} phone 0") != attested_device_id(f"card {card} phone 1")
    assert first.applet.device_id == first.device_id and first.phone == 0


def test_a_phone_without_token_offers_no_payment_application():
    phone = PhoneWithoutToken(7, 1234, 1)
    out = ContactlessKernel().perform(SimulatedNfcLink(phone.at_reader().process, lambda: 0.01), 100, "250701", UN)
    assert (out.outcome, out.reason) == ("terminated", "SELECT PPSE: card answered SW 6A82 (file or application not found)")
    assert phone.at_reader().process(bytes.fromhex("80A8000002830000")) == bytes.fromhex("6D00")


def test_offline_phones_are_drawn_once_per_run_and_reproducibly(population):
    cards = population.enrolled_cards
    a = offline_phones(cards, 0.3, 10, 1000.0, RandomStreams(5))
    assert a == offline_phones(cards, 0.3, 10, 1000.0, RandomStreams(5))
    assert 0 < len(a) < len(cards)
    assert all(0 <= keys <= 10 and -1000.0 <= at <= 0.0 for keys, at in a.values())
    assert offline_phones(cards, 0.0, 10, 1000.0, RandomStreams(5)) == {}


def test_enrolment_needs_a_passed_idv(population):
    from elcart_sim.core.errors import TokenServiceError

    tokens = TokenService(population)
    card = int(population.enrolled_cards[5])
    with pytest.raises(TokenServiceError, match="no token without a passed identity and verification"):
        Wallet.enrol(population, tokens, card, AID, idv=IdvResult(card, False, 3.0, "failed"))


def test_a_batch_is_one_run_in_the_store_and_keys_derive_only_when_asked(population):
    from elcart_sim.tokens.keys import KeyBatch

    derived = []

    def derive(token_pan, key_index):
        derived.append(key_index)
        return bytes([key_index]) * 16

    store = KeyStore(KeyBatch(5, 8, 30.0, "9417000000000001", derive))
    store.add(KeyBatch(9, 10, 60.0, "9417000000000001", derive))
    copy = store.copy()
    assert (len(store), store.key_indexes(), len(store._runs)) == (6, [5, 6, 7, 8, 9, 10], 2)
    key = store.take_key()
    assert (key.key_index, key.expires_at, key.token_pan, derived) == (5, 30.0, "9417000000000001", [])
    assert key.key == b"\x05" * 16 and derived == [5]
    assert store.discard_expired(30.0) == 3 and store.key_indexes() == [9, 10]
    assert copy.key_indexes() == [5, 6, 7, 8, 9, 10]  # a copy spends on its own
    singles = KeyStore([LimitedUseKey(k, 1.0, bytes, token_pan="t") for k in (1, 2, 3)] + [LimitedUseKey(7, 1.0, bytes)])
    assert len(singles._runs) == 2 and singles.key_indexes() == [1, 2, 3, 7]  # consecutive keys share a run


def test_the_token_service_credential_needs_no_second_check(population):
    from elcart_sim.core.errors import TokenServiceError
    from elcart_sim.tokens.credential import TokenCredential

    tokens = TokenService(population)
    card = int(population.enrolled_cards[5])
    credential = tokens.provision(card, IdvResult.passed_before_the_day(card))
    assert credential == TokenCredential(credential.token_pan, "3012", 0, credential.par)
    assert "icc_master_key=None" in repr(credential) and credential.token_pan not in repr(credential)
    other = int(population.enrolled_cards[6])
    with pytest.raises(TokenServiceError, match="expiry must be 'YYMM' and psn 0-99, got '3013' and 0"):
        tokens.provision(other, IdvResult.passed_before_the_day(other), expiry_yymm="3013")
