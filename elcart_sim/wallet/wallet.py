"""ELKART Pay on a cardholder's phone: the wallet that holds a token and answers the terminal.

A cardholder who passed identity and verification in ELKART Mobile links an ELKART card; the
token service tokenizes it for this phone (bound to the device id its platform attests) and
sends a batch of limited-use keys; contactless payment is switched on. From then on the phone,
unlocked and held to a contactless POS terminal, answers the terminal's APDUs through Android's
host card emulation with the payment applet, spending one key per tap. When few keys are left
the app fetches more over the internet (one SimPy process per replenishment, only when the
batch runs low); a phone that stays offline spends its batch and then cannot pay (its applet
answers GPO with 6984). Only Android 6.0.1 or newer with NFC can do this. The wallet never holds
the card number, only the token.

Held to a reader the phone is :meth:`Wallet.at_reader`: its applet, unlocked or not for the tap,
answering command APDUs as objects or as bytes (``apdu_format.ApduCard``); the model puts it on a
link. A wallet is kept small (a national day enrols hundreds of thousands): slots, its keys as
runs of indexes, and no answer of its applet kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from dataclasses import dataclass

import simpy

from elcart_sim.core.errors import ConfigurationError, ElcartSimError
from elcart_sim.core.redact import mask_pan
from elcart_sim.core.streams import Sampler
from elcart_sim.protocol.emv import apdu
from elcart_sim.protocol.emv.apdu import CommandApdu, ResponseApdu
from elcart_sim.protocol.emv.apdu_format import ApduCard
from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.tokens.identity import IdvResult
from elcart_sim.tokens.keys import LimitedUseKey
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.wallet.answers import DEFAULT_CRYPTOGRAM_VERSION
from elcart_sim.wallet.applet import PaymentApplet
from elcart_sim.wallet.keys import KeyStore
from elcart_sim.world.population import MIN_ELKART_PAY_ANDROID, Population

__all__ = [
    "Wallet",
    "WalletProfile",
    "WalletServices",
    "PhoneWithoutToken",
    "PhoneAtReader",
    "EnrolmentRefused",
    "attested_device_id",
    "offline_phones",
]

_DEFAULT_BATCH = 10


class EnrolmentRefused(ElcartSimError):
    """The phone cannot run ELKART Pay (no NFC, or Android older than 6.0.1)."""


def attested_device_id(label: str) -> int:
    """The 4-byte device id a phone's platform attests (Android key attestation, in our model a
    fixed function of the phone): ``label`` names the phone, e.g. 'card 17 phone 0'."""
    return int.from_bytes(hashlib.blake2b(f"device/{label}".encode(), digest_size=4).digest(), "big")


@dataclass(frozen=True, slots=True)
class WalletProfile:
    """The card profile every ELKART Pay applet is personalised with (scenario `security`)."""

    aid: bytes = bytes.fromhex("F0000004171010")
    kernel: str = "qvsdc"
    cryptogram_version: int = DEFAULT_CRYPTOGRAM_VERSION
    cdcvm_required: bool = True


@dataclass(slots=True)
class WalletServices:
    """What every wallet of a run shares: the clock, the token service, the replenishment policy."""

    env: simpy.Environment
    token_service: TokenService
    replenishment_s: Sampler  # one internet round trip to the token service for new keys
    batch_size: int = _DEFAULT_BATCH
    replenish_threshold: int = 3


class Wallet:
    """ELKART Pay on one phone: a token, its limited-use keys, the HCE applet.

    The wallet is the applet's key source: the applet asks it whether a key is usable (expired
    keys are dropped first) and takes one per cryptogram; taking a key may start a replenishment."""

    __slots__ = ("card", "token_pan", "phone", "keys", "services", "online", "replenishing", "applet")

    def __init__(
        self,
        card: int,
        credential: TokenCredential,
        *,
        device_id: int,
        keys: KeyStore,
        profile: WalletProfile = WalletProfile(),
        services: WalletServices | None = None,
        online: bool = True,
        phone: int = 0,
    ):
        self.card = card  # index of the funding card in the population; the wallet never sees its PAN
        self.token_pan = credential.token_pan
        self.phone = phone  # which of its holder's phones (0 = the first)
        self.keys = keys
        self.services = services
        self.online = online
        self.replenishing = False
        self.applet = PaymentApplet(
            credential,
            aid=profile.aid,
            kernel=profile.kernel,
            cryptogram_version=profile.cryptogram_version,
            cdcvm_required=profile.cdcvm_required,
            keys=self,
            device_id=device_id,
        )

    @classmethod
    def enrol(
        cls,
        population: Population,
        token_service: TokenService,
        card: int,
        aid: bytes,
        *,
        profile: WalletProfile | None = None,
        services: WalletServices | None = None,
        phone: int = 0,
        idv: IdvResult | None = None,
        at: float = 0.0,
        online: bool = True,
        keys_left: int | None = None,
        keys_issued_at: float | None = None,
        before_the_day: bool = False,
    ) -> Wallet:
        """Link and tokenize `card` on its holder's phone number ``phone`` (0 = the first) and load
        its keys: a full batch, or ``keys_left`` of one issued at ``keys_issued_at`` (a phone
        that has been offline). Refused on phones that cannot do HCE. ``idv`` defaults to an
        ID&V passed before the simulated day; ``before_the_day`` keeps the enrolment and its
        first keys out of the token events (they did not happen during the run)."""
        version = int(population.android_version[card])
        if not population.has_nfc[card]:
            raise EnrolmentRefused(f"card {card}: the holder's phone has no NFC")
        if version < MIN_ELKART_PAY_ANDROID:
            shown = "not Android" if version == 0 else f"Android {version // 10000}.{version // 100 % 100}.{version % 100}"
            raise EnrolmentRefused(f"card {card}: ELKART Pay needs Android 6.0.1 or newer with NFC, the phone runs {shown}")
        profile = profile or WalletProfile(aid=aid)
        device_id = attested_device_id(f"card {card} phone {phone}")
        record = not before_the_day
        idv = idv or IdvResult.passed_before_the_day(card)
        credential = token_service.provision(card, idv, device_id=device_id, at=at, record=record)
        batch = services.batch_size if services is not None else _DEFAULT_BATCH
        count = batch if keys_left is None else keys_left
        keys = KeyStore(token_service.issue_key_batch(credential.token_pan, count, at, issued_at=keys_issued_at, record=record))
        return cls(card, credential, device_id=device_id, keys=keys, profile=profile, services=services, online=online, phone=phone)

    @property
    def device_id(self) -> int:
        """The id the phone's platform attests (kept once, by the applet that writes it into the IAD)."""
        return self.applet.device_id

    @property
    def token_masked(self) -> str:
        """The token as records show it (computed when asked: one string less per wallet)."""
        return mask_pan(self.token_pan)

    # -- the applet's key source ----------------------------------------------------------------

    def has_key(self) -> bool:
        if self.services is not None:
            self.keys.discard_expired(self.services.env.now)
            self._replenish_if_low()
        return self.keys.has_key()

    def take_key(self) -> LimitedUseKey | None:
        key = self.keys.take_key()
        self._replenish_if_low()
        return key

    def _replenish_if_low(self) -> None:
        s = self.services
        if s is not None and self.online and not self.replenishing and len(self.keys) <= s.replenish_threshold:
            self.replenishing = True
            s.env.process(self.replenish_keys())

    def replenish_keys(self) -> Generator[simpy.Event, object, None]:
        """SimPy process: fetch keys up to a full batch from the token service over the internet."""
        s = self.services
        if s is None:
            raise ConfigurationError(f"wallet of card {self.card}: replenishing keys needs WalletServices, it has none")
        yield s.env.timeout(s.replenishment_s())
        self.keys.discard_expired(s.env.now)
        missing = s.batch_size - len(self.keys)
        if missing > 0:
            self.keys.add(s.token_service.issue_key_batch(self.token_pan, missing, s.env.now))
        self.replenishing = False

    # -- the phone at the reader ------------------------------------------------------------------

    def at_reader(self, unlocked: bool = True) -> PaymentApplet | PhoneAtReader:
        """The phone held to a reader, answering command APDUs. ``unlocked`` is whether its user
        verified themselves for this tap (consumer device CVM); a locked phone's applet refuses
        to pay. Unlocked, the phone is its applet as its owner leaves it (CDCVM performed)."""
        return self.applet if unlocked else PhoneAtReader(self.applet, False)


class PhoneAtReader(ApduCard):
    """One tap of a wallet's phone: its applet answering with the phone unlocked or not for the
    tap, and unlocked again after each command, as its owner leaves it."""

    __slots__ = ("applet", "unlocked")

    def __init__(self, applet: PaymentApplet, unlocked: bool = True):
        self.applet = applet
        self.unlocked = unlocked

    def handle(self, command: CommandApdu) -> ResponseApdu:
        applet = self.applet
        applet.cdcvm_performed = self.unlocked
        try:
            return applet.handle(command)
        finally:
            applet.cdcvm_performed = True


def offline_phones(enrolled_cards, share: float, batch_size: int, ttl_s: float, streams) -> dict[int, tuple[int, float]]:
    """The enrolled cards whose phones stay offline all day, drawn once per run (stream
    'wallet.offline'): card -> (keys left in the wallet, when that batch was issued — up to
    ``ttl_s`` before the day, so some keys expire during it)."""
    if share <= 0 or not len(enrolled_cards):
        return {}
    rng = streams.generator("wallet.offline")
    offline = enrolled_cards[rng.random(len(enrolled_cards)) < share]
    keys_left = rng.integers(0, batch_size + 1, len(offline))
    issued_at = -rng.uniform(0.0, ttl_s, len(offline))
    return {int(c): (int(k), float(t)) for c, k, t in zip(offline, keys_left, issued_at, strict=True)}


class PhoneWithoutToken:
    """A cardholder's phone on which ELKART Pay holds no token (ID&V pending or failed after a
    phone change): Android finds no payment service for the PPSE and answers 6A82."""

    applet = None
    token_pan = None

    def __init__(self, card: int, device_id: int, phone: int):
        self.card = card
        self.device_id = device_id
        self.phone = phone
        self.token_masked = ""

    def at_reader(self, unlocked: bool = True) -> _NoPaymentService:
        return _NO_PAYMENT_SERVICE


class _NoPaymentService(ApduCard):
    """What Android answers for a phone without ELKART Pay: no payment service is registered for
    the PPSE or any AID (6A82), and no other command reaches one (6D00)."""

    __slots__ = ()

    def handle(self, command: CommandApdu) -> ResponseApdu:
        return _NOT_FOUND if command.ins == 0xA4 else _NO_SERVICE


_NOT_FOUND = ResponseApdu((), apdu.SW_FILE_NOT_FOUND)
_NO_SERVICE = ResponseApdu((), apdu.SW_INS_NOT_SUPPORTED)
_NO_PAYMENT_SERVICE = _NoPaymentService()
