"""A fault drill scored in business terms, against the same day without faults.

Physical picture: the operators' morning-after report of a bad hour. The drill's day and the
day without faults are the same day — the same seed, so the same customers pay the same amounts
at the same instants (common random numbers; faults draw from streams of their own) — so every
payment can be compared with itself, trace id by trace id:

- ``sales_lost`` and ``sales_lost_kgs``: payments approved (a transfer: completed) on the day
  without faults and not under the faults; their amounts as the day without faults had them;
- ``sales_gained``: the other way round (a stand-in approval the issuer would have declined);
- ``reversals``: payments that ended reversed under the faults, and ``extra_reversals`` over
  the day without faults;
- ``customers_affected``: distinct cards whose payment ended differently: the deposit a run
  debited (a payment never debited in either run: its masked card or token at a terminal);
- ``stand_in_approvals`` and ``stand_in_exposure_kgs``: approvals the switch gave in stand-in
  and the money at risk in them (the ``stand_in`` table, when the run has one);
- ``time_to_recover_s``: from the end of the last fault to the start of the last payment that
  ended differently (0 when none did after it; NaN without faults).

Pure: pandas in, numbers out (the tables of analysis/results.Results; field meanings in
docs/records.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["OUTCOME_COLUMNS", "SCORE_COLUMNS", "outcomes", "score", "stand_in_table"]

OUTCOME_COLUMNS = ("trace_id", "started_at", "outcome", "approved", "amount_tyiyn", "customer")
SCORE_COLUMNS = (
    "payments",
    "sales_lost",
    "sales_lost_kgs",
    "sales_gained",
    "reversals",
    "extra_reversals",
    "customers_affected",
    "stand_in_approvals",
    "stand_in_exposure_kgs",
    "time_to_recover_s",
)
_DEBIT_KINDS = ("purchase", "cash_withdrawal", "transfer_debit", "bill_payment", "qr_payment")


def outcomes(results: Any) -> pd.DataFrame:
    """One row per payment of a run (a terminal's transaction or one of the app's transfers):
    its trace id, start, outcome, whether it was approved (completed), amount and customer.
    Small enough to travel to a worker beside a drill's task."""
    taps = results.transactions
    transfers = results.transfers
    payers = _payers(results.postings)
    frames = [
        pd.DataFrame({
            "trace_id": taps["trace_id"].to_numpy(dtype=np.int64),
            "started_at": taps["tapped_at"].to_numpy(dtype=float),
            "outcome": taps["outcome"].astype(str).to_numpy(dtype=object),
            "amount_tyiyn": taps["amount_tyiyn"].to_numpy(dtype=np.int64),
            "customer": payers.reindex(taps["trace_id"].to_numpy(dtype=np.int64)).fillna(taps["token_masked"].astype(str).set_axis(
                taps["trace_id"].to_numpy(dtype=np.int64))).to_numpy(dtype=object),
        }),
    ]  # fmt: skip
    if len(transfers):
        ids = transfers["trace_id"].to_numpy(dtype=np.int64)
        frames.append(pd.DataFrame({
            "trace_id": ids,
            "started_at": transfers["requested_at"].to_numpy(dtype=float),
            "outcome": transfers["outcome"].astype(str).to_numpy(dtype=object),
            "amount_tyiyn": transfers["amount_tyiyn"].to_numpy(dtype=np.int64),
            "customer": payers.reindex(ids, fill_value="").to_numpy(dtype=object),
        }))  # fmt: skip
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(3, "approved", frame["outcome"].isin(("approved", "completed")).to_numpy())
    return frame[list(OUTCOME_COLUMNS)].sort_values("trace_id", kind="stable").reset_index(drop=True)


def _payers(postings: pd.DataFrame) -> pd.Series:
    """Trace id -> the deposit its debit came from (bank/cardholder/card), when it was debited."""
    if not len(postings):
        return pd.Series(dtype=object)
    debits = postings[postings["kind"].astype(str).isin(_DEBIT_KINDS)]
    return pd.Series(debits["debit_account"].astype(str).to_numpy(), index=debits["trace_id"].to_numpy(dtype=np.int64)).groupby(level=0).first()


def score(baseline: pd.DataFrame, results: Any, faults: pd.DataFrame | None = None) -> dict[str, Any]:
    """The drill's scores (see the module docstring): ``baseline`` is `outcomes` of the day
    without faults, ``results`` the drill's run, ``faults`` its faults as injected (the run's
    ``faults`` table, with their ``ended_at``; None or empty: no faults)."""
    drill = outcomes(results)
    both = baseline.merge(drill, on="trace_id", how="outer", suffixes=("_base", "_drill"), indicator=True)
    approved_base = both["approved_base"].fillna(False).astype(bool).to_numpy()
    approved_drill = both["approved_drill"].fillna(False).astype(bool).to_numpy()
    lost = approved_base & ~approved_drill
    differ = (both["outcome_base"].fillna("") != both["outcome_drill"].fillna("")).to_numpy()
    customer = both["customer_base"].fillna(both["customer_drill"]).fillna("").to_numpy(dtype=object)
    affected = {c for c in customer[differ].tolist() if c}
    reversals = int((drill["outcome"] == "reversed").sum())
    started = both["started_at_base"].fillna(both["started_at_drill"]).to_numpy(dtype=float)
    stand_in_approvals, exposure = _stand_in(results)
    return {
        "payments": len(drill),
        "sales_lost": int(lost.sum()),
        "sales_lost_kgs": float(both["amount_tyiyn_base"].to_numpy(dtype=float)[lost].sum() / 100),
        "sales_gained": int((~approved_base & approved_drill).sum()),
        "reversals": reversals,
        "extra_reversals": reversals - int((baseline["outcome"] == "reversed").sum()),
        "customers_affected": len(affected),
        "stand_in_approvals": stand_in_approvals,
        "stand_in_exposure_kgs": exposure,
        "time_to_recover_s": _time_to_recover(started[differ], faults),
    }


def _stand_in(results: Any) -> tuple[int, float]:
    """Stand-in approvals and the money at risk in them (KGS), from the run's ``stand_in`` table."""
    table = getattr(results, "stand_in", None)
    if table is None or not len(table):
        return 0, 0.0
    approved = table
    if "response_code" in table.columns:
        approved = table[table["response_code"].astype(str) == "00"]
    for column in ("at_risk_tyiyn", "exposure_tyiyn", "amount_tyiyn"):
        if column in approved.columns:
            return len(approved), float(approved[column].sum() / 100)
    return len(approved), 0.0


def _time_to_recover(started_differently: np.ndarray, faults: pd.DataFrame | None) -> float:
    if faults is None or not len(faults) or "ended_at" not in faults.columns:
        return float("nan")
    ended = float(np.nanmax(faults["ended_at"].to_numpy(dtype=float)))
    if not len(started_differently):
        return 0.0
    return max(0.0, float(np.nanmax(started_differently)) - ended)


def stand_in_table(stand_in: pd.DataFrame) -> pd.DataFrame:
    """The switch's stand-in by issuer and reason (the run's ``stand_in`` table): approvals and
    declines beyond the limits, advices posted and expired, the repeats it took (0121), the
    longest wait from the decision to the posting (the advices stored while the issuer was away),
    and the money at risk."""
    frame = stand_in.assign(
        approved=stand_in["response_code"].astype(str) == "00",
        posted=stand_in["advice_posted_at"].notna(),
        repeats=(stand_in["attempts"] - 1).clip(lower=0),
        wait_s=stand_in["advice_posted_at"] - stand_in["decided_at"],
        exposure_kgs=stand_in["exposure_tyiyn"] / 100,
    )
    grouped = frame.groupby([frame["issuer"].astype(str), frame["reason"].astype(str)])
    table = grouped.agg(
        approved=("approved", "sum"),
        declined=("approved", lambda approved: int((~approved).sum())),
        advices_posted=("posted", "sum"),
        advices_expired=("expired", "sum"),
        repeats=("repeats", "sum"),
        longest_wait_s=("wait_s", "max"),
        exposure_kgs=("exposure_kgs", "sum"),
    )
    return table.rename_axis(["issuer", "reason"]).round(2)
