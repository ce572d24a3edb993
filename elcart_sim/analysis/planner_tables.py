"""The first tables a capacity planner looks at after a run: the day hour by hour, and each host's
busiest minute and slowest answers.

Both are pure functions of a run's `Results` frames (`transactions`, `hops`, `components`), so
they work on any run, a saved one included. `elcart-sim run` prints them after the summary and
writes them as `hourly` and `hosts` tables.

`hourly_table`, one row per local hour of the demand window, by tap instant (`tapped_at`):

| column | unit | meaning |
|---|---|---|
| `hour` | | local hour, 0 = 00:00–01:00 |
| `taps` | | taps in the hour |
| `approvals` | | of which approved |
| `latency_p50_s`, `latency_p99_s` | seconds | tap-to-result percentiles of those taps (NaN when none) |
| `peak_tps` | taps/s | taps in the hour's busiest minute ÷ 60 (the summary's peak TPS, per hour) |

`hosts_table`, one row per host — `acquirer`, `switch`, then `issuer:<bank>` for every issuer
(the `components` table's names and order) — over every message the host handled (authorisations
0100 and reversals 0400):

| column | unit | meaning |
|---|---|---|
| `host` | | host name, as in the `components` table |
| `messages` | | messages that arrived at the host |
| `peak_arrivals_per_s` | messages/s | arrivals in the host's busiest minute ÷ 60 |
| `busiest_minute_at` | seconds | start of that minute, since local midnight (NaN when no message) |
| `residence_p99_s` | seconds | 99th percentile of `residence_s` (arrival → answer sent upstream) |

An issuer host's bank is the hop's `issuer` column when the hops table has one, otherwise the
`issuer` of the transaction with the same `trace_id`. Percentiles interpolate linearly
(`numpy.percentile`), as the summary's do.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from elcart_sim.analysis.results import Results

__all__ = ["HOURLY_COLUMNS", "HOST_COLUMNS", "hourly_table", "hosts_table", "hop_hosts"]

HOURLY_COLUMNS = ["hour", "taps", "approvals", "latency_p50_s", "latency_p99_s", "peak_tps"]
HOST_COLUMNS = ["host", "messages", "peak_arrivals_per_s", "busiest_minute_at", "residence_p99_s"]


def _busiest_minute(instants: np.ndarray) -> tuple[int, float]:
    """(count, start in seconds) of the minute holding the most `instants`; (0, NaN) if none."""
    if not len(instants):
        return 0, math.nan
    minutes = np.floor(instants / 60.0).astype(np.int64)
    values, counts = np.unique(minutes, return_counts=True)
    best = int(np.argmax(counts))  # the earliest of equally busy minutes
    return int(counts[best]), float(values[best] * 60)


def _percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else math.nan


def hourly_table(results: Results) -> pd.DataFrame:
    """Taps, approvals, tap-to-result p50 and p99 and peak TPS in each local hour of the day."""
    tx = results.transactions
    tapped = tx["tapped_at"].to_numpy(dtype=float)
    latency = tx["tap_to_result_s"].to_numpy(dtype=float)
    approved = (tx["outcome"] == "approved").to_numpy()
    hour_of = np.floor(tapped / 3600.0).astype(np.int64)
    hours = math.ceil(results.scenario.demand.duration_s / 3600.0)
    if len(hour_of):
        hours = max(hours, int(hour_of.max()) + 1)
    rows = []
    for hour in range(hours):
        inside = hour_of == hour
        busiest, _ = _busiest_minute(tapped[inside])
        rows.append(
            {
                "hour": hour,
                "taps": int(inside.sum()),
                "approvals": int(approved[inside].sum()),
                "latency_p50_s": _percentile(latency[inside], 50),
                "latency_p99_s": _percentile(latency[inside], 99),
                "peak_tps": busiest / 60.0,
            }
        )
    return pd.DataFrame(rows, columns=HOURLY_COLUMNS)


def hop_hosts(results: Results) -> pd.Series:
    """The host that handled each hop record: `acquirer`, `switch`, `issuer:<bank>`, `hsm`
    (IPC's) or `hsm:<bank>`."""
    hops = results.hops
    hop = hops["hop"].astype(str).to_numpy()
    if "issuer" in hops.columns:
        bank = hops["issuer"].astype(str).to_numpy()
    else:
        issuer_of = pd.Series(results.transactions["issuer"].astype(str).to_numpy(),
                              index=results.transactions["trace_id"].to_numpy())  # fmt: skip
        bank = hops["trace_id"].map(issuer_of).astype(str).to_numpy()
    per_bank = (hop == "issuer") | ((hop == "hsm") & (bank.astype(str) != ""))  # a bank's issuing host or HSM
    hosts = np.where(per_bank, np.char.add(np.char.add(hop.astype(str), ":"), bank.astype(str)), hop)
    return pd.Series(hosts, index=hops.index, name="host")


def hosts_table(results: Results) -> pd.DataFrame:
    """Per host: messages, peak arrival rate (busiest minute) and p99 residence time."""
    hosts = hop_hosts(results).to_numpy()
    arrived = results.hops["arrived_at"].to_numpy(dtype=float)
    residence = results.hops["residence_s"].to_numpy(dtype=float)
    names = list(results.components["component"]) if len(results.components) else []
    names += sorted(set(hosts.tolist()) - set(names))  # a host the components table does not name
    rows = []
    for name in names:
        mine = hosts == name
        busiest, minute_at = _busiest_minute(arrived[mine])
        rows.append(
            {
                "host": name,
                "messages": int(mine.sum()),
                "peak_arrivals_per_s": busiest / 60.0,
                "busiest_minute_at": minute_at,
                "residence_p99_s": _percentile(residence[mine], 99),
            }
        )
    return pd.DataFrame(rows, columns=HOST_COLUMNS)
