"""Scenario fields of the people around the system: the road into ELKART Pay, and the support centre.

Physical picture: every day some people try to install ELKART Pay (``onboarding``). The store
lets only an Android phone of 6.0.1 or newer with NFC past the gate; then the user registers,
passes remote identification, links a card with the one-time code the issuer sends, the token
service tokenises it, and the user turns contactless payments on. At each step some fail (the
system says no) and some drop off (they give up); the rest go on, after the step's time. Those
who finish are the wallets: adoption comes out of the funnel.

Failures become contacts with the support centre (``support``): a failed identification, a card
that will not link, a declined tap, a lost or stolen phone (its token suspended), a failed
transfer or a push that never came, an outage; and the everyday questions of the wallets. Each
cause has the share of its events that call or write, the share that phone (the rest chat) and
the handling time on each channel. Agents work in shifts around the clock; a caller hangs up
after a patience time. Every figure here is an estimate [E] (docs/sources.md, "The road in and
the support centre"); nothing ELKART-specific is published.

The funnel's arithmetic a run needs sits here, beside its fields: ``OnboardingSpec.wallets``,
the wallets by the end of a date (installs × the steps' pass shares, a cohort counted on the day
its last step ends). The scenario reads it for a dated run's enrolment and tap volume
(Scenario.dated_population, Scenario.volume_factors), so it must live below ``scenario`` and
cannot live in ``elcart_sim.people`` (which imports the scenario); people/onboarding.Funnel uses
the same functions for its tables, so the run and the planner's funnel are one rule.

``onboarding.enabled: false`` (the default) and an absent ``support:`` change nothing in a run.
With ``onboarding.enabled`` a run's enrolment comes out of the funnel (see
Scenario.dated_population); ``support:`` is read only by ``elcart_sim.people`` and
``elcart-sim size --support``.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.calendar import CalendarSpec
from elcart_sim.scenario.choices import CONTACT_CHANNELS, FUNNEL_STEPS
from elcart_sim.scenario.fields import DurationSpec, checked, fraction, iso_date, non_negative, positive
from elcart_sim.scenario.world import optional_hourly_profile

__all__ = ["step_pass_share", "FunnelStep", "OnboardingSpec", "ContactCause", "ContactsSpec", "ChannelSpec", "ShiftSpec", "SupportSpec"]


DAY_S = 86_400.0


def _minutes(mean_s: float, cv: float = 0.6) -> DurationSpec:
    return DurationSpec("lognormal", mean_s, cv)


@dataclass(frozen=True)
class FunnelStep:
    """One step of the road in: how long it takes (the user's time and the systems'), the share
    of those entering it that fail (the system refuses), and the share of the others that drop
    off (give up); the rest pass, ``time`` after entering."""

    time: DurationSpec = field(default_factory=lambda: _minutes(120.0))
    failure_share: float = field(default=0.0, metadata=checked(fraction))
    dropoff_share: float = field(default=0.0, metadata=checked(fraction))


def step_pass_share(step: FunnelStep) -> float:
    """The share of those entering ``step`` who pass it: (1 − failure share)(1 − drop-off share)."""
    return (1.0 - step.failure_share) * (1.0 - step.dropoff_share)


@dataclass(frozen=True)
class OnboardingSpec:
    """The road into ELKART Pay, day by day from ``start_date`` (the launch, 1 July 2022 [V])."""

    enabled: bool = False
    start_date: str = field(default="2022-07-01", metadata=checked(iso_date))
    # People trying to install the app on an ordinary day, all of Kyrgyzstan [E] (so that the
    # funnel's wallets reach about the calendar's 12 % of cardholders three years on).
    installs_per_day: float = field(default=2_500.0, metadata=checked(non_negative))
    # The launch's extra interest: installs × (1 + boost · exp(−days since start / days)) [E].
    launch_boost: float = field(default=2.0, metadata=checked(non_negative))
    launch_boost_days: float = field(default=14.0, metadata=checked(positive))
    # When in the day people install: 24 weights (empty: demand.hourly_profile).
    hourly_profile: list[float] = field(default_factory=list, metadata=checked(optional_hourly_profile))
    # The gate: 1 − Android share × NFC share × share of Android ≥ 6.0.1, the population's
    # phones (0.85 × 0.55 × 0.94) [E]; dropping off: installed but never opened [E].
    install: FunnelStep = field(default_factory=lambda: FunnelStep(_minutes(180.0, 0.5), 0.56, 0.05))
    registration: FunnelStep = field(default_factory=lambda: FunnelStep(_minutes(240.0, 0.5), 0.03, 0.25))
    # Remote identification: mostly automatic, some by hand (hours), hence the wide time [E].
    identification: FunnelStep = field(default_factory=lambda: FunnelStep(_minutes(900.0, 2.0), 0.15, 0.20))
    # Linking a card with the issuer's one-time code (by SMS) [E].
    card_linking: FunnelStep = field(default_factory=lambda: FunnelStep(_minutes(150.0, 0.8), 0.08, 0.05))
    tokenization: FunnelStep = field(default_factory=lambda: FunnelStep(_minutes(15.0, 0.5), 0.03, 0.0))
    contactless: FunnelStep = field(default_factory=lambda: FunnelStep(_minutes(30.0, 0.5), 0.0, 0.05))

    def installs(self, date: datetime.date, calendar: CalendarSpec | None = None) -> float:
        """People trying to install on ``date``: none before the start; installs_per_day × the
        launch's boost × the holiday factor (with a calendar, on a public holiday)."""
        start = datetime.date.fromisoformat(self.start_date)
        if date < start:
            return 0.0
        days = (date - start).days
        volume = self.installs_per_day * (1.0 + self.launch_boost * math.exp(-days / self.launch_boost_days))
        if calendar is not None and calendar.holiday_name(date):
            volume *= calendar.holiday_factor
        return volume

    def pass_share(self) -> float:
        """The share of installs that end with a wallet: the product of each step's pass share."""
        share = 1.0
        for name in FUNNEL_STEPS:
            share *= step_pass_share(getattr(self, name))
        return share

    def wallets(self, date: datetime.date, hour_weights: Sequence[float], calendar: CalendarSpec | None = None) -> float:
        """ELKART Pay's wallets by the end of ``date``, all of Kyrgyzstan (expected people): each
        day's installs, spread over its hours by ``hour_weights`` (24, summing to 1), × the pass
        share, counted once their last step ends (the hour's middle + every step's mean time),
        which may be a later day."""
        start = datetime.date.fromisoformat(self.start_date)
        if date < start:
            return 0.0
        through_s = sum(getattr(self, name).time.mean_s for name in FUNNEL_STEPS)
        # done_by[j]: the share of a day's installs done j days later, by that day's end.
        lag_days = int(through_s // DAY_S) + 1
        done_by = [sum(w for h, w in enumerate(hour_weights) if (h + 0.5) * 3600.0 + through_s < (j + 1) * DAY_S) for j in range(lag_days + 1)]
        total = 0.0
        for j in range((date - start).days + 1):
            total += self.installs(date - datetime.timedelta(days=j), calendar) * done_by[min(j, lag_days)]
        return total * self.pass_share()


@dataclass(frozen=True)
class ContactCause:
    """What one kind of failure brings to the support centre: the share of its events that
    become a contact (for ``general``: contacts per wallet per 30 days), the share of those that
    phone (the rest chat), and the handling time on each channel."""

    contact_share: float = field(default=0.1, metadata=checked(non_negative))
    phone_share: float = field(default=0.5, metadata=checked(fraction))
    phone_handle: DurationSpec = field(default_factory=lambda: _minutes(360.0))
    chat_handle: DurationSpec = field(default_factory=lambda: _minutes(540.0))


@dataclass(frozen=True)
class ContactsSpec:
    """The causes of contacts (people/contacts.CONTACT_CAUSES), each a ContactCause [E]."""

    identification_failed: ContactCause = field(default_factory=lambda: ContactCause(0.35, 0.4, _minutes(480.0), _minutes(720.0)))
    card_link_failed: ContactCause = field(default_factory=lambda: ContactCause(0.30, 0.5, _minutes(420.0), _minutes(600.0)))
    declined_tap: ContactCause = field(default_factory=lambda: ContactCause(0.03, 0.5, _minutes(300.0), _minutes(480.0)))
    token_suspended: ContactCause = field(default_factory=lambda: ContactCause(0.5, 0.7, _minutes(540.0), _minutes(720.0)))
    transfer_failed: ContactCause = field(default_factory=lambda: ContactCause(0.02, 0.4, _minutes(420.0), _minutes(600.0)))
    notification_missing: ContactCause = field(default_factory=lambda: ContactCause(0.05, 0.3, _minutes(240.0), _minutes(360.0)))
    outage: ContactCause = field(default_factory=lambda: ContactCause(0.10, 0.6, _minutes(240.0), _minutes(300.0)))
    general: ContactCause = field(default_factory=lambda: ContactCause(0.03, 0.4, _minutes(360.0), _minutes(540.0)))


@dataclass(frozen=True)
class ChannelSpec:
    """One channel of the centre: its service-level target (``service_level`` of the contacts
    answered within ``target_s``), how long a customer waits before hanging up (``patience``;
    a mean of 0: never), and how many contacts an agent holds at once (a chat agent several)."""

    target_s: float = field(default=20.0, metadata=checked(positive))
    service_level: float = field(default=0.8, metadata=checked(fraction))
    patience: DurationSpec = field(default_factory=lambda: DurationSpec("exponential", 180.0, 1.0))
    concurrency: int = field(default=1, metadata=checked(positive))


@dataclass(frozen=True)
class ShiftSpec:
    """A shift: from local hour ``start_hour`` for ``hours`` hours, with its agents on each channel."""

    name: str = "day"
    start_hour: int = field(default=8, metadata=checked(non_negative))
    hours: int = field(default=8, metadata=checked(positive))
    phone_agents: int = field(default=1, metadata=checked(non_negative))
    chat_agents: int = field(default=1, metadata=checked(non_negative))


@dataclass(frozen=True)
class SupportSpec:
    """The 24/7 support centre: causes of contacts, channels, shifts, and the planner's margins."""

    contacts: ContactsSpec = field(default_factory=ContactsSpec)
    phone: ChannelSpec = field(default_factory=ChannelSpec)
    chat: ChannelSpec = field(default_factory=lambda: ChannelSpec(60.0, 0.8, DurationSpec("exponential", 300.0, 1.0), 2))
    # Three shifts around the clock [E]; together they must cover the 24 hours once.
    shifts: list[ShiftSpec] = field(
        default_factory=lambda: [ShiftSpec("night", 0, 8, 2, 1), ShiftSpec("day", 8, 8, 5, 3), ShiftSpec("evening", 16, 8, 4, 2)]
    )
    # Time off the phones (breaks, training, absence) and the highest occupancy planned for [E].
    shrinkage: float = field(default=0.30, metadata=checked(fraction))
    max_occupancy: float = field(default=0.85, metadata=checked(fraction))
    # When in the day the wallets' everyday questions come: 24 weights (empty: demand.hourly_profile).
    hourly_profile: list[float] = field(default_factory=list, metadata=checked(optional_hourly_profile))

    def channel(self, name: str) -> ChannelSpec:
        """The ChannelSpec of ``name`` (one of CONTACT_CHANNELS)."""
        if name not in CONTACT_CHANNELS:
            raise ScenarioError("support", f"has no channel {name!r} (the channels: {', '.join(CONTACT_CHANNELS)})")
        return getattr(self, name)

    def shift_of_hour(self) -> list[int]:
        """For each local hour 0..23, the index of its shift in ``shifts``."""
        owner = [-1] * 24
        for i, shift in enumerate(self.shifts):
            for h in range(shift.start_hour, shift.start_hour + shift.hours):
                owner[h % 24] = i
        return owner

    def check(self, path: str = "support") -> None:
        """Across fields: the shifts cover every hour of the day exactly once, names unique."""
        if not self.shifts:
            raise ScenarioError(f"{path}.shifts", "must list at least one shift")
        covered = [0] * 24
        for i, shift in enumerate(self.shifts):
            if shift.start_hour > 23:
                raise ScenarioError(f"{path}.shifts[{i}].start_hour", f"must be a local hour 0-23, got {shift.start_hour}")
            for h in range(shift.start_hour, shift.start_hour + shift.hours):
                covered[h % 24] += 1
        if any(count != 1 for count in covered):
            bad = [f"{h:02d}:00" for h, count in enumerate(covered) if count != 1]
            raise ScenarioError(f"{path}.shifts", f"must cover each hour of the day exactly once; not so at {', '.join(bad[:4])}")
        names = [shift.name for shift in self.shifts]
        if len(set(names)) != len(names):
            raise ScenarioError(f"{path}.shifts", f"must have distinct names, got {names}")
