"""Headroom: tap-to-result p99 at the peak as demand grows year by year (`demand.years_ahead`,
`demand.growth_per_year` compounded, each channel at its own rate when it has one) on today's
configuration, and how many years it absorbs before the target breaks; and the knee
(capacity/knee.py): the year the first host is 80 % busy. The table's `demand_factor` is the
whole mix's: the day's volume over every channel, grown, over today's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from elcart_sim.capacity import Executor, peak_window
from elcart_sim.report.peak_points import meets, peak_intervals, run_peak_points, with_overloaded
from elcart_sim.scenario import Scenario

__all__ = ["HeadroomStudy", "headroom_years", "headroom_study"]


@dataclass(frozen=True)
class HeadroomStudy:
    """p99 at the peak as demand grows on today's configuration: one row per year ahead and
    replication in `frame` (`years_ahead` counts years beyond the scenario's own)."""

    scenario: Scenario
    target_p99_s: float
    frame: pd.DataFrame  # simulated years only
    overloaded: list[dict[str, Any]] = field(default_factory=list)  # {years_ahead} not simulated

    def intervals(self) -> pd.DataFrame:
        """Mean p95 and p99 with 95 % intervals per year (overloaded years: mean ∞)."""
        metrics = ["latency_p95_s", "latency_p99_s"]
        intervals = peak_intervals(self.frame, ["years_ahead"], metrics)
        rows = with_overloaded(intervals, self.overloaded, metrics)
        rows = rows.assign(years_ahead=rows["years_ahead"].astype(int))
        return rows.sort_values(["years_ahead"], kind="stable").reset_index(drop=True)

    def knee(self) -> pd.DataFrame:
        """Each host's knee at the scenario's peak (capacity/knee.py `knee_table`): the load
        multiple at which it is 80 % busy and the year growth gets it there."""
        from elcart_sim.capacity.knee import knee_table

        return knee_table(self.scenario)

    def years_absorbed(self) -> int | None:
        """The last swept year up to which every swept year meets the target (None: not even now)."""
        p99 = self.intervals()
        p99 = p99[p99["metric"] == "latency_p99_s"].sort_values("years_ahead")
        absorbed = None
        for years, ok in zip(p99["years_ahead"], meets(p99, self.target_p99_s)):
            if not ok:
                break
            absorbed = int(years)
        return absorbed

    def table(self) -> pd.DataFrame:
        p99 = self.intervals()
        p99 = p99[p99["metric"] == "latency_p99_s"]
        scenario = self.scenario
        p99 = p99.assign(
            demand_factor=[scenario.years_later(y).daily_volume() / scenario.daily_volume() for y in p99["years_ahead"]],
            meets_target=meets(p99, self.target_p99_s),
        )
        columns = ["years_ahead", "demand_factor", "mean", "ci_low", "ci_high", "n", "meets_target"]
        return p99[columns].rename(columns={"mean": "p99_s"}).round(4).reset_index(drop=True)


def headroom_years(max_years: int, breaks_in_year: int | None = None, most: int = 13) -> list[int]:
    """Years to sweep: 0 … `max_years` (or two years past the year the target breaks, if sooner)
    in at most `most` even steps, with the breaking year and the one before it.

    >>> headroom_years(30, breaks_in_year=21)
    [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 21, 22, 23]
    >>> headroom_years(10)
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    """
    last = max_years if breaks_in_year is None else min(max_years, breaks_in_year + 2)
    step = max(1, -(-last // (most - 1)))
    years = set(range(0, last + 1, step)) | {last}
    if breaks_in_year is not None and breaks_in_year <= last:
        years |= {breaks_in_year, max(0, breaks_in_year - 1)}
    return sorted(years)


def headroom_study(
    scenario: Scenario,
    replications: int,
    *,
    target_p99_s: float,
    years: Sequence[int],
    taps: int = 5_000,
    workers: int = 1,
    executor: Executor | None = None,
) -> HeadroomStudy:
    """p99 at the peak `years` of growth ahead (`demand.growth_per_year` compounded) on today's
    servers, replications 0 … n−1 at each year; overloaded years are not simulated (p99 ∞)."""
    points = [({"years_ahead": int(y)}, peak_window(scenario, years=float(y), taps=taps)) for y in years]
    frame, overloaded = run_peak_points(points, replications, workers, executor, "headroom")
    return HeadroomStudy(scenario, target_p99_s, frame, overloaded)
