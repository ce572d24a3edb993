"""Card-side application cryptogram: the ARQC a phone signs each tap with (EMV 4.4 Book 2 A1).

Physical picture: the issuer holds an issuer master key (IMK); at personalisation each card
(here: each token on a phone) gets its own ICC master key derived from the IMK and its PAN.
For every transaction the card derives a one-off session key from the ICC master key and its
transaction counter (ATC), then MACs the terminal's and its own data into an 8-byte
Authorisation Request Cryptogram. The issuer repeats the derivation and must get the same 8
bytes (see :mod:`elcart_sim.protocol.arqc_verify`, which uses pyemv as an independent path).

Standards followed:
  - ICC master key, option A: EMV Book 2 A1.4.1 (rightmost 16 digits of PAN||PSN, 3DES-ECB
    under the IMK, and again inverted; odd parity).
  - Session key, EMV common session key derivation: Book 2 A1.3.1 (R = ATC||00..00; left half
    from R with byte 3 = F0, right half with byte 3 = 0F).
  - MAC: ISO/IEC 9797-1 MAC algorithm 3 (retail MAC), padding method 2 (80 00..), 8 bytes.
  - Input layout: Visa CVN 18 (amount, amount other, country, TVR, currency, date, type, UN,
    AIP, ATC and the whole IAD), as in pyemv's ``VisaCVN18.generate_ac``.

Only ``cryptography`` is used; 3DES comes from its ``decrepit`` module with 2-key keys
expanded to K1||K2||K1 so no deprecation warning is raised.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from elcart_sim.errors import CryptogramError

__all__ = [
    "ARQC_INPUT_TAGS",
    "derive_icc_master_key",
    "derive_session_key",
    "generate_arqc",
    "arqc_input",
    "odd_parity",
]

# (tag, length in bytes; None = variable) in CVN 18 input order.
ARQC_INPUT_TAGS: tuple[tuple[int, int | None], ...] = (
    (0x9F02, 6),  # Amount, Authorised
    (0x9F03, 6),  # Amount, Other
    (0x9F1A, 2),  # Terminal Country Code
    (0x95, 5),  # Terminal Verification Results
    (0x5F2A, 2),  # Transaction Currency Code
    (0x9A, 3),  # Transaction Date
    (0x9C, 1),  # Transaction Type
    (0x9F37, 4),  # Unpredictable Number
    (0x82, 2),  # Application Interchange Profile
    (0x9F36, 2),  # Application Transaction Counter
    (0x9F10, None),  # Issuer Application Data (whole, for CVN 18)
)

_ZERO_IV = bytes(8)
# Each byte with its low bit set so that the byte has an odd number of 1 bits.
_ODD = bytes((b & 0xFE) | ((bin(b & 0xFE).count("1") + 1) & 1) for b in range(256))


def odd_parity(key: bytes) -> bytes:
    """``key`` with each byte's least significant bit set for odd parity (DES convention)."""
    return key.translate(_ODD)


def _check_key(key: bytes, what: str) -> None:
    if len(key) != 16:
        raise CryptogramError(f"{what} must be a 16-byte double-length 3DES key, got {len(key)}")


def _tdes_ecb(key16: bytes, data: bytes) -> bytes:
    enc = Cipher(TripleDES(key16 + key16[:8]), modes.ECB()).encryptor()
    return enc.update(data) + enc.finalize()


def derive_icc_master_key(imk: bytes, pan: str, psn: int) -> bytes:
    """ICC master key from the issuer master key, option A (Book 2 A1.4.1)."""
    _check_key(imk, "issuer master key")
    if not (pan.isascii() and pan.isdigit() and 12 <= len(pan) <= 19):
        raise CryptogramError(f"PAN must be 12-19 decimal digits ({len(pan)} chars given)")
    if not 0 <= psn <= 99:
        raise CryptogramError(f"PAN sequence number must be 0-99, got {psn}")
    y = bytes.fromhex((pan + f"{psn:02d}")[-16:].rjust(16, "0"))
    y_inverted = bytes(b ^ 0xFF for b in y)
    return odd_parity(_tdes_ecb(imk, y + y_inverted))


def derive_session_key(icc_mk: bytes, atc: int) -> bytes:
    """EMV common session key for application cryptograms (Book 2 A1.3.1), R = ATC||00*6."""
    _check_key(icc_mk, "ICC master key")
    if not 0 <= atc <= 0xFFFF:
        raise CryptogramError(f"ATC must be 0-65535, got {atc}")
    hi, lo = atc >> 8, atc & 0xFF
    r = bytes((hi, lo, 0xF0, 0, 0, 0, 0, 0, hi, lo, 0x0F, 0, 0, 0, 0, 0))
    return odd_parity(_tdes_ecb(icc_mk, r))


def generate_arqc(session_key: bytes, data: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3, padding method 2, over ``data``: the 8-byte cryptogram."""
    _check_key(session_key, "session key")
    padded = data + b"\x80" + bytes(7 - len(data) % 8)
    key_a = session_key[:8]
    head, last = padded[:-8], padded[-8:]
    if head:
        # Single DES CBC under key A over all but the last block (K1=K2=K3 makes 3DES = DES).
        cbc = Cipher(TripleDES(key_a * 3), modes.CBC(_ZERO_IV)).encryptor()
        chain = cbc.update(head)[-8:]
        last = bytes(a ^ b for a, b in zip(chain, last))
    # Last block: encrypt A, decrypt B, encrypt A = 3DES-EDE with K1||K2||K1.
    return _tdes_ecb(session_key, last)


def arqc_input(tags: Mapping[int, bytes]) -> bytes:
    """The CVN 18 cryptogram input from a ``{tag: value}`` map (e.g. flattened DE55)."""
    parts = []
    for tag, length in ARQC_INPUT_TAGS:
        value = tags.get(tag)
        if value is None:
            raise CryptogramError(f"ARQC input: tag {tag:X} is missing")
        if length is not None and len(value) != length:
            raise CryptogramError(
                f"ARQC input: tag {tag:X} must be {length} bytes, got {len(value)}"
            )
        parts.append(value)
    return b"".join(parts)
