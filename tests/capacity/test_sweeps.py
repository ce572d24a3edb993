"""Sweeps: grids of dotted paths, one tidy row per point and replication."""

from __future__ import annotations

import pytest

from elcart_sim.capacity import confidence_intervals, grid_points, parse_assignment, sweep
from elcart_sim.core.errors import CapacityError, ScenarioError


def test_grid_points_first_path_slowest():
    points = grid_points({"switch.servers": [1, 2], "issuer.servers": [3, 4, 5]})
    assert len(points) == 6
    assert points[0] == {"switch.servers": 1, "issuer.servers": 3}
    assert points[3] == {"switch.servers": 2, "issuer.servers": 3}
    assert grid_points({}) == [{}]
    with pytest.raises(CapacityError, match="must be a non-empty list"):
        grid_points({"switch.servers": []})
    with pytest.raises(CapacityError, match="must be a non-empty list"):
        grid_points({"fidelity": "fast"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("switch.servers=2,4,8", ("switch.servers", [2, 4, 8])),
        ("fidelity=wire,fast", ("fidelity", ["wire", "fast"])),
        ("scale = 0.5", ("scale", [0.5])),
        (
            "switch.service_time={dist: exponential, mean_s: 1},{dist: constant, mean_s: 0.5}",
            ("switch.service_time", [{"dist": "exponential", "mean_s": 1}, {"dist": "constant", "mean_s": 0.5}]),
        ),
    ],
)
def test_parse_assignment(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["switch.servers", "=1,2", "switch.servers=", "a={b: [1, 2}"])
def test_parse_assignment_refuses_malformed_text(text):
    with pytest.raises(CapacityError):
        parse_assignment(text)


def test_sweep_is_one_tidy_row_per_point_and_replication(tiny_scenario):
    grid = {"switch.servers": [1, 3], "switch.service_time": [{"dist": "constant", "mean_s": 5.0}]}
    frame = sweep(tiny_scenario, grid, 2)
    assert list(frame.columns[:3]) == ["switch.servers", "switch.service_time", "replication"]
    assert frame[["switch.servers", "replication"]].values.tolist() == [[1, 0], [1, 1], [3, 0], [3, 1]]
    assert set(frame["switch.service_time"]) == {'{"dist":"constant","mean_s":5.0}'}
    # Common random numbers: every point sees the same taps in replication k …
    assert frame.groupby("replication")["transactions"].nunique().eq(1).all()
    # … and the slower single server waits longer.
    waits = frame.groupby("switch.servers")["switch_mean_wait_s"].mean()
    assert waits[1] > waits[3]
    table = confidence_intervals(frame, by=list(grid), metrics=["latency_p99_s"])
    assert len(table) == 2 and (table["n"] == 2).all()


def test_a_bad_point_fails_before_anything_runs(tiny_scenario):
    with pytest.raises(ScenarioError, match="switch.servers must be > 0, got 0"):
        sweep(tiny_scenario, {"switch.servers": [2, 0]}, 1)
    with pytest.raises(ScenarioError, match="switch.nope is not a scenario field"):
        sweep(tiny_scenario, {"switch.nope": [1]}, 1)
