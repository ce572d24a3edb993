"""Command and response APDUs, the frames a reader and a card swap (ISO/IEC 7816-4 §5).

Physical picture: over the contactless field the terminal sends a command APDU - a 4-byte
header CLA INS P1 P2, optionally Lc and that many data bytes, optionally Le (the most it wants
back) - and the phone answers with data followed by a two-byte status word (``9000`` = done).
Only short APDUs (cases 1-4, Lc and Le one byte each) are used in EMV contactless; an
extended-length frame (a ``00`` byte where Lc would be) is rejected.

The builders make the four commands of an EMV contactless transaction (EMV 4.4 Book 3 §6.5):
SELECT, GET PROCESSING OPTIONS, READ RECORD and GENERATE AC.
"""

from __future__ import annotations

from typing import NamedTuple

from elcart_sim.core.errors import ApduError, StatusWordError
from elcart_sim.protocol.emv.tlv import Tlv
from elcart_sim.protocol.emv.tlv import decode as tlv_decode
from elcart_sim.protocol.emv.tlv import encode as tlv_encode

__all__ = [
    "CommandApdu",
    "ResponseApdu",
    "PPSE",
    "SW_OK",
    "SW_WRONG_LENGTH",
    "SW_SECURITY_STATUS_NOT_SATISFIED",
    "SW_REFERENCE_DATA_NOT_USABLE",
    "SW_CONDITIONS_NOT_SATISFIED",
    "SW_WRONG_DATA",
    "SW_FILE_NOT_FOUND",
    "SW_RECORD_NOT_FOUND",
    "SW_INCORRECT_P1P2",
    "SW_INS_NOT_SUPPORTED",
    "SW_CLA_NOT_SUPPORTED",
    "STATUS_WORDS",
    "describe_status_word",
    "AC_AAC",
    "AC_TC",
    "AC_ARQC",
    "select",
    "get_processing_options",
    "read_record",
    "generate_ac",
]

PPSE = b"2PAY.SYS.DDF01"
"""DF name of the Proximity Payment System Environment (EMV Contactless Book B)."""

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_STATUS_NOT_SATISFIED = 0x6982
SW_REFERENCE_DATA_NOT_USABLE = 0x6984
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_RECORD_NOT_FOUND = 0x6A83
SW_INCORRECT_P1P2 = 0x6A86
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

# Meaning of each status word our applet or kernel uses (ISO/IEC 7816-4:2020 §5.6, tables 5-6).
STATUS_WORDS: dict[int, str] = {
    SW_OK: "normal processing",
    SW_WRONG_LENGTH: "wrong length",
    SW_SECURITY_STATUS_NOT_SATISFIED: "security status not satisfied",
    SW_REFERENCE_DATA_NOT_USABLE: "reference data not usable",
    SW_CONDITIONS_NOT_SATISFIED: "conditions of use not satisfied",
    SW_WRONG_DATA: "incorrect parameters in the command data field",
    SW_FILE_NOT_FOUND: "file or application not found",
    SW_RECORD_NOT_FOUND: "record not found",
    SW_INCORRECT_P1P2: "incorrect parameters P1-P2",
    SW_INS_NOT_SUPPORTED: "instruction code not supported or invalid",
    SW_CLA_NOT_SUPPORTED: "class not supported",
    0x6F00: "no precise diagnosis",
}


def describe_status_word(sw: int) -> str:
    """The ISO/IEC 7816-4 meaning of ``sw`` in words, e.g. ``6985`` -> 'conditions of use not
    satisfied'; status words outside our table are described by their group (SW1)."""
    known = STATUS_WORDS.get(sw)
    if known is not None:
        return known
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == 0x61:
        return f"{sw2} more response bytes available"
    if sw1 == 0x6C:
        return f"wrong Le field; {sw2} bytes available"
    if sw1 in (0x62, 0x63):
        return "warning"
    if 0x64 <= sw1 <= 0x66:
        return "execution error"
    if 0x67 <= sw1 <= 0x6F:
        return "checking error"
    return "unknown status word"


def _valid_sw1(sw1: int) -> bool:
    """ISO/IEC 7816-4 §5.6: SW1 is 61-6F or 90-9F; 60 is a T=0 procedure byte, not a status."""
    return 0x61 <= sw1 <= 0x6F or 0x90 <= sw1 <= 0x9F


_ONE_BYTE = tuple(bytes((b,)) for b in range(256))
_new = tuple.__new__  # an APDU object from all its fields, without the named tuple's Python-level __new__

# GENERATE AC reference control parameter, P1 bits 8-7 (Book 3 Table 12).
AC_AAC = 0x00
AC_TC = 0x40
AC_ARQC = 0x80


class _CommandFields(NamedTuple):
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None


class CommandApdu(_CommandFields):
    """A short command APDU (immutable). ``le`` is Ne, the most response bytes wanted: 1-256
    (256 is sent as Le byte ``00``), or ``None`` for no Le field."""

    __slots__ = ()

    def __new__(cls, cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> CommandApdu:
        if not (0 <= cla <= 0xFF and 0 <= ins <= 0xFF and 0 <= p1 <= 0xFF and 0 <= p2 <= 0xFF):
            for name, v in (("cla", cla), ("ins", ins), ("p1", p1), ("p2", p2)):
                if not 0 <= v <= 0xFF:
                    raise ApduError(f"APDU {name} must be one byte (0-255), got {v}")
        if len(data) > 255:
            raise ApduError(f"APDU data is {len(data)} bytes; short APDUs carry at most 255")
        if le is not None and not 1 <= le <= 256:
            raise ApduError(f"APDU le must be 1-256 or None, got {le}")
        return _new(cls, (cla, ins, p1, p2, data, le))

    def to_bytes(self) -> bytes:
        data, le = self.data, self.le
        if data:
            out = bytes((self.cla, self.ins, self.p1, self.p2, len(data))) + data
        else:
            out = bytes((self.cla, self.ins, self.p1, self.p2))
        if le is not None:
            out += _ONE_BYTE[le & 0xFF]
        return out

    @classmethod
    def parse(cls, raw: bytes) -> CommandApdu:
        """Parse cases 1-4 (short); anything else raises ApduError quoting the bytes in hex."""
        raw = bytes(raw)
        n = len(raw)
        if n < 4:
            raise ApduError(f"command APDU shorter than the 4-byte header: {raw.hex().upper()}")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        if n == 4:
            return cls(cla, ins, p1, p2)
        if n == 5:
            return cls(cla, ins, p1, p2, b"", raw[4] or 256)
        lc = raw[4]
        if lc == 0:
            raise ApduError(
                f"extended-length command APDU (Lc byte 00) not supported: {raw.hex().upper()}"
            )
        if n == 5 + lc:
            return cls(cla, ins, p1, p2, raw[5:])
        if n == 6 + lc:
            return cls(cla, ins, p1, p2, raw[5:-1], raw[-1] or 256)
        raise ApduError(
            f"command APDU Lc={lc:02X} announces {lc} data bytes but {n - 5} byte(s) follow "
            f"the Lc byte: {raw.hex().upper()}"
        )


class ResponseApdu(NamedTuple):
    """A card's answer: its data field as TLV objects and the status word as one integer
    (``0x9000``). Every answer of the EMV contactless dialogue is one template (Book 3 §6.5), so
    the data field is read as BER-TLV; the data of an answer that is not ``9000`` is not read
    (a refusing card sends none). :meth:`parse` reads the bytes a card sent, :meth:`to_bytes`
    makes them."""

    data: tuple[Tlv, ...]
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    def to_bytes(self) -> bytes:
        sw = _STATUS_BYTES.get(self.sw) or self.sw.to_bytes(2, "big")
        return b"".join([t.to_bytes() for t in self.data]) + sw

    def check(self, command: str) -> ResponseApdu:
        """Return self if SW is 9000, else raise StatusWordError naming ``command``."""
        if self.sw != SW_OK:
            raise StatusWordError(self.sw, command)
        return self

    @classmethod
    def parse(cls, raw: bytes) -> ResponseApdu:
        """The answer in ``raw``; raises ApduError when the last two bytes cannot be a status
        word (fewer than two bytes, or SW1 outside 61-6F and 90-9F), then TlvError when the
        data of a 9000 answer is not BER-TLV."""
        raw = bytes(raw)
        if len(raw) < 2:
            raise ApduError(
                f"response APDU needs at least the 2 status word bytes, got {len(raw)}: "
                f"{raw.hex().upper()}"
            )
        sw1 = raw[-2]
        if not (0x90 <= sw1 <= 0x9F or 0x61 <= sw1 <= 0x6F):  # _valid_sw1, inlined
            raise ApduError(
                f"response APDU ends in {raw[-2:].hex().upper()}, which is not a status word "
                f"(SW1 must be 61-6F or 90-9F; byte {len(raw) - 2} of {len(raw)})"
            )
        sw = (sw1 << 8) | raw[-1]
        return _new(cls, (tuple(tlv_decode(raw[:-2])) if sw == SW_OK else (), sw))


_STATUS_BYTES = {sw: sw.to_bytes(2, "big") for sw in STATUS_WORDS}


def select(aid: bytes) -> CommandApdu:
    """SELECT by DF name, first occurrence: ``00 A4 04 00 Lc <aid> 00``."""
    if not 1 <= len(aid) <= 16:
        raise ApduError(f"SELECT: DF name must be 1-16 bytes, got {len(aid)}")
    return CommandApdu(0x00, 0xA4, 0x04, 0x00, bytes(aid), 256)


def get_processing_options(pdol_data: bytes) -> CommandApdu:
    """GET PROCESSING OPTIONS with the PDOL data in command template 83: ``80 A8 00 00``."""
    return CommandApdu(0x80, 0xA8, 0x00, 0x00, tlv_encode(0x83, bytes(pdol_data)), 256)


def read_record(record: int, sfi: int) -> CommandApdu:
    """READ RECORD ``record`` of short file ``sfi``: ``00 B2 rr (sfi<<3|4) 00``."""
    if not 1 <= sfi <= 30:
        raise ApduError(f"READ RECORD: SFI must be 1-30, got {sfi}")
    if not 1 <= record <= 0xFE:
        raise ApduError(f"READ RECORD: record number must be 1-254, got {record}")
    return CommandApdu(0x00, 0xB2, record, (sfi << 3) | 0x04, b"", 256)


def generate_ac(reference_control: int, cdol_data: bytes) -> CommandApdu:
    """GENERATE AC: ``80 AE P1 00 Lc <CDOL data> 00``; P1 is AC_ARQC, AC_TC or AC_AAC,
    optionally with the CDA bit ``0x10``."""
    if reference_control & ~0xD0:
        raise ApduError(f"GENERATE AC: reference control {reference_control:#04x} is invalid")
    return CommandApdu(0x80, 0xAE, reference_control, 0x00, bytes(cdol_data), 256)
