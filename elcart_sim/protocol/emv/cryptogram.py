"""Card-side application cryptogram: the ARQC a phone signs each tap with (EMV 4.4 Book 2 A1).

Physical picture: the issuer holds an issuer master key (IMK); at personalisation each card
(here: each token on a phone) gets its own ICC master key derived from the IMK and its PAN.
For every transaction the card derives a one-off session key from the ICC master key and its
transaction counter (ATC), then MACs the terminal's and its own data into an 8-byte
Authorisation Request Cryptogram. The issuer repeats the derivation and must get the same 8
bytes (see :mod:`elcart_sim.protocol.emv.arqc_verify`, which uses pyemv as an independent path).

Standards followed:
  - ICC master key, option A: EMV Book 2 A1.4.1 (rightmost 16 digits of PAN||PSN, 3DES-ECB
    under the IMK, and again inverted; odd parity).
  - Session key, EMV common session key derivation: Book 2 A1.3.1 (R = ATC||00..00; left half
    from R with byte 3 = F0, right half with byte 3 = 0F).
  - MAC: ISO/IEC 9797-1 MAC algorithm 3 (retail MAC), padding method 2 (80 00..), 8 bytes.
  - Input layout: Visa CVN 18 (amount, amount other, country, TVR, currency, date, type, UN,
    AIP, ATC and the whole IAD), as in pyemv's ``VisaCVN18.generate_ac``.

Limited-use keys (our model, not a scheme's: Visa's cloud-based payments and Mastercard's MDES key
schemes are not public). An HCE phone holds no long-lived card key; the token service derives a
numbered limited-use key (LUK) from the token's ICC master key and hands the wallet a batch:

    LUK(k) = EMV common session key derivation (Book 2 A1.3.1) under the ICC master key with
             R = k (2 bytes) || 00 || 4C || 00 00 00 00, i.e.
             left  = 3DES(ICC MK)[k || F0 || 4C || 00 00 00 00]
             right = 3DES(ICC MK)[k || 0F || 4C || 00 00 00 00], odd parity.

Byte 4 = 4C ('L') keeps LUKs apart from the AC session keys (R = ATC || 00*6), so LUK(k) is
never the session key of ATC k. Each tap then derives its session key from its LUK exactly as a
card derives one from its ICC master key (``derive_session_key(luk, atc)``) and MACs as above.
The key index travels in the Issuer Application Data (see :class:`IssuerApplicationData`).

A card's cryptogram is an :class:`ApplicationCryptogram`: its key, ATC and input, whose 8 bytes
are computed when it is encoded (a byte link, a DE55 of bytes) and not before; in the fast
fidelity nothing encodes it, so nothing is derived or MACed, and a verifier compares its key and
input instead (``tokens/card_authentication.py``). The issuer's answer to it, tag 91, is an
:class:`IssuerAuthentication` made the same way.

Only ``cryptography`` is used; 3DES comes from its ``decrepit`` module with 2-key keys
expanded to K1||K2||K1 so no deprecation warning is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from elcart_sim.core.errors import CryptogramError

__all__ = [
    "ARQC_INPUT_TAGS",
    "LUK_DERIVATION_MARKER",
    "IssuerApplicationData",
    "ApplicationCryptogram",
    "IssuerAuthentication",
    "CardKey",
    "derive_icc_master_key",
    "derive_limited_use_key",
    "derive_session_key",
    "generate_arqc",
    "arpc_method_2",
    "arqc_input",
    "odd_parity",
]

LUK_DERIVATION_MARKER = 0x4C
"""Byte 4 of the diversification value R of a limited-use key ('L'); 00 for AC session keys."""

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

_INPUT_TAGS = tuple(tag for tag, _length in ARQC_INPUT_TAGS)
_FIXED_LENGTHS = tuple(length for _tag, length in ARQC_INPUT_TAGS[:-1])  # all but the IAD's
_ZERO_IV = bytes(8)
# Each byte with its low bit set so that the byte has an odd number of 1 bits.
_ODD = bytes((b & 0xFE) | ((bin(b & 0xFE).count("1") + 1) & 1) for b in range(256))


def odd_parity(key: bytes) -> bytes:
    """``key`` with each byte's least significant bit set for odd parity (DES convention)."""
    return key.translate(_ODD)


def _check_key(key: bytes, what: str) -> None:
    if len(key) != 16:
        raise CryptogramError(f"{what} must be a 16-byte double-length 3DES key, got {len(key)}")


# ECB holds no state, so one mode object serves every cipher. Each cipher context costs a few
# microseconds to set up (the key schedule); the functions below set up as few as they can.
_ECB = modes.ECB()


def _tdes_ecb(key16: bytes, data: bytes) -> bytes:
    """2-key 3DES-ECB of whole blocks (``data`` is always 8 or 16 bytes here, so no finalize)."""
    return Cipher(TripleDES(key16 + key16[:8]), _ECB).encryptor().update(data)


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


def derive_limited_use_key(icc_mk: bytes, key_index: int) -> bytes:
    """Limited-use key number ``key_index`` (1-65535) of a token: our model (module docstring)."""
    _check_key(icc_mk, "ICC master key")
    if not 1 <= key_index <= 0xFFFF:
        raise CryptogramError(f"key index must be 1-65535, got {key_index}")
    hi, lo, m = key_index >> 8, key_index & 0xFF, LUK_DERIVATION_MARKER
    r = bytes((hi, lo, 0xF0, m, 0, 0, 0, 0, hi, lo, 0x0F, m, 0, 0, 0, 0))
    return odd_parity(_tdes_ecb(icc_mk, r))


def generate_arqc(session_key: bytes, data: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3, padding method 2, over ``data``: the 8-byte cryptogram."""
    _check_key(session_key, "session key")
    padded = data + b"\x80" + bytes(7 - len(data) % 8)
    key_a = session_key[:8]
    ede = TripleDES(session_key + key_a)  # encrypt A, decrypt B, encrypt A: 3DES-EDE K1||K2||K1
    n = len(padded) - 8
    if not n:
        return Cipher(ede, _ECB).encryptor().update(padded)
    # Single DES CBC under key A over all but the last block (K1=K2=K3 makes 3DES = DES) ...
    chain = Cipher(TripleDES(key_a * 3), modes.CBC(_ZERO_IV)).encryptor().update(padded[:n])[-8:]
    # ... then the last block XOR that chain value through 3DES-EDE: CBC with the chain as IV.
    return Cipher(ede, modes.CBC(chain)).encryptor().update(padded[n:])


def arpc_method_2(session_key: bytes, arqc: bytes, csu: bytes) -> bytes:
    """ARPC method 2 (Book 2 §8.2.2) as a card recomputes it to check the issuer: the first 4
    bytes of the ISO 9797-1 algorithm 3 MAC (padding method 2) over ARQC || CSU."""
    if len(arqc) != 8:
        raise CryptogramError(f"ARQC must be 8 bytes, got {len(arqc)}")
    if len(csu) != 4:
        raise CryptogramError(f"CSU must be 4 bytes, got {len(csu)}")
    return generate_arqc(session_key, arqc + csu)[:4]


class IssuerApplicationData(NamedTuple):
    """Tag 9F10 as our applet writes it, in the Visa-style format (as with Visa CVN 18) extended
    for limited-use keys — our layout, not a scheme's:

    ``06 DKI CVN CVR(4)`` — length of the part that follows, derivation key index, cryptogram
    version number, card verification results — and, for a limited-use key, the issuer
    discretionary data ``07 4C KI(2) DEVICE(4)``: its length, format byte 4C ('L'), the key index
    and the device id the platform attests for the phone. The whole IAD is MAC-covered (CVN 18
    input), so neither the key index nor the device id can be changed without breaking the ARQC.
    """

    derivation_key_index: int
    cryptogram_version: int
    cvr: bytes
    key_index: int | None = None
    device_id: int | None = None

    def to_bytes(self) -> bytes:
        head = bytes((6, self.derivation_key_index, self.cryptogram_version)) + self.cvr
        if self.key_index is None:
            return head
        return self.with_key(head, self.key_index, self.device_id or 0)

    @staticmethod
    def with_key(head: bytes, key_index: int, device_id: int) -> bytes:
        """The IAD of limited-use key ``key_index`` on device ``device_id``: ``head``, the IAD
        without key data, then the issuer discretionary data ``07 4C KI(2) DEVICE(4)``."""
        return head + bytes((7, LUK_DERIVATION_MARKER, key_index >> 8, key_index & 0xFF)) + device_id.to_bytes(4, "big")

    @classmethod
    def parse(cls, iad: bytes) -> IssuerApplicationData:
        """Raises CryptogramError naming the byte when ``iad`` is not in this layout."""
        if len(iad) < 7 or iad[0] != 6:
            raise CryptogramError(f"IAD: byte 0 must be 06 (Visa-style format) and the IAD at least 7 bytes, got {len(iad)} byte(s)")
        if len(iad) == 7:
            return cls(iad[1], iad[2], bytes(iad[3:7]))
        if len(iad) != 15 or iad[7] != 7 or iad[8] != LUK_DERIVATION_MARKER:
            raise CryptogramError(
                f"IAD: issuer discretionary data at byte 7 must be 07 4C KI(2) DEVICE(4), got {len(iad) - 7} byte(s)"
            )
        return cls(iad[1], iad[2], bytes(iad[3:7]), int.from_bytes(iad[9:11], "big"), int.from_bytes(iad[11:15], "big"))


class CardKey(Protocol):
    """A limited-use key as a card holds it: its 16 bytes (derived when asked), its index and the
    token it was derived for by the token service (None: a key made some other way)."""

    key_index: int
    token_pan: str | None

    @property
    def key(self) -> bytes: ...


class ApplicationCryptogram:
    """An ARQC (tag 9F26) as a card makes it: the key its session key is derived from (the 16
    bytes of an ICC master key, or a limited-use :class:`CardKey`), the ATC, and ``data``, the CVN
    18 input it is a MAC over. Like the 8 bytes it stands for it has a length; ``bytes()`` of it
    derives the session key and computes them (Book 2 A1.3, ISO 9797-1 MAC algorithm 3)."""

    __slots__ = ("key", "atc", "data")

    def __init__(self, key: bytes | CardKey, atc: int, data: bytes):
        self.key = key
        self.atc = atc
        self.data = data

    def __len__(self) -> int:
        return 8

    def __bytes__(self) -> bytes:
        return generate_arqc(self.session_key(), self.data)

    def session_key(self) -> bytes:
        """The session key of its ATC under its key (EMV common session key derivation)."""
        key = self.key
        return derive_session_key(key if type(key) is bytes else key.key, self.atc)

    def is_from(self, token_pan: str, key_index: int) -> bool:
        """Whether it was made with limited-use key ``key_index`` the token service derives for
        ``token_pan``: then, and only then, the issuer's recomputation gives its bytes."""
        key = self.key
        return type(key) is not bytes and key.token_pan == token_pan and key.key_index == key_index

    def __repr__(self) -> str:
        return f"ApplicationCryptogram(atc={self.atc}, key=<hidden>)"


class IssuerAuthentication:
    """Tag 91 of a 0110 answering ``cryptogram``: ARPC (method 2, Book 2 §8.2.2) || CSU. Like the
    8 bytes it stands for it has a length; ``bytes()`` of it computes them under the cryptogram's
    session key — the key the issuer derives from its own master key."""

    __slots__ = ("cryptogram", "csu")

    def __init__(self, cryptogram: ApplicationCryptogram, csu: bytes):
        self.cryptogram = cryptogram
        self.csu = csu

    def __len__(self) -> int:
        return 4 + len(self.csu)

    def __bytes__(self) -> bytes:
        cryptogram = self.cryptogram
        session_key = cryptogram.session_key()
        return arpc_method_2(session_key, generate_arqc(session_key, cryptogram.data), self.csu) + self.csu

    def __repr__(self) -> str:
        return f"IssuerAuthentication(csu={self.csu.hex().upper()})"


def arqc_input(tags: Mapping[int, bytes]) -> bytes:
    """The CVN 18 cryptogram input from a ``{tag: value}`` map (e.g. flattened DE55)."""
    try:
        values = [tags[tag] for tag in _INPUT_TAGS]
        if tuple(map(len, values[:-1])) == _FIXED_LENGTHS:
            return b"".join(values)
    except (KeyError, TypeError):
        pass
    for tag, length in ARQC_INPUT_TAGS:  # say what is wrong
        value = tags.get(tag)
        if value is None:
            raise CryptogramError(f"ARQC input: tag {tag:X} is missing")
        if length is not None and len(value) != length:
            raise CryptogramError(f"ARQC input: tag {tag:X} must be {length} bytes, got {len(value)}")
    raise CryptogramError("ARQC input: a value is not bytes")
