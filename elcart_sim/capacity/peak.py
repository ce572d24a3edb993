"""The peak window: the scenario's busiest hour, some years of growth ahead, as a run of its own.

The busiest hour of the scenario's card side (`demand.hourly_profile` with every volume factor:
weekday, salary day, growth, channel share; `elcart_sim.world.demand.hourly_rates_per_s`; on a
crediting day with the credits' echo, capacity/echo.py) is simulated alone, at its constant
rate, for a warm-up plus a window long enough for `taps` card transactions; each of the app's
channels runs at its own rate in that hour (its service's hourly profile). The echo runs as what
it is made of: its taps as phone taps, its withdrawals as ATM withdrawals, its transfers as
transfers by phone number (the window itself starts at midnight and ends, an hour and ten minutes
at most later, before the bundled days' first credit file). In the model the rate is constant within an hour, so this is that hour. Sizing
(`elcart_sim.capacity.sizing`) and the report's sizing and headroom curves simulate it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from elcart_sim.capacity.hosts import CardSidePeak, card_side_peak, host_loads
from elcart_sim.capacity.queueing import relaxation_time_s
from elcart_sim.core.errors import CapacityError
from elcart_sim.scenario import Scenario

__all__ = ["PeakWindow", "peak_window"]

_MIN_WARMUP_S = 5.0  # a few tap durations: terminals and links reach their steady state
_MAX_WARMUP_S = 600.0
_MAX_WINDOW_S = 3600.0
_MAX_TAPS_FACTOR = 20  # a run never simulates more than 20 × `taps` taps, warm-up included


@dataclass(frozen=True)
class PeakWindow:
    """The scenario's busiest hour as a run of its own: `scenario` has a flat profile at the
    peak rate and lasts `warmup_s` + `window_s` (both whole monitor intervals)."""

    scenario: Scenario
    warmup_s: float
    window_s: float
    rate_per_s: float
    peak_hour: int
    years: float


def _grown(scenario: Scenario, years: float, growth_per_year: float | None) -> Scenario:
    overrides: dict[str, Any] = {}
    if growth_per_year is not None and growth_per_year != scenario.demand.growth_per_year:
        overrides["demand.growth_per_year"] = growth_per_year
    if years:
        overrides["demand.years_ahead"] = scenario.demand.years_ahead + years
    return scenario.with_overrides(overrides) if overrides else scenario


_APP_SERVICES = ("transfers", "bills", "account_transfers", "qr_payments")  # the services with an hourly profile of their own


def _card_side_at(scenario: Scenario, peak: CardSidePeak) -> dict[str, Any]:
    """Overrides that hold the card side at its rates in the peak hour all window long: a flat
    profile, each card channel's share its rate's then (the echo's taps counted as phone taps,
    its withdrawals as ATM withdrawals), the day's volume their sum (each channel's own day
    factors divided out)."""
    rates = dict(peak.channels_per_s)
    if peak.echo_taps_per_s:
        rates["contactless"] = rates.get("contactless", 0.0) + sum(peak.echo_taps_per_s.values())
    if peak.echo_withdrawals_per_s:
        rates["atm"] = rates.get("atm", 0.0) + sum(peak.echo_withdrawals_per_s.values())
    per_day = {}
    for channel, rate in rates.items():
        if rate > 0:
            factor = math.prod(scenario.volume_factors(scenario.business_date, channel).values()) * scenario.scale
            per_day[channel] = rate * 86_400.0 / factor
    total = sum(per_day.values())
    return {
        "demand.hourly_profile": [1.0] * 24,
        "demand.transactions_per_day": total,
        "demand.channels": {c: v / total for c, v in per_day.items()},
    }


def _app_side_at(scenario: Scenario, peak: CardSidePeak) -> dict[str, Any]:
    """Overrides that hold each of the app's channels at its rate in the peak hour all window
    long (the app's channels follow their services' own hourly profiles, so each has its own
    rate in the card side's peak hour; the echo's transfers are p2p_phone requests): flat
    profiles, the app's day the sum of those rates, each channel's share its rate's. Nothing
    when the scenario has no app payments."""
    from elcart_sim.world.demand import hourly_rates_per_s

    channels = [c for c, share in scenario.demand.app_channels.items() if share > 0]
    if not channels or not scenario.app_payments_per_day_effective:
        return {}
    at_hour = {c: hourly_rates_per_s(scenario, c)[peak.hour] for c in channels}
    if peak.echo_transfers_per_s > 0:
        at_hour["p2p_phone"] = at_hour.get("p2p_phone", 0.0) + peak.echo_transfers_per_s
    total = sum(at_hour.values())
    if total <= 0:
        return {"demand.app_channels": {}}
    factors = scenario.demand.volume_factors(scenario.business_date)
    per_day = total * 86_400.0 / (factors["weekday"] * factors["day_kind"] * factors["growth"] * scenario.scale)
    return {
        "demand.app_payments_per_day": per_day,
        "demand.elkart_app_share": 1.0,
        "demand.app_channels": {c: r / total for c, r in at_hour.items() if r > 0},
        **{f"services.{service}.hourly_profile": [] for service in _APP_SERVICES},
    }


def peak_window(
    scenario: Scenario,
    *,
    years: float = 0.0,
    growth_per_year: float | None = None,
    taps: int = 5_000,
    warmup_s: float | None = None,
    window_s: float | None = None,
) -> PeakWindow:
    """The busiest hour of `scenario` `years` of growth ahead, as a scenario of its own.

    Unless given, the warm-up is ten relaxation times of the most loaded host
    (`relaxation_time_s`), at least 5 s and at most 10 minutes, and the window lasts `taps` taps
    at the peak rate, at least as long as the warm-up and at most an hour; near saturation, where the
    relaxation time grows without bound, both shrink so that a run stays within 20 × `taps` taps.
    Runs use the `fast` fidelity (the same timings as `wire`, fewer codec cycles).
    """
    grown = _grown(scenario, years, growth_per_year)
    busiest = card_side_peak(grown)
    peak = busiest.total_per_s
    if peak <= 0:
        raise CapacityError(f"scenario {scenario.name} has no demand to size for")
    automatic = warmup_s is None and window_s is None
    if warmup_s is None:
        relax = max((relaxation_time_s(load.arrival_rate_per_s, load.mean_service_s, load.servers)
                     for load in host_loads(grown, rate_per_s=peak)), default=0.0)
        warmup_s = min(_MAX_WARMUP_S, max(_MIN_WARMUP_S, 10.0 * relax))
    if window_s is None:
        window_s = min(_MAX_WINDOW_S, max(taps / peak, warmup_s))
    budget_s = _MAX_TAPS_FACTOR * taps / peak
    if automatic and warmup_s + window_s > budget_s:
        shrink = budget_s / (warmup_s + window_s)
        warmup_s, window_s = warmup_s * shrink, window_s * shrink
    interval = warmup_s if warmup_s > 0 else 60.0
    window_s = math.ceil(window_s / interval) * interval
    peak_only = grown.with_overrides(
        {
            **_card_side_at(grown, busiest),
            "demand.duration_s": warmup_s + window_s,
            "monitor_interval_s": interval,
            "fidelity": "fast",
            **_app_side_at(grown, busiest),
        }
    )
    return PeakWindow(peak_only, float(warmup_s), float(window_s), peak, busiest.hour, years)
