"""Demand: who taps where, when, and for how much.

How many: the card side's volume is the scenario's `transactions_per_day` scaled by the weekday
of its date, by the salary/pension-day factor, by `growth_per_year` compounded over
`years_ahead`, and by the run's scale; `demand.channels` gives the phone taps their share
("contactless"; the plastic cards' and the ATMs' channels are world/card_demand.py's, and
`card_side_rates_per_s` is the whole card side). The app's
services get theirs from ELKART Mobile's volume (`app_payments_per_day` × `elkart_app_share`,
scaled alike) and `demand.app_channels` (`hourly_rates_per_s(scenario, channel)`). When: taps arrive as a Poisson process whose rate is constant within each hour
of the day and follows the hourly profile. Each tap picks an enrolled wallet uniformly, a terminal
in proportion to its merchant's tap weight (supermarket checkouts see more taps than a corner
shop), and a ticket amount in whole tyiyn.

    >>> from elcart_sim.scenario import load_scenario
    >>> s = load_scenario("national-day").with_overrides({"demand.years_ahead": 2})
    >>> round(sum(card_side_rates_per_s(s)) * 3600)   # 300,000 card transactions × 1.3²
    507000
    >>> round(sum(hourly_rates_per_s(s, "atm")) * 3600)   # of them at ATMs, 50 %
    253500
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np
import simpy

from elcart_sim.core.streams import Distribution, RandomStreams
from elcart_sim.scenario import CARD_CHANNELS, WEEKDAYS, Scenario
from elcart_sim.world.arrivals import HourlyPoisson
from elcart_sim.world.population import Population

__all__ = ["Demand", "TerminalPicker", "hourly_rates_per_s", "card_side_rates_per_s", "demand_summary", "STANDARD_EXPONENTIAL"]

_BATCH = 4096
_MIN_TICKET_TYIYN = 100  # one som
STANDARD_EXPONENTIAL = Distribution("exponential", 1.0, 1.0)  # the gaps between arrivals, in units of 1/rate


def hourly_rates_per_s(scenario: Scenario, channel: str = "contactless") -> list[float]:
    """Arrival rate of `channel` in each local hour 00..23 of the scenario's day (per second):
    its day's volume (Scenario.channel_per_day: the card side's for a tap, the app's for an app
    channel) spread by its hourly profile (Scenario.hourly_profile)."""
    weights = np.asarray(scenario.hourly_profile(channel), dtype=float)
    per_day = scenario.channel_per_day(channel)
    return (per_day * weights / weights.sum() / 3600.0).tolist()


def card_side_rates_per_s(scenario: Scenario) -> list[float]:
    """Arrival rate of the whole card side (phone taps, plastic card purchases, ATM withdrawals)
    in each local hour 00..23 of the scenario's day (per second)."""
    rates = np.zeros(24)
    for channel in CARD_CHANNELS:
        if scenario.demand.share(channel):
            rates += hourly_rates_per_s(scenario, channel)
    return rates.tolist()


def demand_summary(scenario: Scenario) -> dict[str, object]:
    """How the day's volume is built, factor by factor, and where its peak hour falls."""
    demand = scenario.demand
    date = scenario.business_date
    factors = demand.volume_factors(date)
    rates = card_side_rates_per_s(scenario)
    peak_hour = int(np.argmax(rates))
    per_day = sum(rates) * 3600.0
    return {
        "scenario": scenario.name,
        "date": scenario.date,
        "weekday": WEEKDAYS[date.weekday()],
        "day_kind": "salary" if demand.is_salary_day(date) else "normal",
        "transactions_per_day": demand.transactions_per_day,
        "weekday_factor": factors["weekday"],
        "day_kind_factor": factors["day_kind"],
        "growth_factor": factors["growth"],
        "scale": scenario.scale,
        "transactions_per_day_effective": scenario.transactions_per_day_effective,
        "contactless_share": demand.channels.get("contactless", 0.0),
        "atm_share": demand.channels.get("atm", 0.0),
        "card_transactions_per_day": per_day,
        "mean_tps": per_day / 86_400.0,
        "peak_hour": peak_hour,
        "peak_hour_share": rates[peak_hour] * 3600.0 / per_day if per_day else 0.0,
        "peak_hour_tps": rates[peak_hour],
    }


class TerminalPicker:
    """Terminals in proportion to their merchants' tap weight, on the stream ``name``; call it
    for the next one."""

    __slots__ = ("_cumulative", "_rng", "_buffer")

    def __init__(self, population: Population, streams: RandomStreams, name: str):
        cumulative = np.cumsum(population.terminal_tap_weight)
        self._cumulative = cumulative / cumulative[-1]
        self._rng = streams.generator(name)
        self._buffer: list[int] = []

    def __call__(self) -> int:
        if not self._buffer:
            u = self._rng.random(_BATCH)
            picks = np.searchsorted(self._cumulative, u, side="right")
            self._buffer = np.minimum(picks, len(self._cumulative) - 1)[::-1].tolist()
        return self._buffer.pop()


class Demand:
    """The arrival process and the choices each arrival makes, each on its own stream."""

    def __init__(self, scenario: Scenario, population: Population, streams: RandomStreams):
        self.rate_per_s = hourly_rates_per_s(scenario)
        self.duration_s = scenario.demand.duration_s
        self._arrivals = HourlyPoisson(self.rate_per_s, self.duration_s, streams.sampler("demand.arrivals", STANDARD_EXPONENTIAL))
        n_wallets = len(population.enrolled_cards)
        self._enrolled = array("q", population.enrolled_cards.tolist())  # per-tap lookups give Python ints
        self._wallet_pick = streams.integers("demand.wallet", n_wallets) if n_wallets else None
        self.next_terminal = TerminalPicker(population, streams, "demand.terminal")
        self._ticket_tyiyn = streams.sampler("demand.ticket", scenario.demand.ticket.distribution())

    def next_wallet_card(self) -> int:
        return self._enrolled[self._wallet_pick()]

    def next_amount_tyiyn(self) -> int:
        return max(_MIN_TICKET_TYIYN, round(self._ticket_tyiyn()))

    def schedule_arrivals(self, env: simpy.Environment, start_tap: Callable[[int, int, int], None], day: Scenario | None = None) -> None:
        """Call ``start_tap(card, terminal, amount_tyiyn)`` at each arrival instant of a day from now: a
        Poisson process at each hour's rate, one step per arrival (world/arrivals.py); at ``day``'s
        rates (Scenario.on(date), a multi-day run) when given."""
        if self._wallet_pick is not None:
            rates = None if day is None else hourly_rates_per_s(day)
            self._arrivals.start(env, lambda: start_tap(self.next_wallet_card(), self.next_terminal(), self.next_amount_tyiyn()), rates)
