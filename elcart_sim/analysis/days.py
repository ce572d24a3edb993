"""The days of a multi-day run, one row each: what kind of day it was, what was paid, and the ledger at its close.

A transaction belongs to the day its customer started it on (a tap's `tapped_at`, a transfer's
`requested_at`: day d runs from d × 86,400 s, its local midnight); what was still in flight at
midnight finishes in the night and is counted on the day it started. The ledger columns are
taken when the day closes (model/day.py: at the next day's midnight, and for the last day after
the drain): the journal's entries so far, whether every balance matches a replay of the journal
(`balanced`, or what did not match), and the cardholders' balances in total (what they hold,
tyiyn), which the next day opens with.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from elcart_sim.scenario import WEEKDAYS

if TYPE_CHECKING:
    from elcart_sim.analysis.results import Results

__all__ = ["days_table", "DAY_COLUMNS", "SERVICE_COLUMNS"]

DAY_S = 86_400.0

SERVICE_COLUMNS = ("taps", "p2p", "topup", "bill", "account", "qr_payment")
"""Transactions a day by service: taps at terminals, then the app's services (transfers.service)."""

DAY_COLUMNS = (
    "date", "weekday", "holiday", "day_kind", *SERVICE_COLUMNS, "transactions", "approved_share", "volume_kgs",
    "entries", "ledger_check", "cardholder_balances_tyiyn",
)  # fmt: skip
"""The days table's columns: approved_share = (approved taps + completed transfers) ÷ all of
them; volume_kgs = their amounts in som; the ledger's at the day's close (module docstring)."""


def _day_of(instants: np.ndarray, n_days: int) -> np.ndarray:
    return np.clip((instants // DAY_S).astype(np.int64), 0, n_days - 1)


def days_table(results: Results, dates: Sequence[datetime.date], closes: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per date of the run (DAY_COLUMNS), from its transactions and transfers and the
    ledger's closes (one per day, model/day.close_day)."""
    n = len(dates)
    scenario = results.scenario
    tx, transfers = results.transactions, results.transfers
    tap_day = _day_of(tx["tapped_at"].to_numpy(dtype=float), n)
    approved = (tx["outcome"] == "approved").to_numpy()
    amounts = tx["amount_tyiyn"].to_numpy(dtype=np.int64)
    counts = {"taps": np.bincount(tap_day, minlength=n)}
    good = np.bincount(tap_day[approved], minlength=n)
    value = np.bincount(tap_day[approved], weights=amounts[approved], minlength=n)
    transfer_day = _day_of(transfers["requested_at"].to_numpy(dtype=float), n)
    service = transfers["service"].astype(str).to_numpy()
    completed = (transfers["outcome"] == "completed").to_numpy()
    for name in SERVICE_COLUMNS[1:]:
        counts[name] = np.bincount(transfer_day[service == name], minlength=n)
    good = good + np.bincount(transfer_day[completed], minlength=n)
    value = value + np.bincount(transfer_day[completed], weights=transfers["amount_tyiyn"].to_numpy(dtype=np.int64)[completed], minlength=n)
    total = sum(counts.values())
    rows = []
    for d, date in enumerate(dates):
        close = closes[d] if d < len(closes) else {}
        rows.append(
            {
                "date": date.isoformat(),
                "weekday": WEEKDAYS[date.weekday()],
                "holiday": scenario.calendar.holiday_name(date),
                "day_kind": scenario.day_kind(date),
                **{name: int(counts[name][d]) for name in SERVICE_COLUMNS},
                "transactions": int(total[d]),
                "approved_share": float(good[d] / total[d]) if total[d] else float("nan"),
                "volume_kgs": float(value[d]) / 100.0,
                "entries": int(close.get("entries", -1)),
                "ledger_check": close.get("ledger_check", ""),
                "cardholder_balances_tyiyn": int(close.get("cardholder_balances_tyiyn", 0)),
            }
        )
    return pd.DataFrame(rows, columns=list(DAY_COLUMNS))
