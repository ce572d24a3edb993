"""Sizing: how many servers each host needs for a latency target at the peak, and how many years
of growth today's configuration absorbs.

**The target.** The 99th percentile of tap-to-result latency (`tap_to_result_s`: phone touches
the terminal → the terminal shows its result), over the taps of the scenario's busiest hour,
estimated as the mean over replications of each replication's p99 (with its 95 % interval).
A configuration *meets* the target when that mean is at most the target.

**The peak.** The busiest hour of the scenario's day (`demand.hourly_profile` with every volume
factor: weekday, salary day, growth, channel share; `elcart_sim.demand.hourly_rates_per_s`) is
simulated alone, at its constant rate, for a warm-up plus a window long enough for `taps` taps
(`peak_window`). In the model the rate is constant within an hour, so this is that hour.

**The servers.** The three sizes a scenario sets: `acquirer.servers`, `switch.servers` and
`issuer.servers` (every issuing bank's host has that many; the busiest bank decides). The answer
is *coordinate-wise minimal*: it meets the target, and one server fewer at any single host (the
others as sized) does not.

**The method.** Analytic first, simulation to confirm:

1. A pilot simulation at the peak with ample servers everywhere gives the latency each tap
   would have without any queueing (its tap-to-result minus its waits at the hosts) and, for
   each host, the arrival rate at the peak (the issuer banks' shares of the taps come from the
   population).
2. An analytic predictor adds to each pilot tap a waiting time at each host it visits, drawn
   from the M/G/c waiting-time distribution (Erlang C; Allen–Cunneen for non-exponential
   service: `elcart_sim.capacity.queueing.wait_quantile_s`), and takes the p99. The first guess
   is the coordinate-wise minimal server vector under this predictor.
3. Simulation of the guess; while it misses, the host with the longest p99 wait gets a server;
   then each host in turn loses servers while the target holds.

**Growth.** Year y multiplies the demand by (1 + g)^y (the scenario's `demand.growth_per_year`,
or the `growth_per_year` argument). The predictor gives the first year that breaks the target
on today's servers; simulation confirms the last year that meets it and the next that fails,
walking year by year from the guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from elcart_sim.capacity.executors import Executor
from elcart_sim.capacity.intervals import Interval, mean_interval
from elcart_sim.capacity.queueing import erlang_c, min_stable_servers, relaxation_time_s
from elcart_sim.capacity.replications import ReplicationTask, run_tasks
from elcart_sim.capacity.tables import text_table
from elcart_sim.errors import CapacityError
from elcart_sim.scenario import Scenario, data_dir

__all__ = [
    "HOSTS",
    "PeakWindow",
    "HostLoad",
    "Evaluation",
    "GrowthAnswer",
    "SizingReport",
    "peak_window",
    "host_loads",
    "size",
]

HOSTS = ("acquirer", "switch", "issuer")
_QUANTILE = 99.0
_MIN_WARMUP_S = 5.0  # a few tap durations: terminals and links reach their steady state
_MAX_WARMUP_S = 600.0
_MAX_WINDOW_S = 3600.0
_MAX_TAPS_FACTOR = 20  # a run never simulates more than 20 × `taps` taps, warm-up included


# -- the peak ---------------------------------------------------------------------------------------


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


def _servers(scenario: Scenario) -> dict[str, int]:
    return {host: getattr(scenario, host).servers for host in HOSTS}


def _with_servers(scenario: Scenario, servers: dict[str, int]) -> Scenario:
    changes = {f"{h}.servers": int(c) for h, c in servers.items() if getattr(scenario, h).servers != c}
    return scenario.with_overrides(changes) if changes else scenario


def _grown(scenario: Scenario, years: float, growth_per_year: float | None) -> Scenario:
    overrides: dict[str, Any] = {}
    if growth_per_year is not None and growth_per_year != scenario.demand.growth_per_year:
        overrides["demand.growth_per_year"] = growth_per_year
    if years:
        overrides["demand.years_ahead"] = scenario.demand.years_ahead + years
    return scenario.with_overrides(overrides) if overrides else scenario


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
    from elcart_sim.demand import hourly_rates_per_s

    grown = _grown(scenario, years, growth_per_year)
    rates = hourly_rates_per_s(grown)
    peak_hour = int(np.argmax(rates))
    peak = float(rates[peak_hour])
    mean = float(np.mean(rates))
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
            "demand.hourly_profile": [1.0] * 24,
            "demand.transactions_per_day": grown.demand.transactions_per_day * peak / mean,
            "demand.duration_s": warmup_s + window_s,
            "monitor_interval_s": interval,
            "fidelity": "fast",
        }
    )
    return PeakWindow(peak_only, float(warmup_s), float(window_s), peak, peak_hour, years)


# -- loads and the analytic predictor ------------------------------------------------------------


@dataclass(frozen=True)
class HostLoad:
    """One host pool at the peak: which sizing it belongs to (`host`), its arrival rate, service
    time and servers."""

    host: str
    component: str
    arrival_rate_per_s: float
    mean_service_s: float
    service_cv: float
    servers: int

    @property
    def utilisation(self) -> float:
        return self.arrival_rate_per_s * self.mean_service_s / self.servers


def _service(scenario: Scenario, host: str) -> tuple[float, float]:
    spec = getattr(scenario, host).service_time
    distribution = spec.distribution()
    return spec.mean_s, (0.0 if spec.dist == "constant" else distribution.cv)


_SHARES: dict[tuple, dict[str, float]] = {}


def _issuer_shares(scenario: Scenario) -> dict[str, float]:
    """Each bank's share of the taps: wallets are picked uniformly among the enrolled cards."""
    key = (scenario.seed, scenario.scale, repr(scenario.population), str(data_dir()))
    shares = _SHARES.get(key)
    if shares is None:
        from elcart_sim.population import Population
        from elcart_sim.streams import RandomStreams

        population = Population.build(scenario, RandomStreams(scenario.seed, 0))
        starts = population.card_starts
        enrolled = population.enrolled_cards
        counts = np.diff(np.searchsorted(enrolled, starts))
        total = max(1, int(counts.sum()))
        shares = {bank.code: float(counts[bank.index]) / total for bank in population.banks}
        _SHARES[key] = shares
    return shares


def host_loads(scenario: Scenario, *, rate_per_s: float, servers: dict[str, int] | None = None) -> list[HostLoad]:
    """Every host pool at tap rate `rate_per_s`: the acquirer and the switch see every tap, each
    issuer bank its share. `servers` overrides the scenario's."""
    servers = servers or _servers(scenario)
    loads = []
    for host in ("acquirer", "switch"):
        mean, cv = _service(scenario, host)
        loads.append(HostLoad(host, host, rate_per_s, mean, cv, servers[host]))
    mean, cv = _service(scenario, "issuer")
    for code, share in _issuer_shares(scenario).items():
        loads.append(HostLoad("issuer", f"issuer:{code}", rate_per_s * share, mean, cv, servers["issuer"]))
    return loads


@dataclass
class _Predictor:
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


def _pilot_predictor(window: PeakWindow, servers: dict[str, int]) -> tuple[_Predictor, float]:
    """Simulate the peak once, in this process, with `servers` (ample) and build the predictor
    from it; also returns the no-queue p99."""
    from elcart_sim.simulation import Simulation

    results = Simulation(_with_servers(window.scenario, servers), replication=0).run()
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
    predictor = _Predictor(
        floor_s=floor,
        visits=visits,
        components=components,
        loads=loads,
        uniforms={h: rng.random(n) for h in HOSTS},
        exponentials={h: rng.exponential(1.0, n) for h in HOSTS},
    )
    return predictor, float(np.percentile(floor, _QUANTILE)) if n else math.nan


def _analytic_guess(predictor: _Predictor, target_s: float, multiplier: float = 1.0) -> dict[str, int] | None:
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


def _analytic_years(predictor: _Predictor, servers: dict[str, int], target_s: float, growth: float, max_years: int) -> int | None:
    """The last whole year of growth the predictor says `servers` still meet (None: not even now)."""
    last = None
    for year in range(max_years + 1):
        multiplier = (1.0 + growth) ** year
        if not predictor.stable(servers, multiplier) or predictor.p99(servers, multiplier) > target_s:
            break
        last = year
    return last


# -- simulated evaluations ---------------------------------------------------------------------------


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
class _Evaluator:
    scenario: Scenario
    target_s: float
    growth_per_year: float
    taps: int
    replications: int
    predictor: _Predictor
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
        sized = _with_servers(self.scenario, servers)
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


def _worst_host(evaluation: Evaluation) -> str:
    """The host with the longest p99 wait (then the highest utilisation) in `evaluation`."""

    def key(host: str) -> tuple[float, float]:
        wait = evaluation.p99_wait_s[host]
        return (-1.0 if wait != wait else wait, evaluation.utilisation[host])

    return max(HOSTS, key=key)


# -- answers -------------------------------------------------------------------------------------------


@dataclass
class GrowthAnswer:
    """How many whole years of growth today's servers absorb at the peak.

    `years_absorbed`: the last year that meets the target in simulation (0: only this year; None:
    not even this year). `breaks_in_year`: the first simulated year that misses it (None if none
    within `max_years`). `first_to_break`: the host with the longest p99 wait in that year.
    """

    growth_per_year: float
    analytic_years: int | None
    years_absorbed: int | None
    breaks_in_year: int | None
    first_to_break: str | None
    max_years: int
    evaluations: list[Evaluation]


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
            "growth": growth,
        }

    def table(self) -> str:
        lines = [
            f"sizing {self.scenario}: tap-to-result p99 ≤ {self.target_p99_s:g} s at the peak "
            f"(local hour {self.peak_hour:02d}:00, {self.peak_rate_per_s:.4g} taps/s)",
            f"  p99 without any queueing (network, NFC, service times): {self.floor_p99_s:.4g} s",
            f"  today's servers: p99 {self.current.p99.mean:.4g} ± {self.current.p99.half_width:.2g} s "
            f"({'meets' if self.current.meets else 'misses'} the target)",
            "",
            text_table(self.hosts.to_dict("records")),
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


def size(
    scenario: Scenario,
    target_p99_s: float,
    *,
    growth_per_year: float | None = None,
    growth: bool = True,
    max_years: int = 50,
    taps: int = 5_000,
    replications: int = 3,
    max_steps: int = 20,
    executor: Executor | None = None,
    progress: bool = False,
) -> SizingReport:
    """Size the acquirer, switch and issuer servers for `target_p99_s` at the scenario's peak, name
    the bottleneck, and (with `growth`) count the years of growth today's servers absorb.

    `growth_per_year` overrides the scenario's `demand.growth_per_year`. Each simulated
    configuration runs `replications` replications of about `taps` peak taps each on `executor`
    (serially if None). `max_steps` bounds the simulated search steps. See the module docstring
    for the definitions and the method.
    """
    if target_p99_s <= 0:
        raise CapacityError(f"target p99 must be > 0 s, got {target_p99_s}")
    if replications < 2:
        raise CapacityError(f"sizing needs >= 2 replications for an interval, got {replications}")
    g = scenario.demand.growth_per_year if growth_per_year is None else growth_per_year
    if g <= -1:
        raise CapacityError(f"growth per year must be > -1, got {g}")
    current = _servers(scenario)
    window = peak_window(scenario, growth_per_year=g, taps=taps)
    loads = host_loads(window.scenario, rate_per_s=window.rate_per_s)
    ample = {
        host: max(current[host], *(min_stable_servers(load.arrival_rate_per_s, load.mean_service_s, 0.3) + 2
                                   for load in loads if load.host == host))
        for host in HOSTS
    }
    predictor, floor_p99 = _pilot_predictor(window, ample)
    evaluate = _Evaluator(scenario, target_p99_s, g, taps, replications, predictor, executor, progress)
    guess = _analytic_guess(predictor, target_p99_s)
    today = evaluate(current)

    sized_servers, sized, minimal = None, None, False
    feasible = guess is not None
    if feasible:
        servers = dict(guess)
        result = evaluate(servers)
        steps = 0
        while not result.meets and steps < max_steps:
            worst = _worst_host(result)
            servers[worst] += 1
            result = evaluate(servers)
            steps += 1
        if result.meets:
            changed = True
            while changed and steps < max_steps:
                changed = False
                for host in HOSTS:
                    if servers[host] <= 1:
                        continue
                    trial = dict(servers, **{host: servers[host] - 1})
                    if not predictor.stable(trial):
                        continue
                    attempt = evaluate(trial)
                    steps += 1
                    if attempt.meets:
                        servers, result, changed = trial, attempt, True
            minimal = not changed
        sized_servers, sized = servers, result

    by_host = {}
    for load in loads:
        kept = by_host.get(load.host)
        if kept is None or load.utilisation > kept.utilisation:
            by_host[load.host] = load
    bottleneck = max(by_host.values(), key=lambda load: load.utilisation).component
    host_rows = []
    for host in HOSTS:
        load = by_host[host]
        host_rows.append(
            {
                "host": host if host != "issuer" else f"issuer (busiest: {load.component.split(':', 1)[1]})",
                "servers now": current[host],
                "taps/s at peak": load.arrival_rate_per_s,
                "mean service (s)": load.mean_service_s,
                "utilisation now": load.utilisation,
                "p99 wait now (s)": today.p99_wait_s[host],
                "analytic guess": guess[host] if guess else "–",
                "sized": sized_servers[host] if sized_servers else "–",
            }
        )

    growth_answer = None
    if growth:
        analytic = _analytic_years(predictor, current, target_p99_s, g, max_years)
        year = 0 if analytic is None else analytic
        tried: list[Evaluation] = []
        result = evaluate(current, float(year))
        tried.append(result)
        if result.meets:
            while year < max_years:
                following = evaluate(current, float(year + 1))
                tried.append(following)
                if not following.meets:
                    break
                year += 1
            absorbed = year
            breaks = year + 1 if year < max_years else None
        else:
            while year > 0:
                year -= 1
                previous = evaluate(current, float(year))
                tried.append(previous)
                if previous.meets:
                    break
            absorbed = year if tried[-1].meets else None
            breaks = (year + 1) if absorbed is not None else 0
        first = None
        if breaks is not None:
            broken = evaluate(current, float(breaks))
            first = _worst_host(broken)
        growth_answer = GrowthAnswer(g, analytic, absorbed, breaks, first, max_years, tried)

    evaluations = pd.DataFrame([e.row() for e in evaluate.done.values()])
    return SizingReport(
        scenario=scenario.name,
        target_p99_s=target_p99_s,
        peak_hour=window.peak_hour,
        peak_rate_per_s=window.rate_per_s,
        floor_p99_s=floor_p99,
        feasible=feasible,
        current_servers=current,
        analytic_servers=guess,
        sized_servers=sized_servers,
        sized_minimal=minimal,
        current=today,
        sized=sized,
        bottleneck=bottleneck,
        hosts=pd.DataFrame(host_rows),
        growth=growth_answer,
        evaluations=evaluations,
    )
