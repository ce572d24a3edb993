"""How the day goes: replications of a scenario's whole day, hour by hour.

`day_study` runs the day's replications; `DayStudy` holds, per replication, the headline metrics
(`elcart_sim.capacity.metrics`), taps per second and latency percentiles in each hour, the
utilisation of every host over the day and in the demand model's peak hour, the requests of each
service in each hour (`analysis.services.requests_by_hour`) and the calibration table
(`analysis.calibration`), and turns them into the report's rounded tables with 95 % confidence
intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from elcart_sim.analysis.calibration import calibration_table
from elcart_sim.analysis.results import Results
from elcart_sim.analysis.services import requests_by_hour
from elcart_sim.analysis.units import PERCENT, PERCENT_DECIMALS, is_utilisation
from elcart_sim.capacity import (
    Executor,
    ReplicationTask,
    component_metrics,
    confidence_intervals,
    replication_metrics,
    run_all,
)
from elcart_sim.capacity.hosts import bank_cards, card_side_per_s
from elcart_sim.core.errors import ReportError
from elcart_sim.report.runner import study_executor
from elcart_sim.scenario import Scenario

__all__ = ["SUMMARY_METRICS", "HOURLY_METRICS", "DayStudy", "day_study", "hourly_rows", "run_day_replication"]

SUMMARY_METRICS = (
    "transactions",
    "approval_rate",
    "throughput_tps",
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "timeouts",
    "reversals",
    "acquirer_utilisation",
    "switch_utilisation",
    "issuers_max_utilisation",
)
HOURLY_METRICS = ("taps", "tps", "latency_p50_s", "latency_p95_s", "latency_p99_s")
_INTERVAL_COLUMNS = ["metric", "n", "mean", "half_width", "ci_low", "ci_high"]


def _table(intervals: pd.DataFrame, by: Sequence[str] = (), digits: int = 4) -> pd.DataFrame:
    """An interval frame as a readable, rounded table."""
    return intervals[[*by, *_INTERVAL_COLUMNS]].round(digits).reset_index(drop=True)


def hourly_rows(results: Results) -> list[dict[str, Any]]:
    """Taps, taps per second and latency percentiles in each hour of one run (by tap instant)."""
    tx = results.transactions
    duration = results.scenario.demand.duration_s
    tapped = tx["tapped_at"].to_numpy(dtype=float)
    latency = tx["tap_to_result_s"].to_numpy(dtype=float)
    hour_of = (tapped // 3600.0).astype(int)
    rows = []
    for hour in range(int(np.ceil(duration / 3600.0))):
        values = latency[hour_of == hour]
        seconds = min(3600.0, duration - hour * 3600.0)
        p50, p95, p99 = np.percentile(values, [50, 95, 99]).tolist() if len(values) else (np.nan,) * 3
        rows.append(
            {"hour": hour, "taps": len(values), "tps": len(values) / seconds,
             "latency_p50_s": p50, "latency_p95_s": p95, "latency_p99_s": p99}
        )
    return rows


def _peak_hour_utilisation(results: Results, hour: int) -> dict[str, float]:
    """Utilisation of each host in the local hour `hour`: the time average of the samples table's
    busy servers over the monitor intervals that end within the hour, ÷ servers."""
    samples = results.samples
    at = samples["at"].to_numpy(dtype=float)
    ends = np.unique(at)
    length = dict(zip(ends.tolist(), np.diff(ends, prepend=0.0).tolist()))
    inside = (at > hour * 3600.0) & (at <= (hour + 1) * 3600.0)
    weights = np.array([length[a] for a in at[inside].tolist()])
    frame = pd.DataFrame(
        {
            "component": samples["component"].astype(str).to_numpy()[inside],
            "busy_area": samples["mean_busy"].to_numpy(dtype=float)[inside] * weights,
            "seconds": weights,
        }
    )
    sums = frame.groupby("component", sort=False)[["busy_area", "seconds"]].sum()
    servers = dict(zip(results.components["component"], results.components["servers"]))
    return {
        component: float(sums.at[component, "busy_area"] / sums.at[component, "seconds"] / n) if component in sums.index else 0.0
        for component, n in servers.items()
    }


def run_day_replication(task: ReplicationTask) -> dict[str, Any]:
    """One replication of the day study (what executors ship to workers): the capacity metrics,
    the hourly rows and the utilisation of each host over the day and in the peak hour."""
    from elcart_sim.model.simulation import Simulation

    simulation = Simulation(task.scenario, replication=task.replication)
    results = simulation.run()
    k = task.replication
    peak = int(np.argmax(card_side_per_s(task.scenario, bank_cards(simulation))))  # on a crediting day with the credits' echo
    day = component_metrics(results, task.warmup_s)
    peak_utilisation = _peak_hour_utilisation(results, peak)
    utilisation = [{"replication": k, "component": c, "window": "day", "utilisation": float(u)}
                   for c, u in zip(day["component"], day["utilisation"])]
    utilisation += [{"replication": k, "component": c, "window": f"peak hour {peak:02d}:00", "utilisation": u}
                    for c, u in peak_utilisation.items()]
    return {
        "metrics": {"replication": k, **replication_metrics(results, task.warmup_s)},
        "hourly": [{"replication": k, **row} for row in hourly_rows(results)],
        "utilisation": utilisation,
        "by_service": [{"replication": k, **row} for row in requests_by_hour(results).to_dict("records")],
        "calibration": [{"replication": k, **row} for row in calibration_table(results).to_dict("records")],
    }


@dataclass(frozen=True)
class DayStudy:
    """Replications of a scenario's day: per-replication frames and their intervals."""

    scenario: Scenario
    replications: pd.DataFrame  # one row per replication: elcart_sim.capacity.metrics
    hourly: pd.DataFrame  # replication, hour, taps, tps, latency_p50_s, latency_p95_s, latency_p99_s
    utilisation: pd.DataFrame  # replication, component, window ("day" | "peak hour HH:00"), utilisation
    by_service: pd.DataFrame = field(default_factory=pd.DataFrame)  # replication, hour, service, requests, completed
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)  # replication + analysis.calibration.CALIBRATION_COLUMNS

    def summary_intervals(self) -> pd.DataFrame:
        metrics = [m for m in SUMMARY_METRICS if m in self.replications.columns]
        return confidence_intervals(self.replications, metrics=metrics)

    def hourly_intervals(self) -> pd.DataFrame:
        return confidence_intervals(self.hourly, by=["hour"], metrics=list(HOURLY_METRICS))

    def utilisation_intervals(self) -> pd.DataFrame:
        return confidence_intervals(self.utilisation, by=["component", "window"], metrics=["utilisation"])

    def summary_table(self) -> pd.DataFrame:
        """Headline metrics: mean, 95 % interval and n (rounded to 4 decimals; utilisations in per
        cent with 3, named "… (%)": analysis/units.py)."""
        intervals = self.summary_intervals()
        percent = intervals["metric"].map(is_utilisation).to_numpy(dtype=bool)
        scaled = intervals.copy()
        for column in ("mean", "half_width", "ci_low", "ci_high"):
            values = intervals[column].to_numpy(dtype=float)
            scaled[column] = np.where(percent, np.round(values * 100, PERCENT_DECIMALS), np.round(values, 4))
        scaled["metric"] = np.where(percent, intervals["metric"] + f" {PERCENT}", intervals["metric"])
        return scaled[_INTERVAL_COLUMNS].reset_index(drop=True)

    def peak_hour_table(self) -> pd.DataFrame:
        """Latency percentiles and taps per second in the demand model's peak hour (on a crediting
        day with the credits' echo: capacity/hosts.card_side_per_s)."""
        peak = int(np.argmax(card_side_per_s(self.scenario)))
        intervals = self.hourly_intervals()
        return _table(intervals[intervals["hour"] == peak], by=["hour"])

    def requests_by_hour(self) -> pd.DataFrame:
        """Requests and completed ones per local hour and service, the mean over the replications
        (`analysis.services.requests_by_hour`'s columns; `plots.volume_by_service` draws it)."""
        if self.by_service.empty:
            return pd.DataFrame(columns=["hour", "service", "requests", "completed"])
        means = self.by_service.groupby(["service", "hour"], sort=False)[["requests", "completed"]].mean().round(1)
        return means.reset_index()[["hour", "service", "requests", "completed"]]

    def service_hours_table(self) -> pd.DataFrame:
        """Requests per local hour (rows) and service (columns), the mean over the replications,
        with the day's total in the last row."""
        table = self.requests_by_hour()
        wide = table.pivot(index="hour", columns="service", values="requests")[list(dict.fromkeys(table["service"]))]
        wide.loc["day"] = wide.sum()
        return wide.round(1)

    def calibration_table(self) -> pd.DataFrame:
        """Each calibration target: the simulated figure's mean over the replications with its
        95 % interval, the published figure and tolerance, and in how many replications it
        passed (analysis/calibration.py: tolerance + 3 × the sampling noise of one run)."""
        if self.calibration.empty:
            return pd.DataFrame(columns=["target", "unit", "published", "tolerance", *_INTERVAL_COLUMNS[1:], "passed"])
        frame = self.calibration.assign(value=self.calibration["simulated"].astype(float))
        intervals = confidence_intervals(frame, by=["target"], metrics=["value"]).set_index("target")
        first = self.calibration.drop_duplicates("target").set_index("target")
        passed = self.calibration.groupby("target", sort=False)["passed"].agg(lambda p: f"{int(p.sum())} of {len(p)}")
        rows = []
        for target in first.index:
            row = intervals.loc[target] if target in intervals.index else None
            rows.append(
                {"target": target, "unit": first.at[target, "unit"], "published": first.at[target, "published"],
                 "tolerance": first.at[target, "tolerance"],
                 **{c: (row[c] if row is not None else np.nan) for c in _INTERVAL_COLUMNS[1:]}, "passed": passed[target]}
            )  # fmt: skip
        table = pd.DataFrame(rows)
        numeric = ["published", "tolerance", *_INTERVAL_COLUMNS[2:]]
        table[numeric] = table[numeric].astype(float).round(4)
        return table

    def busiest_components_table(self, n: int = 5) -> pd.DataFrame:
        """The `n` most utilised hosts in the peak hour: utilisation in per cent (3 decimals) with
        its 95 % interval (the lower end clipped at 0, as a utilisation cannot be negative)."""
        intervals = self.utilisation_intervals()
        peak = intervals[intervals["window"] != "day"].sort_values("mean", ascending=False, kind="stable").head(n)
        return pd.DataFrame(
            {
                "component": peak["component"].to_numpy(),
                "window": peak["window"].to_numpy(),
                f"utilisation {PERCENT}": (peak["mean"] * 100).round(PERCENT_DECIMALS).to_numpy(),
                f"ci_low {PERCENT}": (peak["ci_low"].clip(lower=0) * 100).round(PERCENT_DECIMALS).to_numpy(),
                f"ci_high {PERCENT}": (peak["ci_high"] * 100).round(PERCENT_DECIMALS).to_numpy(),
                "n": peak["n"].to_numpy(),
            }
        )


def day_study(
    scenario: Scenario, replications: int, *, warmup_s: float = 0.0, workers: int = 1, executor: Executor | None = None
) -> DayStudy:
    """Run `replications` replications of the scenario's day (serially, or on `workers` local
    processes, or on the `executor` given)."""
    if replications < 2:
        raise ReportError(f"replications must be >= 2 for confidence intervals, got {replications}")
    tasks = [ReplicationTask(scenario, k, warmup_s) for k in range(replications)]
    runner, owned = study_executor(workers, executor)
    try:
        answers = run_all(runner, run_day_replication, tasks, progress=False, desc=f"{scenario.name} day")
    finally:
        if owned:
            runner.close()
    return DayStudy(
        scenario=scenario,
        replications=pd.DataFrame([a["metrics"] for a in answers]),
        hourly=pd.DataFrame([row for a in answers for row in a["hourly"]]),
        utilisation=pd.DataFrame([row for a in answers for row in a["utilisation"]]),
        by_service=pd.DataFrame([row for a in answers for row in a["by_service"]]),
        calibration=pd.DataFrame([row for a in answers for row in a["calibration"]]),
    )
