"""The analytic validation suite: does the model agree with queueing theory and with itself?

`elcart-sim validate` (and `validate()`) runs these checks and fails if any does:

1. **M/M/1 and M/M/c against Erlang C.** The switch is made a textbook queue: taps arrive as a
   Poisson process (flat hourly profile), the switch has c servers with exponential service of
   mean 1 s, and everything else is fast and constant (many terminals, many acquirer and issuer
   servers with 1 ms constant service, constant link latencies, timeouts far away), so every
   authorisation reaches the switch a constant time after its tap and the switch is the only
   queue. The mean wait of authorisations (`wait_s` of the switch's 0100 hop records) must
   contain Erlang C's W_q = C(c, a)/(cμ − λ) in its confidence interval across replications, and
   the switch's time-averaged utilisation must contain λ/(cμ). Warm-up is cut off.
2. **Little's law** L = λW at every host of ordinary runs (the national day at small scale):
   L is the time-averaged number of requests at the host from the pool's own accounting (the
   `samples` table), λ and W are the arrival rate and mean wait + service from the `hops` table,
   two independent records of the same queue. They must agree within 1 % in every replication.
3. **More servers never mean longer waits**: a sweep of the switch's servers on common random
   numbers; the mean wait must not increase with servers, in the mean and in every replication.
4. **The same seed gives identical results serially and in parallel**: the ordinary runs of
   check 2 made in this process and on worker processes (or the Dask cluster given) are equal,
   value for value.

Sizes: `ci` (the default, about 20 k taps: well under a minute on two cores) and `full`
(about 25 times the taps: minutes; intervals about 6 times tighter).
Service times of 1 s and arrival rates near 1 per second keep the event count low, and the
`fast` fidelity skips the byte codecs; the statistics are the same.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from elcart_sim.analysis.units import PERCENT, is_utilisation, percent
from elcart_sim.capacity.executors import Executor, ProcessExecutor, SerialExecutor
from elcart_sim.capacity.intervals import mean_interval
from elcart_sim.capacity.queueing import erlang_c, mmc_mean_wait_s, utilisation
from elcart_sim.capacity.replications import ReplicationTask, run_tasks
from elcart_sim.capacity.sweeps import sweep
from elcart_sim.capacity.tables import format_number, text_table
from elcart_sim.core.errors import CapacityError
from elcart_sim.scenario import Scenario, load_scenario

__all__ = ["Check", "ValidationReport", "SuiteSize", "SIZES", "queue_scenario", "validate", "VALIDATION_SEED"]

VALIDATION_SEED = 20250701
_LITTLE_TOLERANCE = 0.01  # |L − λW| ≤ 1 % of L (edge effects of a finite window are far smaller)


@dataclass(frozen=True)
class SuiteSize:
    """How much simulation each check gets (customers are expected authorisations per replication,
    after warm-up)."""

    replications: int
    customers: int
    monotone_replications: int
    monotone_customers: int
    ordinary_scale: float
    ordinary_replications: int


SIZES = {
    "ci": SuiteSize(replications=6, customers=800, monotone_replications=3, monotone_customers=400,
                    ordinary_scale=0.002, ordinary_replications=3),
    "full": SuiteSize(replications=16, customers=12_500, monotone_replications=8, monotone_customers=2_500,
                      ordinary_scale=0.02, ordinary_replications=4),
}


@dataclass(frozen=True)
class Check:
    """One line of the report: what theory (or the other run) expects, what was observed."""

    name: str
    expected: Any
    observed: Any
    passed: bool
    ci_low: float = math.nan
    ci_high: float = math.nan
    detail: str = ""

    def row(self, level: int) -> dict[str, str]:
        """The check as printed; a utilisation in per cent, its name saying so (analysis/units.py)."""
        shown = format_number
        name = self.name
        if is_utilisation(self.name):
            shown, name = percent, f"{self.name} {PERCENT}"
        ci = "" if math.isnan(self.ci_low) else f"[{shown(self.ci_low)}, {shown(self.ci_high)}]"
        return {
            "check": name,
            "expected": shown(self.expected),
            "observed": shown(self.observed),
            f"{level}% CI": ci,
            "result": "pass" if self.passed else "FAIL",
        }


@dataclass
class ValidationReport:
    """The checks, in order; `passed` when all pass."""

    checks: list[Check]
    confidence: float
    size: str
    wall_s: float = 0.0
    frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(c) for c in self.checks])

    def table(self) -> str:
        level = round(100 * self.confidence)
        lines = [text_table([c.row(level) for c in self.checks])]
        notes = [f"  {c.name}: {c.detail}" for c in self.checks if c.detail]
        if notes:
            lines += ["", "notes:", *notes]
        verdict = "all checks pass" if self.passed else f"{sum(not c.passed for c in self.checks)} check(s) FAILED"
        lines += ["", f"{verdict} ({len(self.checks)} checks, size {self.size}, {self.wall_s:.1f} s)"]
        return "\n".join(lines)


def queue_scenario(
    servers: int,
    arrival_rate_per_s: float,
    mean_service_s: float = 1.0,
    *,
    customers: int = 1_000,
    warmup_s: float = 100.0,
    seed: int = VALIDATION_SEED,
    service_dist: str = "exponential",
) -> Scenario:
    """A scenario whose switch is an M/M/c queue (with `service_dist` exponential): Poisson taps at
    `arrival_rate_per_s`, c = `servers`, mean service `mean_service_s`; every other stage constant
    and uncongested. The demand lasts `warmup_s` plus the time `customers` taps take on average,
    rounded up to whole monitor intervals of `warmup_s` / 2 (so the warm-up ends on a boundary)."""
    if arrival_rate_per_s <= 0 or mean_service_s <= 0:
        raise CapacityError(
            f"queue_scenario: arrival_rate_per_s and mean_service_s must be > 0, got {arrival_rate_per_s} and {mean_service_s}"
        )
    interval = warmup_s / 2 if warmup_s > 0 else 50.0
    window = math.ceil(customers / arrival_rate_per_s / interval) * interval
    constant = lambda mean_s: {"dist": "constant", "mean_s": mean_s}  # noqa: E731
    far = 1.0e6  # timeouts that never fire
    raw = {
        "name": f"m-m-{servers}-validation",
        "description": f"Switch as M/M/{servers}: λ={arrival_rate_per_s:g}/s, mean service {mean_service_s:g} s",
        "seed": seed,
        "fidelity": "fast",
        "scale": 1.0,
        "population": {
            "cards": 3_000,  # enough wallets that none is tapped twice at once (a busy phone ends the dialogue)
            "enrolment_share": 1.0,
            "terminals": 20_000,
            "card_status": {"active": 1.0},
            "phone": {"android_share": 1.0, "nfc_share": 1.0, "android_versions": {"14": 1.0}},
        },
        "demand": {
            "transactions_per_day": arrival_rate_per_s * 86_400.0,
            "duration_s": warmup_s + window,
            "hourly_profile": [1.0] * 24,
        },
        "nfc": {"apdu_latency": constant(0.01)},
        "terminal": {"processing": constant(0.01), "timeout_s": 2 * far, "receipt_print": constant(0.0)},
        "network": {"terminal_acquirer": constant(0.01), "acquirer_switch": constant(0.001), "switch_issuer": constant(0.001)},
        "acquirer": {"servers": 64, "service_time": constant(0.001), "timeout_s": far},
        "switch": {"servers": servers, "service_time": {"dist": service_dist, "mean_s": mean_service_s}, "timeout_s": far},
        "issuer": {"servers": 64, "service_time": constant(0.001), "timeout_s": far},
        "monitor_interval_s": interval,
        # Every tap must reach the switch: phones stay online (limited-use keys replenish, none
        # runs out and ends the card dialogue) and no token is suspended or replaced meanwhile.
        "security": {
            "keys": {"offline_share": 0.0},
            "lifecycle": {"suspension_share": 0.0, "phone_replacement_share": 0.0},
        },
    }
    return Scenario.from_dict(raw, source="queue_scenario")


def _arrival_rate(scenario: Scenario) -> float:
    from elcart_sim.world.demand import card_side_rates_per_s

    rates = card_side_rates_per_s(scenario)
    return float(np.mean(rates))


def _queue_checks(frame: pd.DataFrame, scenario: Scenario, confidence: float) -> list[Check]:
    servers = scenario.switch.servers
    lam = _arrival_rate(scenario)
    mu = 1.0 / scenario.switch.service_time.mean_s
    label = f"M/M/{servers} switch (λ={lam:g}/s, μ={mu:g}/s)"
    wait = mean_interval(frame["switch_mean_wait_s"], confidence)
    util = mean_interval(frame["switch_utilisation"], confidence)
    expected_wait = mmc_mean_wait_s(lam, mu, servers)
    expected_util = utilisation(lam, mu, servers)
    # The premise: every tap reaches the switch once (none ends in the card dialogue) and no
    # reversal adds work; otherwise the switch does not see Poisson arrivals at rate λ.
    lost = int(frame["terminated"].sum()) + int(frame["reversals"].sum())
    arrivals = mean_interval(frame["switch_arrival_rate_per_s"], confidence)
    detail = (f"P(wait) = Erlang C = {erlang_c(servers, lam / mu):.4f}; arrivals at the switch "
              f"{arrivals.mean:.4g}/s ± {arrivals.half_width:.2g} (λ = {lam:g})")
    if lost:
        detail += f"; premise broken: {lost} taps terminated or reversed"
    return [
        Check(f"{label}: mean wait (s)", expected_wait, wait.mean, expected_wait in wait and not lost,
              wait.low, wait.high, detail),
        Check(f"{label}: utilisation", expected_util, util.mean, expected_util in util and not lost, util.low, util.high),
    ]


def _little_checks(frame: pd.DataFrame, confidence: float) -> list[Check]:
    suffix = "_mean_in_system"
    components = sorted({c[: -len(suffix)] for c in frame.columns if c.endswith(suffix) and not c.startswith("issuers_")})
    groups = {"acquirer": ["acquirer"], "switch": ["switch"], "issuers": [c for c in components if c.startswith("issuer:")],
              "hsms": [c for c in components if c == "hsm" or c.startswith("hsm:")]}  # fmt: skip
    checks = []
    for group, members in groups.items():
        if group == "hsms" and not members:  # the scenario's HSMs are off
            continue
        worst_error, worst = -1.0, None
        for component in members:
            big_l = frame[f"{component}_mean_in_system"].to_numpy(dtype=float)
            lam_w = frame[f"{component}_arrival_rate_per_s"].to_numpy(dtype=float) * np.nan_to_num(
                frame[f"{component}_mean_sojourn_s"].to_numpy(dtype=float)
            )
            scale = np.maximum(np.abs(big_l), np.abs(lam_w))
            error = np.where(scale > 0, np.abs(big_l - lam_w) / np.where(scale > 0, scale, 1.0), 0.0)
            if error.max() > worst_error:
                worst_error, worst = float(error.max()), (component, big_l, lam_w)
        component, big_l, lam_w = worst
        interval = mean_interval(big_l, confidence)
        name = f"Little's law L = λW: {component}"
        if group == "issuers":
            name = f"Little's law L = λW: issuers ({len(members)} banks; worst {component})"
        elif group == "hsms":
            name = f"Little's law L = λW: HSMs ({len(members)} pools; worst {component})"
        checks.append(
            Check(name, float(np.mean(lam_w)), interval.mean, worst_error <= _LITTLE_TOLERANCE, interval.low, interval.high,
                  f"largest |L − λW| / L over {len(big_l)} replications: {worst_error:.2e} (tolerance {_LITTLE_TOLERANCE:.0%})")
        )
    return checks


def _monotone_check(frame: pd.DataFrame) -> Check:
    table = frame.pivot(index="replication", columns="switch.servers", values="switch_mean_wait_s").sort_index(axis=1)
    means = table.mean(axis=0)
    steps = np.diff(table.to_numpy(dtype=float), axis=1)
    mean_ok = bool((np.diff(means.to_numpy()) <= 1e-12).all())
    rep_ok = int((steps <= 1e-12).all(axis=1).sum())
    servers = list(table.columns)
    observed = " ≥ ".join(format_number(float(v), 3) for v in means)
    return Check(
        f"more servers, shorter waits: switch c = {servers[0]}…{servers[-1]} (CRN)",
        "non-increasing",
        observed,
        mean_ok and rep_ok == len(table),
        detail=f"mean wait (s) by servers {servers}; non-increasing in {rep_ok}/{len(table)} replications",
    )


def _identical_check(serial: pd.DataFrame, parallel: pd.DataFrame, where: str) -> Check:
    # The serial rows come out of the frame of every study: columns only the other studies have
    # (all empty here) are dropped on both sides, so the values, not the framing, are compared,
    # and, when both have the same columns, in the same order.
    serial, parallel = (frame.dropna(axis=1, how="all").drop(columns="study", errors="ignore") for frame in (serial, parallel))
    if set(serial.columns) == set(parallel.columns):
        parallel = parallel[list(serial.columns)]
    try:
        pd.testing.assert_frame_equal(serial, parallel, check_exact=True)
        same, detail = True, f"{serial.shape[0]} replications × {serial.shape[1]} columns, value for value"
    except AssertionError as exc:
        same, detail = False, str(exc).splitlines()[0]
    return Check(f"same seed, serial = {where}", "identical", "identical" if same else "different", same, detail=detail)


def validate(
    *,
    size: str = "ci",
    executor: Executor | None = None,
    confidence: float = 0.95,
    seed: int = VALIDATION_SEED,
    progress: bool = False,
) -> ValidationReport:
    """Run the suite (see the module docstring) and return its report; `report.passed` says
    whether every check passed and `report.table()` prints them.

    `executor` runs the replications (serially if None). The determinism check repeats the
    ordinary runs serially and compares them with `executor`'s, or with two local worker
    processes when `executor` is None or serial.
    """
    if size not in SIZES:
        raise CapacityError(f"validation size must be one of {', '.join(SIZES)}, got {size!r}")
    started = time.perf_counter()
    plan = SIZES[size]
    warmup_s = 100.0
    mm1 = queue_scenario(1, 0.5, 1.0, customers=plan.customers, warmup_s=warmup_s, seed=seed)
    mmc = queue_scenario(3, 2.1, 1.0, customers=plan.customers, warmup_s=warmup_s, seed=seed)
    ordinary = load_scenario("national-day").with_overrides(
        {"scale": plan.ordinary_scale, "seed": seed, "fidelity": "fast"}
    )
    tasks = [ReplicationTask(mm1, k, warmup_s, (("study", "mm1"),)) for k in range(plan.replications)]
    tasks += [ReplicationTask(mmc, k, warmup_s, (("study", "mmc"),)) for k in range(plan.replications)]
    tasks += [ReplicationTask(ordinary, k, 0.0, (("study", "ordinary"),)) for k in range(plan.ordinary_replications)]
    frame = run_tasks(tasks, executor=executor, progress=progress, desc="validation runs")
    frames = {study: rows.drop(columns="study").reset_index(drop=True) for study, rows in frame.groupby("study", sort=False)}

    monotone_base = queue_scenario(1, 0.8, 1.0, customers=plan.monotone_customers, warmup_s=warmup_s, seed=seed)
    frames["monotone"] = sweep(
        monotone_base, {"switch.servers": [1, 2, 3, 4]}, plan.monotone_replications,
        warmup_s=warmup_s, executor=executor, progress=progress,
    )

    ordinary_tasks = [t for t in tasks if dict(t.labels)["study"] == "ordinary"]
    ran_here = frame[frame["study"] == "ordinary"].reset_index(drop=True)
    if executor is None or isinstance(executor, SerialExecutor):
        with ProcessExecutor(2) as parallel:
            serial, other = ran_here, run_tasks(ordinary_tasks, executor=parallel, progress=progress, desc="parallel runs")
            where = str(parallel)
    else:
        serial, other = run_tasks(ordinary_tasks, executor=None, progress=progress, desc="serial runs"), ran_here
        where = str(executor)

    checks = _queue_checks(frames["mm1"], mm1, confidence)
    checks += _queue_checks(frames["mmc"], mmc, confidence)
    checks += _little_checks(frames["ordinary"], confidence)
    checks.append(_monotone_check(frames["monotone"]))
    checks.append(_identical_check(serial, other, where))
    return ValidationReport(checks, confidence, size, time.perf_counter() - started, frames)
