"""Issuer-side check of an ARQC and the ARPC answer, via pyemv (EMV 4.4 Book 2 §8.1-8.2).

Physical picture: the issuer (or the token service acting for it) receives DE55 with the
card's cryptogram, re-derives the card's keys from its own issuer master key and recomputes
the cryptogram; if the 8 bytes agree the card is genuine and the data unaltered. It then signs
its answer with an ARPC (method 2: a 4-byte MAC over ARQC||CSU) that a card could check.

This module deliberately uses pyemv, a code path independent of the card-side
:mod:`elcart_sim.protocol.cryptogram`, so a bug on one side cannot hide in both. ICC master
keys are derived with option A (pyemv ``derive_icc_mk_a``), session keys with the EMV common
method, and the MAC with ISO 9797-1 algorithm 3 and padding method 2 - the Visa CVN 18 recipe.

pyemv still builds 2-key 3DES through ``cryptography``'s deprecated path; the resulting
CryptographyDeprecationWarning is silenced locally around each call.
"""

from __future__ import annotations

import hmac
import warnings

from cryptography.utils import CryptographyDeprecationWarning
from pyemv import ac as _ac
from pyemv import kd as _kd

from elcart_sim.errors import CryptogramError

__all__ = ["verify_arqc", "generate_arpc", "CSU_APPROVED", "CSU_DECLINED"]

# Card Status Update, Visa VIS format: byte 2 = 82 (issuer approves, counters updated).
CSU_APPROVED = bytes.fromhex("00820000")
# Byte 2 = 00: issuer declines (no approval bit).
CSU_DECLINED = bytes.fromhex("00000000")


def _session_key(imk: bytes, pan: str, psn: int, atc: int) -> bytes:
    if len(imk) != 16:
        raise CryptogramError(f"issuer master key must be 16 bytes, got {len(imk)}")
    if not (pan.isascii() and pan.isdigit() and 12 <= len(pan) <= 19):
        raise CryptogramError(f"PAN must be 12-19 decimal digits ({len(pan)} chars given)")
    if not 0 <= psn <= 99:
        raise CryptogramError(f"PAN sequence number must be 0-99, got {psn}")
    if not 0 <= atc <= 0xFFFF:
        raise CryptogramError(f"ATC must be 0-65535, got {atc}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        icc_mk = _kd.derive_icc_mk_a(imk, pan, f"{psn:02d}")
        return _kd.derive_common_sk(icc_mk, atc.to_bytes(2, "big") + bytes(6))


def verify_arqc(imk: bytes, pan: str, psn: int, atc: int, data: bytes, arqc: bytes) -> bool:
    """True when ``arqc`` is the cryptogram over ``data`` (see ``cryptogram.arqc_input``)."""
    if len(arqc) != 8:
        raise CryptogramError(f"ARQC must be 8 bytes, got {len(arqc)}")
    sk = _session_key(imk, pan, psn, atc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        expected = _ac.generate_ac(sk, data, _ac.PaddingType.EMV, 8)
    return hmac.compare_digest(expected, arqc)


def generate_arpc(
    imk: bytes, pan: str, psn: int, atc: int, arqc: bytes, csu: bytes = CSU_APPROVED
) -> bytes:
    """4-byte ARPC, method 2 (Book 2 §8.2.2). Tag 91 then carries ARPC || CSU."""
    if len(arqc) != 8:
        raise CryptogramError(f"ARQC must be 8 bytes, got {len(arqc)}")
    if len(csu) != 4:
        raise CryptogramError(f"CSU must be 4 bytes, got {len(csu)}")
    sk = _session_key(imk, pan, psn, atc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _ac.generate_arpc_2(sk, arqc, csu)
