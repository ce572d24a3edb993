"""The road into ELKART Pay: installs day by day, through the funnel's steps, to wallets.

Physical picture: on each day from the launch some people try to install the app
(`OnboardingSpec.installs_per_day`, more in the launch's first weeks, fewer on a public
holiday), spread over the day's hours. Each then walks the steps of FUNNEL_STEPS in order: at
each step a share fails (the system refuses: a phone below Android 6.0.1 or without NFC at the
install's gate, an identification rejected, a card that will not link), a share of the others
drops off (gives up), and the rest pass on, the step's time later. Those who pass the last step
have a wallet: the day's adoption is the number of wallets so far, so it comes out of the funnel.

Pure and deterministic: expected counts (fractions of people), each step taking its mean time.
A cohort installing in hour h of day d reaches the end of step k at h + ½ h + the mean times of
steps 1..k, which may be a later day: a long identification carries the evening's cohorts into
the next morning. Nothing here draws a random number; the support centre's arrivals do
(people/support_centre.py).

    >>> spec = OnboardingSpec(enabled=True, installs_per_day=1000.0, launch_boost=0.0)
    >>> funnel = Funnel(spec, [1.0] * 24)
    >>> round(funnel.pass_share(), 4)            # the product of each step's (1 − fail)(1 − drop)
    0.1665
    >>> table = funnel.table("2022-07-01", "2022-07-01")
    >>> [round(float(table.loc[0, column]), 6) for column in ("entered", "failed", "dropped", "passed")]
    [1000.0, 560.0, 22.0, 418.0]
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import pandas as pd

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.calendar import CalendarSpec, date_range, parse_date
from elcart_sim.scenario.choices import FUNNEL_STEPS
from elcart_sim.scenario.people import FunnelStep, OnboardingSpec, step_pass_share
from elcart_sim.scenario.scenario import Scenario

__all__ = ["Funnel", "funnel_of", "step_pass_share", "FUNNEL_OUTCOMES"]

FUNNEL_OUTCOMES = ("failed", "dropped", "passed")
"""What happens to the people entering a step, in the funnel table's columns."""

DAY_S = 86_400.0


class Funnel:
    """The road in of one OnboardingSpec: installs by date, the funnel table, adoption by date,
    and each step's outcomes by hour of a date (for the support centre's contacts).

    ``hourly_profile`` spreads a day's installs over the local hours 00..23 (24 weights);
    ``calendar`` (optional) makes a public holiday's installs its holiday_factor of an ordinary day's.
    """

    def __init__(self, spec: OnboardingSpec, hourly_profile: Sequence[float], calendar: CalendarSpec | None = None):
        if len(hourly_profile) != 24 or sum(hourly_profile) <= 0:
            raise ScenarioError("onboarding.hourly_profile", f"must be 24 weights with a positive total, got {len(hourly_profile)}")
        self.spec = spec
        self.calendar = calendar
        total = float(sum(hourly_profile))
        self.hour_weights = np.array([w / total for w in hourly_profile])
        self.steps: list[FunnelStep] = [getattr(spec, name) for name in FUNNEL_STEPS]
        # When each step ends, from the install's start: the mean times added up.
        self.step_end_s = np.cumsum([step.time.mean_s for step in self.steps])
        self.start = datetime.date.fromisoformat(spec.start_date)

    # -- installs ------------------------------------------------------------------------------

    def installs(self, date: datetime.date | str) -> float:
        """People trying to install on ``date`` (OnboardingSpec.installs): none before the start;
        installs_per_day × the launch's boost × the holiday factor (with a calendar, on a public holiday)."""
        return self.spec.installs(parse_date(date, "date"), self.calendar)

    def pass_share(self) -> float:
        """The share of installs that end with a wallet: the product of each step's pass share."""
        return self.spec.pass_share()

    # -- the funnel, by cohort -----------------------------------------------------------------

    def table(self, first: datetime.date | str, last: datetime.date | str) -> pd.DataFrame:
        """The funnel of the people who tried to install from ``first`` to ``last`` (both
        included), one row per step in order: entered, failed, dropped, passed (expected
        people), the step's pass share, its mean time (s), and the share of installs still
        there after it."""
        first, last = self._period(first, last)
        entered = sum(self.installs(d) for d in date_range(first, last))
        installs = entered
        rows = []
        for name, step in zip(FUNNEL_STEPS, self.steps):
            failed = entered * step.failure_share
            dropped = (entered - failed) * step.dropoff_share
            passed = entered - failed - dropped
            rows.append({"step": name, "entered": entered, "failed": failed, "dropped": dropped, "passed": passed,
                         "pass_share": step_pass_share(step), "mean_time_s": step.time.mean_s,
                         "share_of_installs": passed / installs if installs else 0.0})
            entered = passed
        return pd.DataFrame(rows)

    # -- by date and hour ----------------------------------------------------------------------

    def outcomes(self, first: datetime.date | str, last: datetime.date | str) -> pd.DataFrame:
        """Every step's expected outcomes by the date and local hour they happen, from ``first``
        to ``last``: one row per (date, hour, step) with failed, dropped and passed people. A
        cohort's outcomes at step k happen at its install hour's middle + the mean times of steps
        1..k; cohorts that installed before ``first`` are counted where they land inside."""
        first, last = self._period(first, last)
        lag_days = int(self.step_end_s[-1] // DAY_S) + 1
        days = (last - first).days + 1
        hours = np.arange(24)
        cells = np.zeros((days, 24, len(self.steps), len(FUNNEL_OUTCOMES)))
        for cohort in date_range(max(self.start, first - datetime.timedelta(days=lag_days)), last):
            entered = self.installs(cohort) * self.hour_weights
            offset_s = (cohort - first).days * DAY_S + (hours + 0.5) * 3600.0
            for k, step in enumerate(self.steps):
                failed = entered * step.failure_share
                dropped = (entered - failed) * step.dropoff_share
                passed = entered - failed - dropped
                at = offset_s + self.step_end_s[k]
                day, hour = np.floor_divide(at, DAY_S).astype(int), (np.mod(at, DAY_S) // 3600.0).astype(int)
                inside = (day >= 0) & (day < days)
                for j, counts in enumerate((failed, dropped, passed)):
                    np.add.at(cells[:, :, k, j], (day[inside], hour[inside]), counts[inside])
                entered = passed
        d, h, k = np.meshgrid(np.arange(days), hours, np.arange(len(self.steps)), indexing="ij")
        frame = pd.DataFrame({
            "date": [first + datetime.timedelta(days=int(i)) for i in d.ravel()],
            "hour": h.ravel(),
            "step": [FUNNEL_STEPS[i] for i in k.ravel()],
        })
        for j, outcome in enumerate(FUNNEL_OUTCOMES):
            frame[outcome] = cells[..., j].ravel()
        return frame

    def adoption(self, first: datetime.date | str, last: datetime.date | str) -> pd.DataFrame:
        """One row per date from ``first`` to ``last``: installs, new wallets (those passing the
        last step that day), and adoption, the wallets so far (counted from the start): the
        scenario's own arithmetic (OnboardingSpec.wallets), which a run's enrolment follows."""
        first, last = self._period(first, last)
        dates = date_range(first, last)
        weights = list(self.hour_weights)
        so_far = [self.spec.wallets(d, weights, self.calendar) for d in [first - datetime.timedelta(days=1), *dates]]
        return pd.DataFrame({"date": dates, "installs": [self.installs(d) for d in dates],
                             "new_wallets": np.diff(so_far), "adoption": so_far[1:]})

    def _period(self, first: datetime.date | str, last: datetime.date | str) -> tuple[datetime.date, datetime.date]:
        first, last = parse_date(first, "from"), parse_date(last, "to")
        if last < first:
            raise ScenarioError("to", f"must not be before from ({first}), got {last}")
        return first, last


def funnel_of(scenario: Scenario) -> Funnel:
    """The scenario's funnel: its onboarding section, its installs spread by
    onboarding.hourly_profile (or demand.hourly_profile), its calendar's holidays."""
    spec = scenario.onboarding
    return Funnel(spec, spec.hourly_profile or scenario.demand.hourly_profile, scenario.calendar)
