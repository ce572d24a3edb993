"""The token service: IPC acting as token service provider (TSP) for ELKART Pay.

Physical picture: when a cardholder who passed identity and verification (ID&V: remote
identification in ELKART Mobile, the issuer confirming the card is theirs) links an ELKART card
on a phone, the TSP issues a token for that card on that phone — a 16-digit number from its
issuer's token BIN range, kept apart from the card ranges as EMVCo's tokenisation framework
requires — plus a Payment Account Reference (PAR, EMV tag 9F24) that ties every token of the card,
on every device, to the funding account. It then keeps the phone supplied with limited-use keys
(``phone/keys.py``). The vault maps each token back to its card; the switch asks it on every
authorisation (detokenisation) and applies its rules:

  - status: a suspended token is declined 62, a deleted one 14 (lifecycle: suspend, resume,
    delete — a lost or replaced phone, a card under review);
  - domain: a token is good only for a contactless tap at a POS (DE22 07x) from the device it
    was issued to (the device id the phone's platform attests, inside the MAC-covered IAD);
    anything else is declined 57.

One token per card per device: a second request for the same pair is refused. A card's n-th
token (n = 0, 1, …) is a keyed permutation of (card account, n), so a token is the same whenever
it is provisioned in a run, whatever the order; nothing is built for cards that never enrol.
Keys here are test keys derived from a fixed label: never real key material. Every lifecycle
step and key issue is one row of the ``token_events`` table when the service is given one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from elcart_sim.core.errors import TokenServiceError
from elcart_sim.core.records import Table
from elcart_sim.core.redact import mask_pan
from elcart_sim.protocol.emv.cryptogram import derive_icc_master_key, derive_limited_use_key
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason
from elcart_sim.protocol.luhn import luhn_check_digit
from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.tokens.identity import IdvResult
from elcart_sim.tokens.keys import KeyBatch, LimitedUseKey
from elcart_sim.world.population import Population

__all__ = ["TokenService", "TokenRecord", "CONTACTLESS_POS_ENTRY_MODE"]

CONTACTLESS_POS_ENTRY_MODE = "07"  # DE22 positions 1-2: contactless chip (ISO 8583:1987)

_ACCOUNT_SPACE = 10**9
_MULTIPLIER = 387_420_489  # 3**18: coprime to 10**9, so x -> a·x + b is a permutation
_SEQUENCE_STRIDE = 10**8  # token n of a card: account + n·10**8 before the permutation
_MAX_TOKENS_PER_CARD = _ACCOUNT_SPACE // _SEQUENCE_STRIDE


@dataclass(slots=True)
class TokenRecord:
    """What the vault knows about one token (mutable: status and keys change over its life).

    A national day keeps hundreds of thousands, so an entry is one slotted object: the key
    batches issued are one flat tuple (``batches``: first, last, expires_at, first, …; read them
    as ``key_batches``), and the card authentication's replay memory of the token (two counter
    windows, card_authentication.py) is kept in four numbers here rather than in an object of
    its own."""

    token_pan: str
    card: int
    par: str
    device_id: int = 0
    psn: int = 0
    status: str = "active"  # active, suspended or deleted
    next_key_index: int = 1
    batches: tuple[int | float, ...] = ()  # (first, last, expires_at) of each batch, oldest first, flattened
    atc: int = 0  # card authentication: the highest ATC accepted, and bit i = highest − i seen
    atc_seen: int = 1
    key_index: int = 0  # the same for the limited-use key indexes
    key_index_seen: int = 1

    @property
    def key_batches(self) -> tuple[tuple[int, int, float], ...]:
        """(first, last, expires_at) of each key batch issued, oldest first."""
        b = self.batches
        return tuple(zip(b[0::3], b[1::3], b[2::3]))


class TokenService:
    """Provisions tokens, keeps their lifecycle and keys, and answers detokenisation requests."""

    def __init__(
        self,
        population: Population,
        key_label: str = "elcart-sim test keys",
        *,
        key_ttl_s: float = 345_600.0,
        events: Table | None = None,
    ):
        self.population = population
        self.key_ttl_s = key_ttl_s
        self._key_label = key_label
        self._events = events
        self._vault: dict[str, TokenRecord] = {}
        self._tokens_issued: dict[int, int] = {}  # card -> tokens ever issued, for cards with more than one
        self._offset = int.from_bytes(hashlib.blake2b(key_label.encode(), digest_size=8).digest(), "big") % _ACCOUNT_SPACE
        self._issuer_master_keys: dict[str, bytes] = {}
        self._icc_master_keys: dict[str, bytes] = {}
        self._derive_key = self.limited_use_key  # one bound method shared by every batch

    # -- keys ---------------------------------------------------------------------------------

    def issuer_master_key(self, token_bin: str) -> bytes:
        """The (test) issuer master key for cryptograms of tokens in `token_bin`."""
        key = self._issuer_master_keys.get(token_bin)
        if key is None:
            key = hashlib.blake2b(f"{self._key_label}/IMK-AC/{token_bin}".encode(), digest_size=16).digest()
            self._issuer_master_keys[token_bin] = key
        return key

    def limited_use_key(self, token_pan: str, key_index: int) -> bytes:
        """The bytes of key ``key_index`` of the token (what a batch would carry)."""
        icc_mk = self._icc_master_keys.get(token_pan)
        if icc_mk is None:
            record = self._vault[token_pan]
            icc_mk = derive_icc_master_key(self.issuer_master_key(token_pan[:6]), token_pan, record.psn)
            self._icc_master_keys[token_pan] = icc_mk
        return derive_limited_use_key(icc_mk, key_index)

    _limited_use_key = limited_use_key  # the name it had before batches carried it

    def issue_keys(
        self, token_pan: str, count: int, at: float, *, issued_at: float | None = None, record: bool = True
    ) -> list[LimitedUseKey]:
        """``issue_key_batch`` as a list of single keys (empty when refused)."""
        batch = self.issue_key_batch(token_pan, count, at, issued_at=issued_at, record=record)
        return [] if batch is None else batch.keys()

    def issue_key_batch(
        self, token_pan: str, count: int, at: float, *, issued_at: float | None = None, record: bool = True
    ) -> KeyBatch | None:
        """A batch of ``count`` single-use keys for an active token, expiring ``key_ttl_s`` after
        ``issued_at`` (default ``at``, the request); None for a token not active. ``record``
        False keeps it out of the token events (keys loaded before the simulated day)."""
        token = self._vault.get(token_pan)
        if token is None or token.status != "active" or count <= 0:
            if token is not None and count > 0 and record:
                self._event(at, token, "keys_refused", f"token {token.status}", 0)
            return None
        first = token.next_key_index
        last = first + count - 1
        if last > 0xFFFF:
            raise TokenServiceError(f"token {mask_pan(token_pan)}: key indexes exhausted (65535 keys issued)")
        expires_at = (at if issued_at is None else issued_at) + self.key_ttl_s
        token.next_key_index = last + 1
        token.batches += (first, last, expires_at)
        if record:
            self._event(at, token, "keys_issued", "", count)
        return KeyBatch(first, last, expires_at, token.token_pan, self._derive_key)

    def key_expiry(self, token_pan: str, key_index: int) -> float | None:
        """When key ``key_index`` of the token expires, or None if it was never issued to it."""
        record = self._vault.get(token_pan)
        if record is None:
            return None
        batches = record.batches
        for i in range(0, len(batches), 3):
            if batches[i] <= key_index <= batches[i + 1]:
                return batches[i + 2]
        return None

    # -- provisioning ---------------------------------------------------------------------------

    def token_pan_for(self, card: int, sequence: int = 0) -> str:
        """The card's ``sequence``-th token number (0 = its first)."""
        if not 0 <= sequence < _MAX_TOKENS_PER_CARD:
            raise TokenServiceError(f"card {card}: at most {_MAX_TOKENS_PER_CARD} tokens per card, asked for number {sequence}")
        bank = self.population.bank_of_card(card)
        account = card - int(self.population.card_starts[bank.index]) + sequence * _SEQUENCE_STRIDE
        partial = f"{bank.token_bin}{(_MULTIPLIER * account + self._offset) % _ACCOUNT_SPACE:09d}"
        return partial + luhn_check_digit(partial)

    def provision(
        self,
        card: int,
        idv: IdvResult,
        *,
        device_id: int = 0,
        at: float = 0.0,
        expiry_yymm: str = "3012",
        psn: int = 0,
        record: bool = True,
    ) -> TokenCredential:
        """Tokenize `card` for its holder's phone ``device_id`` after a passed ID&V (``record``
        False: enrolled before the simulated day, not a token event of the run).

        Raises TokenServiceError, before anything is issued or recorded, when ID&V did not pass
        for this card, when the expiry is not 'YYMM' or the PSN not 0-99, or when the card already
        has a live (active or suspended) token on that device."""
        if idv.card != card or not idv.passed:
            raise TokenServiceError(f"card {card}: no token without a passed identity and verification")
        if not (len(expiry_yymm) == 4 and expiry_yymm.isdigit() and 1 <= int(expiry_yymm[2:]) <= 12 and 0 <= psn <= 99):
            raise TokenServiceError(f"card {card}: expiry must be 'YYMM' and psn 0-99, got {expiry_yymm!r} and {psn}")
        sequence = self._tokens_issued.get(card)
        if sequence is None:  # most cards: no token yet, or just one (then not in the dict)
            token_pan = self.token_pan_for(card, 0)
            sequence = 0 if token_pan not in self._vault else 1
        if sequence:
            existing = self.token_of(card, device_id)
            if existing is not None:
                raise TokenServiceError(
                    f"card {card} already has token {mask_pan(existing.token_pan)} on device {device_id:08X} (one token per card per device)"
                )
            token_pan = self.token_pan_for(card, sequence)
            self._tokens_issued[card] = sequence + 1
        par = f"K417{card:025d}"
        token = TokenRecord(token_pan, card, par, device_id, psn)
        self._vault[token_pan] = token
        if record:
            self._event(at, token, "provisioned", "", 0)
        return TokenCredential.issued(token_pan, expiry_yymm, psn, par)

    def detokenise(self, token_pan: str) -> TokenRecord | None:
        """The vault entry for `token_pan`, or None if the TSP never issued it."""
        return self._vault.get(token_pan)

    def token_of(self, card: int, device_id: int) -> TokenRecord | None:
        """The card's live token on that device, if any (its tokens are found by number: no index
        is kept per device)."""
        first = self._vault.get(self.token_pan_for(card, 0))
        if first is None:
            return None
        for sequence in range(self._tokens_issued.get(card, 1)):
            record = first if sequence == 0 else self._vault[self.token_pan_for(card, sequence)]
            if record.device_id == device_id and record.status != "deleted":
                return record
        return None

    def refuse_provisioning(self, idv: IdvResult, at: float, device_id: int) -> None:
        """Record a tokenization request refused because ID&V failed."""
        if self._events is not None:
            self._events.append(at=at, token_masked="", event="idv_failed", reason=idv.reason, device_id=device_id, key_count=0)

    # -- lifecycle ------------------------------------------------------------------------------

    def suspend(self, token_pan: str, reason: str, at: float) -> None:
        record = self._live(token_pan, "suspend")
        record.status = "suspended"
        self._event(at, record, "suspended", reason, 0)

    def resume(self, token_pan: str, reason: str, at: float) -> None:
        record = self._live(token_pan, "resume")
        if record.status != "suspended":
            raise TokenServiceError(f"token {mask_pan(token_pan)} is {record.status}; only a suspended token can be resumed")
        record.status = "active"
        self._event(at, record, "resumed", reason, 0)

    def delete(self, token_pan: str, reason: str, at: float) -> None:
        """Delete for good (lost or replaced phone, reissued card): the device may be given a new token."""
        record = self._live(token_pan, "delete")
        record.status = "deleted"
        self._event(at, record, "deleted", reason, 0)

    def _live(self, token_pan: str, step: str) -> TokenRecord:
        record = self._vault.get(token_pan)
        if record is None:
            raise TokenServiceError(f"cannot {step} token {mask_pan(token_pan)}: the token service never issued it")
        if record.status == "deleted":
            raise TokenServiceError(f"cannot {step} token {mask_pan(token_pan)}: it is deleted")
        return record

    # -- the rules the switch applies -----------------------------------------------------------------

    @staticmethod
    def status_violation(record: TokenRecord | None) -> DeclineReason | None:
        """Why this token may not pay at all now, or None."""
        if record is None:
            return DeclineReason.TOKEN_UNKNOWN
        if record.status == "suspended":
            return DeclineReason.TOKEN_SUSPENDED
        if record.status == "deleted":
            return DeclineReason.TOKEN_DELETED
        return None

    @staticmethod
    def channel_violation(pos_entry_mode: str) -> DeclineReason | None:
        """Tokens of ELKART Pay are good for contactless chip taps at a POS only (DE22 07x)."""
        return None if pos_entry_mode.startswith(CONTACTLESS_POS_ENTRY_MODE) else DeclineReason.DOMAIN_CHANNEL

    @staticmethod
    def device_violation(record: TokenRecord, device_id: int | None) -> DeclineReason | None:
        """The token must come from the device it was issued to (the id in the verified IAD)."""
        return None if device_id == record.device_id else DeclineReason.DOMAIN_DEVICE

    # -- records --------------------------------------------------------------------------------

    def _event(self, at: float, record: TokenRecord, event: str, reason: str, keys: int) -> None:
        if self._events is not None:
            self._events.append(at=at, token_masked=mask_pan(record.token_pan), event=event, reason=reason, device_id=record.device_id, key_count=keys)

    def __len__(self) -> int:
        return len(self._vault)
