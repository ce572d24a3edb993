"""Student-t intervals, paired and Welch differences, and the tidy interval table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from elcart_sim.capacity.intervals import confidence_intervals, difference_interval, mean_interval, t_quantile
from elcart_sim.core.errors import CapacityError


def test_interval_of_four_values_by_hand():
    interval = mean_interval([1.0, 2.0, 3.0, 4.0])
    # t(0.975, 3) = 3.182446, s = 1.290994
    assert interval.mean == 2.5
    assert interval.half_width == pytest.approx(3.182446 * 1.290994 / 2, rel=1e-6)
    assert (interval.low, interval.high) == (interval.mean - interval.half_width, interval.mean + interval.half_width)
    assert interval.n == 4 and interval.confidence == 0.95


def test_degenerate_samples():
    assert math.isnan(mean_interval([3.0]).half_width)
    assert mean_interval([2.0, 2.0, 2.0]).half_width == 0.0
    with_nan = mean_interval([1.0, float("nan"), 3.0])
    assert with_nan.n == 2 and with_nan.mean == 2.0
    assert mean_interval([]).n == 0


def test_higher_confidence_is_wider():
    values = [1.0, 1.5, 2.5, 2.0, 3.0]
    assert mean_interval(values, 0.99).half_width > mean_interval(values, 0.95).half_width > mean_interval(values, 0.8).half_width
    with pytest.raises(CapacityError, match="confidence must be between 0 and 1"):
        t_quantile(1.5, 3)


def test_paired_difference_is_the_interval_of_differences():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = a + np.array([0.5, 0.4, 0.6, 0.5])
    paired = difference_interval(a, b, paired=True)
    direct = mean_interval(b - a)
    assert (paired.mean, paired.half_width) == (direct.mean, direct.half_width)
    with pytest.raises(CapacityError, match="equal replication counts"):
        difference_interval(a, b[:3], paired=True)


def test_welch_difference_by_hand():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([2.0, 4.0, 5.0, 7.0, 9.0])
    welch = difference_interval(a, b, paired=False)
    va, vb = a.var(ddof=1) / 4, b.var(ddof=1) / 5
    dof = (va + vb) ** 2 / (va**2 / 3 + vb**2 / 4)
    assert welch.mean == pytest.approx(b.mean() - a.mean())
    assert welch.half_width == pytest.approx(t_quantile(0.95, dof) * math.sqrt(va + vb))


def test_confidence_intervals_per_point():
    frame = pd.DataFrame(
        {"switch.servers": [2, 2, 4, 4], "replication": [0, 1, 0, 1], "latency_p99_s": [1.0, 3.0, 0.5, 0.7], "label": list("abcd")}
    )
    table = confidence_intervals(frame, by=["switch.servers"])
    assert list(table["metric"]) == ["latency_p99_s", "latency_p99_s"]  # replication and text are not metrics
    assert list(table["switch.servers"]) == [2, 4]
    assert table["mean"].tolist() == [2.0, 0.6]
    assert table["n"].tolist() == [2, 2]
    assert table.loc[0, "half_width"] == pytest.approx(t_quantile(0.95, 1) * math.sqrt(2) / math.sqrt(2))
    with pytest.raises(CapacityError, match="no column 'nope'"):
        confidence_intervals(frame, metrics=["nope"])
