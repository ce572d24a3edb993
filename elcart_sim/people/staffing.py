"""Agents per shift for a service-level target: Erlang C and the simulation, side by side.

**Erlang C** (capacity/queueing.py, the one place of the formulas) sizes each shift for its
busiest hour: that hour's offered load a = contacts × mean handling time / 3600 (erlangs: the
contacts in hand at once), and the fewest positions c with 1 − C(c, a)·exp(−(c − a)·t/h) ≥ the
target service level and a/c ≤ max occupancy. A phone agent is one position; a chat agent holds
`concurrency` chats at once, so agents are positions / concurrency, rounded up; rostered agents add shrinkage, agents / (1 − shrinkage).

**The simulation** (people/support_centre.py) plays the whole day, replications on independent
streams, and finds for each shift the fewest agents whose service level over the shift's
contacts (mean over replications) reaches the target, the other shifts at their Erlang C figure.

**Why they differ.** Erlang C assumes a stationary M/M/c queue in which nobody hangs up. Where
that holds (a constant rate, exponential handling times, infinite patience) the simulated service
level falls inside its confidence interval of Erlang C's (tests/test_support_centre.py). On a
real day three things move the simulation away:

1. *Abandonment.* A caller who hangs up frees the queue for the next, so waits are shorter than
   Erlang C says, and a centre short of agents stays stable (Erlang A, `erlang_a`); yet a hung-up
   caller counts as not answered in time, so with impatient customers the service level is lower
   than the waits alone suggest. At the targets planned for (80/20, 80/60) the first effect wins
   and the simulation needs the same or one agent fewer.
2. *Time-varying load.* Erlang C sizes the busiest hour; the shift's other hours are lighter,
   so the shift's service level over all its contacts is above the busiest hour's, and the
   simulation often needs fewer agents than the peak hour's Erlang C. The other way, the queue
   of one busy hour spills into the next (no steady state within an hour), which Erlang C ignores.
3. *Handling times that are not exponential* (lognormal, cv 0.6): less variable than
   exponential, so shorter waits than Erlang C at the same load.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pandas as pd

from elcart_sim.capacity.intervals import mean_interval
from elcart_sim.capacity.queueing import erlang_a, erlang_c_agents, erlang_c_asa_s, erlang_c_service_level
from elcart_sim.capacity.tables import text_table
from elcart_sim.people.contacts import hourly_load
from elcart_sim.people.support_centre import service_by_shift, simulate_centre
from elcart_sim.scenario.choices import CONTACT_CHANNELS
from elcart_sim.scenario.people import SupportSpec

__all__ = ["erlang_staffing", "simulated_staffing", "staffing_table", "staffing_text", "staffed"]


def erlang_staffing(support: SupportSpec, table: pd.DataFrame) -> pd.DataFrame:
    """One row per (channel, shift) with contacts: the shift's busiest hour, its contacts and
    offered load (erlangs), the mean handling time, Erlang C's positions and agents for the
    channel's target, the service level and ASA Erlang C promises at them, the share Erlang A
    says would hang up there (the channel's mean patience), and the rostered agents with shrinkage."""
    shift_of_hour = support.shift_of_hour()
    rows = []
    for channel in CONTACT_CHANNELS:
        spec = support.channel(channel)
        load = hourly_load(table, support, channel)
        if not load["contacts"].any():
            continue
        for i, shift in enumerate(support.shifts):
            hours = load[[shift_of_hour[h] == i for h in load["hour"]]]
            busiest = hours.loc[hours["offered_erlangs"].idxmax()]
            offered, handle = float(busiest["offered_erlangs"]), float(busiest["mean_handle_s"]) or 1.0
            positions = erlang_c_agents(offered, handle, spec.target_s, spec.service_level, max_occupancy=support.max_occupancy) if offered > 0 else 0
            agents = math.ceil(positions / spec.concurrency)
            rows.append({
                "channel": channel,
                "shift": shift.name,
                "busiest_hour": int(busiest["hour"]),
                "contacts_per_day": float(hours["contacts"].sum()),
                "peak_contacts_per_hour": float(busiest["contacts"]),
                "mean_handle_s": handle,
                "offered_erlangs": offered,
                "erlang_c_agents": agents,
                "erlang_c_service_level": erlang_c_service_level(positions, offered, handle, spec.target_s) if positions else 1.0,
                "erlang_c_asa_s": erlang_c_asa_s(positions, offered, handle) if positions else 0.0,
                # Erlang A at the same positions: the share hanging up, with the channel's mean patience (exponential).
                "erlang_a_abandoned": erlang_a(positions, offered / handle, handle, spec.patience.mean_s).p_abandon
                if positions and spec.patience.mean_s > 0 else 0.0,
                "rostered_agents": math.ceil(agents / (1.0 - support.shrinkage)) if support.shrinkage < 1 else agents,
            })
    return pd.DataFrame(rows)


def _evaluate(support: SupportSpec, table: pd.DataFrame, channel: str, per_shift: list[int], replications: int, days: int,
              seed: int) -> pd.DataFrame:
    """The channel's service level per shift and replication at ``per_shift`` agents."""
    rows = table[table["channel"] == channel]
    frames = [simulate_centre(support, rows, days=days, seed=seed, replication=r, agents={channel: per_shift}) for r in range(replications)]
    return service_by_shift(pd.concat(frames, ignore_index=True), support)


def _fewest(meets: Callable[[int], bool], start: int, cap: int) -> int:
    """The fewest agents n >= 1 with meets(n), searched from ``start`` (Erlang C's figure): up one
    at a time while it misses (at most ``cap``), else down in doubling steps until a miss, then by
    halving between the last miss and the last hit (the service level rises with the agents)."""
    n = max(1, start)
    if not meets(n):
        while n < cap and not meets(n + 1):
            n += 1
        return n + 1 if n < cap else cap
    hit, miss, step = n, 0, 1
    while hit - step >= 1:
        if meets(hit - step):
            hit -= step
            step *= 2
        else:
            miss = hit - step
            break
    while hit - miss > 1:
        middle = (hit + miss) // 2
        if meets(middle):
            hit = middle
        else:
            miss = middle
    return hit


def simulated_staffing(
    support: SupportSpec,
    table: pd.DataFrame,
    *,
    replications: int = 5,
    days: int = 1,
    seed: int = 1,
    confidence: float = 0.95,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """For each (channel, shift): the fewest agents whose simulated service level over the
    shift's contacts (mean of ``replications`` replications of ``days`` days) reaches the
    channel's target, searched from the Erlang C figure (the other shifts at theirs); the
    service level there with its interval, and the simulated service level at Erlang C's agents."""
    analytic = erlang_staffing(support, table)
    rows = []
    for channel, plan in analytic.groupby("channel", sort=False):
        spec = support.channel(channel)
        base = {row.shift: int(row.erlang_c_agents) for row in plan.itertuples()}
        names = [shift.name for shift in support.shifts]
        cache: dict[tuple[int, ...], pd.DataFrame] = {}

        def levels(per_shift: dict[str, int]) -> pd.DataFrame:
            key = tuple(per_shift.get(name, 0) for name in names)
            if key not in cache:
                if progress:
                    progress(f"simulating {channel} with {dict(zip(names, key))} agents")
                cache[key] = _evaluate(support, table, channel, list(key), replications, days, seed)
            return cache[key]

        def interval(frame: pd.DataFrame, shift: str):
            values = frame.loc[frame["shift"] == shift, "service_level"].dropna()
            return mean_interval(values, confidence) if len(values) > 1 else None

        at_erlang = levels(base)
        for shift in base:
            agents = base[shift]

            def meets(n: int) -> bool:
                found = interval(levels({**base, shift: n}), shift)
                return found is not None and found.mean >= spec.service_level

            agents = _fewest(meets, agents, cap=base[shift] * 4 + 10)
            found, erlang = interval(levels({**base, shift: agents}), shift), interval(at_erlang, shift)
            abandoned = at_erlang.loc[at_erlang["shift"] == shift, "abandoned_share"].mean()
            rows.append({"channel": channel, "shift": shift, "simulated_agents": agents,
                         "simulated_service_level": found.mean if found else float("nan"),
                         "simulated_half_width": found.half_width if found else float("nan"),
                         "service_level_at_erlang_c": erlang.mean if erlang else float("nan"),
                         "half_width_at_erlang_c": erlang.half_width if erlang else float("nan"),
                         "abandoned_at_erlang_c": float(abandoned)})
    return pd.DataFrame(rows)


def staffing_table(support: SupportSpec, table: pd.DataFrame, **simulation) -> pd.DataFrame:
    """Erlang C and the simulation side by side, one row per (channel, shift): the columns of
    ``erlang_staffing`` and ``simulated_staffing`` (its keyword arguments pass through)."""
    analytic = erlang_staffing(support, table)
    if analytic.empty:
        return analytic
    return analytic.merge(simulated_staffing(support, table, **simulation), on=["channel", "shift"], how="left")


def staffing_text(table: pd.DataFrame, support: SupportSpec) -> str:
    """A staffing table (``staffing_table``, or ``erlang_staffing`` alone) as plain text: per
    channel and shift, the busiest hour's contacts and offered load, Erlang C's agents and
    service level, the simulation's agents with their service level (mean ± half-width), and
    the agents to roster with shrinkage."""
    if table.empty:
        return "support centre: no contacts"
    hours = {shift.name: f"{shift.start_hour:02d}-{(shift.start_hour + shift.hours) % 24 or 24:02d}" for shift in support.shifts}
    rows = []
    for row in table.to_dict("records"):
        spec = support.channel(row["channel"])
        line = {
            "channel": row["channel"],
            "shift": f"{row['shift']} {hours[row['shift']]}",
            "contacts/day": round(row["contacts_per_day"]),
            "peak hour": f"{row['busiest_hour']:02d}:00",
            "contacts/h": round(row["peak_contacts_per_hour"], 1),
            "offered (erl)": round(row["offered_erlangs"], 2),
            "Erlang C agents": row["erlang_c_agents"],
            "Erlang C SL": f"{row['erlang_c_service_level']:.1%}",
        }
        if "simulated_agents" in row:
            line["simulated agents"] = row["simulated_agents"]
            line["simulated SL"] = f"{row['simulated_service_level']:.1%} ± {row['simulated_half_width']:.1%}"
        agents = line.get("simulated agents", row["erlang_c_agents"])
        line["rostered"] = math.ceil(agents / (1.0 - support.shrinkage)) if support.shrinkage < 1 else agents
        line["target"] = f"{spec.service_level:.0%}/{spec.target_s:g}s"
        rows.append(line)
    return text_table(rows)


def staffed(support: SupportSpec, table: pd.DataFrame, column: str = "simulated_agents") -> SupportSpec:
    """``support`` with each shift's agents replaced by a staffing table's ``column``
    (``simulated_agents`` or ``erlang_c_agents``); a channel or shift the table has no row for
    keeps its agents."""
    agents = {(row["channel"], row["shift"]): int(row[column]) for row in table.to_dict("records")}
    shifts = [dataclasses.replace(shift, **{f"{channel}_agents": agents[(channel, shift.name)]
                                            for channel in CONTACT_CHANNELS if (channel, shift.name) in agents})
              for shift in support.shifts]
    return dataclasses.replace(support, shifts=shifts)
