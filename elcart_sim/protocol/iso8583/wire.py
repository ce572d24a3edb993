"""How a message crosses a boundary between hosts: bytes, or the message itself.

'wire' — as ISO 8583 bytes under the ELKART host spec: every sender lays its message out, every
receiver decodes it and refuses what breaks the spec (codec.problem), exactly as the real hosts
do. 'fast' — as the message object itself, read-only once sent (`Message`): a host builds a new
one to change anything, so no host can change what another holds, and nothing is copied on the
way. What the model's own entities send is valid by construction (every wire run checks each
message its builders make, where it is received), so in fast only a message that no entity of
the run sent — a foreign object at an entry — is checked against the host spec and refused as
the wire would refuse it. Hosts only ever call `encode` and
`decode`, so the two give the same outcomes and timings per transaction; a link with a bandwidth
asks `size`: the bytes on the wire, or in fast the length those bytes would have
(codec.encoded_length), so transmission times are equal too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, Protocol

from elcart_sim.core.errors import IsoMessageError, ReadOnlyMessageError
from elcart_sim.protocol.iso8583 import codec

__all__ = ["WireFormat", "Iso8583Bytes", "MessageObjects", "Message"]


class WireFormat(Protocol):
    name: str

    def encode(self, message: Mapping[str, Any]) -> Any: ...

    def decode(self, payload: Any) -> Mapping[str, Any]: ...

    def size(self, payload: Any) -> int: ...


class Iso8583Bytes:
    """Fidelity 'wire': real bytes at every boundary. The sender lays its message out; the
    receiver decodes and checks it against the host spec."""

    name = "wire"
    decode = staticmethod(codec.decode)
    size = staticmethod(len)  # the bytes on the link

    @staticmethod
    def encode(message: Mapping[str, Any]) -> bytes:
        return codec.encode(message, check=False)


def _read_only(message: Message, *args: Any, **kwargs: Any) -> NoReturn:
    raise ReadOnlyMessageError("a message that crossed a boundary is read-only: build a new one ({**message, ...})")


class Message(dict):
    """A message in the fast fidelity: a field dict nobody can change once it is sent.
    ``checked``: sent by an entity of the run, or already read against the host spec."""

    __slots__ = ("checked",)
    __setitem__ = __delitem__ = _read_only  # type: ignore[assignment]
    pop = popitem = clear = update = setdefault = __ior__ = _read_only  # type: ignore[assignment]

    @classmethod
    def sent(cls, fields: Mapping[str, Any]) -> Message:
        """``fields`` as a message that has been sent (and so is valid or checked)."""
        message = cls(fields)
        message.checked = True
        return message

    def __reduce__(self) -> tuple:
        return (Message.sent, (dict(self),))


class MessageObjects:
    """Fidelity 'fast': the message itself at every boundary, checked once, never copied again."""

    name = "fast"

    @staticmethod
    def size(payload: Any) -> int:
        """The bytes the wire would put on a link for ``payload`` (codec.encoded_length), so a
        link's timings are the wire's; a foreign payload of bytes is its length."""
        return codec.encoded_length(payload) if isinstance(payload, Mapping) else len(payload)

    @staticmethod
    def encode(message: Mapping[str, Any]) -> Message:
        """The message as sent by an entity of the run."""
        return message if type(message) is Message else Message.sent(message)

    @staticmethod
    def decode(payload: Any) -> Message:
        """The message as received: one an entity sent passes; a foreign one is read against the
        host spec (IsoMessageError naming the field, as the wire's decode would raise)."""
        if type(payload) is Message and getattr(payload, "checked", False):
            return payload
        if not isinstance(payload, Mapping):
            raise IsoMessageError(f"ISO 8583 decode: expected a message, got {type(payload).__name__}")
        codec.validate(payload, "decode")
        return Message.sent(payload)
