"""The contactless link between the POS reader and the phone, as the kernel sees it.

Physical picture: the reader's antenna field carries one command APDU to the phone and the
phone's answer back (ISO/IEC 14443-4 ISO-DEP frames, EMV Contactless Book D). What matters to
the simulation is the answer and how long the round trip took. Any link - simulated, a vpcd
virtual card, a real PC/SC reader with a phone on it - offers the same :class:`NfcLink`
interface, so the kernel does not know which one it talks to.

A link carries bytes, unless it says it carries objects: its ``apdu_format``
(``protocol/emv/apdu_format.py``). A :class:`SimulatedNfcLink` to a card in this process can carry
either — the fast fidelity's taps carry objects, so no byte is encoded — while a relay, a replay
emulator, a tracing recorder or a real reader carry bytes in both fidelities.

No clock and no randomness live here: :class:`SimulatedNfcLink` asks a caller-supplied
sampler (seeded by the caller's random stream) for each round trip's duration in seconds; the
checkout around the kernel (acceptance/terminal.py) turns those durations into simulated time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from elcart_sim.core.errors import LinkError
from elcart_sim.protocol.emv.apdu_format import APDU_BYTES, ApduCard, ApduFormat

__all__ = ["NfcLink", "SimulatedNfcLink"]


@runtime_checkable
class NfcLink(Protocol):
    """One APDU round trip: ``transceive(command) -> (response, duration_s)``, bytes unless the
    link has an ``apdu_format`` that says otherwise.

    Raises LinkError when no answer can come back (tear, phone removed, reader gone)."""

    name: str

    def transceive(self, command: bytes) -> tuple[bytes, float]: ...


class SimulatedNfcLink:
    """A link straight into an in-process card: ``card`` answers one command in ``apdu_format``
    (bytes: e.g. ``PaymentApplet.process``; objects: ``PaymentApplet.handle``; see :meth:`to`).

    ``apdu_latency_s()`` is called once per APDU and must return a duration >= 0 seconds."""

    __slots__ = ("name", "apdu_format", "_card", "_apdu_latency_s")

    def __init__(
        self,
        card: Callable[[Any], Any],
        apdu_latency_s: Callable[[], float],
        *,
        name: str = "simulated",
        apdu_format: ApduFormat = APDU_BYTES,
    ) -> None:
        self.name = name
        self.apdu_format = apdu_format
        self._card = card
        self._apdu_latency_s = apdu_latency_s

    @classmethod
    def to(cls, card: ApduCard, apdu_latency_s: Callable[[], float], apdu_format: ApduFormat = APDU_BYTES) -> SimulatedNfcLink:
        """The link to ``card`` (a phone held to the reader) carrying ``apdu_format``."""
        return cls(apdu_format.answerer(card), apdu_latency_s, apdu_format=apdu_format)

    def transceive(self, command: Any) -> tuple[Any, float]:
        response = self._card(command)
        duration_s = self._apdu_latency_s()
        if not duration_s >= 0.0:
            raise LinkError(f"{self.name}: APDU latency sampler returned {duration_s!r} s")
        return response, duration_s
