"""The analytic predictor of tap-to-result p99 at the peak, from one pilot simulation.

A pilot simulation at the peak with ample servers everywhere gives the latency each tap would
have without any queueing (its tap-to-result minus its waits at the hosts) and which hosts it
visits. The predictor adds to each pilot tap a waiting time at each host it visits, drawn from
the M/G/c waiting-time distribution (Erlang C; Allen–Cunneen for non-exponential service), and
takes the p99. `analytic_guess` is the coordinate-wise minimal server vector under it, and
`analytic_years` the last year of growth it says a server vector still meets the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from elcart_sim.capacity.hosts import HOSTS, HostLoad, host_loads, with_servers
from elcart_sim.capacity.peak import PeakWindow
from elcart_sim.capacity.queueing import erlang_c, min_stable_servers

__all__ = ["Predictor", "pilot_predictor", "analytic_guess", "analytic_years"]

_QUANTILE = 99.0


@dataclass
class Predictor:
    """p99 of (no-queue latency of each pilot tap + a drawn wait at each host it visits)."""

    floor_s: np.ndarray  # per pilot tap
    visits: dict[str, np.ndarray]  # host -> bool per tap (acquirer, switch) ; issuer -> component index or -1
    components: list[str]  # issuer components, by index
    loads: dict[str, HostLoad]  # component -> load at multiplier 1
    uniforms: dict[str, np.ndarray]
    exponentials: dict[str, np.ndarray]

    def _waits(self, load: HostLoad, servers: int, multiplier: float) -> tuple[float, float]:
        """(P(wait), mean wait given waiting) at `servers` and load × multiplier."""
        lam = load.arrival_rate_per_s * multiplier
        if load.mean_service_s <= 0 or lam <= 0:
            return 0.0, 0.0
        headroom = servers / load.mean_service_s - lam
        if headroom <= 0:
            return 1.0, math.inf
        scale = (1.0 + load.service_cv**2) / 2.0
        return erlang_c(servers, lam * load.mean_service_s), scale / headroom

    def p99(self, servers: dict[str, int], multiplier: float = 1.0) -> float:
        total = self.floor_s.copy()
        for host in ("acquirer", "switch"):
            p_wait, mean = self._waits(self.loads[host], servers[host], multiplier)
            if p_wait > 0:
                wait = np.where(self.uniforms[host] < p_wait, self.exponentials[host] * mean, 0.0)
                total += np.where(self.visits[host], np.nan_to_num(wait, nan=math.inf), 0.0)
        bank = self.visits["issuer"]
        p = np.zeros(len(self.components) + 1)
        m = np.zeros(len(self.components) + 1)
        for i, component in enumerate(self.components):
            p[i], m[i] = self._waits(self.loads[component], servers["issuer"], multiplier)
        index = np.where(bank >= 0, bank, len(self.components))
        with np.errstate(invalid="ignore"):
            wait = np.where(self.uniforms["issuer"] < p[index], self.exponentials["issuer"] * m[index], 0.0)
        total += np.nan_to_num(wait, nan=math.inf)
        return float(np.percentile(total, _QUANTILE)) if len(total) else math.nan

    def stable(self, servers: dict[str, int], multiplier: float = 1.0) -> bool:
        return all(
            load.arrival_rate_per_s * multiplier * load.mean_service_s < servers[load.host]
            for load in self.loads.values()
        )


def pilot_predictor(window: PeakWindow, servers: dict[str, int]) -> tuple[Predictor, float]:
    """Simulate the peak once, in this process, with `servers` (ample) and build the predictor
    from it; also returns the no-queue p99."""
    from elcart_sim.model.simulation import Simulation

    results = Simulation(with_servers(window.scenario, servers), replication=0).run()
    tx = results.transactions
    tx = tx[tx["tapped_at"].to_numpy(dtype=float) >= window.warmup_s]
    hops = results.hops
    auth = hops[hops["mti"].astype(str) == "0100"]
    waits = auth.groupby("trace_id")["wait_s"].sum()
    trace = tx["trace_id"].to_numpy()
    floor = tx["tap_to_result_s"].to_numpy(dtype=float) - waits.reindex(trace, fill_value=0.0).to_numpy(dtype=float)
    online = tx["outcome"].astype(str).to_numpy() != "reversed"
    floor = floor[online]
    trace = trace[online]
    issuers = tx["issuer"].astype(str).to_numpy()[online]
    visits: dict[str, np.ndarray] = {}
    for host in ("acquirer", "switch"):
        visited = set(auth.loc[auth["hop"].astype(str) == host, "trace_id"].tolist())
        visits[host] = np.array([t in visited for t in trace.tolist()], dtype=bool)
    loads = {load.component: load for load in host_loads(window.scenario, rate_per_s=window.rate_per_s)}
    components = [c for c in loads if c.startswith("issuer:")]
    position = {c: i for i, c in enumerate(components)}
    at_issuer = set(auth.loc[auth["hop"].astype(str) == "issuer", "trace_id"].tolist())
    visits["issuer"] = np.array(
        [position.get(f"issuer:{code}", -1) if t in at_issuer else -1 for t, code in zip(trace.tolist(), issuers.tolist())]
    )
    rng = np.random.default_rng(20250701)
    n = len(floor)
    predictor = Predictor(
        floor_s=floor,
        visits=visits,
        components=components,
        loads=loads,
        uniforms={h: rng.random(n) for h in HOSTS},
        exponentials={h: rng.exponential(1.0, n) for h in HOSTS},
    )
    return predictor, float(np.percentile(floor, _QUANTILE)) if n else math.nan


def analytic_guess(predictor: Predictor, target_s: float, multiplier: float = 1.0) -> dict[str, int] | None:
    """Coordinate-wise minimal servers under the predictor, or None if no count meets the target."""
    servers = {}
    for host in HOSTS:
        loads = [load for load in predictor.loads.values() if load.host == host]
        servers[host] = max(min_stable_servers(load.arrival_rate_per_s * multiplier, load.mean_service_s) for load in loads)
    for _ in range(10_000):
        current = predictor.p99(servers, multiplier)
        if current <= target_s:
            break
        best, best_p99 = None, current
        for host in HOSTS:
            trial = dict(servers, **{host: servers[host] + 1})
            p99 = predictor.p99(trial, multiplier)
            if p99 < best_p99:
                best, best_p99 = host, p99
        if best is None:
            return None  # no single extra server helps: the target is below the no-queue latency
        servers[best] += 1
    else:
        return None
    changed = True
    while changed:
        changed = False
        for host in HOSTS:
            while servers[host] > 1:
                trial = dict(servers, **{host: servers[host] - 1})
                if predictor.stable(trial, multiplier) and predictor.p99(trial, multiplier) <= target_s:
                    servers = trial
                    changed = True
                else:
                    break
    return servers


def analytic_years(predictor: Predictor, servers: dict[str, int], target_s: float, growth: float, max_years: int) -> int | None:
    """The last whole year of growth the predictor says `servers` still meet (None: not even now)."""
    last = None
    for year in range(max_years + 1):
        multiplier = (1.0 + growth) ** year
        if not predictor.stable(servers, multiplier) or predictor.p99(servers, multiplier) > target_s:
            break
        last = year
    return last
