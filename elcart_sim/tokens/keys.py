"""Limited-use keys as the token service issues them: single keys and batches.

Physical picture: an HCE phone has no secure element to keep a card master key in, so the token
service never sends it one. It sends the wallet a handful of limited-use keys (LUKs), each good
for one payment and only until its expiry. (Our model of Visa's cloud-based payments and
Mastercard's MDES key management; their real schemes are not public.) The key bytes of a LUK are
fixed by its token and index (``cryptogram.derive_limited_use_key``); a batch is consecutive
indexes with one expiry and the derivation, so the bytes are derived only when a real cryptogram
is computed. What the phone does with them: wallet/keys.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from elcart_sim.core.errors import ConfigurationError

__all__ = ["LimitedUseKey", "KeyBatch"]


class LimitedUseKey:
    """One single-use key: its index (1-65535, carried in the IAD), its expiry instant and the
    16 key bytes (derived on first use). ``token_pan`` names the token whose keys the token
    service derives it from (None: a key made some other way). The repr never shows the key."""

    __slots__ = ("key_index", "expires_at", "token_pan", "_derive", "_key")

    def __init__(self, key_index: int, expires_at: float, derive: Callable[[int], bytes], *, token_pan: str | None = None):
        if not 1 <= key_index <= 0xFFFF:
            raise ConfigurationError(f"LimitedUseKey.key_index must be 1-65535, got {key_index}")
        self.key_index = key_index
        self.expires_at = expires_at
        self.token_pan = token_pan
        self._derive = derive
        self._key: bytes | None = None

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = self._derive(self.key_index)
        return self._key

    def __repr__(self) -> str:
        return f"LimitedUseKey(key_index={self.key_index}, expires_at={self.expires_at!r}, key=<hidden>)"


class KeyBatch(NamedTuple):
    """Keys ``first``..``last`` of token ``token_pan``, all expiring at ``expires_at``; the bytes
    of key k are ``derive(token_pan, k)`` (the token service's derivation)."""

    first: int
    last: int
    expires_at: float
    token_pan: str
    derive: Callable[[str, int], bytes]

    def keys(self) -> list[LimitedUseKey]:
        """The batch as single keys (each derives its bytes on first use)."""
        derive = partial(self.derive, self.token_pan)
        return [LimitedUseKey(k, self.expires_at, derive, token_pan=self.token_pan) for k in range(self.first, self.last + 1)]

    @property
    def count(self) -> int:
        return self.last - self.first + 1
