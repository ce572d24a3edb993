"""When the service had recovered from a fault, read from the records.

Definition (plain, for every fault but a late clearing file): a payment *failed on time* when no
answer reached its terminal, ATM or app in time somewhere on its way — DE39 91 (a host gave up
waiting for the next) or 68 (the terminal or the app's service did), or reversed because of it.
After a fault starts, such failures come in a burst (a node lost: its messages time out at their
acquirers about `acquirer.timeout_s` later; a host down: its payments time out for as long as it
is down; survivors overloaded: more, until they catch up). The burst is every such failure from
the fault's start until `FIRST_WITHIN_S` after its end (the longest timeout of the chain), and
then those that follow one another, by the time their result was shown, less than `GAP_S` apart.
The service has recovered at the result of the last failure of the burst: after it, payments are
answered in time again. With no such failure, it recovered when the fault started
(`recovered_at` = `started_at`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["GAP_S", "FIRST_WITHIN_S", "failures_at", "recovered_at", "with_recovery"]

GAP_S = 60.0
"""A minute without a failure on time ends the burst."""

FIRST_WITHIN_S = 90.0
"""The first failure of a burst must come this soon after the fault began (the terminal's and
the app's timeouts, 30–40 s, and a store-and-forward repeat, 30 s, fit)."""

_TIMED_OUT = ("91", "68")


def failures_at(transactions: pd.DataFrame, transfers: pd.DataFrame) -> np.ndarray:
    """The result times of the payments that failed on time, sorted."""
    times = []
    for frame in (transactions, transfers):
        if len(frame):
            failed = frame["response_code"].astype(str).isin(_TIMED_OUT)
            times.append(frame.loc[failed, "result_at"].to_numpy(dtype=float))
    return np.sort(np.concatenate(times)) if times else np.empty(0)


def recovered_at(started_at: float, failures: np.ndarray, ended_at: float | None = None) -> float:
    """The result time of the last failure of the burst that follows a fault from ``started_at``
    to ``ended_at`` (default: an instant) (see the module's docstring); ``started_at`` itself
    when none follows."""
    window_end = (started_at if ended_at is None else ended_at) + FIRST_WITHIN_S
    after = failures[failures >= started_at]
    within = after[after <= window_end]
    if not len(within):
        return started_at
    last = within[-1]
    for t in after[len(within) :]:
        if t - last > GAP_S:
            break
        last = t
    return float(last)


def with_recovery(faults: pd.DataFrame, transactions: pd.DataFrame, transfers: pd.DataFrame) -> pd.DataFrame:
    """``faults`` with ``recovered_at`` filled for every fault but a late clearing file."""
    if not len(faults):
        return faults
    failures = failures_at(transactions, transfers)
    recovered = [
        np.nan if kind == "clearing_late" else recovered_at(float(start), failures, float(end))
        for kind, start, end in zip(faults["kind"].astype(str), faults["started_at"], faults["ended_at"])
    ]
    faults["recovered_at"] = np.asarray(recovered, dtype=float)
    return faults
