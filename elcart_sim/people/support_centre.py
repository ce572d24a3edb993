"""The 24/7 support centre in SimPy: agents in shifts, a queue per channel, callers who hang up.

Physical picture: contacts arrive on each channel (phone, chat) as a Poisson stream whose rate
follows the hour of the day (people/contacts.py: expected contacts per hour, by cause). A contact
takes a free agent position if there is one, or waits in its channel's FIFO queue; a customer
who waits longer than their patience hangs up (abandons). An agent position stays with the
contact for its handling time, drawn for its cause and channel. A chat agent holds
``concurrency`` chats at once, so a channel has agents × concurrency positions. Shifts change the
number of agents at their start hours; an agent whose shift ends finishes the contact in hand
before leaving (the positions are withdrawn as they free up, ahead of any waiting customer).

Each channel is one PriorityResource with as many positions as the busiest shift has; a shift
with fewer agents holds the rest with "off shift" requests of a higher priority, released when
agents come back. Randomness is on named streams (``support.<channel>.arrivals``,
``.cause``, ``.patience``, ``.handle.<cause>``), so a change to one channel or cause shifts no
other draw.

Each contact offered is one row of the ``contacts`` table (core/schemas.py, docs/records.md):
its channel and cause, when it arrived, its wait, whether it was answered, its handling time.

Measures (``service_by_hour``, ``service_by_shift``): the service level is the share of the
contacts offered that an agent answered within the channel's target (a contact that hung up
counts as not answered in time); the average speed of answer (ASA) is the mean wait of those
answered; the abandonment share is those who hung up over those offered.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence

import numpy as np
import pandas as pd
import simpy

from elcart_sim.core.errors import ConfigurationError
from elcart_sim.core.records import Table
from elcart_sim.core.streams import Distribution, RandomStreams
from elcart_sim.scenario.choices import CONTACT_CAUSES, CONTACT_CHANNELS
from elcart_sim.scenario.people import SupportSpec

__all__ = ["SupportCentre", "simulate_centre", "service_by_hour", "service_by_shift", "agents_by_hour"]

HOUR_S = 3600.0
OFF_SHIFT, CUSTOMER = 0, 1  # request priorities: lower goes first


def agents_by_hour(support: SupportSpec, channel: str, per_shift: Sequence[int] | None = None) -> list[int]:
    """The agents on ``channel`` in each local hour 0..23: each shift's (its scenario figure, or
    ``per_shift`` in the order of support.shifts)."""
    shifts = support.shifts
    if per_shift is None:
        per_shift = [getattr(shift, f"{channel}_agents") for shift in shifts]
    if len(per_shift) != len(shifts):
        raise ConfigurationError(f"agents_by_hour: need {len(shifts)} shifts' agents, got {len(per_shift)}")
    return [int(per_shift[i]) for i in support.shift_of_hour()]


class SupportCentre:
    """The centre on one SimPy environment: its channels' queues and agents, and the contacts'
    records (``records``, the ``contacts`` table). ``table`` is a contact table
    (people/contacts.CONTACT_COLUMNS), the same every day for ``days`` days; ``agents`` optionally
    overrides the agents per shift by channel; ``replication`` is written in each record."""

    def __init__(
        self,
        env: simpy.Environment,
        streams: RandomStreams,
        support: SupportSpec,
        table: pd.DataFrame,
        *,
        days: int = 1,
        agents: Mapping[str, Sequence[int]] | None = None,
        replication: int = 0,
    ):
        if days < 1:
            raise ConfigurationError(f"SupportCentre: days must be >= 1, got {days}")
        self.env, self.support, self.days, self.replication = env, support, days, replication
        # The channels and causes in their declared order, whichever comes first.
        self.records = Table("contacts", categories={"channel": CONTACT_CHANNELS, "cause": CONTACT_CAUSES})
        agents = agents or {}
        self.positions: dict[str, simpy.PriorityResource] = {}
        for channel in CONTACT_CHANNELS:
            rows = table[table["channel"] == channel]
            rates = rows.groupby("hour")["contacts"].sum().reindex(range(24), fill_value=0.0).to_numpy() / HOUR_S
            if not rates.any():
                continue
            spec = support.channel(channel)
            slots = [a * spec.concurrency for a in agents_by_hour(support, channel, agents.get(channel))]
            positions = self.positions[channel] = simpy.PriorityResource(env, capacity=max(1, max(slots)))
            env.process(self.staff_shifts(positions, slots))
            env.process(self.arrive_contacts(channel, streams, rows, rates, positions))

    # -- processes -------------------------------------------------------------------------------

    def staff_shifts(self, positions: simpy.PriorityResource, slots: Sequence[int]) -> Generator[simpy.Event, object, None]:
        """At each hour, hold the positions of the agents not on shift (the rest answer)."""
        env = self.env
        held: list[simpy.resources.resource.PriorityRequest] = []
        for hour in range(24 * self.days):
            off = positions.capacity - slots[hour % 24]
            while len(held) < off:
                held.append(positions.request(priority=OFF_SHIFT))
            while len(held) > off:
                pending = [r for r in held if not r.triggered]
                request = pending[-1] if pending else held[-1]
                held.remove(request)
                if request.triggered:
                    positions.release(request)
                else:
                    request.cancel()
            yield env.timeout((hour + 1) * HOUR_S - env.now)

    def arrive_contacts(
        self, channel: str, streams: RandomStreams, rows: pd.DataFrame, rates_per_s: np.ndarray, positions: simpy.PriorityResource
    ) -> Generator[simpy.Event, object, None]:
        """Poisson arrivals at the hour's rate (memoryless: an arrival that would fall in the next
        hour is drawn again from its start at that hour's rate); each contact gets its cause and
        handling time, and is served."""
        env, spec = self.env, self.support.channel(channel)
        gap = streams.sampler(f"support.{channel}.arrivals", Distribution("exponential", 1.0, 1.0))
        pick = streams.uniform(f"support.{channel}.cause")
        patience = streams.sampler(f"support.{channel}.patience", spec.patience.distribution()) if spec.patience.mean_s > 0 else None
        mix = []
        for hour in range(24):
            here = rows[(rows["hour"] == hour) & (rows["contacts"] > 0)]
            mix.append((np.cumsum(here["contacts"].to_numpy()) / max(here["contacts"].sum(), 1e-300), here["cause"].tolist()))
        handle = {}
        for cause, group in rows[rows["contacts"] > 0].groupby("cause", sort=False):
            mean_s = float((group["contacts"] * group["mean_handle_s"]).sum() / group["contacts"].sum())
            kind = getattr(getattr(self.support.contacts, cause), f"{channel}_handle").distribution()
            handle[cause] = streams.sampler(f"support.{channel}.handle.{cause}", Distribution(kind.kind, mean_s, kind.cv))
        end = 24 * self.days * HOUR_S
        now = 0.0
        while now < end:
            hour = int(now // HOUR_S)
            rate = rates_per_s[hour % 24]
            boundary = (hour + 1) * HOUR_S
            at = now + gap() / rate if rate > 0 else boundary
            if at >= boundary:
                now = boundary
                continue
            now = at
            yield env.timeout(now - env.now)
            shares, names = mix[hour % 24]
            cause = names[min(int(np.searchsorted(shares, pick(), side="right")), len(names) - 1)]
            env.process(self.serve(channel, cause, positions, handle[cause](), patience))

    def serve(self, channel: str, cause: str, positions: simpy.PriorityResource, handle_s: float, patience) -> Generator[simpy.Event, object, None]:
        """One contact: wait for a position (or hang up after the patience), then be handled."""
        env = self.env
        arrived = env.now
        request = positions.request(priority=CUSTOMER)
        if patience is None:
            yield request
        else:
            yield request | env.timeout(patience())
        answered = request.triggered
        self.records.append(channel=channel, cause=cause, arrived_at=arrived, hour=int(arrived // HOUR_S) % 24, wait_s=env.now - arrived,
                            answered=int(answered), handle_s=handle_s if answered else 0.0, replication=self.replication)
        if not answered:
            request.cancel()
            return
        yield env.timeout(handle_s)
        positions.release(request)

    def frame(self) -> pd.DataFrame:
        """The contacts so far, one row each, the ``contacts`` table's fields (core/schemas.py)."""
        return self.records.to_frame()


def simulate_centre(
    support: SupportSpec,
    table: pd.DataFrame,
    *,
    days: int = 1,
    seed: int = 1,
    replication: int = 0,
    agents: Mapping[str, Sequence[int]] | None = None,
) -> pd.DataFrame:
    """One replication of the centre over ``days`` days of ``table``'s contacts: every contact's
    record (SupportCentre.frame, the ``contacts`` table). Contacts still waiting at the end are
    not in it."""
    env = simpy.Environment()
    centre = SupportCentre(env, RandomStreams(seed, replication), support, table, days=days, agents=agents, replication=replication)
    env.run(until=24 * days * HOUR_S)
    return centre.frame()


def _measures(group: pd.DataFrame, target_s: float) -> dict[str, float]:
    answered = group["answered"].to_numpy(dtype=bool)
    waits = group["wait_s"].to_numpy()
    offered = len(group)
    return {
        "offered": offered,
        "service_level": float(np.sum(answered & (waits <= target_s)) / offered) if offered else float("nan"),
        "asa_s": float(waits[answered].mean()) if answered.any() else float("nan"),
        "abandoned_share": float(np.sum(~answered) / offered) if offered else float("nan"),
    }


def service_by_hour(frame: pd.DataFrame, support: SupportSpec, days: int = 1) -> pd.DataFrame:
    """One row per (channel, local hour): contacts offered per day, service level, ASA (s), share abandoned."""
    rows = []
    for (channel, hour), group in frame.groupby(["channel", "hour"], sort=True, observed=True):
        row = {"channel": channel, "hour": hour, **_measures(group, support.channel(channel).target_s)}
        row["offered"] /= days
        rows.append(row)
    return pd.DataFrame(rows)


def service_by_shift(frame: pd.DataFrame, support: SupportSpec) -> pd.DataFrame:
    """One row per (replication, channel, shift): the measures over the contacts arriving in the shift."""
    shift_of_hour = support.shift_of_hour()
    names = [shift.name for shift in support.shifts]
    frame = frame.assign(shift=[names[shift_of_hour[h]] for h in frame["hour"]])
    rows = []
    for (replication, channel, shift), group in frame.groupby(["replication", "channel", "shift"], sort=False, observed=True):
        rows.append({"replication": replication, "channel": channel, "shift": shift, **_measures(group, support.channel(channel).target_s)})
    return pd.DataFrame(rows)
