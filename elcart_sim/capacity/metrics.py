"""The metrics of one replication, after the warm-up is cut off.

A run starts empty: no request is queued at midnight (or at the start of a peak window), so the
first minutes under load are not typical. Warm-up removal drops them:

- transaction metrics use the taps tapped at or after `warmup_s` (latency percentiles, approval
  rate, outcomes, and the timeouts and reversals of those taps' messages);
- host metrics use the observation window from the first monitor boundary at or after
  `warmup_s` to the end of the demand (`demand.duration_s`): utilisation and queue lengths are
  time averages of the `samples` table over the window's intervals; arrival rates, waits and
  sojourn times come from the `hops` table, for the messages that arrived in the window.

Every value is a plain float or int, so a replication's metrics travel cheaply between processes.
Metric names (one flat dict per replication; `docs`: the table below):

| metric | meaning |
|---|---|
| `transactions`, `approved`, `declined`, `reversed`, `terminated` | taps after warm-up, by outcome |
| `approval_rate` | approved / transactions |
| `throughput_tps` | taps per second after warm-up |
| `latency_mean_s`, `latency_p50_s`, `latency_p95_s`, `latency_p99_s` | tap-to-result latency |
| `timeouts` | hop records of those taps with `timed_out` = 1 (a host gave up on the next hop) |
| `reversals` | those taps for which any reversal (0400, or an ATM's 0420) was sent |
| `<service>_latency_p99_s` | on a day with the app's services: request-to-result p99 of each service's requests made after warm-up (`p2p`, `bill`, `topup`, `account`) |
| `<component>_<measure>` | per host, for each of COMPONENT_MEASURES; component is a registry name: `acquirer`, `switch`, `issuer:<bank>`, `directory`, `biller_gateway:<gateway>`, … |
| `issuers_max_<measure>`, `issuers_mean_utilisation` | the busiest issuer bank per measure; mean over banks |
| `liquidity_upper_<bank>_tyiyn`, `liquidity_needed_<bank>_tyiyn`, `liquidity_lower_<bank>_tyiyn` | with `clearing.enabled`: the liquidity each bank needed over the whole day, gross on arrival, under the cut-offs, net at the day's end (analysis/settlement.py) |
| `unsettled_tyiyn`, `delay_indicator` | with `clearing.enabled`: net value left unsettled at the end; value-weighted settlement delay ρ |

Per host (`component_metrics`): `utilisation` busy servers / servers; `mean_queue` requests
waiting; `mean_in_system` requests waiting or in service (L in Little's law); `arrival_rate_per_s`
messages (0100 and 0400) arriving per second (λ); `mean_sojourn_s` their mean wait + service (W);
`mean_wait_s` and `p99_wait_s` the queueing delay of requests: every message but the reversals
(0400, 0420) — at the tap's hosts the authorisation requests (0100) and the ATMs' cash
withdrawals (0200).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from elcart_sim.acceptance.terminal import OUTCOMES
from elcart_sim.analysis.occupancy import hop_components
from elcart_sim.analysis.results import Results
from elcart_sim.analysis.settlement import SETTLEMENT_METRIC_PREFIXES, settlement_metrics
from elcart_sim.core.errors import CapacityError

__all__ = [
    "COMPONENT_MEASURES",
    "TRANSACTION_METRICS",
    "observation_window",
    "component_metrics",
    "replication_metrics",
    "per_component",
    "service_p99_column",
    "worst_p99",
]

COMPONENT_MEASURES = (
    "utilisation",
    "mean_queue",
    "mean_in_system",
    "arrival_rate_per_s",
    "mean_sojourn_s",
    "mean_wait_s",
    "p99_wait_s",
)
TRANSACTION_METRICS = (
    "transactions",
    "approved",
    "declined",
    "reversed",
    "terminated",
    "approval_rate",
    "throughput_tps",
    "latency_mean_s",
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "timeouts",
    "reversals",
)
_EPS = 1e-9
_REVERSALS = ("0400", "0420")


def service_p99_column(service: str) -> str:
    """The metric holding a service's p99: `latency_p99_s` for the tap, `<service>_latency_p99_s`
    for each of the app's services."""
    return "latency_p99_s" if service == "tap" else f"{service}_latency_p99_s"


def _interval_starts(at: np.ndarray) -> dict[float, float]:
    """Monitor instants (ends of intervals) -> the start of each one's interval."""
    ends = np.unique(at)
    starts = np.concatenate([[0.0], ends[:-1]])
    return dict(zip(ends.tolist(), starts.tolist()))


def worst_p99(frame: pd.DataFrame) -> pd.Series | None:
    """Per row of a replications frame of a day with the app's services, the largest of the
    tap's and each service's p99 (None when the frame has the tap's alone)."""
    services = [c for c in frame.columns if str(c).endswith("_latency_p99_s") and c != "worst_latency_p99_s"]
    if not services:
        return None
    return frame[["latency_p99_s", *services]].max(axis=1)


def observation_window(results: Results, warmup_s: float = 0.0) -> tuple[float, float]:
    """(start, end) of the host observation window: the first monitor boundary at or after
    `warmup_s`, and the end of the demand."""
    end = float(results.scenario.demand.duration_s)
    if warmup_s < 0:
        raise CapacityError(f"warm-up must be >= 0 s, got {warmup_s}")
    if warmup_s >= end:
        raise CapacityError(f"warm-up of {warmup_s:g} s leaves nothing of a {end:g} s run to observe")
    at = results.samples["at"].to_numpy(dtype=float)
    starts = sorted(s for s in _interval_starts(at).values() if s >= warmup_s - _EPS) if len(at) else []
    if not starts:
        raise CapacityError(f"warm-up of {warmup_s:g} s leaves no whole monitor interval of a {end:g} s run")
    return starts[0], end


def _hop_components(results: Results) -> pd.DataFrame:
    """The hops table with a `component` column naming the host pool each message loaded."""
    return results.hops.assign(component=hop_components(results.hops, results.registry))


def component_metrics(results: Results, warmup_s: float = 0.0) -> pd.DataFrame:
    """One row per host (acquirer, switch, issuer:<bank>) with `servers` and COMPONENT_MEASURES
    over the observation window (see the module docstring)."""
    start, end = observation_window(results, warmup_s)
    length = end - start
    samples = results.samples
    at = samples["at"].to_numpy(dtype=float)
    starts_of = _interval_starts(at)
    interval_start = np.array([starts_of[a] for a in at.tolist()])
    in_window = interval_start >= start - _EPS
    weights = (at - interval_start)[in_window]
    window_samples = pd.DataFrame(
        {
            "component": samples["component"].astype(str).to_numpy()[in_window],
            "busy_area": samples["mean_busy"].to_numpy(dtype=float)[in_window] * weights,
            "queue_area": samples["mean_queue"].to_numpy(dtype=float)[in_window] * weights,
        }
    )
    areas = window_samples.groupby("component", sort=False)[["busy_area", "queue_area"]].sum()

    hops = _hop_components(results)
    arrived = hops["arrived_at"].to_numpy(dtype=float)
    hops = hops[(arrived >= start) & (arrived < end)]
    sojourn = hops["wait_s"].to_numpy(dtype=float) + hops["service_s"].to_numpy(dtype=float)
    hops = hops.assign(sojourn_s=sojourn)
    by_component = hops.groupby("component", sort=False)
    arrivals = by_component.size()
    mean_sojourn = by_component["sojourn_s"].mean()
    authorisations = hops[~hops["mti"].astype(str).isin(_REVERSALS)].groupby("component", sort=False)["wait_s"]
    mean_wait = authorisations.mean()
    p99_wait = authorisations.quantile(0.99)

    rows = []
    for component, servers in zip(results.components["component"], results.components["servers"]):
        busy, queue = areas.loc[component] if component in areas.index else (0.0, 0.0)
        rows.append(
            {
                "component": component,
                "servers": int(servers),
                "utilisation": float(busy / (servers * length)),
                "mean_queue": float(queue / length),
                "mean_in_system": float((busy + queue) / length),
                "arrival_rate_per_s": float(arrivals.get(component, 0) / length),
                "mean_sojourn_s": float(mean_sojourn.get(component, math.nan)),
                "mean_wait_s": float(mean_wait.get(component, math.nan)),
                "p99_wait_s": float(p99_wait.get(component, math.nan)),
            }
        )
    return pd.DataFrame(rows)


def replication_metrics(results: Results, warmup_s: float = 0.0) -> dict[str, float]:
    """The flat metrics of one run after warm-up (see the module docstring for the names)."""
    tx = results.transactions
    kept = tx[tx["tapped_at"].to_numpy(dtype=float) >= warmup_s]
    n = len(kept)
    duration = float(results.scenario.demand.duration_s)
    counts = kept["outcome"].astype(str).value_counts()
    latency = kept["tap_to_result_s"].to_numpy(dtype=float)
    p50, p95, p99 = np.percentile(latency, [50, 95, 99]).tolist() if n else (math.nan,) * 3
    hops = results.hops
    kept_hops = hops[hops["trace_id"].isin(kept["trace_id"])]
    metrics: dict[str, float] = {
        "transactions": n,
        **{o: int(counts.get(o, 0)) for o in OUTCOMES},
        "approval_rate": float(counts.get("approved", 0) / n) if n else math.nan,
        "throughput_tps": n / (duration - warmup_s) if duration > warmup_s else math.nan,
        "latency_mean_s": float(latency.mean()) if n else math.nan,
        "latency_p50_s": float(p50),
        "latency_p95_s": float(p95),
        "latency_p99_s": float(p99),
        "timeouts": int(kept_hops["timed_out"].sum()),
        "reversals": int(kept_hops.loc[kept_hops["mti"].astype(str).isin(("0400", "0420")), "trace_id"].nunique()),
    }
    app = results.transfers
    if len(app):
        app = app[app["requested_at"].to_numpy(dtype=float) >= warmup_s]
        for service, requests in app.groupby(app["service"].astype(str), sort=True):
            metrics[service_p99_column(str(service))] = float(np.percentile(requests["request_to_result_s"].to_numpy(dtype=float), 99))
    components = component_metrics(results, warmup_s)
    for row in components.itertuples(index=False):
        for measure in COMPONENT_MEASURES:
            metrics[f"{row.component}_{measure}"] = getattr(row, measure)
    per_bank = [component.name for component in results.registry if component.bank]
    issuers = components[components["component"].isin(per_bank)]
    for measure in COMPONENT_MEASURES:
        values = issuers[measure].to_numpy(dtype=float)
        metrics[f"issuers_max_{measure}"] = float(np.nanmax(values)) if np.isfinite(values).any() else math.nan
    metrics["issuers_mean_utilisation"] = float(issuers["utilisation"].mean())
    metrics.update(settlement_metrics(results))  # the whole day's, when clearing ran
    return metrics


def per_component(frame: pd.DataFrame, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Reshape the per-host columns of a replications or sweep frame into one row per key,
    replication and host, with one column per measure (`component`, `utilisation`, …).

    `keys` are the columns that identify a row (default: every column that is not a metric,
    i.e. the swept paths and `replication`)."""
    parsed: dict[str, tuple[str, str]] = {}
    for column in frame.columns:
        for measure in COMPONENT_MEASURES:
            suffix = f"_{measure}"
            if isinstance(column, str) and column.endswith(suffix) and not column.startswith("issuers_"):
                parsed[column] = (column[: -len(suffix)], measure)
                break
    if keys is None:
        known = set(TRANSACTION_METRICS) | set(parsed) | {
            c for c in frame.columns if str(c).startswith(("issuers_", *SETTLEMENT_METRIC_PREFIXES)) or str(c).endswith("_latency_p99_s")
        }
        keys = [c for c in frame.columns if c not in known]
    long = frame[list(keys) + list(parsed)].melt(id_vars=list(keys), var_name="column", value_name="value")
    long["component"] = long["column"].map(lambda c: parsed[c][0])
    long["measure"] = long["column"].map(lambda c: parsed[c][1])
    wide = long.pivot_table(index=[*keys, "component"], columns="measure", values="value", sort=False, dropna=False)
    wide = wide.reset_index()
    wide.columns.name = None
    return wide[[*keys, "component", *[m for m in COMPONENT_MEASURES if m in wide.columns]]]
