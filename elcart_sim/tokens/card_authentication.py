"""Card authentication: the token service checks the chip's evidence on behalf of the issuers.

Physical picture: with HCE tokens the issuer's keys live at IPC, so IPC's token service verifies
each tap's cryptogram for the issuer ("on-behalf-of" cryptogram validation) before the switch
forwards the authorisation: it re-derives the token's ICC master key, the limited-use key named
in the IAD and the session key of the ATC (pyemv, a code path independent of the phone's), and
recomputes the ARQC over the terminal's data in DE55 — amount, currency, date and the terminal's
unpredictable number, so a cryptogram made for another terminal or another moment does not
verify. Then, in this order (the first failure is the decline, see protocol/decline_reasons.py):

  1. DE55 follows the host spec and agrees with the message (amount = DE4, currency = DE49);
  2. the IAD names the configured cryptogram version and a limited-use key issued to the token;
  3. the ARQC verifies;
  4. the device id in the (now authenticated) IAD is the token's device (token service rule);
  5. the key has not expired;
  6. the ATC is fresh: not used before (replay memory), not older than the memory reaches
     (went backwards), not further ahead than ``max_atc_jump`` (jumped);
  7. the key has not been used before (single use).

Only a transaction that passes all of them changes the token's memory, so a rejected attempt
cannot push the window for the genuine phone. Steps 1 and 3 and the ARPC are the steps every
verifier of chip data shares (protocol/emv/chip_evidence.py): an issuer runs them for its
plastic cards (cards/authentication.py). The replay memory is a sliding window per counter,
as IPsec keeps one for sequence numbers (RFC 4303 §3.4.3): the highest value accepted and a
bitmask of the ``replay_window`` values below it. A value below the highest but inside the
window and not yet seen is accepted — one phone's authorisations can overtake each other in the
network. The memory of a token is four numbers kept in its vault entry (``TokenRecord``). When the issuer has answered, the service signs the answer with an ARPC (method 2) under
the same session key; the switch returns it in DE55 tag 91 of the 0110.

In the fast fidelity DE55 is ``{tag: value}`` rather than BER-TLV, and its ARQC an
:class:`~elcart_sim.protocol.emv.cryptogram.ApplicationCryptogram` nothing has computed yet: the
same checks run in the same order, and step 3 compares instead of recomputing — the cryptogram's
key must be the token's (the limited-use key the token service derives for this token and the
IAD's key index), its ATC and input what DE55 carries, which is exactly when the real ARQC would
verify. The answer's tag 91 is then an ``IssuerAuthentication`` value, computed only if it is
encoded. An ARQC of bytes (an attack built from bytes, a live tap) is verified with the real
cryptography in either fidelity.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from elcart_sim.protocol.emv import arqc_verify
from elcart_sim.protocol.emv.chip_evidence import ChipEvidence, cryptogram_genuine, issuer_authentication_data, read_evidence
from elcart_sim.protocol.emv.cryptogram import ApplicationCryptogram
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason
from elcart_sim.scenario import SecuritySpec
from elcart_sim.tokens.token_service import TokenRecord, TokenService

__all__ = ["CardAuthentication", "Authentication", "CounterWindow"]

FRESH, REPLAYED, BEHIND, JUMP = "fresh", "replayed", "behind", "jump"


def _check(highest: int, seen: int, value: int, window: int, max_jump: int | None = None) -> str:
    if value > highest:
        return JUMP if max_jump is not None and value - highest > max_jump else FRESH
    behind = highest - value
    if behind >= window:
        return BEHIND
    return REPLAYED if seen >> behind & 1 else FRESH


def _accept(highest: int, seen: int, value: int, window: int) -> tuple[int, int]:
    if value > highest:
        return value, ((seen << (value - highest)) | 1) & ((1 << window) - 1)
    return highest, seen | 1 << (highest - value)


class CounterWindow:
    """The replay memory of one counter: the highest value accepted and which of the ``window``
    values at and below it have been seen (bit i = highest − i). Starts at 0, itself 'seen'."""

    __slots__ = ("highest", "seen")

    def __init__(self, highest: int = 0):
        self.highest = highest
        self.seen = 1

    def check(self, value: int, window: int, max_jump: int | None = None) -> str:
        """'fresh', 'replayed' (seen before), 'behind' (older than the window) or 'jump'."""
        return _check(self.highest, self.seen, value, window, max_jump)

    def accept(self, value: int, window: int) -> None:
        """Remember ``value`` (which ``check`` found fresh)."""
        self.highest, self.seen = _accept(self.highest, self.seen, value, window)


class Authentication(NamedTuple):
    """The verdict on one authorisation request (immutable): ``decline`` None when every check
    passed. The verified ``arqc`` (its bytes, or the cryptogram value) and, for bytes, the
    ``session_key`` it verified under are kept (unprinted) to sign the answer with an ARPC."""

    decline: DeclineReason | None
    arqc: bytes | ApplicationCryptogram | None = None
    session_key: bytes = b""

    @property
    def verified(self) -> bool:
        return self.arqc is not None

    def __repr__(self) -> str:
        return f"Authentication(decline={self.decline!r}, verified={self.verified})"


_new = tuple.__new__  # builds a named tuple from all its fields without its Python-level __new__ (per-tap hot path)

# Verdicts reached before the cryptogram is verified carry nothing else: one of each suffices.
_EARLY = {
    reason: Authentication(reason)
    for reason in (
        DeclineReason.ICC_DATA_MALFORMED,
        DeclineReason.ICC_DATA_MISMATCH,
        DeclineReason.CRYPTOGRAM_VERSION,
        DeclineReason.KEY_UNKNOWN,
        DeclineReason.ARQC,
    )
}


class CardAuthentication:
    """IPC's card authentication service for ELKART Pay tokens."""

    def __init__(self, token_service: TokenService, spec: SecuritySpec):
        self.token_service = token_service
        self.cryptogram_version = spec.cryptogram_version
        self.max_atc_jump = spec.max_atc_jump
        self.replay_window = spec.replay_window
        self._icc_master_keys: dict[str, bytes] = {}

    def authenticate(self, record: TokenRecord, request: dict[str, Any], now: float) -> Authentication:
        """Check the chip data of authorisation request ``request`` for token ``record`` at ``now``."""
        evidence = read_evidence(request, self.cryptogram_version)
        if type(evidence) is not ChipEvidence:
            return _EARLY[evidence]
        arqc, atc, iad, data = evidence
        token_pan = record.token_pan
        key_index = iad.key_index
        expires_at = None if key_index is None or key_index == 0 else self.token_service.key_expiry(token_pan, key_index)
        if expires_at is None:
            return _EARLY[DeclineReason.KEY_UNKNOWN]
        session_key = b""
        if type(arqc) is ApplicationCryptogram:  # nothing computed it: compare what it was made of
            genuine = arqc.is_from(token_pan, key_index) and arqc.atc == atc and arqc.data == data
        else:
            genuine, session_key = cryptogram_genuine(evidence, self._icc_master_key(record), key_index)
        if not genuine:
            return _EARLY[DeclineReason.ARQC]
        reason = self._after_cryptogram(record, atc, key_index, iad.device_id, expires_at, now)
        return _new(Authentication, (reason, arqc, session_key))

    def _after_cryptogram(
        self, record: TokenRecord, atc: int, key_index: int, device_id: int | None, expires_at: float, now: float
    ) -> DeclineReason | None:
        """Steps 4-7 for a verified cryptogram: the decline, or None with the ATC and key remembered."""
        reason = self.token_service.device_violation(record, device_id)
        if reason is None and expires_at <= now:
            reason = DeclineReason.KEY_EXPIRED
        memory = record  # the token's replay memory lives in its vault entry
        window = self.replay_window
        if reason is None:
            atc_state = _check(memory.atc, memory.atc_seen, atc, window, self.max_atc_jump)
            if atc_state == REPLAYED:
                reason = DeclineReason.ATC_REPLAYED
            elif atc_state == BEHIND:
                reason = DeclineReason.ATC_BEHIND
            elif atc_state == JUMP:
                reason = DeclineReason.ATC_JUMP
            elif _check(memory.key_index, memory.key_index_seen, key_index, window) != FRESH:
                reason = DeclineReason.KEY_REUSED
        if reason is not None:
            return reason
        memory.atc, memory.atc_seen = _accept(memory.atc, memory.atc_seen, atc, window)
        memory.key_index, memory.key_index_seen = _accept(memory.key_index, memory.key_index_seen, key_index, window)
        return None

    def highest_atc(self, token_pan: str) -> int:
        """The highest ATC accepted for the token so far (0 before its first tap)."""
        record = self.token_service.detokenise(token_pan)
        return record.atc if record is not None else 0

    def issuer_authentication_data(self, authentication: Authentication, approved: bool) -> bytes | dict[int, Any]:
        """DE55 of the 0110: tag 91 = ARPC (method 2) || CSU, the CSU saying approved or not; in
        the form the cryptogram came in — BER-TLV with the ARPC computed, or ``{0x91: value}``
        with a value that computes it only if it is encoded."""
        return issuer_authentication_data(authentication.arqc, authentication.session_key, approved)

    def _icc_master_key(self, record: TokenRecord) -> bytes:
        key = self._icc_master_keys.get(record.token_pan)
        if key is None:
            imk = self.token_service.issuer_master_key(record.token_pan[:6])
            key = self._icc_master_keys[record.token_pan] = arqc_verify.icc_master_key(imk, record.token_pan, record.psn)
        return key

