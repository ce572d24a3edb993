"""Points simulated at the peak, for the sizing curves and the headroom curve.

Both simulate the scenario's busiest hour alone (`elcart_sim.capacity.peak.peak_window`: the
peak rate held constant, a warm-up, then a window of about `taps` taps), so each point costs
the same whatever the load, and the warm-up suits the point's own servers and demand.

A point whose configuration would give some host more work than its servers can do (ρ ≥ 1) is
not simulated: it has no steady state, and its p99 is infinite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from elcart_sim.capacity import Executor, PeakWindow, ReplicationTask, confidence_intervals, run_tasks
from elcart_sim.capacity.hosts import host_loads
from elcart_sim.report.runner import study_executor

__all__ = ["run_peak_points", "peak_intervals", "with_overloaded", "meets"]


def _overloaded(window: PeakWindow) -> bool:
    """Whether some host would get more work than its servers can do (ρ ≥ 1: no steady state)."""
    return any(load.utilisation >= 1.0 for load in host_loads(window.scenario, rate_per_s=window.rate_per_s))


def run_peak_points(
    points: list[tuple[dict[str, Any], PeakWindow]], replications: int, workers: int, executor: Executor | None, desc: str
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Simulate replications 0 … n−1 of every point that a host can carry; returns their rows and
    the labels of the overloaded points, which are not simulated (their p99 is infinite)."""
    tasks = [
        ReplicationTask(window.scenario, k, window.warmup_s, tuple(labels.items()))
        for labels, window in points
        if not _overloaded(window)
        for k in range(replications)
    ]
    overloaded = [labels for labels, window in points if _overloaded(window)]
    runner, owned = study_executor(workers, executor)
    try:
        frame = run_tasks(tasks, executor=runner, desc=desc)
    finally:
        if owned:
            runner.close()
    return frame, overloaded


def peak_intervals(frame: pd.DataFrame, by: list[str], metrics: list[str]) -> pd.DataFrame:
    if frame.empty:  # every point overloaded: nothing was simulated
        return pd.DataFrame(columns=[*by, "metric", "n", "mean", "std", "half_width", "ci_low", "ci_high", "confidence"])
    return confidence_intervals(frame, by=by, metrics=metrics)


def with_overloaded(intervals: pd.DataFrame, overloaded: list[dict[str, Any]], metrics: Sequence[str]) -> pd.DataFrame:
    """Interval rows, plus one per overloaded point and metric with an infinite mean."""
    rows = intervals.to_dict("records")
    rows += [
        {**labels, "metric": metric, "n": 0, "mean": np.inf, "std": np.nan, "half_width": np.nan,
         "ci_low": np.nan, "ci_high": np.nan, "confidence": 0.95}
        for labels in overloaded
        for metric in metrics
    ]
    return pd.DataFrame(rows, columns=intervals.columns)


def meets(intervals: pd.DataFrame, target_p99_s: float) -> pd.Series:
    """A point meets the target when its mean p99 across replications is at most the target
    (the criterion of `elcart_sim.capacity.sizing`)."""
    return intervals["mean"] <= target_p99_s
