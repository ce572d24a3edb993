"""The report's days: the scenario run for several days in a row, one row per day.

`days_study` runs the scenario once (replication 0) at the report's scale from its date for
`days` (2 or more) days on one clock — balances, tokens, keys and unsettled positions carried from one day
to the next (`Simulation(scenario, days=n)`) — and keeps the days table (`analysis.days`): the
kind of each day, its transactions by service, the share approved, and the ledger at its close.
With `days=0` it runs nothing and the report has no days section.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from elcart_sim.analysis.days import DAY_COLUMNS
from elcart_sim.core.errors import ReportError
from elcart_sim.scenario import Scenario

__all__ = ["DaysStudy", "days_study"]


@dataclass(frozen=True)
class DaysStudy:
    """A multi-day run's days table (`analysis.days.DAY_COLUMNS`), empty when no days were asked for."""

    scenario: Scenario
    days: pd.DataFrame

    @property
    def ledger_balanced(self) -> bool:
        """Whether the ledger balanced at every day's close."""
        return bool((self.days["ledger_check"] == "balanced").all())

    def heading(self) -> str:
        """What the days section shows."""
        if self.days.empty:
            return ""
        first, last = self.days["date"].iloc[0], self.days["date"].iloc[-1]
        ledger = "balanced at every day's close" if self.ledger_balanced else "NOT balanced at every day's close"
        return (
            f"The days: {self.scenario.name} from {first} to {last} ({len(self.days)} days in a row on one clock, "
            f"replication 0, scale {self.scenario.scale:g}); the ledger {ledger}"
        )

    def table(self) -> pd.DataFrame:
        """The days table, one row per date, rounded for reading."""
        return self.days.set_index("date").round({"approved_share": 4, "volume_kgs": 2})


def days_study(scenario: Scenario, days: int) -> DaysStudy:
    """Run `scenario` for `days` days in a row from its date (0: none) and keep the days table.

    >>> from elcart_sim.scenario import load_scenario
    >>> study = days_study(load_scenario("national-day", scale=0.0002), 2)
    >>> list(study.days["date"]), study.ledger_balanced
    (['2025-07-01', '2025-07-02'], True)
    """
    from elcart_sim.model.simulation import run

    if isinstance(days, bool) or not isinstance(days, int) or days < 0 or days == 1:
        raise ReportError(f"days must be 0 (no days section) or a whole number >= 2, got {days!r}")
    if days == 0:
        return DaysStudy(scenario, pd.DataFrame(columns=list(DAY_COLUMNS)))
    return DaysStudy(scenario, run(scenario, days=days).days)
