"""Plots of a day's settlement, drawn when clearing ran: each bank's net position per batch, and
each bank's settlement account at the National Bank through the day. Each function returns a
Figure (made without pyplot, as in analysis/plots.py); `save_settlement_plots` writes them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from elcart_sim.analysis.settlement import balances_over_the_day

if TYPE_CHECKING:
    from elcart_sim.analysis.results import Results

__all__ = ["net_positions_by_bank", "liquidity_over_the_day", "save_settlement_plots"]


def net_positions_by_bank(results: Results) -> Figure:
    """Each bank's multilateral net position (KGS) in each batch, bars side by side per bank:
    above zero it was paid, below zero it paid in."""
    positions = results.positions
    banks = sorted(set(positions["bank"].astype(str)))
    batches = list(dict.fromkeys(positions["batch_id"].astype(str)))
    fig = Figure(figsize=(max(8, 0.45 * len(banks)), 3.8))
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(batches))
    x = np.arange(len(banks))
    for i, batch in enumerate(batches):
        rows = positions[positions["batch_id"].astype(str) == batch]
        net = rows.groupby(rows["bank"].astype(str))["net_tyiyn"].sum().reindex(banks, fill_value=0).to_numpy() / 100
        ax.bar(x - 0.4 + width * (i + 0.5), net, width=width, label=batch)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(x, banks, rotation=60, fontsize=7)
    ax.set_ylabel("net position (KGS)")
    ax.set_title("Net positions per bank and batch (negative: pays in)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def liquidity_over_the_day(results: Results) -> Figure:
    """Each bank's settlement account at the National Bank less its opening balance (KGS), a step
    at each batch it settled; a line that drops below zero shows liquidity the bank needed."""
    balances = balances_over_the_day(results)
    fig = Figure(figsize=(8, 3.8))
    ax = fig.add_subplot()
    for bank, rows in balances.groupby("bank", sort=True):
        at = rows["at"].to_numpy(dtype=float) / 3600
        change = (rows["balance_tyiyn"].to_numpy() - rows["balance_tyiyn"].iloc[0]) / 100
        if not change.any():
            continue  # a bank whose account never moved
        ax.step(
            np.append(at, max(at[-1], results.scenario.demand.duration_s / 3600)), np.append(change, change[-1]), where="post", label=bank
        )
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("local hour")
    ax.set_ylabel("balance − opening (KGS)")
    ax.set_title("Settlement accounts at the National Bank through the day")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6, ncols=4)
    fig.tight_layout()
    return fig


def save_settlement_plots(results: Results, out: Path) -> list[Path]:
    """Write both plots as PNG into ``out`` when clearing ran (no files otherwise)."""
    if not len(results.positions):
        return []
    written = []
    for name, make in (("net_positions_by_bank", net_positions_by_bank), ("liquidity_over_the_day", liquidity_over_the_day)):
        path = out / f"{name}.png"
        make(results).savefig(path, dpi=110)
        written.append(path)
    return written
