"""Limited-use keys on the phone: the small batch of single-use keys the wallet pays with.

Physical picture: an HCE phone has no secure element to keep a card master key in, so the token
service never sends it one. It sends the wallet a handful of limited-use keys (LUKs), each good
for one payment and only until its expiry; the applet spends one per tap (its session key is
derived from it), and the wallet asks for more over the internet when few are left. A phone
that stays offline spends its batch and then cannot pay. (Our model of Visa's cloud-based
payments and Mastercard's MDES key management; their real schemes are not public.)

The key bytes of a LUK are fixed by its token and index (``cryptogram.derive_limited_use_key``);
the token service hands a batch over as a :class:`KeyBatch` — consecutive indexes, one expiry,
and how to derive the bytes — so a wallet keeps a few numbers per batch, and the bytes are
derived only when a real cryptogram is computed (the wire fidelity; the fast one never does).
Nothing here knows the time: callers pass ``now`` (simulated seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from elcart_sim.tokens.keys import KeyBatch, LimitedUseKey

__all__ = ["KeyStore", "KeySource"]


class KeySource(Protocol):
    """What the applet asks for a key: is one usable, and take it (None when there is none)."""

    def has_key(self) -> bool: ...

    def take_key(self) -> LimitedUseKey | None: ...


class _Run:
    """Keys ``next``..``last`` still in the store, with one expiry, all of token ``token_pan``.
    Calling it derives key k's bytes: ``derive(token_pan, k)`` for a token service batch,
    ``derive(k)`` for keys given as LimitedUseKey objects (``batch`` False)."""

    __slots__ = ("next", "last", "expires_at", "token_pan", "derive", "batch")

    def __init__(self, next_index: int, last: int, expires_at: float, token_pan: str | None, derive: Callable, batch: bool):
        self.next = next_index
        self.last = last
        self.expires_at = expires_at
        self.token_pan = token_pan
        self.derive = derive
        self.batch = batch

    def __call__(self, key_index: int) -> bytes:
        return self.derive(self.token_pan, key_index) if self.batch else self.derive(key_index)

    def copy(self) -> _Run:
        return _Run(self.next, self.last, self.expires_at, self.token_pan, self.derive, self.batch)


class KeyStore:
    """The wallet's keys, oldest first; each is taken at most once. Kept as runs of consecutive
    indexes with one expiry (a batch is one run), so a store is a few numbers, not ten objects.
    A store of one run (a wallet between replenishments) holds that run itself; of more, a tuple
    of them (``_runs`` reads either as a tuple)."""

    __slots__ = ("_held", "_count")

    def __init__(self, keys: Iterable[LimitedUseKey] | KeyBatch | None = None):
        self._held: _Run | tuple[_Run, ...] = ()
        self._count = 0  # keys in the runs (asked on every tap: kept, not counted)
        if keys is not None:
            self.add(keys)

    @property
    def _runs(self) -> tuple[_Run, ...]:
        held = self._held
        return (held,) if type(held) is _Run else held

    @_runs.setter
    def _runs(self, runs: tuple[_Run, ...]) -> None:
        self._held = runs[0] if len(runs) == 1 else runs

    def add(self, keys: Iterable[LimitedUseKey] | KeyBatch | None) -> None:
        """Add a batch, or single keys (consecutive ones with one expiry and derivation share a run)."""
        if keys is None:
            return
        runs = self._runs
        if isinstance(keys, KeyBatch):
            if keys.last >= keys.first:
                self._runs = runs + (_Run(keys.first, keys.last, keys.expires_at, keys.token_pan, keys.derive, True),)
                self._count += keys.last - keys.first + 1
            return
        runs = list(runs)
        for key in keys:
            last = runs[-1] if runs else None
            if (
                last is not None
                and not last.batch
                and last.derive is key._derive
                and last.token_pan == key.token_pan
                and last.expires_at == key.expires_at
                and last.last + 1 == key.key_index
            ):
                last.last = key.key_index
            else:
                runs.append(_Run(key.key_index, key.key_index, key.expires_at, key.token_pan, key._derive, False))
            self._count += 1
        self._runs = tuple(runs)

    def discard_expired(self, now: float) -> int:
        """Drop keys whose expiry is not after ``now``; returns how many were dropped."""
        held = self._held
        if type(held) is _Run and held.expires_at > now:  # the common case: one run, still good
            return 0
        runs = self._runs
        for run in runs:
            if run.expires_at <= now:
                break
        else:
            return 0
        dropped = sum(r.last - r.next + 1 for r in runs if r.expires_at <= now)
        self._runs = tuple(r for r in runs if r.expires_at > now)
        self._count -= dropped
        return dropped

    def has_key(self) -> bool:
        return bool(self._held)

    def take_key(self) -> LimitedUseKey | None:
        held = self._held
        if not held:
            return None
        run = held if type(held) is _Run else held[0]
        index = run.next
        if index == run.last:
            self._runs = self._runs[1:]
        else:
            run.next = index + 1
        self._count -= 1
        return LimitedUseKey(index, run.expires_at, run, token_pan=run.token_pan)

    def key_indexes(self) -> list[int]:
        return [k for r in self._runs for k in range(r.next, r.last + 1)]

    def copy(self) -> KeyStore:
        """Another store holding the same keys (what malware copying a wallet would get)."""
        other = KeyStore()
        other._runs = tuple(r.copy() for r in self._runs)
        other._count = self._count
        return other

    def __len__(self) -> int:
        return self._count
