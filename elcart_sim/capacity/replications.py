"""Replications: the same scenario run n times on independent random streams.

Replication k of a scenario draws every stream from (seed, k, stream name) (see
`elcart_sim.core.streams`), so replications are statistically independent and each one is exactly
reproducible on its own, in any process. `replicate` returns one row of metrics per replication
(`elcart_sim.capacity.metrics`); `confidence_intervals` turns such a frame into means with
Student-t intervals.

Two variants compared on common random numbers (CRN) run replication k of both on the same
streams: the same taps arrive at the same instants with the same amounts and service times,
so their difference shows the effect of the change and little noise. `compare` does this by
default and, with `crn=False`, runs the variant on other replication indices (independent
streams) instead.

    >>> from elcart_sim import load_scenario
    >>> frame = replicate(load_scenario("national-day", scale=0.0005, fidelity="fast"), 2)
    >>> list(frame["replication"])
    [0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from elcart_sim.capacity.executors import Executor, run_all
from elcart_sim.capacity.intervals import difference_interval
from elcart_sim.capacity.metrics import replication_metrics
from elcart_sim.core.errors import CapacityError
from elcart_sim.scenario import Scenario

__all__ = ["ReplicationTask", "run_replication", "replicate", "compare", "run_tasks"]


@dataclass(frozen=True)
class ReplicationTask:
    """One run to make: replication `replication` of `scenario`, metrics after `warmup_s`.

    `labels` are (column, value) pairs copied into the answer ahead of the metrics, e.g. the
    swept paths of a sweep point or the name of a compared variant."""

    scenario: Scenario
    replication: int
    warmup_s: float = 0.0
    labels: tuple[tuple[str, Any], ...] = ()


def run_replication(task: ReplicationTask) -> dict[str, Any]:
    """Run one task and return its row: labels, `replication`, then the metrics. This is what
    executors ship to workers; it is deterministic in the task."""
    from elcart_sim.model.simulation import Simulation

    results = Simulation(task.scenario, replication=task.replication).run()
    return {**dict(task.labels), "replication": task.replication, **replication_metrics(results, task.warmup_s)}


def run_tasks(
    tasks: Sequence[ReplicationTask], *, executor: Executor | None = None, progress: bool = False, desc: str | None = None
) -> pd.DataFrame:
    """Run `tasks` on `executor` (serially if None); one row per task, in the tasks' order."""
    rows = run_all(executor, run_replication, list(tasks), progress=progress, desc=desc)
    return pd.DataFrame(rows)


def _check_replications(replications: int) -> None:
    if replications < 1:
        raise CapacityError(f"replications must be >= 1, got {replications}")


def replicate(
    scenario: Scenario,
    replications: int = 10,
    *,
    warmup_s: float = 0.0,
    executor: Executor | None = None,
    progress: bool = False,
    first_replication: int = 0,
) -> pd.DataFrame:
    """Run replications `first_replication … first_replication + replications − 1` of `scenario`.

    Returns one row per replication: `replication` and the metrics of
    `elcart_sim.capacity.metrics.replication_metrics` after `warmup_s` seconds. Pass the frame
    to `confidence_intervals` for means and 95 % intervals. Runs serially unless an `executor`
    (`ProcessExecutor`, `DaskExecutor`) is given; the rows are the same either way.
    """
    _check_replications(replications)
    tasks = [ReplicationTask(scenario, k, warmup_s) for k in range(first_replication, first_replication + replications)]
    return run_tasks(tasks, executor=executor, progress=progress, desc=f"{scenario.name} replications")


def compare(
    baseline: Scenario,
    variant: Scenario,
    replications: int = 10,
    *,
    crn: bool = True,
    warmup_s: float = 0.0,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    executor: Executor | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """The effect of going from `baseline` to `variant`: for each metric, both means and the
    interval of their difference (variant − baseline).

    crn=True: replication k of both variants uses the same streams (both must have the same
    seed) and the interval is the paired t interval of the per-replication differences.
    crn=False: the variant runs on replications `replications … 2·replications − 1`, independent
    of the baseline's, and the interval is Welch's.

    Returns one row per metric: `metric`, `baseline_mean`, `variant_mean`, `difference`,
    `half_width`, `ci_low`, `ci_high`, `n`, `crn`.
    """
    _check_replications(replications)
    if crn and baseline.seed != variant.seed:
        raise CapacityError(
            f"common random numbers need one seed for both variants, got {baseline.seed} and {variant.seed}"
        )
    offset = 0 if crn else replications
    tasks = [ReplicationTask(baseline, k, warmup_s, (("variant", "baseline"),)) for k in range(replications)]
    tasks += [ReplicationTask(variant, offset + k, warmup_s, (("variant", "variant"),)) for k in range(replications)]
    frame = run_tasks(tasks, executor=executor, progress=progress, desc="compare")
    base = frame[frame["variant"] == "baseline"].reset_index(drop=True)
    vary = frame[frame["variant"] == "variant"].reset_index(drop=True)
    if metrics is None:
        metrics = [c for c in base.columns if c not in ("variant", "replication") and pd.api.types.is_numeric_dtype(base[c])]
    rows = []
    for metric in metrics:
        interval = difference_interval(
            base[metric].to_numpy(dtype=float), vary[metric].to_numpy(dtype=float), paired=crn, confidence=confidence
        )
        rows.append(
            {
                "metric": metric,
                "baseline_mean": float(base[metric].mean()),
                "variant_mean": float(vary[metric].mean()),
                "difference": interval.mean,
                "half_width": interval.half_width,
                "ci_low": interval.low,
                "ci_high": interval.high,
                "n": interval.n,
                "crn": crn,
            }
        )
    return pd.DataFrame(rows)
