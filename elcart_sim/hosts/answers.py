"""An issuer's memory of what it answered, so that no request is posted twice.

``Approvals``: every approval of the day as integer columns (24 bytes an approval: the
original's key and its ledger entry), kept for the reversals — which may come at any time, store
and forward — and searched, rarely, by a vectorised comparison: a reversal finds its approval, a
stand-in's advice or a repeat (0101) finds whether its transaction is on the books already. The
row of an approval is its authorisation number less one.

``Answers`` (only with ``switch.duplicates: all``):
physical picture: an issuer may get one request more than once — a duplicate a faulty link
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

from array import array
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from elcart_sim.protocol.iso8583.repeats import fingerprint
from elcart_sim.protocol.iso8583.spec import ResponseCode

__all__ = ["Approvals", "Answers", "Answer", "fields_of"]

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


class Approvals:
    """An issuer's approvals in the order posted: the original's key (issuer.original_key) and
    its purchase's ledger entry (-1 once reversed)."""

    __slots__ = ("_rrn", "_stan", "_sent_at", "_entries")

    def __init__(self) -> None:
        self._rrn = array("q")
        self._stan = array("i")
        self._sent_at = array("q")
        self._entries = array("i")

    def remember(self, key: tuple[int, int, int], entry: int) -> None:
        rrn, stan, sent_at = key
        self._rrn.append(rrn)
        self._stan.append(stan)
        self._sent_at.append(sent_at)
        self._entries.append(entry)

    def _rows(self, key: tuple[int, int, int]) -> list[int]:
        rrn, stan, sent_at = key
        rrns = np.frombuffer(self._rrn, dtype=np.int64)
        rows = np.flatnonzero(rrns == rrn).tolist()
        del rrns  # release the view: the column grows again with the next approval
        return [row for row in rows if self._stan[row] == stan and self._sent_at[row] == sent_at]

    def find(self, key: tuple[int, int, int]) -> int | None:
        """The row of the approval ``key`` names (reversed or not), or None."""
        rows = self._rows(key)
        return rows[0] if rows else None

    def entry(self, row: int) -> int:
        """The ledger entry of approval ``row``; -1 once reversed."""
        return self._entries[row]

    def take(self, key: tuple[int, int, int]) -> int | None:
        """The ledger entry of the approval ``key`` names, now marked reversed; None if it has
        no approval here that is not reversed yet."""
        for row in self._rows(key):
            entry = self._entries[row]
            if entry >= 0:
                self._entries[row] = -1
                return entry
        return None

    def __len__(self) -> int:
        return len(self._entries)
