"""The knee: how many times today's peak load each host carries before it is 80 % busy, and in
which year the scenario's growth gets it there.

Physical picture: a host's queue stays short while its servers idle much of the time, and grows
without bound as they approach saturation; an M/G/c pool's waiting time turns sharply upwards
at about 80 % utilisation — the knee of its latency curve. A host's utilisation grows in
proportion to its load (ρ = λ × E[S] ÷ c), so at m times today's peak load it is m × ρ_now, and
the knee multiple is m = ρ_knee ÷ ρ_now (the analytic model: capacity/hosts.py gives each pool's
arrival rate at the peak, from the population's bank shares, the HSM calls per message, the
app channels' visit ratios and, on a crediting day, the credits' echo). At growth g a year the
load is (1 + g)^y times today's, so the knee comes y = ln m ÷ ln(1 + g) years ahead — except on
a crediting day, where the echo grows with the cards, not with g (capacity/hosts.peak_growth):
there y is when the card side's grown peak reaches m times today's (each host's share of the
peak taken as today's). The host with the smallest multiple reaches it first.

A line with a bandwidth (the scenario's `network.*_bps`) is a pool of one server beside them
(capacity/links.py: `link:acquirer-switch`, `link:switch-issuer:<bank>`), so the table can name
a link as the first to its knee.

`simulated_utilisation` runs the peak window (capacity/peak.py) and reads each host's
utilisation from its hop records (each line's from what it carried), to set beside the analytic one
(benchmarks/bench_knee.py, tests/capacity/test_knee.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from elcart_sim.capacity.hosts import host_loads, peak_growth
from elcart_sim.scenario import Scenario

__all__ = ["KNEE_UTILISATION", "peak_rate_per_s", "knee_table", "first_knee", "knee_text", "knee_curves", "nearest_knee_specs", "simulated_utilisation"]

KNEE_UTILISATION = 0.8
"""The utilisation at which a host's queue turns sharply upwards: our [estimate] of the knee."""


def peak_rate_per_s(scenario: Scenario) -> float:
    """The card side's rate (phone taps, plastic card purchases, ATM withdrawals; on a crediting
    day with the credits' echo, capacity/echo.py) in the scenario's busiest hour, per second:
    the rate `host_loads` takes."""
    from elcart_sim.capacity.hosts import card_side_peak

    return card_side_peak(scenario).total_per_s


def knee_table(
    scenario: Scenario,
    *,
    rate_per_s: float | None = None,
    growth_per_year: float | None = None,
    knee_utilisation: float = KNEE_UTILISATION,
) -> pd.DataFrame:
    """One row per host pool, and per line with a bandwidth, at the peak (or at card-side rate
    `rate_per_s`): `component`, `servers`, `utilisation` now, `knee_multiple` (the load multiple
    at which it reaches `knee_utilisation`; inf for a host the load never reaches),
    `years_to_knee` at `growth_per_year` (the scenario's `demand.growth_per_year` unless given;
    0 when it is past the knee already, inf when the load never grows or never reaches it) and
    `knee_year`, the calendar year it is reached (the scenario's year, years_ahead included, plus
    the whole years to the knee rounded up; None when never). In the registry's order, the
    lines last."""
    from elcart_sim.capacity.links import link_loads

    rate = peak_rate_per_s(scenario) if rate_per_s is None else rate_per_s
    g = scenario.demand.growth_per_year if growth_per_year is None else growth_per_year
    year_now = scenario.business_date.year + scenario.demand.years_ahead
    loads = host_loads(scenario, rate_per_s=rate)
    grown = peak_growth(scenario, g)
    rows = []
    for load in [*loads, *link_loads(scenario, loads)]:
        utilisation = load.utilisation
        multiple = knee_utilisation / utilisation if utilisation > 0 else math.inf
        if multiple <= 1.0:
            years = 0.0
        elif not math.isfinite(multiple):
            years = math.inf
        elif grown is not None:
            years = _years_until(grown, multiple)
        elif g > 0:
            years = math.log(multiple) / math.log1p(g)
        else:
            years = math.inf
        rows.append(
            {
                "component": load.component,
                "servers": load.servers,
                "arrival_rate_per_s": load.arrival_rate_per_s,
                "utilisation": utilisation,
                "knee_multiple": multiple,
                "years_to_knee": years,
                "knee_year": int(year_now + math.ceil(years)) if math.isfinite(years) else None,
            }
        )
    return pd.DataFrame(rows)


def _years_until(grown: Callable[[float], float], multiple: float, most_years: float = 500.0) -> float:
    """The years until `grown(y)` (the peak over today's, growing) reaches `multiple`, to a
    hundredth of a year; inf when it does not within `most_years`."""
    if grown(most_years) < multiple:
        return math.inf
    low, high = 0.0, most_years
    while high - low > 0.005:
        middle = (low + high) / 2
        low, high = (middle, high) if grown(middle) < multiple else (low, middle)
    return high


def first_knee(table: pd.DataFrame) -> str:
    """The host of a `knee_table` that reaches the knee first (the smallest multiple)."""
    return str(table.loc[table["knee_multiple"].idxmin(), "component"])


def nearest_knee_specs(scenario: Scenario, most: int = 8) -> tuple[str, ...]:
    """The host specs sizing sizes for `scenario` (capacity/hosts.sized_hosts), all of them when
    there are at most `most`; else the `most` whose pools come nearest their knee at the peak (a
    spec shared by several banks' pools counts by its busiest), in sizing's order."""
    from elcart_sim.capacity.hosts import _model, sized_hosts

    specs = sized_hosts(scenario)
    if len(specs) <= most:
        return specs
    spec_of = {c.name: c.spec for c in _model(scenario)[0]}
    table = knee_table(scenario)
    nearest = table.assign(spec=table["component"].map(spec_of)).groupby("spec")["knee_multiple"].min().nsmallest(most)
    return tuple(s for s in specs if s in set(nearest.index))


def knee_text(table: pd.DataFrame, *, growth_per_year: float, knee_utilisation: float = KNEE_UTILISATION) -> str:
    """A `knee_table` for the terminal: host, utilisation now (%), knee multiple, years to the
    knee and its year, with the host that reaches it first named below."""
    from elcart_sim.analysis.units import PERCENT, percent
    from elcart_sim.capacity.tables import text_table

    rows = [
        {
            "host": row.component,
            "servers": int(row.servers),
            f"utilisation now {PERCENT}": percent(row.utilisation),
            "knee (× load)": row.knee_multiple,
            "years to knee": round(row.years_to_knee, 1) if math.isfinite(row.years_to_knee) else math.inf,
            "knee year": "never" if row.knee_year is None or pd.isna(row.knee_year) else str(int(row.knee_year)),
        }
        for row in table.itertuples()
    ]
    first = table.loc[table["knee_multiple"].idxmin()]
    return "\n".join(
        [
            f"the knee: the load multiple at which a host is {knee_utilisation:.0%} busy (analytic), "
            f"and the year growth of {growth_per_year:.0%}/yr gets it there",
            text_table(rows),
            f"  first to the knee: {first.component} at {first.knee_multiple:.3g} × today's peak load"
            + (f", in {int(first.knee_year)}" if first.knee_year is not None and not pd.isna(first.knee_year) else ""),
        ]
    )


def knee_curves(table: pd.DataFrame, *, hosts: int = 8, most_multiple: float | None = None, points: int = 200) -> pd.DataFrame:
    """The `hosts` hosts of a `knee_table` nearest their knee, as the load grows from today's
    peak to `most_multiple` times it (default: 1.25 × the farthest of their knees): one row per
    host and `load_multiple`, with its `utilisation` and its M/M/c mean wait in the queue
    (`mean_wait_s`, Erlang C; inf once unstable), and its `knee_multiple` — what
    `analysis.plots.knee_curves` draws."""
    from elcart_sim.capacity.queueing import mmc_mean_wait_s

    nearest = table[np.isfinite(table["knee_multiple"]) & (table["arrival_rate_per_s"] > 0)].nsmallest(hosts, "knee_multiple")
    if most_multiple is None:
        most_multiple = float(max(2.0, 1.25 * nearest["knee_multiple"].max())) if len(nearest) else 2.0
    multiples = np.geomspace(1.0, most_multiple, points)
    rows = []
    for row in nearest.itertuples():
        service_s = row.utilisation * row.servers / row.arrival_rate_per_s
        for m in multiples:
            wait = mmc_mean_wait_s(row.arrival_rate_per_s * m, 1.0 / service_s, int(row.servers))
            rows.append((row.component, float(m), row.utilisation * m, wait, row.knee_multiple))
    return pd.DataFrame(rows, columns=["component", "load_multiple", "utilisation", "mean_wait_s", "knee_multiple"])


def simulated_utilisation(scenario: Scenario, *, taps: int = 5_000, replication: int = 0) -> pd.DataFrame:
    """Each host's utilisation simulated in the scenario's peak window (capacity/peak.py: the
    busiest hour at its constant rate, `taps` taps long), and each line's with a bandwidth (its
    busier direction's time on the line over the run): `component`, `simulated_utilisation`,
    and the window's tap rate in `rate_per_s`."""
    from elcart_sim.capacity.peak import peak_window
    from elcart_sim.model.simulation import Simulation

    window = peak_window(scenario, taps=taps)
    simulation = Simulation(window.scenario, replication)
    components = simulation.run().components
    links = {name: link.utilisation(simulation.duration_s) for name, link in simulation.links.items() if link.serial}
    return pd.DataFrame(
        {
            "component": [*components["component"].astype(str), *links],
            "simulated_utilisation": [*components["utilisation"].astype(float), *links.values()],
            "rate_per_s": window.rate_per_s,
        }
    )
