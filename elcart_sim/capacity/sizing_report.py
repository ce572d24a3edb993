"""The answers of `elcart_sim.capacity.sizing.size`, as plain values (JSON) or a terminal table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from elcart_sim.analysis.units import PERCENT, is_utilisation, percent
from elcart_sim.capacity.evaluations import Evaluation
from elcart_sim.capacity.growth import GrowthAnswer
from elcart_sim.capacity.tables import text_table

__all__ = ["SizingReport", "DEFAULT_TARGET_P99_S"]

DEFAULT_TARGET_P99_S = 2.0
"""Tap-to-result p99 that `elcart-sim size` and `elcart-sim report` aim at unless told otherwise,
in seconds: our [estimate]; no ELKART service level is published (docs/sources.md)."""


@dataclass
class SizingReport:
    """The answers of `size` (see the module docstring); `table()` renders them for a terminal."""

    scenario: str
    target_p99_s: float
    peak_hour: int
    peak_rate_per_s: float
    floor_p99_s: float
    feasible: bool
    current_servers: dict[str, int]
    analytic_servers: dict[str, int] | None
    sized_servers: dict[str, int] | None
    sized_minimal: bool  # one server fewer at any single host was simulated and misses (or is unstable)
    current: Evaluation
    sized: Evaluation | None
    bottleneck: str
    hosts: pd.DataFrame
    growth: GrowthAnswer | None
    evaluations: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """The answers as plain values (for JSON)."""

        def p99(evaluation: Evaluation | None) -> dict[str, float] | None:
            if evaluation is None:
                return None
            return {"mean_s": evaluation.p99.mean, "half_width_s": evaluation.p99.half_width, "meets": evaluation.meets}

        growth = None
        if self.growth is not None:
            g = self.growth
            growth = {
                "growth_per_year": g.growth_per_year,
                "years_absorbed": g.years_absorbed,
                "breaks_in_year": g.breaks_in_year,
                "first_to_break": g.first_to_break,
                "analytic_years": g.analytic_years,
                "max_years": g.max_years,
            }
        return {
            "scenario": self.scenario,
            "target_p99_s": self.target_p99_s,
            "peak_hour": self.peak_hour,
            "peak_rate_per_s": self.peak_rate_per_s,
            "floor_p99_s": self.floor_p99_s,
            "feasible": self.feasible,
            "current_servers": self.current_servers,
            "current_p99": p99(self.current),
            "analytic_servers": self.analytic_servers,
            "sized_servers": self.sized_servers,
            "sized_minimal": self.sized_minimal,
            "sized_p99": p99(self.sized),
            "bottleneck": self.bottleneck,
            "current_p99_by_service": self.current.p99_by_service,
            "sized_p99_by_service": self.sized.p99_by_service if self.sized is not None else None,
            "growth": growth,
        }

    def table(self) -> str:
        services = bool(self.current.p99_by_service.keys() - {"tap"})
        what = "every service's p99 (taps: tap-to-result; the app's: request-to-result)" if services else "tap-to-result p99"
        lines = [
            f"sizing {self.scenario}: {what} ≤ {self.target_p99_s:g} s at the peak "
            f"(local hour {self.peak_hour:02d}:00, {self.peak_rate_per_s:.4g} taps/s)",
            f"  p99 without any queueing (network, NFC, service times): {self.floor_p99_s:.4g} s",
            f"  today's servers: p99 {self.current.p99.mean:.4g} ± {self.current.p99.half_width:.2g} s "
            f"({'meets' if self.current.meets else 'misses'} the target)",
        ]
        if services:
            lines += _by_service("today's servers", self.current)
            if self.sized is not None:
                lines += _by_service("sized", self.sized)
        lines += [
            "",
            text_table(_in_percent(self.hosts.to_dict("records"))),
            "",
            f"  bottleneck at the peak (highest utilisation): {self.bottleneck}",
        ]
        if not self.feasible:
            lines.append(
                f"  no server count meets {self.target_p99_s:g} s: the latency without queueing is already "
                f"{self.floor_p99_s:.4g} s at p99"
            )
        elif self.sized is not None:
            if not self.sized.meets:
                note = "MISSES the target: the search ran out of steps"
            elif self.sized_minimal:
                note = "meets the target; one server fewer at any single host misses it (or leaves it none or overloaded)"
            else:
                note = "meets the target; the search ran out of steps before showing it minimal"
            lines.append(f"  sized: p99 {self.sized.p99.mean:.4g} ± {self.sized.p99.half_width:.2g} s ({note})")
        if self.growth is not None:
            g = self.growth
            lines.append("")
            if g.years_absorbed is None:
                lines.append("  growth: today's servers already miss the target at today's peak")
            elif g.breaks_in_year is None:
                lines.append(f"  growth at {g.growth_per_year:.0%}/yr: today's servers absorb ≥ {g.max_years} years")
            else:
                lines.append(
                    f"  growth at {g.growth_per_year:.0%}/yr: today's servers absorb {g.years_absorbed} year(s); "
                    f"the target breaks in year {g.breaks_in_year} (first at the {g.first_to_break}); "
                    f"analytic estimate {g.analytic_years if g.analytic_years is not None else 'none'}"
                )
            rows = [
                {"year": e.years, "taps/s": e.rate_per_s, "p99 (s)": e.p99.mean, "±": e.p99.half_width,
                 "meets": "yes" if e.meets else "no"}
                for e in sorted(g.evaluations, key=lambda e: e.years)
            ]
            lines += ["", text_table(rows)]
        return "\n".join(lines)


def _by_service(label: str, evaluation: Evaluation) -> list[str]:
    """One line: each service's mean p99 under `evaluation`."""
    if not evaluation.p99_by_service:
        return []
    parts = ", ".join(f"{service} {p99:.4g} s" for service, p99 in evaluation.p99_by_service.items())
    return [f"    {label}, p99 by service: {parts}"]


def _in_percent(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as printed: utilisation columns in per cent, their header saying so (analysis/units.py).

    >>> _in_percent([{"host": "switch", "utilisation now": 0.00172}])
    [{'host': 'switch', 'utilisation now (%)': '0.172'}]
    """
    return [
        {(f"{k} {PERCENT}" if is_utilisation(k.removesuffix(" now")) else k):
         (percent(v) if is_utilisation(k.removesuffix(" now")) else v) for k, v in row.items()}
        for row in rows
    ]
