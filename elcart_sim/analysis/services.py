"""The day by service: taps and each of the app's money services side by side, and the load
they put on each host.

Pure functions of a run's `Results` frames (`transactions` for the taps, `transfers` for the
app's services, `hops`), so they work on any run, a saved one included. `elcart-sim run` prints
`services_table` and writes it as the `services` table when the day had transfers.

`services_table`, one row per service and channel (`tap`/`contactless` first, then the app's
services in the order of scenario.SERVICES):

| column | unit | meaning |
|---|---|---|
| `service`, `channel` | | `tap`/`contactless`, `p2p`/`card`, `p2p`/`phone`, `p2p`/`qr`, `bill`/`reference`, `topup`/`phone`, `account`/`account`, `qr_payment`/`qr` |
| `requests` | | taps, or transfers asked for |
| `completed` | | approved taps, completed transfers |
| `declined` | | declined (nothing moved); for taps also those whose card dialogue failed |
| `reversed` | | reversed (the money back) |
| `completion_rate` | | completed ÷ requests |
| `p50_s`, `p99_s` | seconds | tap-to-result, or request-to-result, percentiles |
| `value_tyiyn` | tyiyn | money moved by the completed ones |
| `fees_tyiyn` | tyiyn | fees charged |

`requests_by_hour`: requests and completed ones in each local hour per service (a card channel, or
an app service and its channel): the load by service and hour of the report and of
`plots.volume_by_service`.

`load_by_service`: messages per host (the `components` names) and service — how much of each
host's load each service brings (hops joined to their service by `trace_id`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from elcart_sim.analysis.planner_tables import hop_hosts
from elcart_sim.analysis.results import Results
from elcart_sim.scenario.choices import SERVICES

__all__ = ["SERVICE_COLUMNS", "HOURLY_SERVICE_COLUMNS", "services_table", "requests_by_hour", "load_by_service", "service_of_trace"]

SERVICE_COLUMNS = [
    "service", "channel", "requests", "completed", "declined", "reversed", "completion_rate", "p50_s", "p99_s", "value_tyiyn", "fees_tyiyn"
]  # fmt: skip


def _row(service: str, channel: str, outcome: pd.Series, latency: np.ndarray, amount: pd.Series, fees: int, done: str) -> dict:
    n = len(outcome)
    completed = outcome == done
    return {
        "service": service,
        "channel": channel,
        "requests": n,
        "completed": int(completed.sum()),
        "declined": int(outcome.isin(("declined", "terminated")).sum()),
        "reversed": int((outcome == "reversed").sum()),
        "completion_rate": float(completed.sum() / n) if n else float("nan"),
        "p50_s": float(np.percentile(latency, 50)) if n else float("nan"),
        "p99_s": float(np.percentile(latency, 99)) if n else float("nan"),
        "value_tyiyn": int(amount[completed.to_numpy()].sum()),
        "fees_tyiyn": fees,
    }


def services_table(results: Results) -> pd.DataFrame:
    """Per service and channel: requests, outcomes, latency percentiles, value moved."""
    tx = results.transactions
    rows = [_row("tap", "contactless", tx["outcome"].astype(str), tx["tap_to_result_s"].to_numpy(dtype=float), tx["amount_tyiyn"], 0, "approved")]
    transfers = results.transfers
    if len(transfers):
        keys = transfers[["service", "channel"]].astype(str)
        order = {service: rank for rank, service in enumerate(SERVICES)}
        groups = sorted(transfers.groupby([keys.service, keys.channel]), key=lambda item: (order.get(item[0][0], len(order)), item[0]))
        for (service, channel), group in groups:
            rows.append(
                _row(service, channel, group["outcome"].astype(str), group["request_to_result_s"].to_numpy(dtype=float),
                     group["amount_tyiyn"], int(group["fee_tyiyn"].sum()), "completed")
            )  # fmt: skip
    return pd.DataFrame(rows, columns=SERVICE_COLUMNS)


HOURLY_SERVICE_COLUMNS = ["hour", "service", "requests", "completed"]


def _card_labels(tx: pd.DataFrame) -> np.ndarray:
    """A card-side transaction's service label: `tap` for the phone's tap, else its card channel
    (`card_contactless`, `card_chip`, `atm`) when the records carry one."""
    if "channel" not in tx.columns:
        return np.full(len(tx), "tap", dtype=object)
    channel = tx["channel"].astype(str).to_numpy()
    return np.where(channel == "contactless", "tap", channel).astype(object)


def requests_by_hour(results: Results) -> pd.DataFrame:
    """Requests and completed ones (approved taps and card transactions, completed transfers) in
    each local hour (by request instant) per service: 24 rows a service, `HOURLY_SERVICE_COLUMNS`;
    services in order: the card side first, then the app's services and channels
    (`p2p phone`, `bill reference`, ...) in the order of scenario.SERVICES."""
    tx = results.transactions
    labels = [(_card_labels(tx), tx["tapped_at"].to_numpy(dtype=float), (tx["outcome"].astype(str) == "approved").to_numpy())]
    transfers = results.transfers
    if len(transfers):
        label = (transfers["service"].astype(str) + " " + transfers["channel"].astype(str)).to_numpy(dtype=object)
        labels.append((label, transfers["requested_at"].to_numpy(dtype=float), (transfers["outcome"].astype(str) == "completed").to_numpy()))
    order = {service: rank for rank, service in enumerate(SERVICES)}
    rows = []
    for label, instants, completed in labels:
        hour = (instants // 3600).astype(int) % 24
        names = sorted(set(label.tolist()), key=lambda name: (order.get(name.split(" ")[0], -1), name))
        for name in names:
            mine = label == name
            requests = np.bincount(hour[mine], minlength=24)[:24]
            done = np.bincount(hour[mine & completed], minlength=24)[:24]
            rows += [{"hour": h, "service": name, "requests": int(requests[h]), "completed": int(done[h])} for h in range(24)]
    return pd.DataFrame(rows, columns=HOURLY_SERVICE_COLUMNS)


def service_of_trace(results: Results) -> pd.Series:
    """Each trace id's service: `tap` for a tap, the transfer's service otherwise."""
    taps = pd.Series("tap", index=results.transactions["trace_id"].to_numpy())
    transfers = pd.Series(results.transfers["service"].astype(str).to_numpy(), index=results.transfers["trace_id"].to_numpy())
    return pd.concat([taps, transfers])


def load_by_service(results: Results) -> pd.DataFrame:
    """Messages per host (rows, in the components' order) and service (columns)."""
    hops = results.hops
    frame = pd.DataFrame({"host": hop_hosts(results).to_numpy(), "service": hops["trace_id"].map(service_of_trace(results)).fillna("other").to_numpy()})
    table = frame.groupby(["host", "service"]).size().unstack(fill_value=0)
    order = [name for name in results.components["component"] if name in table.index]
    return table.reindex(order + sorted(set(table.index) - set(order)))
