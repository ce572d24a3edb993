"""Trace ids: the one key that joins every record of a transaction, from the tap to settlement.

The terminal writes a transaction's trace id into ISO 8583 DE37 (retrieval reference number),
and every host carries it on; every table of a run is keyed by it.
"""

from __future__ import annotations

__all__ = ["TraceIds"]


class TraceIds:
    """Trace ids of one run: 1, 2, 3 … in the order transactions start."""

    __slots__ = ("_next",)

    def __init__(self) -> None:
        self._next = 1

    def __call__(self) -> int:
        """The next trace id."""
        trace_id = self._next
        self._next += 1
        return trace_id

    @property
    def issued(self) -> int:
        """How many have been given out."""
        return self._next - 1
