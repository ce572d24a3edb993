"""Arrivals over the day: a Poisson process whose rate is constant within each hour of the day
and follows an hourly profile, one step per arrival on the SimPy clock (core/clock.py).

Physical picture: customers reach the checkout, or open the app to send money, independently
of each other, more of them at noon than at 4 a.m.; within an hour the gaps between them are
exponential. At an hour's boundary the clock restarts with the next hour's rate (the process is
memoryless, so nothing is lost).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import simpy

from elcart_sim.core.clock import after
from elcart_sim.core.streams import Sampler

__all__ = ["HourlyPoisson"]


class HourlyPoisson:
    """Arrival instants at ``rates_per_s[hour]`` up to ``duration_s``; ``gap()`` draws a standard
    exponential (mean 1) from the arrivals' own stream."""

    def __init__(self, rates_per_s: Sequence[float], duration_s: float, gap: Sampler):
        self.rates_per_s = list(rates_per_s)
        self.duration_s = duration_s
        self._gap = gap

    def start(self, env: simpy.Environment, arrive: Callable[[], None], rates_per_s: Sequence[float] | None = None) -> None:
        """Call ``arrive()`` at each arrival instant from now for ``duration_s``, at the hourly
        ``rates_per_s`` (default: the rates given at construction). A multi-day run starts each
        day at its local midnight (a multiple of 86,400 s) with that day's rates."""
        rates = self.rates_per_s if rates_per_s is None else list(rates_per_s)
        self._next(env, arrive, env.now, False, rates, env.now + self.duration_s)

    def _next(self, env: simpy.Environment, arrive: Callable[[], None], t: float, arriving: bool, rates: list[float], end: float) -> None:
        if arriving:
            arrive()
        while t < end:
            hour_start = (t // 3600.0) * 3600.0
            boundary = min(hour_start + 3600.0, end)
            rate = rates[int(hour_start // 3600.0) % 24]
            if rate <= 0:
                t = boundary
                continue
            gap = self._gap() / rate
            if t + gap >= boundary:
                t = boundary  # memoryless: restart the clock at the hour with the new rate
                continue
            after(env, t + gap - env.now, self._next, env, arrive, t + gap, True, rates, end)
            return
