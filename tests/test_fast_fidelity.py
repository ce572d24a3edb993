"""The fast fidelity's card side: the dialogue over a link of APDU objects makes the same state
changes and draws as over APDU bytes (and encodes, derives and MACs nothing), card
authentication of a cryptogram nothing computed gives the verdicts of the cryptography, and
whole runs give identical tables in both fidelities where those paths are exercised (fraud,
M/Chip, phones out of keys, CDCVM both ways, token lifecycle, relay timing)."""

from __future__ import annotations

import contextlib
import itertools

import pandas as pd
import pytest
import simpy

from elcart_sim import Simulation, load_scenario, run
from elcart_sim.acceptance import ContactlessKernel, SimulatedNfcLink, TerminalConfig
from elcart_sim.core.streams import Distribution, RandomStreams, Sampler
from elcart_sim.protocol.emv import apdu_format, cryptogram, tlv
from elcart_sim.protocol.emv.apdu_format import APDU_BYTES, APDU_OBJECTS
from elcart_sim.protocol.emv.cryptogram import ApplicationCryptogram, IssuerAuthentication
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason as R
from elcart_sim.scenario import ATTACK_KINDS, SecuritySpec
from elcart_sim.tokens.card_authentication import CardAuthentication
from elcart_sim.tokens.keys import LimitedUseKey
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.wallet.applet import PaymentApplet
from elcart_sim.wallet.keys import KeyStore
from elcart_sim.wallet.wallet import PhoneAtReader, PhoneWithoutToken, Wallet, WalletProfile, WalletServices
from elcart_sim.world.population import Population

AID = bytes.fromhex("F0000004171010")
UN = bytes.fromhex("CAFEBABE")
TABLES = ("transactions", "hops", "postings", "receipts", "token_events")


@pytest.fixture(scope="module")
def population():
    scenario = load_scenario("national-day", scale=0.001, seed=5)
    return Population.build(scenario, RandomStreams(scenario.seed))


# -- the card dialogue: objects against bytes, on twin phones -----------------------------------------


def _byte_link(phone, latency):
    return SimulatedNfcLink(phone.process, latency)


def _object_link(phone, latency):
    return SimulatedNfcLink.to(phone, latency, APDU_OBJECTS)


@contextlib.contextmanager
def nothing_encoded(monkeypatch):
    """Inside, no answer and no DE55 is encoded to BER-TLV or decoded from it, and no key is
    derived and nothing MACed: any such call fails."""

    def forbidden(name):
        def call(*args, **kwargs):
            raise AssertionError(f"{name} called by the dialogue of objects")

        return call

    with monkeypatch.context() as m:
        m.setattr(tlv, "encode", forbidden("tlv.encode"))
        m.setattr(apdu_format, "encode", forbidden("tlv.encode (DE55)"))
        m.setattr(tlv, "_decode", forbidden("tlv decode"))
        for name in ("derive_session_key", "derive_limited_use_key", "generate_arqc"):
            m.setattr(cryptogram, name, forbidden(name))
        yield


class Twin:
    """One side of a twin: its own clock, token service and wallet for the same card."""

    def __init__(self, population, card, kernel="qvsdc", cdcvm_required=True, online=True, keys_left=None):
        self.env = simpy.Environment()
        self.tokens = TokenService(population, key_ttl_s=50.0)
        services = WalletServices(self.env, self.tokens, Sampler(None, Distribution("constant", 2.0)), 4, 1)
        profile = WalletProfile(AID, kernel, cdcvm_required=cdcvm_required)
        self.wallet = Wallet.enrol(
            population, self.tokens, card, AID, profile=profile, services=services, online=online, keys_left=keys_left
        )

    def state(self):
        w = self.wallet
        return w.applet.atc, w.keys.key_indexes(), w.replenishing, self.tokens.detokenise(w.token_pan).key_batches


def _latencies():
    return itertools.cycle([0.01, 0.02, 0.03, 0.015, 0.2, 0.011, 0.02]).__next__  # 7: over the relay limit in turn


def assert_same_outcome(byte, obj, same_keys=True):
    assert [(x.name, x.sw, x.duration_s) for x in byte.exchanges] == [(x.name, x.sw, x.duration_s) for x in obj.exchanges]
    assert [x.command for x in byte.exchanges] == [x.command.to_bytes() for x in obj.exchanges]
    fields = ("nfc_s", "outcome", "reason", "check", "token_pan", "expiry", "psn", "par", "atc", "cdcvm_performed")
    assert [getattr(byte, f) for f in fields] == [getattr(obj, f) for f in fields]
    assert byte.track2 == (None if obj.track2 is None else bytes(obj.track2))  # tag 57: bytes, or its parts
    assert isinstance(byte.icc_data, bytes) and isinstance(obj.icc_data, dict if obj.outcome == "online" else bytes)
    if obj.outcome == "online" and same_keys:  # encoded, the objects are the bytes: DE55 byte for byte, real ARQC
        assert APDU_BYTES.encode_icc_data(obj.icc_data) == byte.icc_data


@pytest.mark.parametrize("kernel", ["qvsdc", "mchip"])
@pytest.mark.parametrize(
    ("wallet_options", "require_cdcvm"),
    [
        ({}, True),  # online phone: keys spent, replenished after a round trip
        ({"online": False, "keys_left": 3}, True),  # offline phone: runs out of keys (6984)
        ({"cdcvm_required": False}, True),  # the phone pays locked, the terminal refuses (card data)
        ({"cdcvm_required": False}, False),  # nobody asks
    ],
)
def test_the_object_dialogue_makes_the_same_state_changes_and_draws_as_the_apdus(
    population, monkeypatch, kernel, wallet_options, require_cdcvm
):
    card = int(population.enrolled_cards[0])
    byte, obj = Twin(population, card, kernel, **wallet_options), Twin(population, card, kernel, **wallet_options)
    config = TerminalConfig(max_cryptogram_rtt_s=0.1, require_cdcvm=require_cdcvm)
    byte_kernel, object_kernel = ContactlessKernel(config), ContactlessKernel(config)
    byte_latency, object_latency = _latencies(), _latencies()
    checks = set()
    for tap in range(14):
        unlocked = tap % 5 != 3
        a = byte_kernel.perform(_byte_link(byte.wallet.at_reader(unlocked), byte_latency), 1_000 + tap, "250701", UN)
        with nothing_encoded(monkeypatch):
            b = object_kernel.perform(_object_link(obj.wallet.at_reader(unlocked), object_latency), 1_000 + tap, "250701", UN)
        assert_same_outcome(a, b)
        assert byte.state() == obj.state()
        checks.add(a.check)
        for twin in (byte, obj):
            twin.env.run(until=twin.env.now + 1.0 + tap % 3)  # replenishments land between some taps
    assert ("device_cvm" in checks) is (require_cdcvm or wallet_options.get("cdcvm_required", True))
    assert ("limited_use_keys" in checks) is ("keys_left" in wallet_options)
    assert "relay_timing" in checks or "keys_left" in wallet_options


def test_a_phone_without_token_and_an_exhausted_counter_end_the_same_way(population):
    kernel = ContactlessKernel()
    phone = PhoneWithoutToken(0, 1, 1)
    a = kernel.perform(_byte_link(phone.at_reader(), lambda: 0.02), 100, "250701", UN)
    b = kernel.perform(_object_link(phone.at_reader(), lambda: 0.02), 100, "250701", UN)
    assert_same_outcome(a, b)
    assert b.reason == "SELECT PPSE: card answered SW 6A82 (file or application not found)" and len(b.exchanges) == 1
    tokens = TokenService(population)
    wallet = Wallet.enrol(population, tokens, int(population.enrolled_cards[1]), AID)
    outcomes = []
    for link in (_byte_link, _object_link):
        applet = PaymentApplet(wallet.applet.credential, atc=0xFFFF, keys=wallet.keys.copy(), device_id=wallet.device_id)
        outcomes.append(kernel.perform(link(PhoneAtReader(applet), lambda: 0.02), 100, "250701", UN))
    assert_same_outcome(*outcomes)
    assert outcomes[1].reason.startswith("GPO: card answered SW 6985") and outcomes[1].check == ""


def test_other_links_carry_bytes_and_real_cryptograms_in_the_fast_fidelity():
    sim = Simulation(load_scenario("national-day", seed=99, scale=0.001).with_overrides({"fidelity": "fast"}))
    card = next(int(c) for c in sim.population.enrolled_cards if sim.population.opening_balance_tyiyn[c] > 10_000)
    result = sim.tap(card, 0, 1_000, link=SimulatedNfcLink(sim.wallet(card).at_reader().process, lambda: 0.02))
    assert result.outcome == "approved" and isinstance(result.request["55"], bytes)
    assert isinstance(result.kernel.icc_data, bytes) and result.kernel.exchanges[0].command == bytes.fromhex("00A404000E325041592E5359532E444446303100")
    (tag91,) = tlv.decode(result.response["55"])  # verified with the real cryptography, answered with a real ARPC
    assert tag91.tag == 0x91 and len(tag91.value) == 8


# -- card authentication: the verdict of an object is the verdict of the cryptography -------------------


@pytest.fixture
def twins(population):
    """(bytes world, objects world): token service, wallet, card authentication; keys 1-20."""
    worlds = []
    for objects in (False, True):
        tokens = TokenService(population, key_ttl_s=1_000.0)
        wallet = Wallet.enrol(population, tokens, int(population.enrolled_cards[0]), AID)
        other = Wallet.enrol(population, tokens, int(population.enrolled_cards[1]), AID)  # another token
        wallet.keys.add(tokens.issue_key_batch(wallet.token_pan, 10, 0.0))
        service = CardAuthentication(tokens, SecuritySpec(max_atc_jump=5, replay_window=8))
        worlds.append((tokens, wallet, other, service, APDU_OBJECTS if objects else APDU_BYTES))
    return worlds


def _request(world, card=None, amount=1_000, un=UN):
    tokens, wallet, _, _, apdu_format = world
    card = card or PhoneAtReader(wallet.applet)
    out = ContactlessKernel().perform(SimulatedNfcLink.to(card, lambda: 0.01, apdu_format), amount, "250701", un)
    assert out.outcome == "online", out.reason
    return {"2": out.token_pan, "4": f"{amount:012d}", "22": "071", "49": "417", "55": out.icc_data}


def _verdict(world, request, now=10.0):
    tokens, wallet, _, service, _ = world
    return service.authenticate(tokens.detokenise(wallet.token_pan), request, now).decline


def _other_un(request):
    chip = request["55"]
    if isinstance(chip, bytes):
        return {**request, "55": chip.replace(UN, bytes.fromhex("CAFEBABF"))}
    return {**request, "55": {**chip, 0x9F37: bytes.fromhex("CAFEBABF")}}


def _other_amount(request):
    chip = request["55"]
    if isinstance(chip, bytes):
        chip = chip.replace(bytes.fromhex("9F0206000000001000"), bytes.fromhex("9F0206000000009000"))
    else:
        chip = {**chip, 0x9F02: bytes.fromhex("000000009000")}
    return {**request, "4": "000000009000", "55": chip}


def _applet_like(world, **changes):
    _, wallet, _, _, _ = world
    a = wallet.applet
    options = dict(aid=a.aid, kernel=a.kernel, cryptogram_version=a.cryptogram_version, device_id=a.device_id, atc=a.atc)
    options.update(changes)
    return PhoneAtReader(PaymentApplet(a.credential, **options))


def _script(world):
    """The attacks and mistakes of test_card_authentication, as one sequence of verdicts."""
    tokens, wallet, other, _, _ = world
    verdicts = []
    first = _request(world)  # ATC 1, key 1
    verdicts += [_verdict(world, first, now=1_000.0), _verdict(world, first), _verdict(world, first)]  # expired, ok, replayed
    request = _request(world)
    verdicts += [_verdict(world, _other_un(request)), _verdict(world, _other_amount(request))]
    verdicts += [_verdict(world, {**request, "4": "000000009000"}), _verdict(world, {**request, "49": "840"})]
    verdicts.append(_verdict(world, request))
    derive = lambda i: tokens.limited_use_key(wallet.token_pan, i)  # noqa: E731
    unknown = _applet_like(world, keys=KeyStore([LimitedUseKey(500, 1e9, derive, token_pan=wallet.token_pan)]))
    verdicts.append(_verdict(world, _request(world, unknown)))
    twice = [LimitedUseKey(3, 1e9, derive, token_pan=wallet.token_pan) for _ in range(2)]
    reused = _applet_like(world, atc=4, keys=KeyStore(twice))
    verdicts += [_verdict(world, _request(world, reused)), _verdict(world, _request(world, reused))]
    stolen = lambda i: tokens.limited_use_key(other.token_pan, i)  # noqa: E731  (another token's key 11)
    foreign = _applet_like(world, atc=7, keys=KeyStore([LimitedUseKey(11, 1e9, stolen, token_pan=other.token_pan)]))
    verdicts.append(_verdict(world, _request(world, foreign)))
    other_version = _applet_like(world, atc=8, cryptogram_version=0x2B, keys=wallet.keys.copy())
    verdicts.append(_verdict(world, _request(world, other_version)))
    clone = _applet_like(world, atc=8, device_id=wallet.device_id ^ 1, keys=wallet.keys.copy())
    verdicts.append(_verdict(world, _request(world, clone)))
    ahead = [_request(world) for _ in range(12)]  # ATC 3..14 and keys 3..14 of the phone itself
    verdicts += [_verdict(world, r) for r in (ahead[11], ahead[3], ahead[0], ahead[0], ahead[9])]
    return verdicts


def test_object_chip_data_gets_the_verdicts_of_the_cryptography(twins):
    by_bytes, by_objects = _script(twins[0]), _script(twins[1])
    assert by_bytes == by_objects
    assert by_bytes[:5] == [R.KEY_EXPIRED, None, R.ATC_REPLAYED, R.ARQC, R.ARQC]
    assert by_bytes[5:9] == [R.ICC_DATA_MISMATCH, R.ICC_DATA_MISMATCH, None, R.KEY_UNKNOWN]
    assert by_bytes[9:15] == [None, R.KEY_REUSED, R.ARQC, R.CRYPTOGRAM_VERSION, R.DOMAIN_DEVICE, R.ATC_JUMP]
    assert set(by_bytes) >= {None, R.ATC_REPLAYED, R.ATC_JUMP}


def test_the_answer_to_object_chip_data_is_an_arpc_nothing_computed(twins, monkeypatch):
    world = twins[1]
    tokens, wallet, _, service, _ = world
    request = _request(world)
    assert isinstance(request["55"][0x9F26], ApplicationCryptogram)
    with nothing_encoded(monkeypatch):
        authentication = service.authenticate(tokens.detokenise(wallet.token_pan), request, 10.0)
        assert authentication.decline is None and authentication.verified
        answers = {approved: service.issuer_authentication_data(authentication, approved) for approved in (True, False)}
    for answer in answers.values():
        assert list(answer) == [0x91] and isinstance(answer[0x91], IssuerAuthentication)
        assert answer[0x91].cryptogram is request["55"][0x9F26]
    byte_request = _request(twins[0])  # bytes still get the real ARPC, whatever the world
    tokens0, wallet0, _, service0, _ = twins[0]
    verdict = service0.authenticate(tokens0.detokenise(wallet0.token_pan), byte_request, 10.0)
    for approved, answer in answers.items():
        (tag91,) = tlv.decode(service0.issuer_authentication_data(verdict, approved))
        assert tag91.tag == 0x91 and len(tag91.value) == 8
        assert APDU_BYTES.encode_icc_data(answer) == tag91.to_bytes()  # encoded, the object is that ARPC


# -- whole runs -----------------------------------------------------------------------------------------


def test_a_fast_tap_carries_objects_and_a_wire_tap_bytes():
    scenario = load_scenario("national-day", seed=99, scale=0.001)
    for fidelity, kind in (("wire", bytes), ("fast", dict)):
        sim = Simulation(scenario.with_overrides({"fidelity": fidelity}))
        card = next(int(c) for c in sim.population.enrolled_cards if sim.population.opening_balance_tyiyn[c] > 10_000)
        result = sim.tap(card, 0, 1_000)
        assert isinstance(result.request["55"], kind), fidelity
        assert result.outcome == "approved" or result.response is not None


def test_a_fast_run_that_records_apdus_records_the_apdus_of_a_wire_run():
    scenario = load_scenario("national-day", seed=99, scale=0.001)
    apdus = {}
    for fidelity in ("wire", "fast"):
        sim = Simulation(scenario.with_overrides({"fidelity": fidelity}), record_apdus=True)
        cards = [int(c) for c in sim.population.enrolled_cards[:5]]
        for card in cards:
            sim.tap(card, 0, 1_000)
        apdus[fidelity] = sim.results().apdus
    assert len(apdus["wire"]) >= 5 * 4 and (apdus["wire"].command_length > 0).all()
    pd.testing.assert_frame_equal(apdus["wire"], apdus["fast"], check_exact=True)


VARIANTS = {  # name: (overrides, checks that must have stopped some taps)
    "fraud": ({"fraud.attempts": {kind: 3 for kind in ATTACK_KINDS}}, {"atc_replay", "arqc", "device_cvm", "token_domain"}),
    "mchip, phones out of keys, lifecycle, no CDCVM": (
        {
            "security.kernel": "mchip",
            "security.require_cdcvm": False,
            "security.keys.offline_share": 0.6,
            "security.keys.ttl_s": 7_200.0,
            "security.lifecycle.suspension_share": 0.05,
            "security.lifecycle.phone_replacement_share": 0.08,
            "security.provisioning.idv_failure_share": 0.5,
            "demand.channels": {"contactless": 1.0},  # every card transaction a phone's: the tokens' lifecycle shows
        },
        {"limited_use_keys", "token_status"},
    ),
    "relay limit, mchip fraud": (
        {
            "security.max_cryptogram_rtt_s": 0.02,
            "security.kernel": "mchip",
            "fraud.attempts": {"relay": 3, "stolen_locked_phone": 2, "cloned_device": 2, "replayed_card_answers": 2},
        },
        {"relay_timing", "arqc", "device_cvm"},
    ),
}


@pytest.mark.parametrize(("overrides", "checks"), VARIANTS.values(), ids=VARIANTS.keys())
def test_wire_and_fast_give_identical_tables_where_the_card_side_differs(overrides, checks):
    scenario = load_scenario("national-day", scale=0.002, seed=21).with_overrides(overrides)
    wire = run(scenario)
    fast = run(scenario.with_overrides({"fidelity": "fast"}))
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(wire, name), getattr(fast, name), check_exact=True)
    tx = wire.transactions
    assert len(tx) > 300 and checks <= set(tx.stopped_by.astype(str))
    if overrides.get("security.provisioning.idv_failure_share"):
        assert tx.reason.astype(str).str.startswith("SELECT PPSE: card answered SW 6A82").any()  # phones without a token


def test_an_aid_the_phone_does_not_offer_ends_the_same_way(population):
    tokens = TokenService(population)
    wallet = Wallet.enrol(population, tokens, int(population.enrolled_cards[3]), AID)
    config = TerminalConfig(aid=bytes.fromhex("F0000004179999"))
    a = ContactlessKernel(config).perform(_byte_link(wallet.at_reader(), lambda: 0.02), 100, "250701", UN)
    b = ContactlessKernel(config).perform(_object_link(wallet.at_reader(), lambda: 0.02), 100, "250701", UN)
    assert_same_outcome(a, b)
    assert b.reason == "SELECT PPSE: AID F0000004179999 not offered (F0000004171010)"
