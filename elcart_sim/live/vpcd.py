"""The virtual phone on a real PC/SC reader: our HCE applet behind vsmartcard's vpcd driver.

Physical picture: pcscd loads the vpcd driver, which plays a contactless reader whose "RF
field" is a TCP port (35963 for reader ``Virtual PCD 00 00``, 35964 for ``... 00 01``). A phone
held to that reader is a TCP client: connecting is placing the phone on the reader, closing the
socket is taking it away. pcscd polls the reader every 400 ms, so it notices a tap 30-400 ms
after the connect and a removal about 300 ms after the close.

Wire protocol (vsmartcard ``virtualsmartcard/src/vpcd/vpcd.c``; docs/sources.md): every message in both directions is ``length (2 bytes, big-endian) || payload``. A 1-byte
payload from vpcd is a control message: ``00`` power off, ``01`` power on, ``02`` reset, ``04``
get ATR (also vpcd's presence poll; the answer is the ATR). A longer payload is a command APDU,
answered with ``response data || SW1 SW2``.

The phone answers the ATR ``3B 80 80 01 01``: the PC/SC part-3 pseudo-ATR of an ISO 14443-4
card with no historical bytes, which is what a real reader synthesises for an HCE phone.

Latency: vpcd keeps Nagle on and waits for our ACK before sending, so a phone that does not
ACK at once pays the 40 ms delayed-ACK timer on every APDU. ``TCP_QUICKACK`` is not sticky on
Linux, so it is set again before every ``recv``; that brings an APDU to about 0.1 ms.

Only the standard library is used: this module runs on a machine without pyscard.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from elcart_sim.core.errors import ConfigurationError, LinkError

__all__ = [
    "VPCD_PORT",
    "PSEUDO_ATR",
    "MALFORMED_RESPONSE",
    "Applet",
    "TapRecord",
    "VirtualPhone",
]

_log = logging.getLogger(__name__)

VPCD_PORT = 35963
"""TCP port of vpcd's first slot, ``Virtual PCD 00 00`` (0x8C7B in /etc/reader.conf.d/vpcd)."""

PSEUDO_ATR = bytes.fromhex("3B80800101")
"""PC/SC part 3 pseudo-ATR of an ISO 14443-4 (ISO-DEP) card without historical bytes, T=1."""

MALFORMED_RESPONSE = bytes.fromhex("6F1A8407F000") + b"\x90\x00"
"""A response whose data is not valid BER-TLV: ``6F`` claims 26 bytes and ``84`` claims 7,
but only 2 follow. The status word still says 9000, so only parsing can catch it."""

# vpcd control messages (vsmartcard vpcd.h: VPCD_CTRL_OFF/ON/RESET/ATR).
_CTRL_OFF = 0x00
_CTRL_ON = 0x01
_CTRL_RESET = 0x02
_CTRL_ATR = 0x04

_SW_NO_PRECISE_DIAGNOSIS = b"\x6f\x00"  # ISO/IEC 7816-4: the applet failed internally
_POLL_S = 0.05  # how often a blocked recv looks at the stop event and the hold deadline
# pcscd polls vpcd every 400 ms (PCSCLITE_STATUS_POLL_RATE). A torn phone stays away longer than
# that: vpcd drops the connection inside the failed transmit, and a phone back before the next
# poll would be taken for the torn one still lying there (the slot never reads empty).
_AWAY_AFTER_TEAR_S = 0.5
_LENGTH = struct.Struct(">H")
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


class Applet(Protocol):
    """What the phone runs: an HCE payment applet (``elcart_sim.wallet.applet``)."""

    def process(self, command: bytes) -> bytes:
        """Answer one command APDU with ``response data || SW1 SW2``."""
        ...


@dataclass(frozen=True)
class TapRecord:
    """One phone presentation to the reader.

    ================  =============================================================
    field             meaning
    ================  =============================================================
    ``apdus``         command APDUs answered during the tap (a torn one not counted)
    ``ended_by``      ``powered_off``: the terminal switched the field off (it
                      disconnected with SCARD_UNPOWER_CARD) after at least one APDU;
                      ``held``: ``hold_s`` ran out; ``torn``: the phone left after
                      ``tear_after_apdus`` APDUs with the next one unanswered;
                      ``reader_closed``: vpcd closed the connection (pcscd stopped);
                      ``stopped``: :meth:`VirtualPhone.stop` or SIGTERM
    ``held_s``        seconds from connect to close (wall clock)
    ================  =============================================================
    """

    apdus: int
    ended_by: str
    held_s: float


class _ReaderClosed(LinkError):
    """vpcd closed the TCP connection."""


class _TapOver(LinkError):
    """The phone leaves the reader: stop event or hold deadline while waiting."""

    def __init__(self, ended_by: str):
        self.ended_by = ended_by
        super().__init__(ended_by)


class VirtualPhone:
    """A phone that presents an :class:`Applet` to vpcd, tap after tap.

    ``tear_after_apdus=N`` answers N command APDUs, then takes the phone away while the
    terminal waits for the answer to the next one (a torn transaction).
    ``malformed_after_apdus=N`` answers N APDUs normally and every later one with
    :data:`MALFORMED_RESPONSE`. Both count per tap; ``None`` switches them off.
    ``away_s`` is how long the phone stays off the reader between taps; after a tear it stays
    away at least 0.5 s, longer than one pcscd poll, so the reader sees its slot empty.
    """

    def __init__(
        self,
        port: int = VPCD_PORT,
        host: str = "127.0.0.1",
        *,
        tear_after_apdus: int | None = None,
        malformed_after_apdus: int | None = None,
        away_s: float = 0.0,
        connect_timeout_s: float = 5.0,
        stop_event: threading.Event | None = None,
    ):
        if away_s < 0:
            raise ConfigurationError(f"VirtualPhone: away_s must be >= 0, got {away_s}")
        for name, value in (
            ("tear_after_apdus", tear_after_apdus),
            ("malformed_after_apdus", malformed_after_apdus),
        ):
            if value is not None and value < 0:
                raise ConfigurationError(f"VirtualPhone: {name} must be >= 0 or None, got {value}")
        if connect_timeout_s <= 0:
            raise ConfigurationError(f"VirtualPhone: connect_timeout_s must be > 0, got {connect_timeout_s}")
        self.host = host
        self.port = port
        self.tear_after_apdus = tear_after_apdus
        self.malformed_after_apdus = malformed_after_apdus
        self.away_s = away_s
        self.connect_timeout_s = connect_timeout_s
        self._back_at = 0.0  # perf_counter instant before which the phone stays away
        self._stop = stop_event if stop_event is not None else threading.Event()
        self.taps_served = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Take the phone away and stop serving (safe from any thread or a signal handler)."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def serve(
        self,
        applet_factory: Callable[[], Applet],
        *,
        taps: int | None = None,
        hold_s: float | None = None,
    ) -> list[TapRecord]:
        """Present the phone again and again until ``taps`` taps, a stop, or vpcd closes.

        ``applet_factory`` is called once per tap; return the same applet every time to keep
        its state (the ATC) running across taps, as a real wallet does. Returns the records of
        the taps; with ``taps=None`` only the last 1,000 are kept.
        """
        if taps is not None and taps < 0:
            raise ConfigurationError(f"VirtualPhone: taps must be >= 0 or None, got {taps}")
        records: list[TapRecord] = []
        while (taps is None or self.taps_served < taps) and not self.stopped:
            record = self.tap(applet_factory(), hold_s=hold_s)
            records.append(record)
            if taps is None and len(records) > 1000:
                del records[0]
            if record.ended_by in ("reader_closed", "stopped"):
                break
        return records

    def tap(self, applet: Applet, *, hold_s: float | None = None) -> TapRecord:
        """Place the phone on the reader, answer vpcd until the tap ends, take it away.

        The tap ends when the terminal powers the field off after at least one APDU, when
        ``hold_s`` seconds have passed since the connect, on a planned tear, when vpcd closes
        the connection, or on :meth:`stop`. Raises :class:`LinkError` when vpcd does not
        accept the connection within ``connect_timeout_s``.
        """
        if hold_s is not None and hold_s <= 0:
            raise ConfigurationError(f"VirtualPhone: hold_s must be > 0 or None, got {hold_s}")
        away_left_s = self._back_at - time.perf_counter()
        if away_left_s > 0 and self._stop.wait(away_left_s):
            return TapRecord(apdus=0, ended_by="stopped", held_s=0.0)
        sock = self._connect()
        placed_at = time.perf_counter()
        deadline = None if hold_s is None else placed_at + hold_s
        apdus = 0
        ended_by = "stopped"
        try:
            sock.settimeout(_POLL_S)
            while True:
                message = self._receive(sock, deadline)
                if len(message) == 1:
                    if self._answer_control(sock, message[0]) and apdus > 0:
                        ended_by = "powered_off"
                        break
                    continue
                if not message:  # vpcd never sends an empty message; ignore it
                    continue
                if self.tear_after_apdus is not None and apdus >= self.tear_after_apdus:
                    ended_by = "torn"
                    break
                if self.malformed_after_apdus is not None and apdus >= self.malformed_after_apdus:
                    response = MALFORMED_RESPONSE
                else:
                    response = _process(applet, message)
                _send(sock, response)
                apdus += 1
        except _TapOver as over:
            ended_by = over.ended_by
        except _ReaderClosed:
            ended_by = "reader_closed"
        except OSError as exc:  # reset by vpcd: the same as a close
            _log.debug("vpcd connection error: %s", exc)
            ended_by = "reader_closed"
        finally:
            sock.close()
        away_s = max(self.away_s, _AWAY_AFTER_TEAR_S if ended_by == "torn" else 0.0)
        self._back_at = time.perf_counter() + away_s
        self.taps_served += 1
        return TapRecord(apdus=apdus, ended_by=ended_by, held_s=time.perf_counter() - placed_at)

    # -- transport -----------------------------------------------------------------------------

    def _connect(self) -> socket.socket:
        give_up_at = time.monotonic() + self.connect_timeout_s
        last_error: OSError | None = None
        while not self.stopped and time.monotonic() < give_up_at:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError as exc:  # refused: pcscd (and so vpcd) is not up yet
                last_error = exc
                self._stop.wait(0.05)
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        if self.stopped:
            raise LinkError(
                f"virtual phone stopped before it reached vpcd at {self.host}:{self.port}"
            )
        raise LinkError(
            f"vpcd is not listening on {self.host}:{self.port} ({last_error}); "
            "start pcscd with hardware/pcsc-stack.sh start"
        )

    def _receive(self, sock: socket.socket, deadline: float | None) -> bytes:
        (length,) = _LENGTH.unpack(self._receive_exactly(sock, _LENGTH.size, deadline))
        return self._receive_exactly(sock, length, deadline)

    def _receive_exactly(self, sock: socket.socket, size: int, deadline: float | None) -> bytes:
        buffer = bytearray()
        while len(buffer) < size:
            if self.stopped:
                raise _TapOver("stopped")
            if deadline is not None and time.perf_counter() >= deadline:
                raise _TapOver("held")
            if _QUICKACK is not None:  # not sticky: the kernel clears it, so set it every time
                sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            try:
                chunk = sock.recv(size - len(buffer))
            except TimeoutError:
                continue
            if not chunk:
                raise _ReaderClosed(f"vpcd at {self.host}:{self.port} closed the connection")
            buffer += chunk
        return bytes(buffer)

    def _answer_control(self, sock: socket.socket, code: int) -> bool:
        """Handle a vpcd control message; True when it switches the field off."""
        if code == _CTRL_ATR:
            _send(sock, PSEUDO_ATR)
            return False
        if code == _CTRL_OFF:
            return True
        if code not in (_CTRL_ON, _CTRL_RESET):
            _log.warning("unknown vpcd control message %02X ignored", code)
        return False


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_LENGTH.pack(len(payload)) + payload)  # one write: one segment


def _process(applet: Applet, command: bytes) -> bytes:
    try:
        return applet.process(command)
    except Exception:  # a bug in the applet: a card answers 6F00, it does not hang the reader
        _log.exception("applet failed on command APDU %s", command[:5].hex().upper())
        return _SW_NO_PRECISE_DIAGNOSIS
