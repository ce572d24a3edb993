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

Every PC/SC failure becomes a typed :class:`~elcart_sim.core.errors.LinkError`
(:mod:`elcart_sim.live.pcsc_codes` has the table).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType, TracebackType
from typing import Literal

from elcart_sim.core.errors import (
    CardRemovedError,
    ConfigurationError,
    LinkError,
    NoCardError,
    PcscServiceError,
    ReaderNotFoundError,
    ReaderRemovedError,
)
from elcart_sim.core.optional import require
from elcart_sim.live.pcsc_codes import (
    CARD_GONE,
    E_PROTO_MISMATCH,
    E_SHARING_VIOLATION,
    E_TIMEOUT,
    READER_GONE,
    S_SUCCESS,
    SERVICE_GONE,
    START_HINT,
    STATE_EMPTY,
    STATE_MUTE,
    STATE_PRESENT,
    STATE_UNAVAILABLE,
    STATE_UNAWARE,
    STATE_UNKNOWN,
    apdu_name,
    describe,
    establish_context,
    hresult_code,
    reader_names,
    service_error,
)

__all__ = ["PcscLink", "list_readers"]

_RETRY_S = 0.1  # connect retry step while pcscd catches up with a card that came and went
_MAX_GET_RESPONSE = 16  # 16 x 256 bytes is far beyond any EMV response


def _import_scard() -> ModuleType:
    return require(
        "smartcard.scard", package="pyscard", extra="hardware", needed_for="a PC/SC reader",
        note="it builds from source: gcc and libpcsclite-dev, from bash hardware/pcsc-stack.sh install",
    )  # fmt: skip


def list_readers() -> list[str]:
    """Names of the PC/SC readers pcscd knows, in slot order (empty when none is attached)."""
    scard = _import_scard()
    context = establish_context(scard)
    try:
        return reader_names(scard, context)
    finally:
        scard.SCardReleaseContext(context)


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
            raise ConfigurationError(f"PcscLink: card_timeout_s must be > 0, got {card_timeout_s}")
        if protocol not in ("T1", "any"):
            raise ConfigurationError(f"PcscLink: protocol must be 'T1' or 'any', got {protocol!r}")
        self._scard = _import_scard()
        self.card_timeout_s = card_timeout_s
        self._protocols = self._scard.SCARD_PROTOCOL_T1
        if protocol == "any":
            self._protocols |= self._scard.SCARD_PROTOCOL_T0
        self._context: int | None = establish_context(self._scard)
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
                    bool(s & STATE_PRESENT)
                    and not s & STATE_MUTE
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
                bool(s & STATE_EMPTY)
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
        readers = reader_names(self._scard, self._require_context())
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
        known = STATE_UNAWARE
        while True:
            remaining_ms = int((deadline - time.perf_counter()) * 1000)
            hresult, states = scard.SCardGetStatusChange(
                context, max(remaining_ms, 0), [(self.reader, known)]
            )
            code = hresult_code(hresult)
            if code in SERVICE_GONE:
                raise service_error(scard, hresult)
            if code in READER_GONE:
                raise ReaderRemovedError(
                    f"reader '{self.reader}' is gone: {describe(scard, hresult)}"
                )
            if code not in (S_SUCCESS, E_TIMEOUT):
                raise LinkError(
                    f"waiting on reader '{self.reader}' failed: {describe(scard, hresult)}"
                )
            event_state = states[0][1]
            if event_state & (STATE_UNKNOWN | STATE_UNAVAILABLE):
                raise ReaderRemovedError(f"reader '{self.reader}' is no longer available")
            if done(event_state):
                return event_state
            if remaining_ms <= 0 or code == E_TIMEOUT:
                raise error(timeout_message)
            known = event_state

    def _wait_for_change(self, known: int, timeout_s: float) -> None:
        """Block until the reader state differs from ``known`` or ``timeout_s`` passes."""
        hresult, _states = self._scard.SCardGetStatusChange(
            self._require_context(), int(timeout_s * 1000), [(self.reader, known)]
        )
        code = hresult_code(hresult)
        if code in SERVICE_GONE:
            raise service_error(self._scard, hresult)
        if code in READER_GONE:
            raise ReaderRemovedError(
                f"reader '{self.reader}' is gone: {describe(self._scard, hresult)}"
            )

    def _connect(self, card_event: int) -> None:
        scard = self._scard
        hresult, card, protocol = scard.SCardConnect(
            self._require_context(), self.reader, scard.SCARD_SHARE_SHARED, self._protocols
        )
        code = hresult_code(hresult)
        if code != S_SUCCESS:
            if code in SERVICE_GONE:
                raise service_error(scard, hresult)
            if code in READER_GONE:
                raise ReaderRemovedError(
                    f"reader '{self.reader}' is gone: {describe(scard, hresult)}"
                )
            if code in CARD_GONE:
                raise CardRemovedError(
                    f"the card left reader '{self.reader}' while connecting: "
                    f"{describe(scard, hresult)}"
                )
            if code == E_SHARING_VIOLATION:
                raise LinkError(
                    f"reader '{self.reader}' is in exclusive use by another application"
                )
            if code == E_PROTO_MISMATCH:
                raise LinkError(f"the card on reader '{self.reader}' does not speak T=1 (ISO-DEP)")
            raise LinkError(
                f"cannot connect to the card on '{self.reader}': {describe(scard, hresult)}"
            )
        self._card = card
        self._active_protocol = protocol
        self._card_event = card_event
        hresult, _reader, _state, _protocol, atr = scard.SCardStatus(card)
        self.atr = bytes(atr) if hresult_code(hresult) == S_SUCCESS else b""

    def _transmit(self, apdu: bytes, original: bytes) -> bytes:
        scard = self._scard
        hresult, response = scard.SCardTransmit(self._card, self._active_protocol, list(apdu))
        code = hresult_code(hresult)
        what = apdu_name(original)
        if code == S_SUCCESS:
            if len(response) >= 2:
                return bytes(response)
            # Every response carries SW1 SW2. vpcd reports a card that closed its connection
            # mid-APDU as success with no bytes at all.
            self._drop_card()
            raise CardRemovedError(
                f"the card or phone left reader '{self.reader}' during {what}: "
                "torn transaction [the response has no status word]"
            )
        if code in CARD_GONE:
            self._drop_card()
            raise CardRemovedError(
                f"the card or phone left reader '{self.reader}' during {what}: "
                f"torn transaction [{describe(scard, hresult)}]"
            )
        if code in SERVICE_GONE:
            self._card = None
            raise PcscServiceError(
                f"pcscd stopped during {what}: {START_HINT} [{describe(scard, hresult)}]"
            )
        if code in READER_GONE:
            self._card = None
            raise ReaderRemovedError(
                f"reader '{self.reader}' went away during {what} [{describe(scard, hresult)}]"
            )
        raise LinkError(f"{what} failed on reader '{self.reader}': {describe(scard, hresult)}")

    def _drop_card(self) -> None:
        """Forget a card that is gone. Its event count stays, so the next wait_for_card()
        waits for the slot to change: pcscd may still report the torn card as present."""
        card, self._card = self._card, None
        if card is not None:
            self._scard.SCardDisconnect(card, self._scard.SCARD_LEAVE_CARD)
