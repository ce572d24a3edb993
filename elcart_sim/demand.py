"""Demand: who taps where, when, and for how much.

Taps arrive as a Poisson process whose rate is constant within each hour of the day and follows
the scenario's hourly profile (scaled to the daily volume and the run's scale). Each tap picks an
enrolled wallet uniformly, a terminal in proportion to its merchant's tap weight (supermarket
checkouts see more taps than a corner shop), and a ticket amount in whole tyiyn.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import simpy

from elcart_sim.population import Population
from elcart_sim.scenario import Scenario
from elcart_sim.streams import Distribution, RandomStreams

__all__ = ["Demand"]

_BATCH = 4096
_MIN_TICKET_TYIYN = 100  # one som
_standard_exponential = Distribution("exponential", 1.0, 1.0)


class Demand:
    """The arrival process and the choices each arrival makes, each on its own stream."""

    def __init__(self, scenario: Scenario, population: Population, streams: RandomStreams):
        weights = np.asarray(scenario.demand.hourly_profile, dtype=float)
        per_day = scenario.demand.transactions_per_day * scenario.scale
        self.rate_per_s = (per_day * weights / weights.sum() / 3600.0).tolist()
        self.duration_s = scenario.demand.duration_s
        self._gap = streams.sampler("demand.arrivals", _standard_exponential)
        n_wallets = len(population.enrolled_cards)
        self._enrolled = population.enrolled_cards
        self._wallet_pick = streams.integers("demand.wallet", n_wallets) if n_wallets else None
        cumulative = np.cumsum(population.terminal_tap_weight)
        self._terminal_cumulative = cumulative / cumulative[-1]
        self._terminal_rng = streams.generator("demand.terminal")
        self._terminal_buffer: list[int] = []
        self._ticket_tyiyn = streams.sampler("demand.ticket", scenario.demand.ticket.distribution())

    def peak_rate_per_s(self) -> float:
        return max(self.rate_per_s)

    def next_wallet_card(self) -> int:
        return int(self._enrolled[self._wallet_pick()])

    def next_terminal(self) -> int:
        if not self._terminal_buffer:
            u = self._terminal_rng.random(_BATCH)
            picks = np.searchsorted(self._terminal_cumulative, u, side="right")
            self._terminal_buffer = np.minimum(picks, len(self._terminal_cumulative) - 1)[::-1].tolist()
        return self._terminal_buffer.pop()

    def next_amount_tyiyn(self) -> int:
        return max(_MIN_TICKET_TYIYN, round(self._ticket_tyiyn()))

    def generate_taps(
        self, env: simpy.Environment, start_tap: Callable[[int, int, int], None]
    ) -> Generator[simpy.Event, object, None]:
        """SimPy process: call `start_tap(card, terminal, amount_tyiyn)` at each arrival instant."""
        if self._wallet_pick is None:
            return
        t = env.now
        rates = self.rate_per_s
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
            t += gap
            yield env.timeout(t - env.now)
            start_tap(self.next_wallet_card(), self.next_terminal(), self.next_amount_tyiyn())
