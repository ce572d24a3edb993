"""Track 2 equivalent data (EMV tag 57) and its ISO 8583 form (DE35): built and read in one place.

Physical picture: the magnetic stripe's second track, as a chip (or a phone) sends it in its
records: the card number, a separator, the expiry, the service code and discretionary data, in
BCD nibbles — ``PAN 'D' YYMM service-code discretionary``, padded with one 'F' to whole bytes
(EMV 4.4 Book 3 Annex A, ISO/IEC 7813). The acquirer copies it into DE35 with '=' for 'D'.
A phone's tag 57 carries its token, never the card number.

A phone in this process holds its tag 57 as its parts, a :class:`Track2`, and makes the bytes
only when an answer is encoded (``bytes(track2)``); :func:`decode` reads either form, so the
kernel reads tag 57 the same way whichever way the dialogue crossed the link.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from elcart_sim.core.errors import Track2Error

__all__ = ["Track2", "SERVICE_CODE", "encode", "decode", "to_de35", "pan_of"]

SERVICE_CODE = "201"
"""International, chip; normal authorisation; no restrictions (ISO/IEC 7813)."""
_DISCRETIONARY = "0" * 13
_new = tuple.__new__  # a Track2 from its four fields, without the named tuple's Python-level __new__


class Track2(NamedTuple):
    """Tag 57, read: the PAN (a token on a phone), 'YYMM', the service code and the rest;
    ``bytes()`` of it is tag 57 as sent (:func:`encode`)."""

    pan: str
    expiry: str
    service_code: str
    discretionary: str

    @classmethod
    def of(cls, pan: str, expiry: str) -> Track2:
        """Tag 57 of a phone's token: ``pan`` expiring ``expiry``, the service code and
        discretionary data every ELKART Pay token carries."""
        return _new(cls, (pan, expiry, SERVICE_CODE, _DISCRETIONARY))

    def __bytes__(self) -> bytes:
        return encode(*self)


def encode(pan: str, expiry: str, service_code: str = SERVICE_CODE, discretionary: str = _DISCRETIONARY) -> bytes:
    """Tag 57 of ``pan`` expiring ``expiry`` ('YYMM'): BCD, 'D' separator, one 'F' pad if odd."""
    digits = f"{pan}D{expiry}{service_code}{discretionary}"
    if len(digits) % 2:
        digits += "F"
    return bytes.fromhex(digits)


# PAN, D, YY, MM, service code, discretionary digits, at most one F pad (lower-case hex).
_WELL_FORMED = re.compile(r"([0-9]{12,19})d([0-9]{2})([0-9]{2})([0-9]{3})([0-9]*)f?")


def decode(value: bytes | Track2) -> Track2:
    """Tag 57 read; raises Track2Error naming every part that is malformed (never the digits).
    A Track2 is tag 57 already read: it is its own reading."""
    if type(value) is Track2:
        return value
    match = _WELL_FORMED.fullmatch(value.hex())
    if match is not None and "01" <= match[3] <= "12":
        pan, yy, mm, service_code, discretionary = match.groups()
        return _new(Track2, (pan, yy + mm, service_code, discretionary))
    return _decode_explained(value)


def _decode_explained(value: bytes) -> Track2:
    """Tag 57 read part by part, to say what is wrong with it (``decode`` reads a well-formed
    one in one match, to the same result)."""
    text = value.hex().upper()
    digits = text.rstrip("F")
    pan, sep, rest = digits.partition("D")
    if not sep:
        raise Track2Error("track 2 (57): no D separator")
    problems = []
    if not (pan.isdigit() and 12 <= len(pan) <= 19):
        problems.append("PAN is not 12-19 digits")
    if not (len(rest) >= 7 and rest[:7].isdigit() and 1 <= int(rest[2:4]) <= 12):
        problems.append("expiry YYMM and service code missing or invalid")
    elif rest[7:] and not rest[7:].isdigit():
        problems.append("discretionary data is not numeric")
    if len(text) - len(digits) > 1:
        problems.append("more than one F pad")
    if problems:
        raise Track2Error(f"track 2 (57): {'; '.join(problems)}")
    return Track2(pan, rest[:4], rest[4:7], rest[7:])


def to_de35(value: bytes | Track2) -> str:
    """DE35 from tag 57: the same digits with '=' for 'D', the pad dropped ('9417…=3012201…')."""
    pan, expiry, service_code, discretionary = decode(value)
    return f"{pan}={expiry}{service_code}{discretionary}"


def pan_of(value: bytes | Track2) -> str:
    """The digits before the separator, however malformed the rest (for masking in traces)."""
    if type(value) is Track2:
        return value.pan
    return value.hex().upper().split("D", 1)[0].rstrip("F")
