"""Limited-use keys on the phone: the small batch of single-use keys the wallet pays with.

Physical picture: an HCE phone has no secure element to keep a card master key in, so the token
service never sends it one. It sends the wallet a handful of limited-use keys (LUKs), each good
for one payment and only until its expiry; the applet spends one per tap (its session key is
derived from it), and the wallet asks for more over the internet when few are left. A phone
that stays offline spends its batch and then cannot pay. (Our model of Visa's cloud-based
payments and Mastercard's MDES key management; their real schemes are not public.)

The key bytes of a LUK are fixed by its token and index (``cryptogram.derive_limited_use_key``);
the token service hands each key over with a derivation it computes on first use — the same
bytes it would have sent with the batch, without deriving keys that are never spent. Nothing
here knows the time: callers pass ``now`` (simulated seconds).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

__all__ = ["LimitedUseKey", "KeyStore", "KeySource"]


class LimitedUseKey:
    """One single-use key: its index (1-65535, carried in the IAD), its expiry instant and the
    16 key bytes (derived on first use). The repr never shows the key."""

    __slots__ = ("key_index", "expires_at", "_derive", "_key")

    def __init__(self, key_index: int, expires_at: float, derive: Callable[[int], bytes]):
        if not 1 <= key_index <= 0xFFFF:
            raise ValueError(f"key_index must be 1-65535, got {key_index}")
        self.key_index = key_index
        self.expires_at = expires_at
        self._derive = derive
        self._key: bytes | None = None

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = self._derive(self.key_index)
        return self._key

    def __repr__(self) -> str:
        return f"LimitedUseKey(key_index={self.key_index}, expires_at={self.expires_at!r}, key=<hidden>)"


class KeySource(Protocol):
    """What the applet asks for a key: is one usable, and take it (None when there is none)."""

    def has_key(self) -> bool: ...

    def take_key(self) -> LimitedUseKey | None: ...


class KeyStore:
    """The wallet's keys, oldest first; each is taken at most once."""

    def __init__(self, keys: Iterable[LimitedUseKey] = ()):
        self._keys: deque[LimitedUseKey] = deque(keys)

    def add(self, keys: Iterable[LimitedUseKey]) -> None:
        self._keys.extend(keys)

    def discard_expired(self, now: float) -> int:
        """Drop keys whose expiry is not after ``now``; returns how many were dropped."""
        before = len(self._keys)
        self._keys = deque(k for k in self._keys if k.expires_at > now)
        return before - len(self._keys)

    def has_key(self) -> bool:
        return bool(self._keys)

    def take_key(self) -> LimitedUseKey | None:
        return self._keys.popleft() if self._keys else None

    def key_indexes(self) -> list[int]:
        return [k.key_index for k in self._keys]

    def copy(self) -> KeyStore:
        """Another store holding the same keys (what malware copying a wallet would get)."""
        return KeyStore(self._keys)

    def __len__(self) -> int:
        return len(self._keys)
