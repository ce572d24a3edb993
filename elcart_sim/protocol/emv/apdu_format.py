"""How the card dialogue crosses the contactless link: APDUs as bytes, or as objects.

Physical picture: over a real field the terminal's command and the phone's answer are bytes (ISO/IEC
7816-4 frames, BER-TLV in their data). In this process the kernel and the phone speak
:class:`~elcart_sim.protocol.emv.apdu.CommandApdu` and
:class:`~elcart_sim.protocol.emv.apdu.ResponseApdu` objects — the answer's data as TLV objects —
and a format says what crosses between them, the way ``iso8583/wire.py`` does for the hosts:

  - :class:`ApduBytes`: every command is encoded to its bytes and every answer decoded from
    its bytes at the link; a card in this process answers bytes with ``process``.
  - :class:`ApduObjects`: the objects cross as they are (immutable values, so neither side can
    change what the other holds); a card answers with ``handle``. Nothing is encoded, so an
    application cryptogram in an answer is never computed (``cryptogram.py``).

The chip data the kernel copies into the authorisation request (ISO 8583 DE55) are TLV objects
too, so they come in the form the dialogue came in: BER-TLV bytes, or ``{tag: value}`` in DE55
order. A link that carries objects says so (``apdu_format``); any other link carries bytes.

:class:`ApduCard` is a card in this process: its one command handler is ``handle``; ``process``
answers bytes by decoding the command, handling it and encoding the answer — a malformed frame
is answered 6700 (wrong length), never with an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from elcart_sim.core.errors import ApduError
from elcart_sim.protocol.emv.apdu import CommandApdu, ResponseApdu
from elcart_sim.protocol.emv.tlv import encode

__all__ = ["ApduFormat", "ApduBytes", "ApduObjects", "ApduCard", "APDU_BYTES", "APDU_OBJECTS"]

_SW_WRONG_LENGTH = b"\x67\x00"


class ApduCard:
    """A card in this process: ``handle(command) -> answer`` (objects) is what it does;
    ``process(bytes) -> bytes`` is the same on the wire, malformed frames answered 6700."""

    __slots__ = ()
    handle: Callable[[CommandApdu], ResponseApdu]

    def process(self, command: bytes) -> bytes:
        """Answer one command APDU as bytes; never raises for malformed input."""
        try:
            parsed = CommandApdu.parse(command)
        except ApduError:
            return _SW_WRONG_LENGTH
        return self.handle(parsed).to_bytes()


class ApduFormat(Protocol):
    name: str

    def encode_command(self, command: CommandApdu) -> Any: ...

    def decode_response(self, payload: Any) -> ResponseApdu: ...

    def answerer(self, card: ApduCard) -> Callable[[Any], Any]: ...

    def encode_icc_data(self, icc_data: dict[int, Any]) -> Any: ...


class ApduBytes:
    """APDUs as bytes at the link; DE55 as BER-TLV."""

    name = "bytes"
    encode_command = staticmethod(CommandApdu.to_bytes)
    decode_response = staticmethod(ResponseApdu.parse)

    @staticmethod
    def answerer(card: ApduCard) -> Callable[[bytes], bytes]:
        """How ``card`` answers a command in this format: ``card.process``."""
        return card.process

    @staticmethod
    def encode_icc_data(icc_data: dict[int, Any]) -> bytes:
        return b"".join([encode(tag, value) for tag, value in icc_data.items()])


class ApduObjects:
    """APDUs as objects at the link; DE55 as ``{tag: value}``."""

    name = "objects"

    @staticmethod
    def encode_command(command: CommandApdu) -> CommandApdu:
        return command

    @staticmethod
    def decode_response(payload: ResponseApdu) -> ResponseApdu:
        return payload

    @staticmethod
    def answerer(card: ApduCard) -> Callable[[CommandApdu], ResponseApdu]:
        """How ``card`` answers a command in this format: ``card.handle``."""
        return card.handle

    @staticmethod
    def encode_icc_data(icc_data: dict[int, Any]) -> dict[int, Any]:
        return icc_data


APDU_BYTES = ApduBytes()
APDU_OBJECTS = ApduObjects()
