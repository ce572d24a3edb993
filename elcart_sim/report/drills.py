"""The report's fault drills: the day under seeded random fault plans, scored in business terms.

`drills_study` runs a drill (drill/runs.py) of `runs` runs on the report's scenario, at its
scale and seed, with the invariants checked in every run, and keeps its table: per run the
faults injected, the violations found, and the scores against the same day without faults
(analysis/drill_scores.py): sales lost (count and KGS), reversals, customers affected, stand-in
approvals and exposure, time to recover. With `runs=0` it runs nothing and the report has no
drills section.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from elcart_sim.capacity.executors import Executor
from elcart_sim.core.errors import ReportError
from elcart_sim.scenario import Scenario

__all__ = ["DrillsStudy", "drills_study"]

_SHOWN = {
    "faults": "faults",
    "violations": "violations",
    "sales_lost": "sales lost",
    "sales_lost_kgs": "sales lost (KGS)",
    "reversals": "reversals",
    "extra_reversals": "extra reversals",
    "customers_affected": "customers affected",
    "stand_in_approvals": "stand-in approvals",
    "stand_in_exposure_kgs": "stand-in exposure (KGS)",
    "time_to_recover_s": "time to recover (s)",
}


@dataclass(frozen=True)
class DrillsStudy:
    """A drill's runs (drill.Drill), or none when no drills were asked for."""

    scenario: Scenario
    drill: object | None  # drill.runs.Drill

    def heading(self) -> str:
        """What the drills section shows."""
        if self.drill is None:
            return ""
        summary = self.drill.summary()
        found = "no invariant broken" if not summary["violations"] else (
            f"{summary['violations']} violations in {summary['runs_with_violations']} runs: replay them with elcart-sim drill")
        return (
            f"Fault drills: {summary['runs']} runs of {self.scenario.name} at scale {self.scenario.scale:g} under "
            f"{summary['fault_plans']} fault plans (seed {summary['seed']}), {summary['faults']} faults injected; {found}"
        )

    def table(self) -> pd.DataFrame:
        """One row per run: its faults, violations and scores, rounded for reading."""
        if self.drill is None:
            return pd.DataFrame(columns=list(_SHOWN.values()))
        runs = self.drill.runs.set_index("run")
        violations = self.drill.violations.groupby("run").size()
        runs = runs.assign(violations=violations.reindex(runs.index, fill_value=0))
        return runs[list(_SHOWN)].rename(columns=_SHOWN).round(2)


def drills_study(scenario: Scenario, runs: int, *, faults: str = "random", executor: Executor | None = None) -> DrillsStudy:
    """A drill of `runs` runs (0: none) on `scenario` with its seed.

    >>> from elcart_sim.scenario import load_scenario
    >>> study = drills_study(load_scenario("national-day", scale=0.0005, fidelity="fast"), 1, faults="none")
    >>> study.table()[["faults", "violations", "sales lost"]].to_dict("records")
    [{'faults': 0, 'violations': 0, 'sales lost': 0}]
    """
    from elcart_sim.drill import drill

    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 0:
        raise ReportError(f"drills must be a whole number >= 0 (0: no drills section), got {runs!r}")
    if runs == 0:
        return DrillsStudy(scenario, None)
    return DrillsStudy(scenario, drill(scenario, runs, faults=faults, executor=executor, progress=True))
