"""An issuer's memory of what it answered, so that no request is posted twice.

Physical picture: an issuer may get one request more than once — a duplicate a faulty link
delivered twice, a repeat (0101), the switch's advice (0120) of an authorisation it already had,
or the authorisation arriving after its advice. It recognises the transaction by the original's
data elements (DE37, DE11, DE7, DE32: protocol/iso8583/repeats.exchange_key) and answers it from
memory: the same response code and authorisation id, nothing posted again; a copy that changed
the original's card, processing code, amount or currency is refused 94 (duplicate transmission).

Any request may be repeated at any time of the day, so every answer is kept, as one integer per
request in a dict keyed by one integer (about a hundred bytes a request): the fingerprint of the
fields a copy may not change, the authorisation number, and the response code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from elcart_sim.protocol.iso8583.repeats import fingerprint
from elcart_sim.protocol.iso8583.spec import ResponseCode

__all__ = ["Answers", "Answer"]

_CODES = tuple(code.value for code in ResponseCode)
_CODE_INDEX = {code: i for i, code in enumerate(_CODES)}
_CODE_BITS = 7
_NUMBER_BITS = 32


class Answer(NamedTuple):
    """What the issuer answered a request: DE39, its authorisation number (0 for a decline),
    and the fingerprint of the fields a copy may not change."""

    response_code: str
    authorisation_number: int
    fields: int


def fields_of(message: Mapping[str, Any]) -> int:
    """The fingerprint of ``message``'s unchangeable fields (repeats.fingerprint), 32 bits
    (Python's hash: the same within a run, which is all it is compared across)."""
    return hash(fingerprint(message)) & 0xFFFF_FFFF


class Answers:
    """Answers by exchange key."""

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        self._by_key: dict[int, int] = {}

    def recall(self, key: int) -> Answer | None:
        packed = self._by_key.get(key)
        if packed is None:
            return None
        code = _CODES[packed & (1 << _CODE_BITS) - 1]
        packed >>= _CODE_BITS
        return Answer(code, packed & (1 << _NUMBER_BITS) - 1, packed >> _NUMBER_BITS)

    def remember(self, key: int, response_code: str, authorisation_number: int, fields: int) -> None:
        self._by_key[key] = ((fields << _NUMBER_BITS | authorisation_number % (1 << _NUMBER_BITS)) << _CODE_BITS) | _CODE_INDEX[response_code]

    def __len__(self) -> int:
        return len(self._by_key)
