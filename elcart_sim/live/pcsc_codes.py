"""PC/SC as pcsc-lite reports it: return codes, reader states, and a failed call turned into a
typed :class:`~elcart_sim.core.errors.LinkError` with the code and its text.

The values are pcsc-lite's (``pcsclite.h``; the same as Windows ``winerror.h``). Nothing here
imports pyscard: functions that call PC/SC take pyscard's ``scard`` module as an argument, so
:mod:`elcart_sim.live.pcsc_link` stays the only module that imports it.

How :class:`~elcart_sim.live.pcsc_link.PcscLink` reports each failure:

=====================================  ==================================================
PC/SC condition                        error
=====================================  ==================================================
pyscard missing                        ``MissingDependencyError``
SCARD_E_NO_SERVICE, SERVICE_STOPPED    ``PcscServiceError`` (pcscd is not running)
no reader / no reader matches          ``ReaderNotFoundError`` (lists the readers)
no card within the timeout             ``NoCardError``
card gone during an APDU (tear)        ``CardRemovedError``
reader gone                            ``ReaderRemovedError``
anything else                          ``LinkError`` with the PC/SC code and text
=====================================  ==================================================

    >>> hresult_code(-2146435043) == E_NO_SERVICE
    True
    >>> apdu_name(bytes.fromhex("00A404000E"))
    'SELECT (00A40400)'
"""

from __future__ import annotations

from types import ModuleType

from elcart_sim.core.errors import LinkError, PcscServiceError

__all__ = [
    "CARD_GONE",
    "E_CANCELLED",
    "E_COMM_DATA_LOST",
    "E_INVALID_HANDLE",
    "E_NOT_TRANSACTED",
    "E_NO_READERS_AVAILABLE",
    "E_NO_SERVICE",
    "E_NO_SMARTCARD",
    "E_PROTO_MISMATCH",
    "E_READER_UNAVAILABLE",
    "E_SERVICE_STOPPED",
    "E_SHARING_VIOLATION",
    "E_TIMEOUT",
    "E_UNKNOWN_READER",
    "F_COMM_ERROR",
    "INS_NAMES",
    "READER_GONE",
    "SERVICE_GONE",
    "START_HINT",
    "STATE_EMPTY",
    "STATE_MUTE",
    "STATE_PRESENT",
    "STATE_UNAVAILABLE",
    "STATE_UNAWARE",
    "STATE_UNKNOWN",
    "S_SUCCESS",
    "W_REMOVED_CARD",
    "W_RESET_CARD",
    "W_UNPOWERED_CARD",
    "W_UNRESPONSIVE_CARD",
    "hresult_code",
    "describe",
    "service_error",
    "establish_context",
    "reader_names",
    "apdu_name",
]

START_HINT = "start it with hardware/pcsc-stack.sh start"

# PC/SC return codes (pcsc-lite pcsclite.h, the same values as Windows winerror.h).
S_SUCCESS = 0x00000000
E_CANCELLED = 0x80100002
E_INVALID_HANDLE = 0x80100003
E_UNKNOWN_READER = 0x80100009
E_TIMEOUT = 0x8010000A
E_SHARING_VIOLATION = 0x8010000B
E_NO_SMARTCARD = 0x8010000C
E_PROTO_MISMATCH = 0x8010000F
F_COMM_ERROR = 0x80100013
E_NOT_TRANSACTED = 0x80100016
E_READER_UNAVAILABLE = 0x80100017
E_NO_SERVICE = 0x8010001D
E_SERVICE_STOPPED = 0x8010001E
E_NO_READERS_AVAILABLE = 0x8010002E
E_COMM_DATA_LOST = 0x8010002F
W_UNRESPONSIVE_CARD = 0x80100066
W_UNPOWERED_CARD = 0x80100067
W_RESET_CARD = 0x80100068
W_REMOVED_CARD = 0x80100069

SERVICE_GONE = {E_NO_SERVICE, E_SERVICE_STOPPED, E_INVALID_HANDLE}
CARD_GONE = {
    E_NO_SMARTCARD,
    F_COMM_ERROR,
    E_NOT_TRANSACTED,
    E_COMM_DATA_LOST,
    W_UNRESPONSIVE_CARD,
    W_UNPOWERED_CARD,
    W_RESET_CARD,
    W_REMOVED_CARD,
}
READER_GONE = {E_UNKNOWN_READER, E_READER_UNAVAILABLE, E_NO_READERS_AVAILABLE}

# SCardGetStatusChange reader states (pcsclite.h); pcsc-lite keeps a per-reader count of
# card insertions and removals in the upper 16 bits of the event state.
STATE_UNAWARE = 0x0000
STATE_UNKNOWN = 0x0004
STATE_UNAVAILABLE = 0x0008
STATE_EMPTY = 0x0010
STATE_PRESENT = 0x0020
STATE_MUTE = 0x0200

# Instruction names for error messages (ISO/IEC 7816-4, EMV Book 3 §6.5).
INS_NAMES = {
    0xA4: "SELECT",
    0xA8: "GET PROCESSING OPTIONS",
    0xB2: "READ RECORD",
    0xAE: "GENERATE AC",
    0xCA: "GET DATA",
    0xC0: "GET RESPONSE",
    0x82: "EXTERNAL AUTHENTICATE",
}

def hresult_code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


def describe(scard: ModuleType, hresult: int) -> str:
    code = hresult_code(hresult)
    try:
        text = str(scard.SCardGetErrorMessage(hresult)).strip().rstrip(".")
    except Exception:  # pyscard without a message for this code
        text = "unknown PC/SC error"
    return f"{text} (0x{code:08X})"


def service_error(scard: ModuleType, hresult: int) -> PcscServiceError:
    return PcscServiceError(f"pcscd is not running: {START_HINT} [{describe(scard, hresult)}]")


def establish_context(scard: ModuleType) -> int:
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult_code(hresult) != S_SUCCESS:
        if hresult_code(hresult) in SERVICE_GONE:
            raise service_error(scard, hresult)
        raise PcscServiceError(f"cannot open a PC/SC context: {describe(scard, hresult)}")
    return context


def reader_names(scard: ModuleType, context: int) -> list[str]:
    hresult, readers = scard.SCardListReaders(context, [])
    code = hresult_code(hresult)
    if code == E_NO_READERS_AVAILABLE:
        return []
    if code in SERVICE_GONE:
        raise service_error(scard, hresult)
    if code != S_SUCCESS:
        raise LinkError(f"cannot list PC/SC readers: {describe(scard, hresult)}")
    return list(readers)


def apdu_name(command: bytes) -> str:
    if len(command) < 4:
        return f"APDU {command.hex().upper()}"
    name = INS_NAMES.get(command[1], f"INS {command[1]:02X}")
    return f"{name} ({command[:4].hex().upper()})"
