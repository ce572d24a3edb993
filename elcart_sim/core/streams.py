"""Named random streams: one master seed, one independent generator per source of randomness.

Each stream's generator is seeded from (master seed, replication, a stable hash of the stream's
name), so adding a stream never shifts the numbers of the others, and a run in another process or
on another machine draws exactly the same numbers. Draws are taken from NumPy in batches and
handed out one Python float at a time: per-draw NumPy calls cost more than the model around them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from elcart_sim.core.errors import ConfigurationError

__all__ = ["RandomStreams", "Distribution", "Sampler", "IntegerSampler"]

_BATCH = 4096


def _name_key(name: str) -> int:
    """A stable 64-bit key for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")


class RandomStreams:
    """The factory of a run's named generators.

    >>> a = RandomStreams(seed=7).generator("demand.arrivals").random()
    >>> b = RandomStreams(seed=7).generator("demand.arrivals").random()
    >>> a == b
    True
    """

    def __init__(self, seed: int, replication: int = 0):
        if seed < 0:
            raise ConfigurationError(f"RandomStreams: seed must be >= 0, got {seed}")
        self.seed = seed
        self.replication = replication

    def generator(self, name: str) -> np.random.Generator:
        """A fresh NumPy generator for the stream called `name`."""
        sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, _name_key(name)))
        return np.random.Generator(np.random.PCG64(sequence))

    def sampler(self, name: str, distribution: "Distribution") -> "Sampler":
        """A batched sampler of `distribution` on the stream called `name`."""
        return Sampler(self.generator(name), distribution)

    def uniform(self, name: str) -> "Sampler":
        """A batched sampler of floats uniform on [0, 1) on the stream called `name` (for
        Bernoulli outcomes: `stream() < p`)."""
        return Sampler(self.generator(name), Distribution("uniform", 0.5, 1.0 / math.sqrt(3.0)))

    def integers(self, name: str, high: int) -> "IntegerSampler":
        """A batched sampler of integers uniform on [0, high) on the stream called `name`."""
        return IntegerSampler(self.generator(name), high)


@dataclass(frozen=True, slots=True)
class Distribution:
    """A non-negative random duration or amount, described by its mean and coefficient of variation.

    kind: 'constant' (mean exactly), 'exponential' (cv is 1 by definition), 'lognormal'
    (mean and cv as given), 'uniform' (mean ± mean·cv·√3, so cv is the uniform's own cv).
    """

    kind: str
    mean: float
    cv: float = 0.0

    def draw_batch(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "constant":
            return np.full(n, self.mean)
        if self.kind == "exponential":
            return rng.exponential(self.mean, n)
        if self.kind == "lognormal":
            if self.cv == 0:
                return np.full(n, self.mean)
            sigma2 = math.log1p(self.cv * self.cv)
            mu = math.log(self.mean) - sigma2 / 2
            return rng.lognormal(mu, math.sqrt(sigma2), n)
        if self.kind == "uniform":
            half_width = self.mean * self.cv * math.sqrt(3)
            return rng.uniform(self.mean - half_width, self.mean + half_width, n)
        raise ConfigurationError(f"Distribution: unknown kind {self.kind!r} (the kinds: DISTRIBUTIONS in scenario/choices.py)")


class Sampler:
    """Draws from one distribution on one stream, `BATCH` values at a time; call it for the next."""

    __slots__ = ("_rng", "_distribution", "_buffer")

    def __init__(self, rng: np.random.Generator, distribution: Distribution):
        self._rng = rng
        self._distribution = distribution
        self._buffer: list[float] = []

    def __call__(self) -> float:
        buffer = self._buffer  # one call per draw: this is on every delay of every transaction
        if buffer:
            return buffer.pop()
        return self._refill()

    def _refill(self) -> float:
        distribution = self._distribution
        if distribution.kind == "constant":  # a constant draws nothing from its stream
            self._buffer = [float(distribution.mean)] * _BATCH
        else:
            self._buffer = distribution.draw_batch(self._rng, _BATCH)[::-1].tolist()
        return self._buffer.pop()


class IntegerSampler:
    """Uniform integers on [0, high), drawn in batches; call it for the next."""

    __slots__ = ("_rng", "_high", "_buffer")

    def __init__(self, rng: np.random.Generator, high: int):
        if high <= 0:
            raise ConfigurationError(f"IntegerSampler: high must be > 0, got {high}")
        self._rng = rng
        self._high = high
        self._buffer: list[int] = []

    def __call__(self) -> int:
        if not self._buffer:
            self._buffer = self._rng.integers(0, self._high, _BATCH, dtype=np.int64)[::-1].tolist()
        return self._buffer.pop()
