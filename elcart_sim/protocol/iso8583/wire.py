"""How a message crosses a boundary between hosts: the run's fidelity.

'wire' — as ISO 8583 bytes under the ELKART host spec: every sender encodes, every receiver
decodes and validates, exactly as the real hosts do. 'fast' — as message objects (a copy of the
field dict crosses, so no host can change what another holds): the same processes, the same
timing models and random draws, without the codec's cost. Hosts only ever call `encode` and
`decode`, so the two give the same outcomes and timings per transaction.
"""

from __future__ import annotations

from typing import Any, Protocol

from elcart_sim.protocol.iso8583 import codec

__all__ = ["WireFormat", "Iso8583Bytes", "MessageObjects"]


class WireFormat(Protocol):
    name: str

    def encode(self, message: dict[str, Any]) -> Any: ...

    def decode(self, payload: Any) -> dict[str, Any]: ...


class Iso8583Bytes:
    """Fidelity 'wire': real bytes at every boundary."""

    name = "wire"
    encode = staticmethod(codec.encode)
    decode = staticmethod(codec.decode)


class MessageObjects:
    """Fidelity 'fast': message dicts at every boundary (copied, never shared)."""

    name = "fast"

    @staticmethod
    def encode(message: dict[str, Any]) -> dict[str, Any]:
        return dict(message)

    @staticmethod
    def decode(payload: dict[str, Any]) -> dict[str, Any]:
        return dict(payload)
