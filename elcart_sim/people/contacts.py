"""Contacts: the failures that make people phone or write to the support centre.

Physical picture: someone whose identification was rejected, whose card would not link (or
whose card the token service would not tokenise), whose tap was declined, whose phone was lost
or stolen (the token suspended or deleted), whose transfer failed or whose salary push never
came, or who was caught in an outage, may contact the centre; so may any wallet holder with an
everyday question. Each cause (CONTACT_CAUSES) has the share of its events that become contacts,
the share of those that phone (the rest chat) and a handling time per channel
(``support.contacts.<cause>``, scenario/people.py).

Everything here is expected contacts per hour of a day, as one flat table (CONTACT_COLUMNS): the
support centre draws Poisson arrivals at these rates (people/support_centre.py) and Erlang C
reads the offered load from them (people/staffing.py). A contact comes in the hour of the
failure that caused it.

Three sources, each a function: the funnel (``funnel_contacts``), a run's records
(``record_contacts``: the ``transactions``, ``transfers``, ``token_events`` and ``notifications``
tables as DataFrames; times in seconds from the run's midnight), and the wallets' everyday
questions (``general_contacts``). An outage (``Outage``) is a window, the banks whose customers
it touched (none named: every bank's) and, if known, how many customers; without a count, the
window's failed phone taps and transfers of those banks are the outage's customers, whatever
their DE39. A fault drill's run gives its outages itself: ``outages_of`` reads the run's
``faults`` table (one row per fault injected, core/schemas.py), each fault a customer could
feel (OUTAGE_FAULT_KINDS) one Outage from its start to its end, scoped to the bank its target
names (``issuer:AIYL``, ``switch_issuer:AIYL``), and ``day_contacts`` passes them on, so a drill's
contacts need no window by hand. Technical failures (DE39 91 issuer unavailable, 68 response too
late, a tap reversed after the terminal's timeout) count as an outage's even outside a window.
Each failed tap or transfer is one customer touched: the records name the wallet's token, not
the person, and a payer does not tap again after a failure in this model.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from elcart_sim.core.errors import ConfigurationError
from elcart_sim.people.onboarding import Funnel, funnel_of
from elcart_sim.scenario.calendar import parse_date
from elcart_sim.scenario.choices import CONTACT_CAUSES, CONTACT_CHANNELS
from elcart_sim.scenario.people import ContactCause, SupportSpec
from elcart_sim.scenario.scenario import Scenario

__all__ = [
    "CONTACT_COLUMNS",
    "TECHNICAL_CODES",
    "Outage",
    "OUTAGE_FAULT_KINDS",
    "outages_of",
    "contacts_from_events",
    "funnel_contacts",
    "general_contacts",
    "record_contacts",
    "contact_table",
    "hourly_load",
    "wallets_on",
    "expected_contacts",
    "day_contacts",
]

CONTACT_COLUMNS = ("hour", "cause", "channel", "contacts", "mean_handle_s")
"""One row per (local hour, cause, channel): expected contacts in that hour of the day and their
mean handling time (seconds)."""

TECHNICAL_CODES = ("91", "68")
"""DE39 codes of a failure of the system rather than of the customer: 91 issuer or switch
inoperative, 68 response received too late (ISO 8583:1987)."""

OUTAGE_FAULT_KINDS = ("host_down", "link", "switch_node_down")
"""The faults (scenario/choices.FAULT_KINDS) customers feel: a host down, a link losing or
delaying messages, a switch node lost. Duplicates are answered from memory and a late clearing
is the back office's: neither is an outage to a customer."""

BANK_SCOPED_TARGETS = ("issuer", "switch_issuer")
"""Fault targets whose ``:<bank>`` names the only bank whose customers it touches."""

DAY_S = 86_400.0


@dataclass(frozen=True)
class Outage:
    """An outage: from ``start_s`` to ``end_s`` (seconds from the run's first midnight), touching
    ``customers`` people (None: the failed phone taps and transfers of the run's records in the
    window stand for them), the customers of ``banks`` (bank codes; empty: every bank's)."""

    start_s: float
    end_s: float
    customers: float | None = None
    banks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.start_s < self.end_s:
            raise ConfigurationError(f"Outage: must have 0 <= start_s < end_s, got {self.start_s}, {self.end_s}")
        if self.customers is not None and self.customers < 0:
            raise ConfigurationError(f"Outage: customers must be >= 0, got {self.customers}")

    def hourly_customers(self) -> np.ndarray:
        """``customers`` spread evenly over the window, per local hour (the window folded onto one day)."""
        counts = np.zeros(24)
        if not self.customers:
            return counts
        span = self.end_s - self.start_s
        start = self.start_s
        while start < self.end_s:
            end = min(self.end_s, (start // 3600.0 + 1.0) * 3600.0)
            counts[int(start // 3600.0) % 24] += self.customers * (end - start) / span
            start = end
        return counts

    def covers(self, times_s: np.ndarray, banks: Sequence[pd.Series] = ()) -> np.ndarray:
        """Which of the events at ``times_s`` it touched: inside the window and, when the outage
        names banks, one of ``banks``' columns (an event's issuer, a transfer's two banks) naming
        one (records without bank columns: the window alone)."""
        inside = (times_s >= self.start_s) & (times_s < self.end_s)
        if self.banks and len(banks):
            ours = np.zeros(times_s.shape, dtype=bool)
            for column in banks:
                ours |= column.astype(str).isin(self.banks).to_numpy()
            inside &= ours
        return inside


def outages_of(faults: pd.DataFrame | None) -> list[Outage]:
    """The outages of a fault drill's run, from its ``faults`` table: each fault of
    OUTAGE_FAULT_KINDS from ``started_at`` to ``ended_at``, its customers those of the run's
    records (``customers`` None), scoped to the bank of an ``issuer:<bank>`` or
    ``switch_issuer:<bank>`` target. A fault still on when the run ended has no row, so no outage."""
    if faults is None or not len(faults):
        return []
    outages = []
    for row in faults.itertuples(index=False):
        if str(row.kind) not in OUTAGE_FAULT_KINDS or not row.ended_at > row.started_at:
            continue
        name, _, bank = str(row.target).partition(":")
        banks = (bank,) if bank and name in BANK_SCOPED_TARGETS else ()
        outages.append(Outage(float(row.started_at), float(row.ended_at), banks=banks))
    return outages


def contacts_from_events(cause: str, spec: ContactCause, events_by_hour: Sequence[float]) -> pd.DataFrame:
    """The contacts ``events_by_hour`` (24 expected events) of ``cause`` bring: events ×
    contact share, split between phone and chat, with each channel's mean handling time."""
    events = np.asarray(events_by_hour, dtype=float)
    if events.shape != (24,):
        raise ConfigurationError(f"contacts_from_events: need 24 hourly counts, got {events.shape}")
    frames = []
    for channel, share, handle in (("phone", spec.phone_share, spec.phone_handle), ("chat", 1.0 - spec.phone_share, spec.chat_handle)):
        frames.append(pd.DataFrame({"hour": np.arange(24), "cause": cause, "channel": channel,
                                    "contacts": events * spec.contact_share * share, "mean_handle_s": handle.mean_s}))
    return pd.concat(frames, ignore_index=True)


def funnel_contacts(support: SupportSpec, funnel: Funnel, date: datetime.date | str) -> pd.DataFrame:
    """Contacts of the funnel's failures on ``date``: a failed identification; a card that would
    not link or that the token service would not tokenise."""
    outcomes = funnel.outcomes(date, date)
    failed = outcomes.pivot_table(index="hour", columns="step", values="failed", aggfunc="sum").reindex(range(24), fill_value=0.0)
    contacts = support.contacts
    return contact_table(
        contacts_from_events("identification_failed", contacts.identification_failed, failed["identification"].to_numpy()),
        contacts_from_events("card_link_failed", contacts.card_link_failed,
                             (failed["card_linking"] + failed["tokenization"]).to_numpy()),
    )


def general_contacts(support: SupportSpec, wallets: float, hourly_profile: Sequence[float]) -> pd.DataFrame:
    """The everyday questions of ``wallets`` wallet holders over one day: wallets ×
    support.contacts.general.contact_share / 30, spread by ``hourly_profile`` (24 weights)."""
    weights = np.asarray(support.hourly_profile or hourly_profile, dtype=float)
    per_day = wallets / 30.0
    return contacts_from_events("general", support.contacts.general, per_day * weights / weights.sum())


def _hourly(times_s: Iterable[float], days: int, scale: float) -> np.ndarray:
    times = np.asarray(list(times_s) if not isinstance(times_s, (np.ndarray, pd.Series)) else times_s, dtype=float)
    counts = np.bincount((np.floor(times / 3600.0).astype(int) % 24), minlength=24)[:24] if times.size else np.zeros(24)
    return counts / (days * scale)


def record_contacts(
    support: SupportSpec,
    *,
    transactions: pd.DataFrame | None = None,
    transfers: pd.DataFrame | None = None,
    token_events: pd.DataFrame | None = None,
    notifications: pd.DataFrame | None = None,
    outages: Sequence[Outage] = (),
    faults: pd.DataFrame | None = None,
    scale: float = 1.0,
    days: int = 1,
) -> pd.DataFrame:
    """Contacts per hour of a day from a run's records (each table optional), scaled to the whole
    country (÷ ``scale``, the run's scenario.scale) and averaged over ``days`` days:

    - phone taps (channel contactless) declined or terminated: ``declined_tap``;
    - transfers declined or reversed: ``transfer_failed``;
    - token events suspended or deleted (a lost, stolen or replaced phone): ``token_suspended``;
    - pushes lost: ``notification_missing``;
    - technical failures (TECHNICAL_CODES, a tap reversed after a timeout), and every failed tap or
      transfer an outage touched (inside its window, of its banks): ``outage``; plus the customers
      an Outage counts. ``faults`` (a drill's faults table) adds its outages (``outages_of``).
    """
    if scale <= 0 or days < 1:
        raise ConfigurationError(f"record_contacts: need scale > 0 and days >= 1, got {scale}, {days}")
    causes = support.contacts
    events: dict[str, np.ndarray] = {}
    outage_times: list[np.ndarray] = []
    outages = [*outages, *outages_of(faults)]

    def in_outage(times: np.ndarray, banks: Sequence[pd.Series]) -> np.ndarray:
        inside = np.zeros(times.shape, dtype=bool)
        for outage in outages:
            if outage.customers is None:
                inside |= outage.covers(times, banks)
        return inside

    if transactions is not None and len(transactions):
        taps = transactions[transactions["channel"].astype(str) == "contactless"]
        failed = taps[taps["outcome"].astype(str) != "approved"]
        times = failed["tapped_at"].to_numpy(dtype=float)
        technical = failed["response_code"].astype(str).isin(TECHNICAL_CODES).to_numpy() | (failed["outcome"].astype(str) == "reversed").to_numpy()
        technical |= in_outage(times, [failed[c] for c in ("issuer",) if c in failed])
        outage_times.append(times[technical])
        events["declined_tap"] = _hourly(times[~technical], days, scale)
    if transfers is not None and len(transfers):
        failed = transfers[transfers["outcome"].astype(str) != "completed"]
        times = failed["requested_at"].to_numpy(dtype=float)
        technical = failed["response_code"].astype(str).isin(TECHNICAL_CODES).to_numpy()
        technical = technical | in_outage(times, [failed[c] for c in ("sender_issuer", "receiver_issuer") if c in failed])
        outage_times.append(times[technical])
        events["transfer_failed"] = _hourly(times[~technical], days, scale)
    if token_events is not None and len(token_events):
        lost = token_events[token_events["event"].astype(str).isin(("suspended", "deleted"))]
        events["token_suspended"] = _hourly(lost["at"].to_numpy(dtype=float), days, scale)
    if notifications is not None and len(notifications):
        lost = notifications[notifications["outcome"].astype(str) == "lost"]
        events["notification_missing"] = _hourly(lost["sent_at"].to_numpy(dtype=float), days, scale)
    outage_events = _hourly(np.concatenate(outage_times) if outage_times else np.zeros(0), days, scale)
    for outage in outages:
        outage_events = outage_events + outage.hourly_customers() / days
    if outage_events.any() or outages:
        events["outage"] = outage_events
    return contact_table(*(contacts_from_events(cause, getattr(causes, cause), counts) for cause, counts in events.items()))


def contact_table(*parts: pd.DataFrame) -> pd.DataFrame:
    """The parts added up: one row per (hour, cause, channel) in CONTACT_CAUSES and channel order,
    contacts summed, the mean handling time weighted by the contacts."""
    frames = [part for part in parts if part is not None and len(part)]
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in zip(CONTACT_COLUMNS, ("int64", "object", "object", "float64", "float64"))})
    frame = pd.concat(frames, ignore_index=True)
    frame["work_s"] = frame["contacts"] * frame["mean_handle_s"]
    grouped = frame.groupby(["hour", "cause", "channel"], as_index=False).agg(
        contacts=("contacts", "sum"), work_s=("work_s", "sum"), handle_s=("mean_handle_s", "first"))
    busy = grouped["contacts"] > 0
    grouped["mean_handle_s"] = grouped["handle_s"].where(~busy, grouped["work_s"] / grouped["contacts"].where(busy, 1.0))
    grouped["_cause"] = grouped["cause"].map({c: i for i, c in enumerate(CONTACT_CAUSES)})
    grouped["_channel"] = grouped["channel"].map({c: i for i, c in enumerate(CONTACT_CHANNELS)})
    grouped = grouped.sort_values(["hour", "_cause", "_channel"]).reset_index(drop=True)
    return grouped[list(CONTACT_COLUMNS)]


def hourly_load(table: pd.DataFrame, support: SupportSpec, channel: str) -> pd.DataFrame:
    """One row per local hour of ``channel``: contacts, their mean handling time (s), and the
    offered load in erlangs, contacts × handling time / 3600: the contacts in hand at once on
    average. On the phone that is agents busy; a chat agent holds ``concurrency`` chats at once,
    so the chat's agents busy are the offered load / concurrency (people/staffing.py)."""
    support.channel(channel)
    rows = table[table["channel"] == channel]
    contacts = rows.groupby("hour")["contacts"].sum().reindex(range(24), fill_value=0.0)
    work = (rows["contacts"] * rows["mean_handle_s"]).groupby(rows["hour"]).sum().reindex(range(24), fill_value=0.0)
    handle = (work / contacts.where(contacts > 0)).fillna(0.0)
    return pd.DataFrame({"hour": range(24), "contacts": contacts.to_numpy(), "mean_handle_s": handle.to_numpy(),
                         "offered_erlangs": (work / 3600.0).to_numpy()})


def wallets_on(scenario: Scenario, date: datetime.date | str | None = None) -> float:
    """ELKART Pay's wallets on ``date`` (default: the scenario's), all of Kyrgyzstan: the funnel's
    adoption with onboarding enabled (Scenario.funnel_wallets, which a run's enrolment follows),
    else the cardholders whose phone can run ELKART Pay × the dated enrolment share, as a run
    enrols them (world/population.py)."""
    date = scenario.business_date if date is None else parse_date(date, "date")
    if scenario.onboarding.enabled:
        return scenario.funnel_wallets(date)
    population = scenario.on(date).dated_population()
    return population.cards * population.phone.capable_share() * population.enrolment_share


def expected_contacts(scenario: Scenario, date: datetime.date | str | None = None, *, outages: Sequence[Outage] = ()) -> pd.DataFrame:
    """The contacts a day brings without a run, from the scenario alone: the funnel's failures
    (with onboarding enabled), the wallets' everyday questions, the token lifecycle's suspensions
    and phone replacements (security.lifecycle shares of the wallets, spread over the day), and
    the customers ``outages`` name. Declined taps, failed transfers and lost pushes need a run's
    records (``record_contacts``)."""
    date = scenario.business_date if date is None else parse_date(date, "date")
    support, profile = scenario.support, scenario.demand.hourly_profile
    wallets = wallets_on(scenario, date)
    lifecycle = scenario.security.lifecycle
    lost = wallets * (lifecycle.suspension_share + lifecycle.phone_replacement_share) / 24.0
    parts = [general_contacts(support, wallets, profile),
             contacts_from_events("token_suspended", support.contacts.token_suspended, [lost] * 24)]
    if scenario.onboarding.enabled:
        parts.append(funnel_contacts(support, funnel_of(scenario), date))
    if outages:
        parts.append(record_contacts(support, outages=outages))
    return contact_table(*parts)


def day_contacts(scenario: Scenario, results) -> pd.DataFrame:
    """A day's contacts, all of Kyrgyzstan: the scenario's expected ones (``expected_contacts``:
    the funnel, the everyday questions, lost and replaced phones) and those of the run's records
    (``results``, the Results of ``scenario``: declined taps, failed transfers, lost pushes,
    technical failures, and in a fault drill's run the failures its faults touched, from its
    ``faults`` table, ÷ scenario.scale). Lost phones are counted once, from the expectation:
    the token lifecycle draws them at uniform instants, so its expected rate is the same
    figure without a small run's lumps."""
    recorded = record_contacts(scenario.support, transactions=results.transactions, transfers=results.transfers,
                               notifications=results.notifications, faults=results.faults, scale=scenario.scale)
    return contact_table(expected_contacts(scenario), recorded)
