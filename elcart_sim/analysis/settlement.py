"""How the day settled: each bank's net position, the liquidity it needed, how long cleared
payments waited for settlement, what was left unsettled and how much value netting offset.

Pure functions of a run's `Results` frames (`clearing`, `positions`, `settlement` and the
`postings` of kind `settlement`), so they work on a saved run too; each returns an empty answer
when clearing was off, so a run without clearing keeps its summary and outputs unchanged.

Physical picture: every clearing record is an IOU between two banks, made when the switch relayed
the approval. Settled one by one on arrival (gross, in the National Bank's real-time system), a
bank needs as much liquidity as the deepest its running position sinks over the day — the
**upper bound**. Settled once, net, at the day's end it needs only its net debit over the whole
day — the **lower bound** (Bank of Finland simulator literature, Leinonen and Soramäki; the
pure versions are clearing/measures.liquidity_bounds). What it **needed** under the scenario's
cut-offs lies between: the deepest its settlement account at the National Bank fell below the
opening balance as the batches settled, one net position per batch. More cut-offs mean shorter
waits (a smaller delay indicator) and, usually, more liquidity.

`positions_by_bank`, one row per settlement participant (member banks and IPC, in code order):

| column | unit | meaning |
|---|---|---|
| `bank` | | member bank code, or IPC |
| `gross_debit_tyiyn`, `gross_credit_tyiyn` | tyiyn | what it owed and was owed over the day's batches, gross |
| `net_tyiyn` | tyiyn | its net position over the day (negative: a net debtor) |
| `liquidity_upper_tyiyn` | tyiyn | needed to settle every record gross on arrival |
| `liquidity_needed_tyiyn` | tyiyn | needed under the scenario's cut-offs: the deepest its account fell below opening |
| `liquidity_lower_tyiyn` | tyiyn | its net debit over the day (end-of-day net settlement) |
| `opening_liquidity_tyiyn` | tyiyn | its account's opening balance (clearing.opening_liquidity_kgs) |
| `closing_balance_tyiyn` | tyiyn | its account's balance after the day's settlements |

The summary's settlement figures (`settlement_summary`): `clearing_records`, `clearing_batches`,
`cleared_tyiyn` (gross value of the records), `settlement_delay_mean_s` and
`settlement_delay_max_s` (a record's clearing to its batch's settlement, over the records whose
batch settled), `delay_indicator` (ρ, value-weighted: 0 when every record settles at once, 1
when none settles before the close; clearing/measures.delay_indicator), `unsettled_tyiyn` (net
value of batches not settled, their latest outcome), `offset_share` (share of the gross value of
the fully settled batches that netting offset: 1 − net value moved ÷ gross value), and per bank
`net_position_tyiyn`, `liquidity_upper_tyiyn`, `liquidity_needed_tyiyn`, `liquidity_lower_tyiyn`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from elcart_sim.clearing.records import CREDIT_KINDS, DEBIT_KINDS

if TYPE_CHECKING:
    from elcart_sim.analysis.results import Results

__all__ = [
    "BANK_COLUMNS",
    "SETTLEMENT_METRIC_PREFIXES",
    "settlement_summary",
    "settlement_text",
    "positions_by_bank",
    "balances_over_the_day",
    "record_delays",
    "settlement_metrics",
]

BANK_COLUMNS = [
    "bank", "gross_debit_tyiyn", "gross_credit_tyiyn", "net_tyiyn", "liquidity_upper_tyiyn", "liquidity_needed_tyiyn",
    "liquidity_lower_tyiyn", "opening_liquidity_tyiyn", "closing_balance_tyiyn",
]  # fmt: skip
SETTLEMENT_METRIC_PREFIXES = ("liquidity_upper_", "liquidity_needed_", "liquidity_lower_", "unsettled_tyiyn", "delay_indicator")
"""Names of the replication metrics `settlement_metrics` adds (capacity/metrics.py)."""

_CORRESPONDENT = "/nbkr_correspondent/"


def _issuer_owes(clearing: pd.DataFrame) -> np.ndarray:
    """Per record: the issuing bank owes the acquiring bank (clearing/records.ClearingRecord.issuer_owes)."""
    kind, reverses = clearing["kind"].astype(str), clearing["reverses"].astype(str)
    return (kind.isin(DEBIT_KINDS) | ((kind == "reversal") & reverses.isin(CREDIT_KINDS))).to_numpy()


def _gross_flows(clearing: pd.DataFrame) -> pd.DataFrame:
    """Each record between two banks as two rows in clearing order (stable by ``cleared_at``): the
    debtor's −amount and the creditor's +amount. An on-us record (one bank on both sides) moves
    nothing between banks and is left out."""
    clearing = clearing[(clearing["acquirer_bank"].astype(str) != clearing["issuer_bank"].astype(str)).to_numpy()]
    clearing = clearing.sort_values("cleared_at", kind="stable")
    owes = _issuer_owes(clearing)
    acquirer, issuer = clearing["acquirer_bank"].astype(str).to_numpy(), clearing["issuer_bank"].astype(str).to_numpy()
    amount = clearing["amount_tyiyn"].to_numpy(dtype=np.int64)
    n = len(clearing)
    return pd.DataFrame(
        {
            "order": np.concatenate([np.arange(n), np.arange(n)]),
            "bank": np.concatenate([np.where(owes, issuer, acquirer), np.where(owes, acquirer, issuer)]),
            "flow_tyiyn": np.concatenate([-amount, amount]),
        }
    ).sort_values("order", kind="stable")


def _deepest(frame: pd.DataFrame, value: str) -> pd.Series:
    """Per bank, how far the running sum of ``value`` (in the frame's order) sank below zero."""
    running = frame.groupby("bank", sort=False)[value].cumsum()
    return (-running.groupby(frame["bank"]).min()).clip(lower=0)


def balances_over_the_day(results: Results) -> pd.DataFrame:
    """Each bank's settlement account at the National Bank through the day: one row per
    settlement posting (``at``, ``bank``, ``change_tyiyn``, ``balance_tyiyn``), after one opening
    row per bank at 0 s (``change_tyiyn`` 0). Empty when clearing was off."""
    columns = ["at", "bank", "change_tyiyn", "balance_tyiyn"]
    if not len(results.positions):
        return pd.DataFrame(columns=columns)
    spec = results.scenario.clearing
    banks = sorted(set(results.positions["bank"].astype(str)))
    postings = results.postings[results.postings["kind"].astype(str) == "settlement"]
    debit, credit = postings["debit_account"].astype(str), postings["credit_account"].astype(str)
    paid = debit.str.endswith(_CORRESPONDENT).to_numpy()  # the correspondent account debited: the bank was paid
    amount = postings["amount_tyiyn"].to_numpy(dtype=np.int64)
    moves = pd.DataFrame(
        {
            "at": postings["posted_at"].to_numpy(dtype=float),
            "bank": np.where(paid, debit.str.split("/").str[0], credit.str.split("/").str[0]),
            "change_tyiyn": np.where(paid, amount, -amount),
        }
    )
    opening = pd.DataFrame({"at": 0.0, "bank": banks, "change_tyiyn": [spec.opening_liquidity_tyiyn(b) for b in banks]})
    frame = pd.concat([opening, moves], ignore_index=True)
    frame["balance_tyiyn"] = frame.groupby("bank", sort=False)["change_tyiyn"].cumsum()
    frame.loc[: len(banks) - 1, "change_tyiyn"] = 0
    return frame[columns]


def record_delays(results: Results) -> pd.Series:
    """Per clearing record whose batch settled: seconds from its clearing to its batch's
    settlement (indexed like the clearing table)."""
    settled = results.settlement.dropna(subset=["settled_at"])
    settled_at = settled.groupby(settled["batch_id"].astype(str))["settled_at"].last()
    clearing = results.clearing
    at = clearing["batch_id"].astype(str).map(settled_at)
    return (at - clearing["cleared_at"]).dropna().astype(float)


def _close_at(results: Results) -> float:
    """The close for the delay indicator: the end of the demand or the last batch's submission."""
    submitted = results.settlement["submitted_at"].to_numpy(dtype=float)
    return max(float(results.scenario.demand.duration_s), float(submitted.max()) if len(submitted) else 0.0)


def _delay_indicator(results: Results) -> float:
    """ρ over the clearing records (clearing/measures.delay_indicator, vectorised): a record of an
    unsettled batch counts as settled at the close."""
    clearing = results.clearing
    cleared = clearing["cleared_at"].to_numpy(dtype=float)
    value = clearing["amount_tyiyn"].to_numpy(dtype=float)
    close = _close_at(results)
    delays = record_delays(results).reindex(clearing.index).to_numpy(dtype=float)
    settled_at = np.where(np.isnan(delays), close, cleared + np.nan_to_num(delays))
    possible = float((value * (np.maximum(close, settled_at) - cleared)).sum())
    return float((value * (settled_at - cleared)).sum()) / possible if possible > 0 else 0.0


def _offset_share(results: Results) -> float:
    """1 − net value moved ÷ gross value, over the batches settled in full (no bank excluded)."""
    settlement = results.settlement
    last = settlement.groupby(settlement["batch_id"].astype(str)).last()
    full = last.index[(last["status"].astype(str) == "settled") & (last["excluded_banks"].astype(str) == "")]
    positions = results.positions[results.positions["batch_id"].astype(str).isin(full)]
    gross = int(positions["gross_debit_tyiyn"].sum())
    moved = int(positions["net_tyiyn"].abs().sum()) // 2
    return 1.0 - moved / gross if gross else 0.0


def _unsettled_tyiyn(results: Results) -> int:
    settlement = results.settlement
    return int(settlement.groupby(settlement["batch_id"].astype(str))["unsettled_tyiyn"].last().sum())


def positions_by_bank(results: Results) -> pd.DataFrame:
    """One row per settlement participant (see the module docstring); empty when clearing was off."""
    positions = results.positions
    if not len(positions):
        return pd.DataFrame(columns=BANK_COLUMNS)
    day = positions.groupby(positions["bank"].astype(str))[["gross_debit_tyiyn", "gross_credit_tyiyn", "net_tyiyn"]].sum()
    flows = _gross_flows(results.clearing)
    upper = _deepest(flows, "flow_tyiyn")
    lower = (-flows.groupby("bank")["flow_tyiyn"].sum()).clip(lower=0)
    balances = balances_over_the_day(results)
    opening = balances.groupby("bank")["balance_tyiyn"].first()
    needed = (opening - balances.groupby("bank")["balance_tyiyn"].min()).clip(lower=0)
    closing = balances.groupby("bank")["balance_tyiyn"].last()
    banks = sorted(day.index)
    frame = pd.DataFrame(
        {
            "bank": banks,
            **{c: day.loc[banks, c].to_numpy(dtype=np.int64) for c in ("gross_debit_tyiyn", "gross_credit_tyiyn", "net_tyiyn")},
            "liquidity_upper_tyiyn": upper.reindex(banks, fill_value=0).to_numpy(dtype=np.int64),
            "liquidity_needed_tyiyn": needed.reindex(banks, fill_value=0).to_numpy(dtype=np.int64),
            "liquidity_lower_tyiyn": lower.reindex(banks, fill_value=0).to_numpy(dtype=np.int64),
            "opening_liquidity_tyiyn": opening.reindex(banks).to_numpy(dtype=np.int64),
            "closing_balance_tyiyn": closing.reindex(banks).to_numpy(dtype=np.int64),
        }
    )
    return frame[BANK_COLUMNS]


def settlement_summary(results: Results) -> dict[str, Any]:
    """The summary's settlement figures (module docstring); {} when clearing was off."""
    if not len(results.positions):
        return {}
    banks = positions_by_bank(results)
    delays = record_delays(results).to_numpy(dtype=float)

    def per_bank(column: str) -> dict[str, int]:
        return {bank: int(value) for bank, value in zip(banks["bank"], banks[column])}

    return {
        "clearing_records": len(results.clearing),
        "clearing_batches": int(results.settlement["batch_id"].nunique()),
        "cleared_tyiyn": int(results.clearing["amount_tyiyn"].sum()),
        "settlement_delay_mean_s": float(delays.mean()) if len(delays) else float("nan"),
        "settlement_delay_max_s": float(delays.max()) if len(delays) else float("nan"),
        "delay_indicator": _delay_indicator(results),
        "unsettled_tyiyn": _unsettled_tyiyn(results),
        "offset_share": _offset_share(results),
        "net_position_tyiyn": per_bank("net_tyiyn"),
        "liquidity_upper_tyiyn": per_bank("liquidity_upper_tyiyn"),
        "liquidity_needed_tyiyn": per_bank("liquidity_needed_tyiyn"),
        "liquidity_lower_tyiyn": per_bank("liquidity_lower_tyiyn"),
    }


def settlement_text(summary: dict[str, Any]) -> list[str]:
    """The summary's settlement block as the command line prints it (no lines when clearing was off)."""
    if "clearing_records" not in summary:
        return []
    s = summary
    return [
        f"  settlement          {s['clearing_records']:>10,} clearing records in {s['clearing_batches']} batches, "
        f"{s['cleared_tyiyn'] / 100:,.2f} KGS gross; offset by netting {s['offset_share']:.1%}",
        f"  settlement delay    mean {s['settlement_delay_mean_s'] / 3600:.2f} h   max {s['settlement_delay_max_s'] / 3600:.2f} h"
        f"   delay indicator {s['delay_indicator']:.3f};  unsettled at the end {s['unsettled_tyiyn'] / 100:,.2f} KGS",
    ]


def settlement_metrics(results: Results) -> dict[str, float]:
    """A replication's settlement metrics for sweeps (capacity/metrics.py): per bank
    `liquidity_upper_<bank>_tyiyn`, `liquidity_needed_<bank>_tyiyn`, `liquidity_lower_<bank>_tyiyn`,
    and `unsettled_tyiyn`, `delay_indicator`; {} when clearing was off."""
    if not len(results.positions):
        return {}
    banks = positions_by_bank(results)
    metrics: dict[str, float] = {}
    for measure in ("upper", "needed", "lower"):
        for bank, value in zip(banks["bank"], banks[f"liquidity_{measure}_tyiyn"]):
            metrics[f"liquidity_{measure}_{bank}_tyiyn"] = int(value)
    metrics["unsettled_tyiyn"] = _unsettled_tyiyn(results)
    metrics["delay_indicator"] = _delay_indicator(results)
    return metrics
