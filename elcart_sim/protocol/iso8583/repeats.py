"""Repeats, duplicates and advices: which message is the same as which, and what a repeat and an
advice carry (ISO 8583:1987 §4.1; the jPOS vocabulary of store-and-forward).

Physical picture: a sender that has no answer sends its message again as a *repeat* — the same
message with the last MTI digit 1 (0400 → 0401, 0420 → 0421, 0120 → 0121, 0100 → 0101) — and a
faulty link may deliver one message twice (a *duplicate*, the MTI unchanged). Either way the
receiver must recognise the transaction it already has, by the original's data elements: the
retrieval reference number (DE37), the system trace audit number (DE11), the transmission date
and time (DE7) and the acquiring institution (DE32), which together name one request among all
of an acquirer's. A repeat may not change what the original said (the card, the processing
code, the amount, the currency): one that does is refused with DE39 94 (duplicate
transmission) — the key is already taken by another message — and nothing is posted.

An *advice* (0120) tells the issuer what the switch decided in its stead (stand-in processing):
the authorisation as the issuer would have got it, the switch's approval (DE38, DE39) and why
(DE60: the ISO 8583:1993 message reason codes 1002 issuer timed out, 1003 issuer unavailable).
Pure: no time, no randomness.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elcart_sim.protocol.iso8583.spec import (
    MTI_AUTHORISATION_ADVICE,
    MTI_AUTHORISATION_ADVICE_REPEAT,
    MTI_AUTHORISATION_REQUEST,
    MTI_AUTHORISATION_REQUEST_REPEAT,
    MTI_REVERSAL_ADVICE,
    MTI_REVERSAL_ADVICE_REPEAT,
    MTI_REVERSAL_REQUEST,
    MTI_REVERSAL_REQUEST_REPEAT,
)

__all__ = [
    "REPEAT_MTI",
    "ORIGINAL_MTI",
    "ADVICE_REASONS",
    "is_repeat",
    "as_repeat",
    "exchange_key",
    "fingerprint",
    "advice_for",
]

REPEAT_MTI = {
    MTI_AUTHORISATION_REQUEST: MTI_AUTHORISATION_REQUEST_REPEAT,
    MTI_AUTHORISATION_ADVICE: MTI_AUTHORISATION_ADVICE_REPEAT,
    MTI_REVERSAL_REQUEST: MTI_REVERSAL_REQUEST_REPEAT,
    MTI_REVERSAL_ADVICE: MTI_REVERSAL_ADVICE_REPEAT,
}
"""Each message type and the type of its repeat."""
ORIGINAL_MTI = {repeat: original for original, repeat in REPEAT_MTI.items()}
"""Each repeat's type and the type it repeats."""

ADVICE_REASONS = {"issuer_timed_out": "1002", "issuer_unavailable": "1003"}
"""Why the switch stood in, as DE60 of its advice says it (ISO 8583:1993 message reason codes)."""

_UNCHANGEABLE = ("2", "3", "4", "49")  # what a repeat may not change: card, processing code, amount, currency


def is_repeat(mti: str) -> bool:
    """Whether ``mti`` is a repeat (last digit 1)."""
    return mti in ORIGINAL_MTI


def as_repeat(message: Mapping[str, Any]) -> dict[str, Any]:
    """``message`` sent again: the same fields, the repeat's MTI."""
    return {**message, "t": REPEAT_MTI.get(message["t"], message["t"])}


def exchange_key(message: Mapping[str, Any]) -> int:
    """One integer naming the transaction ``message`` belongs to — its request, the request's
    repeats and duplicates, its advice, its reversal: DE37 (an12), DE11 (n6), DE7 (n10) and
    DE32 (n..11, padded to 11) side by side, read as one base-36 number (an int is a third of a
    tuple's size; every part has a fixed width, so two keys are equal only when every part is)."""
    return int(f"{message['37']}{message['11']}{message['7']}{message.get('32') or '':0>11}", 36)


def fingerprint(message: Mapping[str, Any]) -> tuple[str, ...]:
    """What a repeat or a duplicate must say as its original did (DE2, DE3, DE4, DE49)."""
    return tuple(message.get(field, "") for field in _UNCHANGEABLE)


_ADVICE_FIELDS = ("2", "3", "4", "7", "11", "12", "13", "14", "18", "22", "25", "32", "37", "41", "42", "43", "49", "100", "123")


def advice_for(request: Mapping[str, Any], authorisation_id: str, reason: str) -> dict[str, Any]:
    """The 0120 telling the issuer that the switch approved ``request`` (the issuer's leg, as it
    would have been forwarded) in its stead, with authorisation id ``authorisation_id``, because
    of ``reason`` (a key of ADVICE_REASONS)."""
    advice: dict[str, Any] = {"t": MTI_AUTHORISATION_ADVICE}
    for field in _ADVICE_FIELDS:
        if field in request:
            advice[field] = request[field]
    advice.setdefault("32", "0")
    advice["38"] = authorisation_id
    advice["39"] = "00"
    advice["60"] = ADVICE_REASONS[reason]
    return advice
