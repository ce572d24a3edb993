"""The contactless link between the POS reader and the phone, as the kernel sees it.

Physical picture: the reader's antenna field carries one command APDU to the phone and the
phone's answer back (ISO/IEC 14443-4 ISO-DEP frames, EMV Contactless Book D). What matters to
the simulation is the answer and how long the round trip took. Any link - simulated, a vpcd
virtual card, a real PC/SC reader with a phone on it - offers the same :class:`NfcLink`
interface, so the kernel does not know which one it talks to.

No clock and no randomness live here: :class:`SimulatedNfcLink` asks a caller-supplied
sampler (seeded by the caller's random stream) for each round trip's duration in seconds; the
checkout around the kernel (terminal/pos.py) turns those durations into simulated time.

:class:`ObjectNfcLink` is the simulated link to a card in this process that can also answer the
dialogue as objects (``protocol/emv_objects.py``): a kernel of the fast fidelity runs the object
dialogue over it and asks the link for each exchange's duration — the same sampler, called as
often and in the same order as ``transceive`` would call it. Every other link (a relay, a replay
emulator, a real reader) carries bytes in both fidelities.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from elcart_sim.core.errors import LinkError
from elcart_sim.protocol.emv.objects import ObjectCard

__all__ = ["NfcLink", "SimulatedNfcLink", "ObjectNfcLink", "ObjectLinkCard"]


@runtime_checkable
class NfcLink(Protocol):
    """One APDU round trip: ``transceive(command) -> (response, duration_s)``.

    Raises LinkError when no answer can come back (tear, phone removed, reader gone)."""

    name: str

    def transceive(self, command: bytes) -> tuple[bytes, float]: ...


class SimulatedNfcLink:
    """A link straight into an in-process card, e.g. ``PaymentApplet.process``.

    ``apdu_latency_s()`` is called once per APDU and must return a duration >= 0 seconds."""

    def __init__(
        self,
        card_process: Callable[[bytes], bytes],
        apdu_latency_s: Callable[[], float],
        *,
        name: str = "simulated",
    ) -> None:
        self.name = name
        self._card_process = card_process
        self._apdu_latency_s = apdu_latency_s

    def transceive(self, command: bytes) -> tuple[bytes, float]:
        response = self._card_process(command)
        duration_s = self._apdu_latency_s()
        if not duration_s >= 0.0:
            raise LinkError(f"{self.name}: APDU latency sampler returned {duration_s!r} s")
        return response, duration_s


class ObjectLinkCard(ObjectCard, Protocol):
    """A card that answers both ways: command APDUs (``process``) and objects (ObjectCard)."""

    def process(self, command: bytes) -> bytes: ...


class ObjectNfcLink:
    """A simulated link to an in-process card that answers APDUs and objects (e.g. a phone's
    wallet held to the reader, ``Wallet.link``). ``transceive`` is SimulatedNfcLink's;
    ``duration_s()`` draws one exchange's duration for a kernel that talks objects."""

    __slots__ = ("name", "card", "_apdu_latency_s")

    def __init__(self, card: ObjectLinkCard, apdu_latency_s: Callable[[], float], *, name: str = "simulated") -> None:
        self.name = name
        self.card = card
        self._apdu_latency_s = apdu_latency_s

    def duration_s(self) -> float:
        duration_s = self._apdu_latency_s()
        if not duration_s >= 0.0:
            raise LinkError(f"{self.name}: APDU latency sampler returned {duration_s!r} s")
        return duration_s

    def transceive(self, command: bytes) -> tuple[bytes, float]:
        response = self.card.process(command)
        return response, self.duration_s()
