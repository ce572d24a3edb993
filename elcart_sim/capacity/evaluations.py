"""Simulated evaluations: one server vector, some years of growth ahead, its p99 at the peak.

An `Evaluator` runs the replications of each configuration at its peak window once and keeps
the answer; configurations where some host would get more work than its servers can do are not
simulated. `worst_host` names the host a missing configuration should grow first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from elcart_sim.capacity.executors import Executor
from elcart_sim.capacity.hosts import HOSTS, with_servers
from elcart_sim.capacity.intervals import Interval, mean_interval
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
    `utilisation` the offered ρ of the busiest pool of each host)."""

    servers: dict[str, int]
    years: float
    rate_per_s: float
    p99: Interval
    meets: bool
    p99_wait_s: dict[str, float]
    utilisation: dict[str, float]
    timeouts: float
    simulated: bool = True

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
        key = (tuple(servers[h] for h in HOSTS), years)
        if key in self.done:
            return self.done[key]
        multiplier = (1.0 + self.growth_per_year) ** years
        if not self.predictor.stable(servers, multiplier):
            self.done[key] = self._unstable(servers, years, multiplier)
            return self.done[key]
        sized = with_servers(self.scenario, servers)
        window = peak_window(sized, years=years, growth_per_year=self.growth_per_year, taps=self.taps)
        label = ", ".join(f"{h} {servers[h]}" for h in HOSTS)
        tasks = [ReplicationTask(window.scenario, k, window.warmup_s) for k in range(self.replications)]
        frame = run_tasks(tasks, executor=self.executor, progress=self.progress, desc=f"{label}, year +{years:g}")
        p99 = mean_interval(frame["latency_p99_s"])
        evaluation = Evaluation(
            servers=dict(servers),
            years=years,
            rate_per_s=window.rate_per_s,
            p99=p99,
            meets=bool(p99.mean <= self.target_s),
            p99_wait_s={
                "acquirer": float(frame["acquirer_p99_wait_s"].mean()),
                "switch": float(frame["switch_p99_wait_s"].mean()),
                "issuer": float(frame["issuers_max_p99_wait_s"].mean()),
            },
            utilisation={
                "acquirer": float(frame["acquirer_utilisation"].mean()),
                "switch": float(frame["switch_utilisation"].mean()),
                "issuer": float(frame["issuers_max_utilisation"].mean()),
            },
            timeouts=float(frame["timeouts"].mean()),
        )
        self.done[key] = evaluation
        return evaluation

    def _unstable(self, servers: dict[str, int], years: float, multiplier: float) -> Evaluation:
        offered = {h: 0.0 for h in HOSTS}
        rate = 0.0
        for load in self.predictor.loads.values():
            rho = load.arrival_rate_per_s * multiplier * load.mean_service_s / servers[load.host]
            offered[load.host] = max(offered[load.host], rho)
            if load.host == "switch":
                rate = load.arrival_rate_per_s * multiplier
        waits = {h: (math.inf if offered[h] >= 1 else math.nan) for h in HOSTS}
        return Evaluation(dict(servers), years, rate, Interval(math.inf, math.nan, 0), False, waits, offered, math.nan, False)


def worst_host(evaluation: Evaluation) -> str:
    """The host with the longest p99 wait (then the highest utilisation) in `evaluation`."""

    def key(host: str) -> tuple[float, float]:
        wait = evaluation.p99_wait_s[host]
        return (-1.0 if wait != wait else wait, evaluation.utilisation[host])

    return max(HOSTS, key=key)
