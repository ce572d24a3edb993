"""Simulated evaluations: one server vector, some years of growth ahead, its p99 at the peak.

An `Evaluator` runs the replications of each configuration at its peak window once and keeps
the answer; configurations where some host would get more work than its servers can do are not
simulated. The p99 of a configuration is its worst service's: each service's p99 (the tap's
tap-to-result, each app service's request-to-result: capacity/metrics.py) is averaged over the
replications, and the configuration meets the target when every service's does. A host's p99
wait and utilisation are those of its busiest pool (an issuing bank, a biller gateway) in each
replication, averaged. `worst_host` names the host a missing configuration should grow first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from elcart_sim.capacity.executors import Executor
from elcart_sim.capacity.hosts import with_servers
from elcart_sim.capacity.intervals import Interval, mean_interval
from elcart_sim.capacity.metrics import service_p99_column
from elcart_sim.capacity.peak import peak_window
from elcart_sim.capacity.predictor import Predictor
from elcart_sim.capacity.replications import ReplicationTask, run_tasks
from elcart_sim.scenario import Scenario

__all__ = ["Evaluation", "Evaluator", "worst_host"]


@dataclass(frozen=True)
class Evaluation:
    """One configuration at the peak: servers, years of growth, the p99 it reached in simulation.

    A configuration where some host would get more work than its servers can do (ρ ≥ 1) has no
    steady state and misses any target; it is not simulated (`simulated` False, p99 infinite,
    `utilisation` the offered ρ of the busiest pool of each host). `p99_by_service`: each
    service's mean p99 ("tap", and the app's services of the day)."""

    servers: dict[str, int]
    years: float
    rate_per_s: float
    p99: Interval
    meets: bool
    p99_wait_s: dict[str, float]
    utilisation: dict[str, float]
    timeouts: float
    simulated: bool = True
    p99_by_service: dict[str, float] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {
            **{f"{h}_servers": c for h, c in self.servers.items()},
            "years": self.years,
            "rate_per_s": self.rate_per_s,
            "p99_s": self.p99.mean,
            "p99_half_width_s": self.p99.half_width,
            "meets": self.meets,
            **{f"{h}_p99_wait_s": w for h, w in self.p99_wait_s.items()},
            **{f"{h}_utilisation": u for h, u in self.utilisation.items()},
            "timeouts": self.timeouts,
            "simulated": self.simulated,
            **{f"{s}_p99_s": p for s, p in self.p99_by_service.items() if s != "tap"},
        }


@dataclass
class Evaluator:
    scenario: Scenario
    target_s: float
    growth_per_year: float
    taps: int
    replications: int
    predictor: Predictor
    executor: Executor | None
    progress: bool
    done: dict[tuple, Evaluation] = field(default_factory=dict)

    def __call__(self, servers: dict[str, int], years: float = 0.0) -> Evaluation:
        hosts = self.predictor.hosts
        key = (tuple(servers[h] for h in hosts), years)
        if key in self.done:
            return self.done[key]
        multiplier = (1.0 + self.growth_per_year) ** years
        if not self.predictor.stable(servers, multiplier):
            self.done[key] = self._unstable(servers, years, multiplier)
            return self.done[key]
        sized = with_servers(self.scenario, servers)
        window = peak_window(sized, years=years, growth_per_year=self.growth_per_year, taps=self.taps)
        label = ", ".join(f"{h} {servers[h]}" for h in hosts)
        tasks = [ReplicationTask(window.scenario, k, window.warmup_s) for k in range(self.replications)]
        frame = run_tasks(tasks, executor=self.executor, progress=self.progress, desc=f"{label}, year +{years:g}")
        intervals = {
            service: mean_interval(frame[column])
            for service, column in ((s, service_p99_column(s)) for s in self.predictor.services)
            if column in frame and frame[column].notna().any()
        }
        p99 = max(intervals.values(), key=lambda interval: interval.mean)
        evaluation = Evaluation(
            servers=dict(servers),
            years=years,
            rate_per_s=window.rate_per_s,
            p99=p99,
            meets=all(interval.mean <= self.target_s for interval in intervals.values()),
            p99_wait_s={h: self._busiest(frame, h, "p99_wait_s") for h in hosts},
            utilisation={h: self._busiest(frame, h, "utilisation") for h in hosts},
            timeouts=float(frame["timeouts"].mean()),
            p99_by_service={s: interval.mean for s, interval in intervals.items()},
        )
        self.done[key] = evaluation
        return evaluation

    def _busiest(self, frame, host: str, measure: str) -> float:
        """The busiest pool of `host` in each replication (by `measure`), averaged."""
        columns = [f"{load.component}_{measure}" for load in self.predictor.loads.values() if load.host == host]
        return float(frame[[c for c in columns if c in frame]].max(axis=1).mean())

    def _unstable(self, servers: dict[str, int], years: float, multiplier: float) -> Evaluation:
        hosts = self.predictor.hosts
        offered = {h: 0.0 for h in hosts}
        for load in self.predictor.loads.values():
            rho = load.arrival_rate_per_s * multiplier * load.mean_service_s / servers[load.host]
            offered[load.host] = max(offered[load.host], rho)
        rate = self.predictor.rate_per_s * multiplier
        waits = {h: (math.inf if offered[h] >= 1 else math.nan) for h in hosts}
        return Evaluation(dict(servers), years, rate, Interval(math.inf, math.nan, 0), False, waits, offered, math.nan, False)


def worst_host(evaluation: Evaluation) -> str:
    """The host with the longest p99 wait (then the highest utilisation) in `evaluation`."""

    def key(host: str) -> tuple[float, float]:
        wait = evaluation.p99_wait_s[host]
        return (-1.0 if wait != wait else wait, evaluation.utilisation[host])

    return max(evaluation.servers, key=key)
