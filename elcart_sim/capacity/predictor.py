"""The analytic predictor of each service's p99 at the peak, from one pilot simulation.

A pilot simulation at the peak with ample servers everywhere gives, for each request that ended
online (a tap, or a request to one of the app's services: a transfer, a bill, a transfer to a
bank account), the latency it would have without any queueing (its tap-to-result or
request-to-result minus its waits at the hosts) and the host pools its messages visited (its
hop records, joined by trace id: a transfer visits the directory, then the switch and the
issuers twice). The predictor adds to each pilot request a waiting time for each visit, drawn
independently from the M/G/c waiting-time distribution of the pool at its load (Erlang C;
Allen–Cunneen for non-exponential service), and takes each service's p99; the predicted p99 is
the worst service's. `analytic_guess` is the coordinate-wise minimal server vector under it, and
`analytic_years` the last year of growth it says a server vector still meets the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from elcart_sim.capacity.hosts import HostLoad, host_loads, with_servers
from elcart_sim.capacity.peak import PeakWindow
from elcart_sim.capacity.queueing import erlang_c, min_stable_servers

__all__ = ["Predictor", "pilot_predictor", "analytic_guess", "analytic_years"]

_QUANTILE = 99.0


@dataclass
class Predictor:
    """Per service, p99 of (no-queue latency of each pilot request + a drawn wait per visit)."""

    hosts: tuple[str, ...]  # the sized host specs
    rate_per_s: float  # the tap rate at the peak
    floor_s: np.ndarray  # per pilot request
    service: np.ndarray  # per pilot request: its index in `services`
    services: list[str]  # "tap", then the app's services the pilot saw
    visit_request: np.ndarray  # per visit: the request
    visit_component: np.ndarray  # per visit: the index of the pool in `components`
    components: list[str]  # the pools, in the registry's order
    loads: dict[str, HostLoad]  # component -> load at multiplier 1
    uniforms: np.ndarray  # per visit
    exponentials: np.ndarray  # per visit

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

    def p99_by_service(self, servers: dict[str, int], multiplier: float = 1.0) -> dict[str, float]:
        waits = [self._waits(self.loads[c], servers[self.loads[c].host], multiplier) for c in self.components]
        p = np.array([w[0] for w in waits] + [0.0])[self.visit_component]
        m = np.array([w[1] for w in waits] + [0.0])[self.visit_component]
        with np.errstate(invalid="ignore"):
            wait = np.where(self.uniforms < p, self.exponentials * m, 0.0)
        total = self.floor_s + np.bincount(self.visit_request, weights=np.nan_to_num(wait, nan=math.inf), minlength=len(self.floor_s))
        return {
            name: float(np.percentile(total[self.service == i], _QUANTILE)) if (self.service == i).any() else math.nan
            for i, name in enumerate(self.services)
        }

    def p99(self, servers: dict[str, int], multiplier: float = 1.0) -> float:
        """The worst service's predicted p99."""
        values = [v for v in self.p99_by_service(servers, multiplier).values() if v == v]
        return max(values) if values else math.nan

    def stable(self, servers: dict[str, int], multiplier: float = 1.0) -> bool:
        return all(
            load.arrival_rate_per_s * multiplier * load.mean_service_s < servers[load.host]
            for load in self.loads.values()
        )


def _requests(results, warmup_s: float) -> pd.DataFrame:
    """The pilot's requests made after the warm-up that ended online: trace id, service, latency."""
    tx = results.transactions
    tx = tx[(tx["tapped_at"].to_numpy(dtype=float) >= warmup_s) & (tx["outcome"].astype(str).to_numpy() != "reversed")]
    frames = [pd.DataFrame({"trace_id": tx["trace_id"].to_numpy(), "service": "tap",
                            "latency_s": tx["tap_to_result_s"].to_numpy(dtype=float)})]
    app = results.transfers
    if len(app):
        app = app[(app["requested_at"].to_numpy(dtype=float) >= warmup_s) & (app["outcome"].astype(str).to_numpy() != "reversed")]
        frames.append(pd.DataFrame({"trace_id": app["trace_id"].to_numpy(), "service": app["service"].astype(str).to_numpy(),
                                    "latency_s": app["request_to_result_s"].to_numpy(dtype=float)}))
    return pd.concat(frames, ignore_index=True)


def pilot_predictor(window: PeakWindow, servers: dict[str, int]) -> tuple[Predictor, float]:
    """Simulate the peak once, in this process, with `servers` (ample) and build the predictor
    from it; also returns the no-queue p99 of the worst service."""
    from elcart_sim.analysis.occupancy import hop_components
    from elcart_sim.model.simulation import Simulation

    results = Simulation(with_servers(window.scenario, servers), replication=0).run()
    requests = _requests(results, window.warmup_s)
    row_of = pd.Series(np.arange(len(requests)), index=requests["trace_id"].to_numpy())
    hops = results.hops
    loads = {load.component: load for load in host_loads(window.scenario, rate_per_s=window.rate_per_s)}
    components = list(loads)
    position = {c: i for i, c in enumerate(components)}
    component = pd.Series(hop_components(hops, results.registry)).map(position).to_numpy(dtype=float)
    request = hops["trace_id"].map(row_of).to_numpy(dtype=float)
    visited = ~np.isnan(component) & ~np.isnan(request)
    visit_request = request[visited].astype(np.int64)
    waits = np.bincount(visit_request, weights=hops["wait_s"].to_numpy(dtype=float)[visited], minlength=len(requests))
    floor = requests["latency_s"].to_numpy(dtype=float) - waits
    services = list(dict.fromkeys(["tap", *requests["service"]]))
    service = requests["service"].map({name: i for i, name in enumerate(services)}).to_numpy()
    rng = np.random.default_rng(20250701)
    n = int(visited.sum())
    predictor = Predictor(
        hosts=tuple(dict.fromkeys(load.host for load in loads.values())),
        rate_per_s=window.rate_per_s,
        floor_s=floor,
        service=service,
        services=services,
        visit_request=visit_request,
        visit_component=component[visited].astype(np.int64),
        components=components,
        loads=loads,
        uniforms=rng.random(n),
        exponentials=rng.exponential(1.0, n),
    )
    floors = [np.percentile(floor[service == i], _QUANTILE) for i in range(len(services)) if (service == i).any()]
    return predictor, float(max(floors)) if floors else math.nan


def analytic_guess(predictor: Predictor, target_s: float, multiplier: float = 1.0) -> dict[str, int] | None:
    """Coordinate-wise minimal servers under the predictor, or None if no count meets the target."""
    servers = {}
    for host in predictor.hosts:
        loads = [load for load in predictor.loads.values() if load.host == host]
        servers[host] = max(min_stable_servers(load.arrival_rate_per_s * multiplier, load.mean_service_s) for load in loads)
    for _ in range(10_000):
        current = predictor.p99(servers, multiplier)
        if current <= target_s:
            break
        best, best_p99 = None, current
        for host in predictor.hosts:
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
        for host in predictor.hosts:
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
