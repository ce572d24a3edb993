"""How busy each host was and how long its queue got, read from the hop records.

Every message a host served is a hop record with its arrival, start and end of service. A
server is busy from start to end; a message waits in the queue from arrival to start. So the
number of busy servers and of waiting messages at any instant, and their time integrals, follow
from the records alone: counting the intervals open at an instant, and summing their overlaps
with a window. This gives the `samples` table (per monitor interval: the instant's queue and
busy servers, their time averages over the interval) and the `components` table (per host over
the run: servers, messages served, utilisation, mean busy servers and queue, longest queue) —
exactly what a pool keeping running integrals would have measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from elcart_sim.core.registry import Registry

__all__ = ["hop_components", "by_component", "samples_table", "components_table"]


def hop_components(hops: pd.DataFrame, registry: Registry) -> np.ndarray:
    """The name of the component each hop record loaded (registry.component_of per row), or
    None for a record no component of the registry serves."""
    hop = pd.Categorical(hops["hop"])
    issuer = pd.Categorical(hops["issuer"]) if "issuer" in hops else pd.Categorical([""] * len(hops))
    names = np.array([None, *registry.names()], dtype=object)
    index = {name: i + 1 for i, name in enumerate(registry.names())}
    # One cell per (hop, issuer) pair the records hold: which component it is (0: none).
    table = np.zeros((len(hop.categories) + 1, len(issuer.categories) + 1), dtype=np.int64)
    for h, hop_name in enumerate(hop.categories):
        for b, bank in enumerate(issuer.categories):
            try:
                table[h, b] = index[registry.component_of(str(hop_name), str(bank))]
            except KeyError:
                pass
    return names[table[hop.codes, issuer.codes]]


class _Intervals:
    """Half-open intervals [start, end): how many are open at an instant, and their summed
    overlap with [0, t) — both for many instants at once."""

    def __init__(self, starts: np.ndarray, ends: np.ndarray):
        self.starts = np.sort(starts)
        self.ends = np.sort(ends)
        self._start_sums = np.concatenate([[0.0], np.cumsum(self.starts)])
        self._end_sums = np.concatenate([[0.0], np.cumsum(self.ends)])

    def open_at(self, t: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.starts, t, side="right") - np.searchsorted(self.ends, t, side="right")

    def area_until(self, t: np.ndarray) -> np.ndarray:
        """∫₀ᵗ (intervals open) — Σ over started intervals of (t − start), less (t − end) for ended ones."""
        started = np.searchsorted(self.starts, t, side="right")
        ended = np.searchsorted(self.ends, t, side="right")
        return started * t - self._start_sums[started] - (ended * t - self._end_sums[ended])

    def most_open(self) -> int:
        """The largest number open at once (an interval ending where another starts is not open
        with it)."""
        if not len(self.starts):
            return 0
        times = np.concatenate([self.starts, self.ends])
        steps = np.concatenate([np.ones(len(self.starts), dtype=np.int64), -np.ones(len(self.ends), dtype=np.int64)])
        order = np.lexsort((steps, times))  # at equal times the ends (-1) come first
        return int(np.cumsum(steps[order]).max())


def by_component(hops: pd.DataFrame, registry: Registry) -> dict[str, tuple[_Intervals, _Intervals]]:
    """Per component: (busy intervals, waiting intervals); pass it to both tables to read the
    records once."""
    components = hop_components(hops, registry)
    arrived = hops["arrived_at"].to_numpy(dtype=float)
    started = hops["started_at"].to_numpy(dtype=float)
    finished = hops["finished_at"].to_numpy(dtype=float)
    out = {}
    for component in registry:
        rows = components == component.name
        out[component.name] = (_Intervals(started[rows], finished[rows]), _Intervals(arrived[rows], started[rows]))
    return out


def samples_table(hops: pd.DataFrame, registry: Registry, duration_s: float, interval_s: float, *, occupancy=None) -> pd.DataFrame:
    """Per component and monitor interval (ending at `at`; the last one may be shorter): the
    queue and busy servers at `at`, and their time averages over the interval."""
    ends = np.arange(interval_s, duration_s, interval_s)
    ends = np.append(ends, duration_s) if not len(ends) or ends[-1] < duration_s else ends
    lengths = np.diff(np.concatenate([[0.0], ends]))
    frames = []
    for name, (busy, waiting) in (occupancy or by_component(hops, registry)).items():
        busy_area, queue_area = busy.area_until(ends), waiting.area_until(ends)
        frames.append(
            pd.DataFrame(
                {
                    "at": ends,
                    "component": name,
                    "queue_length": waiting.open_at(ends).astype(np.int32),
                    "busy": busy.open_at(ends).astype(np.int32),
                    "mean_queue": np.diff(np.concatenate([[0.0], queue_area])) / lengths,
                    "mean_busy": np.diff(np.concatenate([[0.0], busy_area])) / lengths,
                }
            )
        )
    samples = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["at", "component", "queue_length", "busy", "mean_queue", "mean_busy"])
    samples = samples.sort_values("at", kind="stable", ignore_index=True)  # instant by instant, components in registry order
    samples["component"] = pd.Categorical(samples["component"], categories=registry.names())
    return samples


def components_table(hops: pd.DataFrame, registry: Registry, duration_s: float, *, occupancy=None) -> pd.DataFrame:
    """Per component over the whole run (the drain included, divided by the day's duration, as
    utilisation is quoted): servers, messages served, utilisation, mean busy servers and queue,
    and the longest queue."""
    rows = []
    for name, (busy, waiting) in (occupancy or by_component(hops, registry)).items():
        servers = registry[name].servers
        busy_s = float((busy.ends - busy.starts).sum()) if len(busy.starts) else 0.0  # sorted separately: the sums still match
        waiting_s = float(waiting.ends.sum() - waiting.starts.sum()) if len(waiting.starts) else 0.0
        rows.append(
            {
                "component": name,
                "servers": servers,
                "served": len(busy.starts),
                "utilisation": busy_s / (servers * duration_s) if duration_s > 0 else 0.0,
                "mean_busy": busy_s / duration_s if duration_s > 0 else 0.0,
                "mean_queue": waiting_s / duration_s if duration_s > 0 else 0.0,
                "max_queue": waiting.most_open(),
            }
        )
    return pd.DataFrame(rows, columns=["component", "servers", "served", "utilisation", "mean_busy", "mean_queue", "max_queue"])
