"""Confidence intervals across replications (Student t).

Each replication of a scenario is one independent observation of every metric (its own random
streams); the mean over n replications has the 95 % interval mean ± t(0.975, n−1)·s/√n, where s
is the standard deviation across replications. Within a replication, observations (one per
transaction) are correlated through the queues, which is why the interval is built across
replications and never across transactions.

    >>> interval = mean_interval([1.0, 2.0, 3.0, 4.0])
    >>> round(interval.mean, 3), round(interval.half_width, 3)
    (2.5, 2.054)
    >>> 4.5 in interval, 5.0 in interval
    (True, False)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from elcart_sim.core.errors import CapacityError

__all__ = ["Interval", "mean_interval", "difference_interval", "confidence_intervals", "t_quantile"]


def t_quantile(confidence: float, dof: float) -> float:
    """The two-sided Student-t critical value for `confidence` with `dof` degrees of freedom."""
    if not 0.0 < confidence < 1.0:
        raise CapacityError(f"confidence must be between 0 and 1, got {confidence}")
    from scipy.stats import t  # scipy is heavy: load it when an interval is first needed

    return float(t.ppf((1.0 + confidence) / 2.0, dof))


@dataclass(frozen=True)
class Interval:
    """A mean and its confidence interval, mean ± half_width, from n observations."""

    mean: float
    half_width: float
    n: int
    confidence: float = 0.95

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def __contains__(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)

    def __str__(self) -> str:
        return f"{self.mean:.6g} ± {self.half_width:.3g}"


def mean_interval(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Mean of `values` with its Student-t interval; NaN values are left out. With one value the
    half-width is NaN (no spread can be estimated); with identical values it is 0."""
    data = np.asarray([v for v in values if v == v], dtype=float)
    n = len(data)
    if n == 0:
        return Interval(math.nan, math.nan, 0, confidence)
    mean = float(data.mean())
    if n == 1:
        return Interval(mean, math.nan, 1, confidence)
    sd = float(data.std(ddof=1))
    return Interval(mean, t_quantile(confidence, n - 1) * sd / math.sqrt(n), n, confidence)


def difference_interval(
    baseline: Sequence[float], variant: Sequence[float], *, paired: bool, confidence: float = 0.95
) -> Interval:
    """Interval of mean(variant) − mean(baseline).

    paired=True (common random numbers: replication k of both ran on the same streams): the
    t interval of the per-replication differences. paired=False (independent streams): Welch's
    interval, with Welch–Satterthwaite degrees of freedom.
    """
    b = np.asarray(baseline, dtype=float)
    v = np.asarray(variant, dtype=float)
    if paired:
        if len(b) != len(v):
            raise CapacityError(f"paired comparison needs equal replication counts, got {len(b)} and {len(v)}")
        return mean_interval(v - b, confidence)
    b, v = b[~np.isnan(b)], v[~np.isnan(v)]
    if len(b) < 2 or len(v) < 2:
        return Interval(float(v.mean() - b.mean()) if len(b) and len(v) else math.nan, math.nan, min(len(b), len(v)), confidence)
    var_b, var_v = b.var(ddof=1) / len(b), v.var(ddof=1) / len(v)
    se2 = var_b + var_v
    diff = float(v.mean() - b.mean())
    if se2 == 0:
        return Interval(diff, 0.0, min(len(b), len(v)), confidence)
    dof = se2**2 / (var_b**2 / (len(b) - 1) + var_v**2 / (len(v) - 1))
    return Interval(diff, t_quantile(confidence, dof) * math.sqrt(se2), min(len(b), len(v)), confidence)


def confidence_intervals(
    frame: pd.DataFrame,
    *,
    by: Sequence[str] = (),
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Tidy intervals of every numeric metric in a replications frame.

    `frame` has one row per replication (and per point of a sweep: name the point's columns in
    `by`). Returns one row per point and metric with the columns `by…`, `metric`, `n`, `mean`,
    `std`, `half_width`, `ci_low`, `ci_high` (and `confidence`). The `replication` column and
    the `by` columns are never treated as metrics.
    """
    by = list(by)
    if metrics is None:
        skip = set(by) | {"replication"}
        metrics = [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])]
    missing = [m for m in list(metrics) + by if m not in frame.columns]
    if missing:
        raise CapacityError(f"no column {missing[0]!r} in the replications frame")
    rows = []
    groups = frame.groupby(by, sort=False, dropna=False) if by else [((), frame)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        for metric in metrics:
            values = group[metric].to_numpy(dtype=float)
            interval = mean_interval(values, confidence)
            clean = values[~np.isnan(values)]
            rows.append(
                {
                    **dict(zip(by, key)),
                    "metric": metric,
                    "n": interval.n,
                    "mean": interval.mean,
                    "std": float(clean.std(ddof=1)) if len(clean) > 1 else math.nan,
                    "half_width": interval.half_width,
                    "ci_low": interval.low,
                    "ci_high": interval.high,
                    "confidence": confidence,
                }
            )
    return pd.DataFrame(rows, columns=[*by, "metric", "n", "mean", "std", "half_width", "ci_low", "ci_high", "confidence"])
