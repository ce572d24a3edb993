"""The phone's HCE payment applet: what answers the POS terminal when the phone is tapped.

Physical picture: Android routes every APDU for the PPSE and our AID to the wallet's
HostApduService, which hands the bytes to :meth:`PaymentApplet.process` and sends back what it
returns. The applet holds one token credential (token PAN, expiry, PAR and an ICC master key)
and a transaction counter (ATC). It behaves as a Visa qVSDC-style card (EMV Contactless Book
C-3 semantics, four APDUs): SELECT PPSE -> SELECT AID -> GET PROCESSING OPTIONS, whose answer
already carries the ARQC -> READ RECORD. Byte layouts follow the trace in
``/work/shared/reference/pcsc-and-emv.md`` §3.1.

Choices (simplifications flagged in that note, §8.16):
  - AIP ``0000``; AFL ``08010100`` (SFI 1, record 1, no ODA record).
  - IAD ``06011203A00000``: Visa format, length 06, derivation key index 01, CVN 0x12 (= 18),
    CVR ``03A00000`` as in the prototype. The issuer does not evaluate the CVR.
  - CID ``80`` (ARQC: always go online). CTQ ``9F6C`` = ``0080`` when the consumer device CVM
    (phone unlock/biometric) was performed (byte 2 bit 8), ``0000`` otherwise.
  - Static ICC master key; real HCE wallets use limited-use keys (§5.8).

Status words: 6700 wrong length or malformed frame, 6E00 class not supported, 6D00 instruction
not supported, 6A86 bad P1/P2, 6A82 application or file not found, 6A83 record not found,
6A80 GPO data not in template 83, 6985 GPO/READ RECORD before SELECT AID, a second GPO in the
same selection, or an exhausted ATC. After any error the applet keeps answering.

The static answers are built once; a GPO costs one session key derivation and one MAC.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

from elcart_sim.protocol.apdu import PPSE
from elcart_sim.protocol.cryptogram import derive_session_key, generate_arqc
from elcart_sim.protocol.luhn import is_luhn_valid
from elcart_sim.protocol.tlv import encode, encode_constructed
from elcart_sim.redact import mask_pan

__all__ = [
    "TokenCredential",
    "PaymentApplet",
    "DEFAULT_AID",
    "DEFAULT_LABEL",
    "PDOL",
    "AIP",
    "AFL",
    "IAD",
]

DEFAULT_AID = bytes.fromhex("F0000004171010")
"""Proprietary (ISO 7816-5 category F) AID; no public ELKART RID exists (pcsc-and-emv.md §6)."""
DEFAULT_LABEL = "ELKART PAY"

# TTQ, amount, amount other, country, TVR, currency, date, type, UN. The order after the TTQ is
# the CVN 18 cryptogram input order, so the ARQC input is a slice of the PDOL data.
PDOL = bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")
_PDOL_DATA_LEN = 33
AIP = bytes.fromhex("0000")
AFL = bytes.fromhex("08010100")
IAD = bytes.fromhex("06011203A00000")
_CID_ARQC = b"\x80"
_CTQ_CDCVM = bytes.fromhex("0080")
_CTQ_NO_CVM = bytes.fromhex("0000")
_SERVICE_CODE = "201"  # international, chip; normal authorisation; no restrictions
_DISCRETIONARY = "0" * 13
_LANGUAGES = b"kyruen"  # Kyrgyz, Russian, English (ISO 639-1)

_SW_OK = b"\x90\x00"
_SW_WRONG_LENGTH = b"\x67\x00"
_SW_CONDITIONS = b"\x69\x85"
_SW_WRONG_DATA = b"\x6a\x80"
_SW_NOT_FOUND = b"\x6a\x82"
_SW_RECORD_NOT_FOUND = b"\x6a\x83"
_SW_P1P2 = b"\x6a\x86"
_SW_INS = b"\x6d\x00"
_SW_CLA = b"\x6e\x00"

_IDLE, _PPSE_SELECTED, _APP_SELECTED, _GPO_DONE = range(4)


@dataclass(frozen=True, slots=True)
class TokenCredential:
    """What the token service provisions into the wallet for one token.

    ``expiry`` is 'YYMM'; ``par`` the 29-character Payment Account Reference; the key is the
    16-byte ICC master key (option A, derived by the issuer from its IMK and the token PAN).
    The repr masks the PAN and hides the key."""

    token_pan: str
    expiry: str
    psn: int
    par: str
    icc_master_key: bytes

    def __post_init__(self) -> None:
        if not (len(self.token_pan) == 16 and self.token_pan.isdigit()):
            raise ValueError("token_pan must be 16 digits")
        if not is_luhn_valid(self.token_pan):
            raise ValueError(f"token_pan {mask_pan(self.token_pan)} fails the Luhn check")
        e = self.expiry
        if not (len(e) == 4 and e.isascii() and e.isdigit() and 1 <= int(e[2:]) <= 12):
            raise ValueError(f"expiry must be 'YYMM', got {self.expiry!r}")
        if not 0 <= self.psn <= 99:
            raise ValueError(f"psn must be 0-99, got {self.psn}")
        if not (len(self.par) == 29 and self.par.isascii() and self.par.isalnum()):
            raise ValueError(f"par must be 29 alphanumeric characters, got {len(self.par)}")
        if len(self.icc_master_key) != 16:
            raise ValueError(f"icc_master_key must be 16 bytes, got {len(self.icc_master_key)}")

    def __repr__(self) -> str:
        return (
            f"TokenCredential(token_pan={mask_pan(self.token_pan)!r}, expiry={self.expiry!r}, "
            f"psn={self.psn}, par={self.par!r}, icc_master_key=<hidden>)"
        )


def _track2(pan: str, expiry: str) -> bytes:
    digits = f"{pan}D{expiry}{_SERVICE_CODE}{_DISCRETIONARY}"
    if len(digits) % 2:
        digits += "F"
    return bytes.fromhex(digits)


class PaymentApplet:
    """An HCE payment applet: ``process(command APDU bytes) -> response APDU bytes``.

    ``atc`` is the counter before the first transaction; each successful GPO increments it
    first, so a fresh applet's first cryptogram has ATC 1. ``cdcvm_performed`` says whether the
    wallet verified the user (unlock, biometric) before this tap; the wallet may change it
    between taps."""

    def __init__(
        self,
        credential: TokenCredential,
        *,
        aid: bytes = DEFAULT_AID,
        label: str = DEFAULT_LABEL,
        atc: int = 0,
        cdcvm_performed: bool = True,
    ) -> None:
        if not 5 <= len(aid) <= 16:
            raise ValueError(f"aid must be 5-16 bytes, got {len(aid)}")
        if not 0 <= atc <= 0xFFFF:
            raise ValueError(f"atc must be 0-65535, got {atc}")
        self.credential = credential
        self.aid = bytes(aid)
        self.cdcvm_performed = cdcvm_performed
        self._atc = atc
        self._state = _IDLE
        c = credential
        label_b = label.encode("ascii")
        track2 = _track2(c.token_pan, c.expiry)
        yy, mm = int(c.expiry[:2]), int(c.expiry[2:])
        last_day = calendar.monthrange(2000 + yy, mm)[1]
        psn_b = bytes.fromhex(f"{c.psn:02d}")

        self._ppse_fci = (
            encode_constructed(
                0x6F,
                encode(0x84, PPSE),
                encode_constructed(
                    0xA5,
                    encode_constructed(
                        0xBF0C,
                        encode_constructed(
                            0x61,
                            encode(0x4F, self.aid),
                            encode(0x50, label_b),
                            encode(0x87, b"\x01"),
                        ),
                    ),
                ),
            )
            + _SW_OK
        )
        self._aid_fci = (
            encode_constructed(
                0x6F,
                encode(0x84, self.aid),
                encode_constructed(
                    0xA5,
                    encode(0x50, label_b),
                    encode(0x87, b"\x01"),
                    encode(0x5F2D, _LANGUAGES),
                    encode(0x9F38, PDOL),
                ),
            )
            + _SW_OK
        )
        self._record_1 = (
            encode_constructed(
                0x70,
                encode(0x57, track2),
                encode(0x5A, bytes.fromhex(c.token_pan)),
                encode(0x5F24, bytes.fromhex(f"{c.expiry}{last_day:02d}")),
                encode(0x5F28, bytes.fromhex("0417")),
                encode(0x5F34, psn_b),
                encode(0x9F24, c.par.encode("ascii")),
            )
            + _SW_OK
        )
        # GPO answer = 77 L | head | ARQC | mid | ATC | tail; only ARQC and ATC vary.
        head = (
            encode(0x82, AIP)
            + encode(0x94, AFL)
            + encode(0x57, track2)
            + encode(0x5F34, psn_b)
            + encode(0x9F10, IAD)
            + b"\x9f\x26\x08"
        )
        mid = encode(0x9F27, _CID_ARQC) + b"\x9f\x36\x02"
        body_len = len(head) + 8 + len(mid) + 2 + len(encode(0x9F6C, _CTQ_CDCVM))
        if body_len > 0x7F:
            raise ValueError("GPO template exceeds one-byte length; shorten the credential")
        self._gpo_head = b"\x77" + bytes((body_len,)) + head
        self._gpo_mid = mid
        self._gpo_tail_cdcvm = encode(0x9F6C, _CTQ_CDCVM) + _SW_OK
        self._gpo_tail_no_cvm = encode(0x9F6C, _CTQ_NO_CVM) + _SW_OK

    @property
    def atc(self) -> int:
        """The Application Transaction Counter of the last GPO (or the starting value)."""
        return self._atc

    def process(self, command: bytes) -> bytes:
        """Answer one command APDU; never raises for malformed input."""
        n = len(command)
        if n < 4:
            return _SW_WRONG_LENGTH
        cla, ins, p1, p2 = command[0], command[1], command[2], command[3]
        if cla != 0x00 and cla != 0x80:
            return _SW_CLA
        if n <= 5:
            data = b""
        else:
            lc = command[4]
            if lc == 0 or (n != 5 + lc and n != 6 + lc):
                return _SW_WRONG_LENGTH
            data = command[5 : 5 + lc]
        if ins == 0xA8:
            return self._gpo(cla, p1, p2, data) if cla == 0x80 else _SW_CLA
        if ins == 0xB2:
            return self._read_record(p1, p2, data) if cla == 0x00 else _SW_CLA
        if ins == 0xA4:
            return self._select(p1, p2, data) if cla == 0x00 else _SW_CLA
        return _SW_INS

    def _select(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x04 or p2 != 0x00:
            return _SW_P1P2
        if data == self.aid:
            self._state = _APP_SELECTED
            return self._aid_fci
        if data == PPSE:
            self._state = _PPSE_SELECTED
            return self._ppse_fci
        if not data:
            return _SW_WRONG_LENGTH
        return _SW_NOT_FOUND  # selection unchanged (ISO 7816-4 §7.1.1)

    def _gpo(self, cla: int, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x00 or p2 != 0x00:
            return _SW_P1P2
        if self._state != _APP_SELECTED:
            return _SW_CONDITIONS
        if len(data) < 2 or data[0] != 0x83 or data[1] != len(data) - 2:
            return _SW_WRONG_DATA
        if data[1] != _PDOL_DATA_LEN:
            return _SW_WRONG_LENGTH
        if self._atc >= 0xFFFF:
            return _SW_CONDITIONS
        self._atc += 1
        self._state = _GPO_DONE
        atc_b = self._atc.to_bytes(2, "big")
        session_key = derive_session_key(self.credential.icc_master_key, self._atc)
        arqc = generate_arqc(session_key, data[6:] + AIP + atc_b + IAD)
        tail = self._gpo_tail_cdcvm if self.cdcvm_performed else self._gpo_tail_no_cvm
        return self._gpo_head + arqc + self._gpo_mid + atc_b + tail

    def _read_record(self, p1: int, p2: int, data: bytes) -> bytes:
        if data:
            return _SW_WRONG_LENGTH
        if p2 & 0x07 != 0x04:
            return _SW_P1P2
        if self._state < _APP_SELECTED:
            return _SW_CONDITIONS
        if p2 >> 3 != 1:
            return _SW_NOT_FOUND
        if p1 != 1:
            return _SW_RECORD_NOT_FOUND
        return self._record_1
