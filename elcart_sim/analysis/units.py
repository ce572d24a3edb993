"""How figures are printed: one unit for each kind of figure, wherever it appears.

Utilisation (busy servers ÷ servers, time-averaged) is printed as a percentage with
`PERCENT_DECIMALS` decimals, and every header or label that shows it says "(%)": the run's
summary, the capacity tables (replicate, sweep, size, validate), the report's tables and the
plots' axes. Machine-readable files (summary.json, the components, replications and sweep tables)
keep the fraction of 1 in fields named `utilisation` or `*_utilisation`: 0.00172 there is
0.172 % on the screen.

    >>> percent(0.00172)
    '0.172'
    >>> is_utilisation("issuers_max_utilisation"), is_utilisation("switch_mean_queue")
    (True, False)
"""

from __future__ import annotations

import math

__all__ = ["PERCENT_DECIMALS", "PERCENT", "percent", "is_utilisation"]

PERCENT_DECIMALS = 3
PERCENT = "(%)"  # how a header says that its figures are percentages, e.g. "utilisation (%)"


def percent(fraction: float, decimals: int = PERCENT_DECIMALS) -> str:
    """A fraction of 1 as a percentage with `decimals` decimals, without the sign (the header
    carries the unit); NaN as '–'."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "–"
    return f"{100.0 * fraction:.{decimals}f}"


def is_utilisation(name: str) -> bool:
    """Whether a metric or column holds a utilisation (a fraction of 1 in the data)."""
    return name.endswith("utilisation")
