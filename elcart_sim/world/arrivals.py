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

    def start(self, env: simpy.Environment, arrive: Callable[[], None]) -> None:
        """Call ``arrive()`` at each arrival instant from now on."""
        self._next(env, arrive, env.now, False)

    def _next(self, env: simpy.Environment, arrive: Callable[[], None], t: float, arriving: bool) -> None:
        if arriving:
            arrive()
        rates = self.rates_per_s
        while t < self.duration_s:
            hour_start = (t // 3600.0) * 3600.0
            boundary = min(hour_start + 3600.0, self.duration_s)
            rate = rates[int(hour_start // 3600.0) % 24]
            if rate <= 0:
                t = boundary
                continue
            gap = self._gap() / rate
            if t + gap >= boundary:
                t = boundary  # memoryless: restart the clock at the hour with the new rate
                continue
            after(env, t + gap - env.now, self._next, env, arrive, t + gap, True)
            return
