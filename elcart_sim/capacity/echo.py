"""The credits' echo in the analytic load: the phone taps, ATM withdrawals and transfers that
follow a crediting day's salary and pension credits, hour by hour, from the scenario's payroll
section.

Physical picture (services/payroll.py plays it one credit at a time): at each batch's hour a
credit file reaches every bank, `share` × all cards, each bank's part in proportion to its
cards. The bank's batch posting (`services.payroll.posting`: `servers` workers, `mean_s` a
credit, files in the order they came) posts its part at the steady rate servers ÷ mean_s from
the batch's hour, or from the end of the bank's earlier file if that is later. Each credit
posted sends a push: lost with `push.loss_share`, held `push.offline_delay` with
`push.offline_share`, and `push.latency` on its way. A cardholder who sees the credit taps with
`echo.spend_share` (if the card has a wallet), sends a transfer by phone number with
`send_share` (if the card is linked in ELKART Mobile) and withdraws cash with `withdraw_share`
(if the day has ATMs), each after its own delay. So each kind's rate is the bank's posting rate
convolved with the push's delay and with the kind's delay, times its share and the share of the
bank's cards that can do it. What would fall after the end of the day is not played there and
not counted here.

The convolutions run on a grid of GRID_S seconds (each delay's distribution as the probability
of each grid step, centred); the hourly rates are the grid summed by hour. Left out: the
notification gateway's own service (milliseconds), the random size of a bank's part of a file
(its expected size is used) and a multi-day run's echo of the day before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from elcart_sim.core.errors import ConfigurationError
from elcart_sim.core.streams import Distribution
from elcart_sim.scenario import Scenario

__all__ = ["GRID_S", "BankCards", "EchoRates", "echo_rates", "delay_weights", "is_crediting_day"]

GRID_S = 30.0
"""The step of the grid the echo's convolutions run on (seconds)."""

_HOURS = 24


@dataclass(frozen=True)
class BankCards:
    """Each bank's cards, those with a wallet (enrolled) and those linked in ELKART Mobile, in
    the population's bank order; `atms` is the day's ATM count."""

    codes: tuple[str, ...]
    cards: np.ndarray
    enrolled: np.ndarray
    linked: np.ndarray
    atms: int


@dataclass(frozen=True)
class EchoRates:
    """The echo by local hour 00..23, per second: `taps_per_s` and `withdrawals_per_s` one row
    per bank (the card's bank, whose issuer they load), `transfers_per_s` the transfers by phone
    number the fresh money starts (each a p2p_phone request)."""

    codes: tuple[str, ...]
    taps_per_s: np.ndarray
    withdrawals_per_s: np.ndarray
    transfers_per_s: np.ndarray

    @property
    def card_side_per_s(self) -> np.ndarray:
        """The echo's card transactions (taps and withdrawals) by hour."""
        return self.taps_per_s.sum(axis=0) + self.withdrawals_per_s.sum(axis=0)


def is_crediting_day(scenario: Scenario) -> bool:
    """Whether the scenario's day sends credit files (a crediting day with batches), as the model
    decides it (model/app_services.py)."""
    return bool(scenario.services.payroll.batches) and scenario.demand.is_salary_day(scenario.business_date)


def _cdf(distribution: Distribution, x: np.ndarray) -> np.ndarray:
    from scipy import stats  # on first use: SciPy's import costs a run that never plans capacity ~60 MB

    kind, mean, cv = distribution.kind, distribution.mean, distribution.cv
    if kind == "constant" or mean <= 0 or (kind in ("lognormal", "uniform") and cv == 0):
        return (x >= mean).astype(float)
    if kind == "exponential":
        return stats.expon(scale=mean).cdf(x)
    if kind == "lognormal":
        sigma2 = math.log1p(cv * cv)
        return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2)).cdf(x)
    if kind == "uniform":
        half_width = mean * cv * math.sqrt(3)
        return stats.uniform(loc=mean - half_width, scale=2 * half_width).cdf(x)
    raise ConfigurationError(f"echo: unknown distribution kind {kind!r}")


def delay_weights(distribution: Distribution, steps: int, grid_s: float = GRID_S) -> np.ndarray:
    """The probability that a delay drawn from `distribution` is k grid steps long, k = 0 ..
    steps - 1 (the step centred on k × grid_s; what is longer is left out)."""
    edges = (np.arange(steps + 1) - 0.5) * grid_s
    cdf = _cdf(distribution, np.maximum(edges, 0.0))
    cdf[0] = 0.0
    return np.diff(cdf)


def _convolve(series: np.ndarray, weights: np.ndarray) -> np.ndarray:
    from scipy import signal

    return np.maximum(signal.fftconvolve(series, weights)[: len(series)], 0.0)


def _posted(scenario: Scenario, banks: BankCards, steps: int) -> np.ndarray:
    """Credits posted in each grid step, one row per bank (FIFO files at the posting's rate)."""
    payroll = scenario.services.payroll
    rate_per_s = payroll.posting.servers / payroll.posting.service_time.mean_s if payroll.posting.service_time.mean_s > 0 else math.inf
    n_cards = int(banks.cards.sum())
    end_s = steps * GRID_S
    edges = np.arange(steps + 1) * GRID_S
    posted = np.zeros((len(banks.codes), steps))
    order = sorted(range(len(payroll.batches)), key=lambda i: payroll.batches[i].hour)  # same hour: in the list's order
    for b, cards in enumerate(banks.cards):
        free_at = 0.0
        for i in order:
            batch = payroll.batches[i]
            at = batch.hour * 3600.0
            if at >= end_s or not n_cards:
                continue
            count = round(batch.share * n_cards) * cards / n_cards
            start = max(at, free_at)
            free_at = start + count / rate_per_s
            if free_at > start:
                done = np.clip((edges - start) / (free_at - start), 0.0, 1.0) * count
            else:
                done = (edges > start) * count
            posted[b] += np.diff(done)
    return posted


def echo_rates(scenario: Scenario, banks: BankCards) -> EchoRates | None:
    """The scenario's echo by hour (None when its day sends no credit files), for a population of
    `banks` (the model's: capacity/hosts.py)."""
    if not is_crediting_day(scenario):
        return None
    payroll, push = scenario.services.payroll, scenario.services.push
    echo = payroll.echo
    steps = int(math.ceil(scenario.demand.duration_s / GRID_S))
    latency = delay_weights(push.latency.distribution(), steps)
    seen_weights = (1.0 - push.loss_share - push.offline_share) * latency + push.offline_share * _convolve(
        delay_weights(push.offline_delay.distribution(), steps), latency
    )
    cards = np.maximum(banks.cards, 1)
    kinds = {
        "taps": (echo.spend_share * banks.enrolled / cards, echo.spend_delay),
        "withdrawals": (echo.withdraw_share * (1.0 if banks.atms else 0.0) * np.ones(len(cards)), echo.withdraw_delay),
        "transfers": (echo.send_share * banks.linked / cards, echo.send_delay),
    }
    posted = _posted(scenario, banks, steps)
    seen = np.array([_convolve(row, seen_weights) for row in posted])
    hour_of_step = np.minimum((np.arange(steps) * GRID_S // 3600).astype(int), _HOURS - 1)
    by_hour = {}
    for kind, (eligible, delay) in kinds.items():
        weights = delay_weights(delay.distribution(), steps)
        per_step = np.array([_convolve(row, weights) for row in seen]) * eligible[:, None]
        hourly = np.zeros((len(cards), _HOURS))
        for b in range(len(cards)):
            hourly[b] = np.bincount(hour_of_step, weights=per_step[b], minlength=_HOURS)
        by_hour[kind] = hourly / 3600.0
    return EchoRates(banks.codes, by_hour["taps"], by_hour["withdrawals"], by_hour["transfers"].sum(axis=0))
