"""Sweeps: a scenario over a grid of values of any of its fields, replicated at every point.

A grid is a dict from dotted scenario paths to lists of values, e.g.
`{"switch.servers": [2, 4, 8], "demand.years_ahead": [0, 5]}`; its points are every combination
(the first path varies slowest). Each point is the scenario with those fields replaced
(`Scenario.with_overrides`, validated before anything runs). Every point runs the same
replication indices on the same seed, so points are compared on common random numbers.

The answer is one tidy DataFrame: one row per point and replication, with a column per swept
path (scalar values as they are; lists and mappings as compact JSON text), then `replication`,
then the metrics of `elcart_sim.capacity.metrics`.

    >>> grid_points({"switch.servers": [2, 4], "fidelity": ["wire", "fast"]})[1]
    {'switch.servers': 2, 'fidelity': 'fast'}
    >>> parse_assignment("switch.servers=2,4,8")
    ('switch.servers', [2, 4, 8])
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import yaml

from elcart_sim.capacity.executors import Executor
from elcart_sim.capacity.replications import ReplicationTask, run_tasks
from elcart_sim.core.errors import CapacityError
from elcart_sim.scenario import Scenario

__all__ = ["grid_points", "sweep", "parse_assignment", "label_value"]


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, as override dicts (first path slowest)."""
    if not grid:
        return [{}]
    paths = list(grid)
    for path in paths:
        values = grid[path]
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not len(values):
            raise CapacityError(f"sweep values of {path} must be a non-empty list, got {values!r}")
    return [dict(zip(paths, combination)) for combination in itertools.product(*(grid[p] for p in paths))]


def label_value(value: Any) -> Any:
    """How a swept value appears in the tidy frame: scalars as they are, others as JSON text."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Sequence[Any]],
    replications: int = 5,
    *,
    warmup_s: float = 0.0,
    executor: Executor | None = None,
    progress: bool = False,
    first_replication: int = 0,
) -> pd.DataFrame:
    """Run `replications` replications at every point of `grid` (see the module docstring).

    All points are built and validated first, so a bad path or value fails before any run. Pass
    the frame to `confidence_intervals(frame, by=list(grid))` for means and intervals per point.
    """
    if replications < 1:
        raise CapacityError(f"replications must be >= 1, got {replications}")
    points = grid_points(grid)
    tasks = []
    for point in points:
        variant = scenario.with_overrides(point) if point else scenario
        labels = tuple((path, label_value(value)) for path, value in point.items())
        tasks += [ReplicationTask(variant, k, warmup_s, labels) for k in range(first_replication, first_replication + replications)]
    return run_tasks(tasks, executor=executor, progress=progress, desc=f"{scenario.name} sweep")


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_assignment(text: str) -> tuple[str, list[Any]]:
    """`PATH=V1,V2,...` -> (path, [values]); each value is read as YAML, so `8` is an integer,
    `0.5` a number, `fast` a string and `{dist: exponential, mean_s: 1}` a mapping (commas inside
    brackets or braces do not split values)."""
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path or not values.strip():
        raise CapacityError(f"expected PATH=VALUE[,VALUE...], e.g. switch.servers=2,4,8; got {text!r}")
    parsed = []
    for item in _split_top_level(values):
        try:
            parsed.append(yaml.safe_load(item))
        except yaml.YAMLError as exc:
            raise CapacityError(f"value {item!r} of {path} is not valid YAML: {exc}") from None
    return path, parsed
