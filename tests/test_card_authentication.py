"""The token service's card authentication: the ARQC under the token's limited-use key, the ATC
window and replay memory, the unpredictable number, the key's life, the device — and the ARPC."""

from __future__ import annotations

import pytest

from elcart_sim import load_scenario
from elcart_sim.acceptance import ContactlessKernel, SimulatedNfcLink
from elcart_sim.core.streams import RandomStreams
from elcart_sim.protocol.emv import tlv
from elcart_sim.protocol.emv.cryptogram import (
    arpc_method_2,
    derive_icc_master_key,
    derive_limited_use_key,
    derive_session_key,
)
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason as R
from elcart_sim.scenario import SecuritySpec
from elcart_sim.tokens.card_authentication import CardAuthentication, CounterWindow
from elcart_sim.tokens.keys import LimitedUseKey
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.wallet.applet import PaymentApplet
from elcart_sim.wallet.keys import KeyStore
from elcart_sim.wallet.wallet import Wallet
from elcart_sim.world.population import Population

AID = bytes.fromhex("F0000004171010")
UN = bytes.fromhex("CAFEBABE")


# -- the replay memory on its own --------------------------------------------------------------------------


def test_counter_window_accepts_fresh_values_once_and_remembers_a_window():
    w = CounterWindow()
    assert w.check(0, 8) == "replayed"  # counter 0 is never valid: cards start at 1
    for value in (1, 2, 5):
        assert w.check(value, 8, max_jump=3) == "fresh"
        w.accept(value, 8)
    assert w.check(9, 8, max_jump=3) == "jump" and w.check(8, 8, max_jump=3) == "fresh"
    assert (w.check(5, 8), w.check(2, 8), w.check(3, 8), w.check(4, 8)) == ("replayed", "replayed", "fresh", "fresh")
    w.accept(4, 8)  # late, but inside the window
    assert w.check(4, 8) == "replayed"
    w.accept(12, 8)
    assert (w.highest, w.check(4, 8), w.check(5, 8), w.check(6, 8)) == (12, "behind", "replayed", "fresh")
    assert w.seen < 1 << 8  # memory stays bounded by the window


# -- the service --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def population():
    scenario = load_scenario("national-day", scale=0.001, seed=5)
    return Population.build(scenario, RandomStreams(scenario.seed))


@pytest.fixture
def world(population):
    tokens = TokenService(population, key_ttl_s=1_000.0)
    card = int(population.enrolled_cards[0])
    wallet = Wallet.enrol(population, tokens, card, AID)
    wallet.keys.add(tokens.issue_keys(wallet.token_pan, 10, 0.0))  # keys 1-20
    service = CardAuthentication(tokens, SecuritySpec(max_atc_jump=5, replay_window=8))
    return tokens, wallet, service


def request_from(process, amount=1_000, un=UN, token_pan=None):
    out = ContactlessKernel().perform(SimulatedNfcLink(process, lambda: 0.01), amount, "250701", un)
    assert out.outcome == "online", out.reason
    return {"2": token_pan or out.token_pan, "4": f"{amount:012d}", "22": "071", "49": "417", "55": out.icc_data}


def authenticate(world, request, now=10.0):
    tokens, wallet, service = world
    return service.authenticate(tokens.detokenise(wallet.token_pan), request, now)


def test_a_genuine_tap_passes_and_the_arpc_verifies_on_the_card_side(world):
    tokens, wallet, service = world
    request = request_from(wallet.at_reader().process)
    result = authenticate(world, request)
    assert result.decline is None and result.verified
    de55 = tlv.flatten(tlv.decode(request["55"]))
    # The phone's own code path: LUK 1 of the token, session key of ATC 1, ARPC method 2.
    icc_mk = derive_icc_master_key(tokens.issuer_master_key(wallet.token_pan[:6]), wallet.token_pan, 0)
    sk = derive_session_key(derive_limited_use_key(icc_mk, 1), 1)
    for approved, csu in ((True, "00820000"), (False, "00000000")):
        (tag91,) = tlv.decode(service.issuer_authentication_data(result, approved))
        assert tag91.tag == 0x91 and tag91.value[4:].hex().upper() == csu
        assert tag91.value[:4] == arpc_method_2(sk, de55[0x9F26], bytes.fromhex(csu))


def test_a_cryptogram_presented_twice_is_declined_and_changes_nothing(world):
    tokens, wallet, service = world
    first = request_from(wallet.at_reader().process)
    assert authenticate(world, first).decline is None
    assert authenticate(world, first).decline is R.ATC_REPLAYED
    assert authenticate(world, request_from(wallet.at_reader().process)).decline is None  # the phone pays on


def test_atc_window_backwards_and_jumps(world):
    _, wallet, _ = world
    requests = [request_from(wallet.at_reader().process) for _ in range(15)]  # ATC 1..15
    verdict = lambda i: authenticate(world, requests[i - 1]).decline  # noqa: E731  (by ATC)
    assert [verdict(a) for a in range(1, 6)] == [None] * 5
    assert verdict(12) is R.ATC_JUMP  # 7 ahead of 5, the window allows 5
    assert verdict(10) is None  # exactly 5 ahead
    assert verdict(7) is None  # behind but inside the memory, never seen: a late arrival
    assert verdict(7) is R.ATC_REPLAYED
    assert [verdict(a) for a in range(11, 16)] == [None] * 5
    assert verdict(6) is R.ATC_BEHIND  # 9 behind 15: older than the 8-value memory
    assert verdict(8) is None and verdict(9) is None  # still inside it


def test_a_cryptogram_for_another_terminal_or_amount_does_not_verify(world):
    _, wallet, _ = world
    request = request_from(wallet.at_reader().process)
    other_un = request["55"].replace(UN, bytes.fromhex("CAFEBABF"))
    assert authenticate(world, {**request, "55": other_un}).decline is R.ARQC
    more = request["55"].replace(bytes.fromhex("9F0206000000001000"), bytes.fromhex("9F0206000000009000"))
    assert authenticate(world, {**request, "4": "000000009000", "55": more}).decline is R.ARQC
    assert authenticate(world, {**request, "4": "000000009000"}).decline is R.ICC_DATA_MISMATCH
    assert authenticate(world, {**request, "49": "840"}).decline is R.ICC_DATA_MISMATCH
    assert authenticate(world, request).decline is None  # the failures left no trace


def _applet_like(wallet, **changes):
    a = wallet.applet
    options = dict(aid=a.aid, kernel=a.kernel, cryptogram_version=a.cryptogram_version, device_id=a.device_id, atc=a.atc)
    options.update(changes)
    return PaymentApplet(a.credential, **options)


def test_key_checks(world):
    tokens, wallet, _ = world
    expired = request_from(wallet.at_reader().process)  # ATC 1, key 1, issued at 0 with a 1000 s life
    assert authenticate(world, expired, now=1_000.0).decline is R.KEY_EXPIRED
    assert authenticate(world, expired, now=999.0).decline is None
    derive = lambda i: tokens._limited_use_key(wallet.token_pan, i)  # noqa: E731  (what the TSP would send)
    unknown = _applet_like(wallet, keys=KeyStore([LimitedUseKey(500, 1e9, derive)]))
    assert authenticate(world, request_from(unknown.process)).decline is R.KEY_UNKNOWN  # ATC 2
    twice = _applet_like(wallet, atc=2, keys=KeyStore([LimitedUseKey(3, 1e9, derive), LimitedUseKey(3, 1e9, derive)]))
    assert authenticate(world, request_from(twice.process)).decline is None  # ATC 3, key 3
    assert authenticate(world, request_from(twice.process)).decline is R.KEY_REUSED  # ATC 4, key 3 again
    static = _applet_like(wallet, atc=9, keys=None)  # a phone without keys: GPO refused, nothing to send
    out = ContactlessKernel().perform(SimulatedNfcLink(static.process, lambda: 0.01), 1_000, "250701", UN)
    assert out.check == "limited_use_keys"


def test_cryptogram_version_and_device(world):
    _, wallet, _ = world
    other_version = _applet_like(wallet, cryptogram_version=0x2B, keys=wallet.keys.copy())
    assert authenticate(world, request_from(other_version.process)).decline is R.CRYPTOGRAM_VERSION
    clone = _applet_like(wallet, device_id=wallet.device_id ^ 1, keys=wallet.keys.copy())
    assert authenticate(world, request_from(clone.process)).decline is R.DOMAIN_DEVICE
    assert authenticate(world, request_from(wallet.at_reader().process)).decline is None  # the clone's ATC left no trace


@pytest.mark.parametrize(
    "mutate",
    [
        lambda de55: de55 + bytes.fromhex("DF010100"),  # a tag the host spec does not allow
        lambda de55: de55[:-1],  # truncated
        lambda de55: b"".join(t.to_bytes() for t in tlv.decode(de55) if t.tag != 0x9F37),  # no UN
        lambda de55: b"".join(t.to_bytes() for t in tlv.decode(de55) if t.tag != 0x9F10) + bytes.fromhex("9F10020102"),  # IAD
        lambda de55: b"",
    ],
)
def test_malformed_chip_data(world, mutate):
    _, wallet, _ = world
    request = request_from(wallet.at_reader().process)
    assert authenticate(world, {**request, "55": mutate(request["55"])}).decline is R.ICC_DATA_MALFORMED


def test_a_cryptogram_under_the_static_master_key_is_not_accepted(world):
    import dataclasses

    tokens, wallet, _ = world
    icc_mk = derive_icc_master_key(tokens.issuer_master_key(wallet.token_pan[:6]), wallet.token_pan, 0)
    static = PaymentApplet(dataclasses.replace(wallet.applet.credential, icc_master_key=icc_mk), device_id=wallet.device_id)
    assert authenticate(world, request_from(static.process)).decline is R.KEY_UNKNOWN
