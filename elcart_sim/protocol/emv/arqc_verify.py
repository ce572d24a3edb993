"""Issuer-side check of an ARQC and the ARPC answer, via pyemv (EMV 4.4 Book 2 §8.1-8.2).

Physical picture: the issuer (or the token service acting for it) receives DE55 with the
card's cryptogram, re-derives the card's keys from its own issuer master key and recomputes
the cryptogram; if the 8 bytes agree the card is genuine and the data unaltered. It then signs
its answer with an ARPC (method 2: a 4-byte MAC over ARQC||CSU) that a card could check.

This module deliberately uses pyemv, a code path independent of the card-side
:mod:`elcart_sim.protocol.emv.cryptogram`, so a bug on one side cannot hide in both. ICC master
keys are derived with option A (pyemv ``derive_icc_mk_a``), session keys with the EMV common
method, and the MAC with ISO 9797-1 algorithm 3 and padding method 2 - the Visa CVN 18 recipe.
For a limited-use key (our model, see ``cryptogram``) one more common-method derivation sits
between the two: LUK(k) = ``derive_common_sk(ICC MK, k || 00 || 4C || 00000000)``, and the
session key is derived from the LUK with R = ATC || 00*6.

The key hierarchy is split so a verifier can keep the ICC master key of a token (one derivation
per token) and do only the per-transaction steps per tap: :func:`icc_master_key`, then
:func:`session_key`, :func:`cryptogram_matches` and :func:`arpc`.

pyemv still builds 2-key 3DES through ``cryptography``'s deprecated path; the resulting
CryptographyDeprecationWarning is silenced locally, once per public call (around all the pyemv
steps the call makes).
"""

from __future__ import annotations

import hmac
import warnings

from cryptography.utils import CryptographyDeprecationWarning
from pyemv import ac as _ac
from pyemv import kd as _kd

from elcart_sim.core.errors import CryptogramError

__all__ = [
    "verify_arqc",
    "generate_arpc",
    "icc_master_key",
    "session_key",
    "cryptogram_matches",
    "arpc",
    "CSU_APPROVED",
    "CSU_DECLINED",
]

# Card Status Update, Visa VIS format: byte 2 = 82 (issuer approves, counters updated).
CSU_APPROVED = bytes.fromhex("00820000")
# Byte 2 = 00: issuer declines (no approval bit).
CSU_DECLINED = bytes.fromhex("00000000")

_LUK_MARKER = 0x4C  # byte 4 of R for a limited-use key, as the card-side model defines it


def _check_icc(imk: bytes, pan: str, psn: int) -> None:
    if len(imk) != 16:
        raise CryptogramError(f"issuer master key must be 16 bytes, got {len(imk)}")
    if not (pan.isascii() and pan.isdigit() and 12 <= len(pan) <= 19):
        raise CryptogramError(f"PAN must be 12-19 decimal digits ({len(pan)} chars given)")
    if not 0 <= psn <= 99:
        raise CryptogramError(f"PAN sequence number must be 0-99, got {psn}")


def _check_session(atc: int, key_index: int | None) -> None:
    if not 0 <= atc <= 0xFFFF:
        raise CryptogramError(f"ATC must be 0-65535, got {atc}")
    if key_index is not None and not 1 <= key_index <= 0xFFFF:
        raise CryptogramError(f"key index must be 1-65535, got {key_index}")


def _check_arpc(arqc: bytes, csu: bytes) -> None:
    if len(arqc) != 8:
        raise CryptogramError(f"ARQC must be 8 bytes, got {len(arqc)}")
    if len(csu) != 4:
        raise CryptogramError(f"CSU must be 4 bytes, got {len(csu)}")


# The pyemv steps, unchecked and unsilenced: callers check their arguments and silence pyemv.
def _icc_master_key(imk: bytes, pan: str, psn: int) -> bytes:
    return _kd.derive_icc_mk_a(imk, pan, f"{psn:02d}")


def _session_key(icc_mk: bytes, atc: int, key_index: int | None) -> bytes:
    key = icc_mk
    if key_index is not None:
        key = _kd.derive_common_sk(icc_mk, key_index.to_bytes(2, "big") + bytes((0, _LUK_MARKER, 0, 0, 0, 0)))
    return _kd.derive_common_sk(key, atc.to_bytes(2, "big") + bytes(6))


def _cryptogram_matches(sk: bytes, data: bytes, arqc: bytes) -> bool:
    return hmac.compare_digest(_ac.generate_ac(sk, data, _ac.PaddingType.EMV, 8), arqc)


def icc_master_key(imk: bytes, pan: str, psn: int) -> bytes:
    """ICC master key, option A, by pyemv."""
    _check_icc(imk, pan, psn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _icc_master_key(imk, pan, psn)


def session_key(icc_mk: bytes, atc: int, key_index: int | None = None) -> bytes:
    """The AC session key for ``atc``: from the ICC master key, or — with ``key_index`` — from
    that limited-use key of the token."""
    _check_session(atc, key_index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _session_key(icc_mk, atc, key_index)


def cryptogram_matches(sk: bytes, data: bytes, arqc: bytes) -> bool:
    """True when ``arqc`` is the MAC of ``data`` under session key ``sk`` (constant time)."""
    if len(arqc) != 8:
        raise CryptogramError(f"ARQC must be 8 bytes, got {len(arqc)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _cryptogram_matches(sk, data, arqc)


def arpc(sk: bytes, arqc: bytes, csu: bytes = CSU_APPROVED) -> bytes:
    """4-byte ARPC, method 2 (Book 2 §8.2.2), under session key ``sk``; tag 91 = ARPC || CSU."""
    _check_arpc(arqc, csu)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _ac.generate_arpc_2(sk, arqc, csu)


def verify_arqc(
    imk: bytes, pan: str, psn: int, atc: int, data: bytes, arqc: bytes, key_index: int | None = None
) -> bool:
    """True when ``arqc`` is the cryptogram over ``data`` (see ``cryptogram.arqc_input``);
    ``key_index`` names the limited-use key it was made with, None for the ICC master key."""
    if len(arqc) != 8:
        raise CryptogramError(f"ARQC must be 8 bytes, got {len(arqc)}")
    _check_icc(imk, pan, psn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        icc_mk = _icc_master_key(imk, pan, psn)
        _check_session(atc, key_index)
        return _cryptogram_matches(_session_key(icc_mk, atc, key_index), data, arqc)


def generate_arpc(
    imk: bytes,
    pan: str,
    psn: int,
    atc: int,
    arqc: bytes,
    csu: bytes = CSU_APPROVED,
    key_index: int | None = None,
) -> bytes:
    """4-byte ARPC, method 2 (Book 2 §8.2.2). Tag 91 then carries ARPC || CSU."""
    _check_arpc(arqc, csu)
    _check_icc(imk, pan, psn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        icc_mk = _icc_master_key(imk, pan, psn)
        _check_session(atc, key_index)
        return _ac.generate_arpc_2(_session_key(icc_mk, atc, key_index), arqc, csu)
