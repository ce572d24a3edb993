"""Plain-text tables for the terminal: the validation checks, sizing answers, interval summaries.

Utilisations are shown in per cent with three decimals, their metric named "… (%)"
(`elcart_sim.analysis.units`); the frames behind the tables keep fractions.

    >>> print(text_table([{"check": "a", "result": "pass"}, {"check": "bb", "result": "FAIL"}]))
    check  result
    -----  ------
    a      pass
    bb     FAIL
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from elcart_sim.analysis.units import PERCENT, is_utilisation, percent

__all__ = ["text_table", "format_number", "interval_table"]


def format_number(value: Any, digits: int = 4) -> str:
    """A number in `digits` significant figures (integers as they are); anything else as str."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if value != 0 and (abs(value) >= 10**digits or abs(value) < 10 ** -(digits - 1)):
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}g}"
    return str(value)


def text_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Left-aligned columns under a header and a rule; numbers formatted by `format_number`."""
    rows = list(rows)
    if columns is None:
        columns = list(rows[0]) if rows else []
    cells = [[format_number(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines)


def interval_table(intervals: pd.DataFrame, metrics: Sequence[str] | None = None, by: Sequence[str] = ()) -> str:
    """A `confidence_intervals` frame as text: one line per point and metric, `mean ± half-width`
    (utilisations in per cent).

    >>> frame = pd.DataFrame({"metric": ["switch_utilisation", "timeouts"], "mean": [0.00172, 3.0],
    ...                       "half_width": [0.0001, 1.5], "n": [5, 5], "confidence": [0.95, 0.95]})
    >>> print(interval_table(frame))
    metric                  mean   ± (95% CI)  n
    ----------------------  -----  ----------  -
    switch_utilisation (%)  0.172  0.010       5
    timeouts                3      1.5         5
    """
    frame = intervals if metrics is None else intervals[intervals["metric"].isin(list(metrics))]
    if metrics is not None:
        order = {m: i for i, m in enumerate(metrics)}
        frame = frame.assign(_order=frame["metric"].map(order)).sort_values([*by, "_order"], kind="stable")
    rows = []
    for row in frame.to_dict("records"):
        level = round(100 * row["confidence"])
        shown = is_utilisation(row["metric"])
        rows.append(
            {
                **{b: row[b] for b in by},
                "metric": f"{row['metric']} {PERCENT}" if shown else row["metric"],
                "mean": percent(row["mean"]) if shown else row["mean"],
                f"± ({level}% CI)": percent(row["half_width"]) if shown else row["half_width"],
                "n": row["n"],
            }
        )
    level = round(100 * frame["confidence"].iloc[0]) if len(frame) else 95
    return text_table(rows, [*by, "metric", "mean", f"± ({level}% CI)", "n"])
