"""The report's opening: what was simulated and against which target, and how the day's volume
is built."""

from __future__ import annotations

import pandas as pd

from elcart_sim.scenario import Scenario
from elcart_sim.world.demand import demand_summary

__all__ = ["heading", "demand_table"]


def heading(scenario: Scenario, replications: int, target_p99_s: float) -> str:
    """The report's first lines: what was simulated, and the target."""
    return (
        f"Capacity plan for scenario {scenario.name!r} ({scenario.description})\n"
        f"date {scenario.date}, seed {scenario.seed}, scale {scenario.scale:g}, fidelity {scenario.fidelity}; "
        f"{replications} replications per point; target tap-to-result p99 <= {target_p99_s:g} s"
    )


def demand_table(scenario: Scenario) -> pd.DataFrame:
    """How the day's volume is built (`elcart_sim.world.demand.demand_summary`), one row per figure."""
    summary = demand_summary(scenario)
    rows = [{"figure": key, "value": round(value, 4) if isinstance(value, float) else value} for key, value in summary.items()]
    return pd.DataFrame(rows).set_index("figure")
