"""Sizing curves: p99 at the peak against the servers of one component at a time, the others as
configured, and the smallest count that meets the target. The components are the hosts sizing
sizes for the scenario (capacity/hosts.sized_hosts: acquirer, switch, issuers, and on a day with
the app's services the directory, the biller gateways, the interaction operator); the p99 is
the tap's tap-to-result, or on such a day the worst service's (`worst_latency_p99_s`: the
largest of the tap's and each app service's request-to-result p99 in each replication).
`elcart_sim.capacity.sizing.size` sizes them all together; these curves show the way there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from elcart_sim.capacity import Executor, peak_window
from elcart_sim.capacity.hosts import HOSTS, host_spec, sized_hosts
from elcart_sim.capacity.knee import nearest_knee_specs
from elcart_sim.capacity.metrics import worst_p99
from elcart_sim.report.peak_points import meets, peak_intervals, run_peak_points, with_overloaded
from elcart_sim.scenario import Scenario

__all__ = ["COMPONENTS", "MOST_CURVES", "default_server_counts", "SizingStudy", "sizing_study"]

COMPONENTS = HOSTS  # the components a curve varies on a day of taps alone: the tap chain's hosts
MOST_CURVES = 8  # at most this many components by default: those nearest their knee


def default_server_counts(scenario: Scenario, component: str, most: int = 8) -> list[int]:
    """About `most` server counts from 1 to twice the configured count, spread geometrically,
    always with the configured count.

    >>> from elcart_sim.scenario import load_scenario
    >>> default_server_counts(load_scenario("national-day"), "switch")
    [1, 2, 3, 4, 7, 12, 16, 20, 32]
    >>> default_server_counts(load_scenario("national-day"), "switch", most=2)
    [1, 16, 32]
    """
    configured = host_spec(scenario, component).servers
    top = max(2, 2 * configured)
    counts = {int(round(v)) for v in np.geomspace(1, top, max(2, most))} | {configured}
    return sorted(counts)


@dataclass(frozen=True)
class SizingStudy:
    """p99 at the peak against servers, one component at a time (the others as configured);
    `frame` has one row per component, server count and replication."""

    scenario: Scenario
    target_p99_s: float
    frame: pd.DataFrame  # simulated points only
    overloaded: list[dict[str, Any]] = field(default_factory=list)  # {component, servers} not simulated

    def intervals(self) -> pd.DataFrame:
        """Mean p99 and 95 % interval per component and count (overloaded counts: mean ∞)."""
        worst = worst_p99(self.frame)
        metrics = ["latency_p99_s" if worst is None else "worst_latency_p99_s"]
        frame = self.frame if worst is None else self.frame.assign(worst_latency_p99_s=worst)
        intervals = peak_intervals(frame, ["component", "servers"], metrics)
        rows = with_overloaded(intervals, self.overloaded, metrics)
        hosts = sized_hosts(self.scenario)
        order = {(c, n): i for i, (c, n) in enumerate(sorted(
            {(c, int(n)) for c, n in zip(rows["component"], rows["servers"])},
            key=lambda cn: (hosts.index(cn[0]) if cn[0] in hosts else len(hosts), cn[1])))}
        rows = rows.assign(servers=rows["servers"].astype(int))
        rank = [order[(c, n)] for c, n in zip(rows["component"], rows["servers"])]
        return rows.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)

    def smallest_meeting_target(self) -> dict[str, int | None]:
        """Per component, the smallest swept count whose p99 meets the target, the others as
        configured (None: none does)."""
        p99 = self.intervals()
        answer: dict[str, int | None] = {}
        for component, rows in p99.groupby("component", sort=False):
            ok = rows[meets(rows, self.target_p99_s)].sort_values("servers")
            answer[component] = int(ok["servers"].iloc[0]) if len(ok) else None
        return answer

    def table(self) -> pd.DataFrame:
        p99 = self.intervals()
        configured = {c: host_spec(self.scenario, c).servers for c in p99["component"].unique()}
        p99 = p99.assign(
            configured=[configured[c] == s for c, s in zip(p99["component"], p99["servers"])],
            meets_target=meets(p99, self.target_p99_s),
        )
        columns = ["component", "servers", "configured", "mean", "ci_low", "ci_high", "n", "meets_target"]
        return p99[columns].rename(columns={"mean": "p99_s"}).round(4).reset_index(drop=True)


def sizing_study(
    scenario: Scenario,
    replications: int,
    *,
    target_p99_s: float,
    taps: int = 5_000,
    components: Sequence[str] | None = None,
    server_counts: dict[str, Sequence[int]] | None = None,
    points: int = 8,
    workers: int = 1,
    executor: Executor | None = None,
) -> SizingStudy:
    """p99 at the peak for each count of `server_counts` (default `default_server_counts`) of each
    component (default: every host sizing sizes for the scenario, or when there are more than
    MOST_CURVES — a bank's host and HSM each a spec of its own — the MOST_CURVES nearest their
    knee, capacity/knee.py), the others as configured; every point runs replications 0 … n−1 (common random
    numbers); `points` is how many counts `default_server_counts` gives. Counts that would
    overload a host are not simulated: their p99 is infinite."""
    windows = []
    for component in components or nearest_knee_specs(scenario, MOST_CURVES):
        counts = list((server_counts or {}).get(component) or default_server_counts(scenario, component, points))
        for n in counts:
            sized = scenario.with_overrides({f"{component}.servers": int(n)})
            windows.append(({"component": component, "servers": int(n)}, peak_window(sized, taps=taps)))
    frame, overloaded = run_peak_points(windows, replications, workers, executor, "sizing curves")
    return SizingStudy(scenario, target_p99_s, frame, overloaded)
