"""The terminal's NFC link over a real PC/SC reader: the only module that imports pyscard.

Physical picture: the POS kernel talks to a contactless reader through pcscd. A phone held to
the reader shows up as a card in the reader's slot; the link waits for it, connects with T=1
(ISO-DEP), and then carries one command APDU at a time. Taking the phone away shows up as an
empty slot, and an APDU in flight at that moment fails: a torn transaction.

With vsmartcard's vpcd driver the "reader" is a TCP port and the "phone" is our
:class:`elcart_sim.live.vpcd.VirtualPhone`; with a CCID reader (ACR1252U, uTrust 3700 F...)
it is a real phone running the HCE wallet (hardware/README.md). The kernel cannot tell the
difference: both are an :class:`~elcart_sim.acceptance.nfc_link.NfcLink`.

pcscd notices a new card by polling (30-400 ms for vpcd) and a removal about 300 ms later, so
every wait here is a ``SCardGetStatusChange`` with a timeout, never a fixed sleep. pyscard is
imported lazily, so ``import elcart_sim`` works on machines without it.

Every PC/SC failure becomes a typed :class:`~elcart_sim.core.errors.LinkError`:

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
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType, TracebackType
from typing import Literal

from elcart_sim.core.errors import (
    CardRemovedError,
    LinkError,
    NoCardError,
    PcscServiceError,
    ReaderNotFoundError,
    ReaderRemovedError,
)
from elcart_sim.core.optional import require

__all__ = ["PcscLink", "list_readers"]

START_HINT = "start it with hardware/pcsc-stack.sh start"

# PC/SC return codes (pcsc-lite pcsclite.h, the same values as Windows winerror.h).
_S_SUCCESS = 0x00000000
_E_CANCELLED = 0x80100002
_E_INVALID_HANDLE = 0x80100003
_E_UNKNOWN_READER = 0x80100009
_E_TIMEOUT = 0x8010000A
_E_SHARING_VIOLATION = 0x8010000B
_E_NO_SMARTCARD = 0x8010000C
_E_PROTO_MISMATCH = 0x8010000F
_F_COMM_ERROR = 0x80100013
_E_NOT_TRANSACTED = 0x80100016
_E_READER_UNAVAILABLE = 0x80100017
_E_NO_SERVICE = 0x8010001D
_E_SERVICE_STOPPED = 0x8010001E
_E_NO_READERS_AVAILABLE = 0x8010002E
_E_COMM_DATA_LOST = 0x8010002F
_W_UNRESPONSIVE_CARD = 0x80100066
_W_UNPOWERED_CARD = 0x80100067
_W_RESET_CARD = 0x80100068
_W_REMOVED_CARD = 0x80100069

_SERVICE_GONE = {_E_NO_SERVICE, _E_SERVICE_STOPPED, _E_INVALID_HANDLE}
_CARD_GONE = {
    _E_NO_SMARTCARD,
    _F_COMM_ERROR,
    _E_NOT_TRANSACTED,
    _E_COMM_DATA_LOST,
    _W_UNRESPONSIVE_CARD,
    _W_UNPOWERED_CARD,
    _W_RESET_CARD,
    _W_REMOVED_CARD,
}
_READER_GONE = {_E_UNKNOWN_READER, _E_READER_UNAVAILABLE, _E_NO_READERS_AVAILABLE}

# SCardGetStatusChange reader states (pcsclite.h); pcsc-lite keeps a per-reader count of
# card insertions and removals in the upper 16 bits of the event state.
_STATE_UNAWARE = 0x0000
_STATE_UNKNOWN = 0x0004
_STATE_UNAVAILABLE = 0x0008
_STATE_EMPTY = 0x0010
_STATE_PRESENT = 0x0020
_STATE_MUTE = 0x0200

# Instruction names for error messages (ISO/IEC 7816-4, EMV Book 3 §6.5).
_INS_NAMES = {
    0xA4: "SELECT",
    0xA8: "GET PROCESSING OPTIONS",
    0xB2: "READ RECORD",
    0xAE: "GENERATE AC",
    0xCA: "GET DATA",
    0xC0: "GET RESPONSE",
    0x82: "EXTERNAL AUTHENTICATE",
}

_RETRY_S = 0.1  # connect retry step while pcscd catches up with a card that came and went
_MAX_GET_RESPONSE = 16  # 16 x 256 bytes is far beyond any EMV response


def _import_scard() -> ModuleType:
    return require(
        "smartcard.scard", package="pyscard", extra="hardware", needed_for="a PC/SC reader",
        note="it builds from source: gcc and libpcsclite-dev, from bash hardware/pcsc-stack.sh install",
    )  # fmt: skip


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


def _describe(scard: ModuleType, hresult: int) -> str:
    code = _code(hresult)
    try:
        text = str(scard.SCardGetErrorMessage(hresult)).strip().rstrip(".")
    except Exception:  # pyscard without a message for this code
        text = "unknown PC/SC error"
    return f"{text} (0x{code:08X})"


def _service_error(scard: ModuleType, hresult: int) -> PcscServiceError:
    return PcscServiceError(f"pcscd is not running: {START_HINT} [{_describe(scard, hresult)}]")


def _establish_context(scard: ModuleType) -> int:
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if _code(hresult) != _S_SUCCESS:
        if _code(hresult) in _SERVICE_GONE:
            raise _service_error(scard, hresult)
        raise PcscServiceError(f"cannot open a PC/SC context: {_describe(scard, hresult)}")
    return context


def _list(scard: ModuleType, context: int) -> list[str]:
    hresult, readers = scard.SCardListReaders(context, [])
    code = _code(hresult)
    if code == _E_NO_READERS_AVAILABLE:
        return []
    if code in _SERVICE_GONE:
        raise _service_error(scard, hresult)
    if code != _S_SUCCESS:
        raise LinkError(f"cannot list PC/SC readers: {_describe(scard, hresult)}")
    return list(readers)


def list_readers() -> list[str]:
    """Names of the PC/SC readers pcscd knows, in slot order (empty when none is attached)."""
    scard = _import_scard()
    context = _establish_context(scard)
    try:
        return _list(scard, context)
    finally:
        scard.SCardReleaseContext(context)


def _apdu_name(command: bytes) -> str:
    if len(command) < 4:
        return f"APDU {command.hex().upper()}"
    name = _INS_NAMES.get(command[1], f"INS {command[1]:02X}")
    return f"{name} ({command[:4].hex().upper()})"


class PcscLink:
    """An :class:`NfcLink` through a PC/SC reader; waits for a card and connects on creation.

    ``reader`` is a case-insensitive substring of the reader name (the first match wins), an
    index into :func:`list_readers`, or ``None`` for the first reader. ``card_timeout_s``
    bounds every wait for a card. ``protocol`` is ``"T1"`` (ISO-DEP: contactless cards and
    HCE phones) or ``"any"`` (T=0 or T=1). ``wait=False`` only opens the reader; call
    :meth:`wait_for_card` (or :meth:`wait_for_removal`) later.

    Use as a context manager, or call :meth:`close`. For back-to-back taps call
    :meth:`next_tap`, which switches the field off and waits for a card that was placed
    after the previous one.
    """

    def __init__(
        self,
        reader: str | int | None = None,
        *,
        card_timeout_s: float = 5.0,
        protocol: Literal["T1", "any"] = "T1",
        wait: bool = True,
    ):
        if card_timeout_s <= 0:
            raise ValueError(f"card_timeout_s must be > 0, got {card_timeout_s}")
        if protocol not in ("T1", "any"):
            raise ValueError(f"protocol must be 'T1' or 'any', got {protocol!r}")
        self._scard = _import_scard()
        self.card_timeout_s = card_timeout_s
        self._protocols = self._scard.SCARD_PROTOCOL_T1
        if protocol == "any":
            self._protocols |= self._scard.SCARD_PROTOCOL_T0
        self._context: int | None = _establish_context(self._scard)
        self._card: int | None = None
        self._active_protocol = 0
        self._card_event: int | None = None  # the reader's event count when we connected
        self.atr = b""
        try:
            self.reader = self._find_reader(reader)
            self.name = f"pcsc:{self.reader}"
            if wait:
                self.wait_for_card()
        except BaseException:
            self.close()
            raise

    # -- NfcLink -------------------------------------------------------------------------------

    def transceive(self, command: bytes) -> tuple[bytes, float]:
        """Send one command APDU; return ``(response data || SW1 SW2, duration_s)``.

        ``duration_s`` is wall time around the PC/SC transmit, including any GET RESPONSE
        that a ``61xx`` status makes necessary.
        """
        if self._card is None:
            raise NoCardError(f"no card connected on reader '{self.reader}': call wait_for_card()")
        if len(command) < 4:
            raise LinkError(f"command APDU must be at least 4 bytes, got {command.hex().upper()!r}")
        started = time.perf_counter()
        response = self._transmit(command, command)
        data = bytearray()
        for _ in range(_MAX_GET_RESPONSE):
            if len(response) < 2 or response[-2] != 0x61:
                break
            data += response[:-2]
            get_response = bytes([command[0] & 0x03, 0xC0, 0x00, 0x00, response[-1]])
            response = self._transmit(get_response, command)
        duration_s = time.perf_counter() - started
        return bytes(data) + response, duration_s

    # -- taps ----------------------------------------------------------------------------------

    def wait_for_card(self, timeout_s: float | None = None) -> float:
        """Wait for a card placed after the last one we connected to, and connect to it.

        Returns the seconds waited. Raises :class:`NoCardError` after ``timeout_s``
        (default ``card_timeout_s``).
        """
        timeout = self.card_timeout_s if timeout_s is None else timeout_s
        started = time.perf_counter()
        deadline = started + timeout
        self.release()
        while True:
            state = self._wait_for_state(
                lambda s: (
                    bool(s & _STATE_PRESENT)
                    and not s & _STATE_MUTE
                    and (self._card_event is None or s >> 16 != self._card_event)
                ),
                max(deadline - time.perf_counter(), 0.0),
                f"no card or phone on reader '{self.reader}' within {timeout:g} s",
            )
            try:
                self._connect(state >> 16)
            except CardRemovedError:
                # pcscd still lists a card that has left (its next poll is up to 400 ms away),
                # or a new phone the driver has not taken yet. Wait for the slot to change, a
                # little at a time, and try again until the deadline.
                if time.perf_counter() >= deadline:
                    raise NoCardError(
                        f"no card or phone on reader '{self.reader}' within {timeout:g} s "
                        "(a card was listed but gone when connecting)"
                    ) from None
                self._wait_for_change(
                    state, min(_RETRY_S, max(deadline - time.perf_counter(), 0.0))
                )
                continue
            return time.perf_counter() - started

    def wait_for_removal(self, timeout_s: float | None = None) -> float:
        """Switch the field off and wait until the card has left the reader; seconds waited."""
        timeout = self.card_timeout_s if timeout_s is None else timeout_s
        started = time.perf_counter()
        self.release()
        self._wait_for_state(
            lambda s: (
                bool(s & _STATE_EMPTY)
                or (self._card_event is not None and s >> 16 != self._card_event)
            ),
            timeout,
            f"the card stayed on reader '{self.reader}' for {timeout:g} s after the tap",
            error=LinkError,
        )
        return time.perf_counter() - started

    def next_tap(self, timeout_s: float | None = None) -> float:
        """End this tap (field off) and connect to the next card; seconds waited."""
        return self.wait_for_card(timeout_s)

    def release(self) -> None:
        """Disconnect from the card and power it off, as a reader switching its field off."""
        if self._card is None:
            return
        card, self._card = self._card, None
        self._scard.SCardDisconnect(card, self._scard.SCARD_UNPOWER_CARD)  # errors: card gone

    def close(self) -> None:
        """Release the card and the PC/SC context; safe to call twice."""
        try:
            self.release()
        finally:
            if self._context is not None:
                context, self._context = self._context, None
                self._scard.SCardReleaseContext(context)

    def __enter__(self) -> PcscLink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "connected" if self._card is not None else "no card"
        return f"PcscLink(reader={getattr(self, 'reader', None)!r}, {state})"

    # -- PC/SC ---------------------------------------------------------------------------------

    def _find_reader(self, wanted: str | int | None) -> str:
        readers = _list(self._scard, self._require_context())
        if not readers:
            raise ReaderNotFoundError(
                "no PC/SC reader found: plug in a reader, or for the virtual reader check that "
                "vsmartcard-vpcd is installed and pcscd was started after it "
                "(hardware/pcsc-stack.sh install && hardware/pcsc-stack.sh start)"
            )
        listing = ", ".join(f"[{i}] '{name}'" for i, name in enumerate(readers))
        if wanted is None:
            return readers[0]
        if isinstance(wanted, int):
            if 0 <= wanted < len(readers):
                return readers[wanted]
            raise ReaderNotFoundError(f"no PC/SC reader with index {wanted}; readers: {listing}")
        for name in readers:
            if wanted.lower() in name.lower():
                return name
        raise ReaderNotFoundError(f"no PC/SC reader matches '{wanted}'; readers: {listing}")

    def _require_context(self) -> int:
        if self._context is None:
            raise LinkError("the PC/SC link is closed")
        return self._context

    def _wait_for_state(
        self,
        done: Callable[[int], bool],
        timeout_s: float,
        timeout_message: str,
        *,
        error: type[LinkError] = NoCardError,
    ) -> int:
        """Block in SCardGetStatusChange until ``done(event_state)``; return that state.

        Raises ``error(timeout_message)`` when ``timeout_s`` passes first."""
        scard = self._scard
        context = self._require_context()
        deadline = time.perf_counter() + timeout_s
        known = _STATE_UNAWARE
        while True:
            remaining_ms = int((deadline - time.perf_counter()) * 1000)
            hresult, states = scard.SCardGetStatusChange(
                context, max(remaining_ms, 0), [(self.reader, known)]
            )
            code = _code(hresult)
            if code in _SERVICE_GONE:
                raise _service_error(scard, hresult)
            if code in _READER_GONE:
                raise ReaderRemovedError(
                    f"reader '{self.reader}' is gone: {_describe(scard, hresult)}"
                )
            if code not in (_S_SUCCESS, _E_TIMEOUT):
                raise LinkError(
                    f"waiting on reader '{self.reader}' failed: {_describe(scard, hresult)}"
                )
            event_state = states[0][1]
            if event_state & (_STATE_UNKNOWN | _STATE_UNAVAILABLE):
                raise ReaderRemovedError(f"reader '{self.reader}' is no longer available")
            if done(event_state):
                return event_state
            if remaining_ms <= 0 or code == _E_TIMEOUT:
                raise error(timeout_message)
            known = event_state

    def _wait_for_change(self, known: int, timeout_s: float) -> None:
        """Block until the reader state differs from ``known`` or ``timeout_s`` passes."""
        hresult, _states = self._scard.SCardGetStatusChange(
            self._require_context(), int(timeout_s * 1000), [(self.reader, known)]
        )
        code = _code(hresult)
        if code in _SERVICE_GONE:
            raise _service_error(self._scard, hresult)
        if code in _READER_GONE:
            raise ReaderRemovedError(
                f"reader '{self.reader}' is gone: {_describe(self._scard, hresult)}"
            )

    def _connect(self, card_event: int) -> None:
        scard = self._scard
        hresult, card, protocol = scard.SCardConnect(
            self._require_context(), self.reader, scard.SCARD_SHARE_SHARED, self._protocols
        )
        code = _code(hresult)
        if code != _S_SUCCESS:
            if code in _SERVICE_GONE:
                raise _service_error(scard, hresult)
            if code in _READER_GONE:
                raise ReaderRemovedError(
                    f"reader '{self.reader}' is gone: {_describe(scard, hresult)}"
                )
            if code in _CARD_GONE:
                raise CardRemovedError(
                    f"the card left reader '{self.reader}' while connecting: "
                    f"{_describe(scard, hresult)}"
                )
            if code == _E_SHARING_VIOLATION:
                raise LinkError(
                    f"reader '{self.reader}' is in exclusive use by another application"
                )
            if code == _E_PROTO_MISMATCH:
                raise LinkError(f"the card on reader '{self.reader}' does not speak T=1 (ISO-DEP)")
            raise LinkError(
                f"cannot connect to the card on '{self.reader}': {_describe(scard, hresult)}"
            )
        self._card = card
        self._active_protocol = protocol
        self._card_event = card_event
        hresult, _reader, _state, _protocol, atr = scard.SCardStatus(card)
        self.atr = bytes(atr) if _code(hresult) == _S_SUCCESS else b""

    def _transmit(self, apdu: bytes, original: bytes) -> bytes:
        scard = self._scard
        hresult, response = scard.SCardTransmit(self._card, self._active_protocol, list(apdu))
        code = _code(hresult)
        what = _apdu_name(original)
        if code == _S_SUCCESS:
            if len(response) >= 2:
                return bytes(response)
            # Every response carries SW1 SW2. vpcd reports a card that closed its connection
            # mid-APDU as success with no bytes at all.
            self._drop_card()
            raise CardRemovedError(
                f"the card or phone left reader '{self.reader}' during {what}: "
                "torn transaction [the response has no status word]"
            )
        if code in _CARD_GONE:
            self._drop_card()
            raise CardRemovedError(
                f"the card or phone left reader '{self.reader}' during {what}: "
                f"torn transaction [{_describe(scard, hresult)}]"
            )
        if code in _SERVICE_GONE:
            self._card = None
            raise PcscServiceError(
                f"pcscd stopped during {what}: {START_HINT} [{_describe(scard, hresult)}]"
            )
        if code in _READER_GONE:
            self._card = None
            raise ReaderRemovedError(
                f"reader '{self.reader}' went away during {what} [{_describe(scard, hresult)}]"
            )
        raise LinkError(f"{what} failed on reader '{self.reader}': {_describe(scard, hresult)}")

    def _drop_card(self) -> None:
        """Forget a card that is gone. Its event count stays, so the next wait_for_card()
        waits for the slot to change: pcscd may still report the torn card as present."""
        card, self._card = self._card, None
        if card is not None:
            self._scard.SCardDisconnect(card, self._scard.SCARD_LEAVE_CARD)
