"""Plots of a fault drill: stand-in approvals and their advices draining after an issuer's
outage; payments approved minute by minute under the faults against the same day without them;
and a drill's runs by score. Each function returns a Figure (made without pyplot, as in
analysis/plots.py); the fault windows are shaded."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from elcart_sim.analysis.drill_scores import outcomes

__all__ = ["advices_draining", "approvals_against_baseline", "drill_scores"]


def _shade_faults(ax, faults: pd.DataFrame | None, scale_s: float) -> None:
    if faults is None or not len(faults) or "started_at" not in faults.columns:
        return
    for i, row in enumerate(faults.itertuples(index=False)):
        ax.axvspan(row.started_at / scale_s, row.ended_at / scale_s, color="tab:red", alpha=0.12,
                   label="fault" if i == 0 else None)  # fmt: skip


def advices_draining(results: Any) -> Figure:
    """Stand-in approvals as the switch gave them, and their advices as the issuer posted them,
    cumulative over the day (the run's ``stand_in`` table): the gap between the two lines is the
    advices stored at the switch, draining once the issuer is back."""
    stand_in = results.stand_in
    approved = stand_in[stand_in["response_code"].astype(str) == "00"]
    fig = Figure(figsize=(8, 3.6))
    ax = fig.add_subplot()
    instants = approved[["decided_at", "advice_posted_at"]].to_numpy(dtype=float) / 3600
    first, last = (np.nanmin(instants), np.nanmax(instants)) if len(approved) else (0.0, 24.0)
    margin = max(0.25, 0.1 * (last - first))
    for column, label in (("decided_at", "approved in stand-in"), ("advice_posted_at", "advice posted by the issuer")):
        at = np.sort(approved[column].dropna().to_numpy(dtype=float)) / 3600
        ax.step(np.concatenate(([first - margin], at, [last + margin])), np.concatenate(([0], np.arange(1, len(at) + 1), [len(at)])),
                where="post", label=label)  # fmt: skip
    _shade_faults(ax, getattr(results, "faults", None), 3600)
    ax.set_xlim(first - margin, last + margin)
    ax.set_xlabel("local hour")
    ax.set_ylabel("authorisations (cumulative)")
    ax.set_title("Stand-in approvals and their advices")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def approvals_against_baseline(results: Any, baseline: pd.DataFrame, *, bin_s: float = 300.0, title: str = "") -> Figure:
    """Payments approved (a transfer: completed) per ``bin_s`` under the faults and on the same
    day without them (``baseline``: drill_scores.outcomes of that day), by the instant they
    started; the fault windows shaded."""
    drilled = outcomes(results)
    fig = Figure(figsize=(8, 3.6))
    ax = fig.add_subplot()
    end = max(drilled["started_at"].max(), baseline["started_at"].max()) if len(drilled) else 0.0
    edges = np.arange(0.0, end + bin_s, bin_s)
    for frame, label, style in ((baseline, "without faults", "--"), (drilled, "under the faults", "-")):
        counts, _ = np.histogram(frame.loc[frame["approved"], "started_at"].to_numpy(dtype=float), edges)
        ax.step(edges[:-1] / 3600, counts, where="post", linestyle=style, label=label)
    _shade_faults(ax, getattr(results, "faults", None), 3600)
    ax.set_xlabel("local hour")
    ax.set_ylabel(f"approved per {bin_s / 60:g} min")
    ax.set_title(title or "Payments approved, under the faults and without them")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def drill_scores(runs: pd.DataFrame) -> Figure:
    """A drill's runs (drill.Drill.runs): sales lost (KGS) and customers affected per run."""
    fig = Figure(figsize=(8, 3.4))
    ax = fig.add_subplot()
    x = runs["run"].to_numpy()
    ax.bar(x, runs["sales_lost_kgs"].to_numpy(dtype=float), color="tab:red", label="sales lost (KGS)")
    ax.set_xlabel("drill run")
    ax.set_ylabel("sales lost (KGS)")
    other = ax.twinx()
    other.plot(x, runs["customers_affected"].to_numpy(dtype=float), "o", color="tab:blue", label="customers affected")
    other.set_ylabel("customers affected")
    ax.set_title("Each run against the same day without faults")
    fig.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig
