"""The calendar: what kind of day a date is in Kyrgyzstan, and how ELKART's volumes follow the dates.

Physical picture: ELKART Pay went live on 1 July 2022 with no wallet enrolled; enrolment then
grew along an adoption curve (a logistic in time, [E] midpoint and steepness: nothing is
published). Globus and Narodny accepted phone taps from some day of July 2022 (by the 31st; the
exact day is [NF]). Domestic transfers stopped paying a commission on 1 November 2024, and the
transfer volume rose with it (before: a share of today's, [E]). People pay less on public holidays
and on the transferred days off the government declares (the `holidays` package's Kyrgyz
calendar), more on salary and pension crediting days, and a Saturday declared a working day is a
working day.

`CalendarSpec` is the scenario's `calendar:` section; off by default (`enabled: false`), so a
single-day scenario keeps its figures unless it asks for the calendar. When on, the scenario's
figures (volumes, enrolment) describe `reference_date`, and another date's are scaled from them:

    >>> spec = CalendarSpec(enabled=True)
    >>> round(spec.adoption(datetime.date(2022, 7, 1)), 6)
    0.0
    >>> spec.day_kind(datetime.date(2025, 1, 2), [], [])     # a day off transferred from Sat 11 Jan
    'holiday'
    >>> spec.day_kind(datetime.date(2025, 1, 11), [], [])    # ... which became a working day
    'workday'
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.choices import ACCOUNT_TRANSFER_CHANNELS, P2P_CHANNELS, WEEKDAYS
from elcart_sim.scenario.fields import checked, fraction, iso_date, positive

if TYPE_CHECKING:
    from elcart_sim.scenario.scenario import Scenario

__all__ = ["CalendarSpec", "CALENDAR_DAY_KINDS", "CALENDAR_FACTORS", "calendar_summary", "kyrgyz_holidays", "date_range", "parse_date"]

CALENDAR_DAY_KINDS = ("holiday", "weekend", "salary", "pension", "workday")
"""What kind of day a date is, first match wins: a public holiday or transferred day off, a
weekend day (not declared a working day), a salary or a pension crediting day, a working day."""

CALENDAR_FACTORS = ("holiday", "adoption", "chains", "fees")
"""The calendar's own multipliers of a channel's daily volume (Scenario.volume_factors), beside
the demand's weekday, day kind and growth."""

TRANSFER_CHANNELS = (*P2P_CHANNELS, *ACCOUNT_TRANSFER_CHANNELS)
"""The channels whose volume the fee abolition of November 2024 changed (domestic transfers)."""


@functools.lru_cache(maxsize=64)
def kyrgyz_holidays(year: int) -> tuple[dict[datetime.date, str], frozenset[datetime.date]]:
    """Kyrgyzstan's public holidays of ``year`` (transferred days off included), name by date,
    and the weekend days declared working days (the days the days off were transferred from),
    from the `holidays` package (holidays.KG)."""
    import holidays

    calendar = holidays.KG(years=year)
    return dict(calendar.items()), frozenset(d for d in calendar.weekend_workdays if d.year == year)


def parse_date(value: Any, path: str) -> datetime.date:
    """A date from ``value`` (a date or text like 2025-07-01), or a ScenarioError naming ``path``."""
    if isinstance(value, datetime.date):
        return value
    iso_date(value, path)
    return datetime.date.fromisoformat(value)


def date_range(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Every date from ``first`` to ``last``, both included."""
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class CalendarSpec:
    """The scenario's dates: launch, adoption, acceptance, fee abolition, holidays (see the module)."""

    enabled: bool = False
    # The date the scenario's volumes and enrolment describe; other dates are scaled from it.
    reference_date: str = field(default="2025-07-01", metadata=checked(iso_date))
    launch_date: str = field(default="2022-07-01", metadata=checked(iso_date))  # ELKART Pay live [V]
    # Logistic adoption of ELKART Pay from zero at launch: midpoint and steepness [E], fitted to a
    # wallet launch's 1 % / 5 % / 15 % of cardholders at months 3 / 12 / 24 (data/README.md).
    adoption_midpoint_date: str = field(default="2026-05-18", metadata=checked(iso_date))
    adoption_steepness_per_year: float = field(default=0.78, metadata=checked(positive))
    # Globus and Narodny accept phone taps from this date (by the end of July 2022; exact day [NF]).
    chains_live_date: str = field(default="2022-07-31", metadata=checked(iso_date))
    # Taps before the chains were live, as a share of the taps with them [E].
    before_chains_factor: float = field(default=0.6, metadata=checked(fraction))
    fee_abolition_date: str = field(default="2024-11-01", metadata=checked(iso_date))  # domestic transfers free [V]
    # Transfers before the abolition, as a share of the transfers after it [E].
    transfers_before_abolition_factor: float = field(default=0.15, metadata=checked(fraction))
    # A public holiday's or transferred day off's volume, as a share of an ordinary day's [E].
    holiday_factor: float = field(default=0.7, metadata=checked(positive))

    # -- dates ------------------------------------------------------------------------------------

    def _date(self, name: str) -> datetime.date:
        return datetime.date.fromisoformat(getattr(self, name))

    def holiday_name(self, date: datetime.date) -> str:
        """The public holiday or transferred day off on ``date``; '' on any other day."""
        return kyrgyz_holidays(date.year)[0].get(date, "")

    def is_weekend(self, date: datetime.date) -> bool:
        """Saturday or Sunday, unless declared a working day (a day off transferred from it)."""
        return date.weekday() >= 5 and date not in kyrgyz_holidays(date.year)[1]

    def is_transferred_workday(self, date: datetime.date) -> bool:
        """A Saturday or Sunday declared a working day."""
        return date in kyrgyz_holidays(date.year)[1]

    def day_kind(self, date: datetime.date, salary_days: Sequence[int], pension_days: Sequence[int]) -> str:
        """One of CALENDAR_DAY_KINDS for ``date``, first match wins."""
        if self.holiday_name(date):
            return "holiday"
        if self.is_weekend(date):
            return "weekend"
        if date.day in salary_days:
            return "salary"
        if date.day in pension_days:
            return "pension"
        return "workday"

    # -- curves -----------------------------------------------------------------------------------

    def adoption(self, date: datetime.date) -> float:
        """ELKART Pay's enrolment on ``date`` as a share of its ceiling: 0 up to the launch, then a
        logistic in time rescaled to start from zero at the launch."""
        launch = self._date("launch_date")
        if date <= launch:
            return 0.0
        k = self.adoption_steepness_per_year / 365.25
        midpoint = self._date("adoption_midpoint_date")

        def logistic(day: datetime.date) -> float:
            return 1.0 / (1.0 + math.exp(-k * (day - midpoint).days))

        at_launch = logistic(launch)
        return (logistic(date) - at_launch) / (1.0 - at_launch)

    def adoption_ratio(self, date: datetime.date) -> float:
        """Enrolment on ``date`` relative to the reference date's (the scenario's figure)."""
        reference = self.adoption(self._date("reference_date"))
        return self.adoption(date) / reference if reference > 0 else 0.0

    def factors(self, date: datetime.date, channel: str) -> dict[str, float]:
        """The calendar's multipliers (CALENDAR_FACTORS) of ``channel``'s volume on ``date``."""
        contactless = channel == "contactless"
        return {
            "holiday": self.holiday_factor if self.holiday_name(date) else 1.0,
            "adoption": self.adoption_ratio(date) if contactless else 1.0,
            "chains": self.before_chains_factor if contactless and date < self._date("chains_live_date") else 1.0,
            "fees": self.transfers_before_abolition_factor
            if channel in TRANSFER_CHANNELS and date < self._date("fee_abolition_date")
            else 1.0,
        }

    def check(self, path: str = "calendar") -> None:
        """Across fields: the launch comes before the reference date (the scenario's figures
        describe a day with wallets)."""
        if self.enabled and self._date("reference_date") <= self._date("launch_date"):
            raise ScenarioError(f"{path}.reference_date", f"must be after {path}.launch_date ({self.launch_date}), got {self.reference_date}")


def calendar_summary(scenario: Scenario, first: datetime.date | str, last: datetime.date | str) -> list[dict[str, Any]]:
    """One row per date from ``first`` to ``last``: its weekday, holiday, day kind, the adoption
    curve's share (calendar enabled), the funnel's wallets (onboarding enabled), and each
    channel's expected volume that day (Scenario.on(date).channel_per_day), as plain values."""
    first, last = parse_date(first, "from"), parse_date(last, "to")
    if last < first:
        raise ScenarioError("to", f"must not be before from ({first}), got {last}")
    demand = scenario.demand
    channels = [c for c in (*demand.channels, *demand.app_channels) if demand.share(c) > 0]
    rows = []
    for date in date_range(first, last):
        day = scenario.on(date)
        calendar = scenario.calendar
        row: dict[str, Any] = {
            "date": date.isoformat(),
            "weekday": WEEKDAYS[date.weekday()],
            "holiday": calendar.holiday_name(date),
            "day_kind": scenario.day_kind(date),
        }
        if calendar.enabled:
            row["adoption"] = calendar.adoption(date)
        if scenario.onboarding.enabled:
            row["wallets"] = scenario.funnel_wallets(date)  # the funnel's, which a run of the date enrols
        for channel in channels:
            row[channel] = day.channel_per_day(channel)
        rows.append(row)
    return rows
