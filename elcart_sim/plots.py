"""Plots of a run, for people who would rather look than read. Each function returns a Figure.

Figures are made without pyplot, so nothing is shown or kept behind the caller's back: a
notebook displays the returned figure once, and the command line saves it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from elcart_sim.results import Results

__all__ = ["latency_distribution", "throughput_and_queues", "utilisation", "save_all"]

_OUTCOME_COLOURS = {"approved": "tab:green", "declined": "tab:orange", "reversed": "tab:red", "terminated": "tab:gray"}


def latency_distribution(results: Results) -> Figure:
    """Stacked histogram of tap-to-result latency by outcome, with p50/p95/p99 marked."""
    tx = results.transactions
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    latency = tx["tap_to_result_s"].to_numpy(dtype=float)
    if len(latency):
        bins = np.linspace(0, np.percentile(latency, 99.9) * 1.05 or 1.0, 60)
        groups = [(o, c, tx.loc[tx.outcome == o, "tap_to_result_s"].to_numpy(dtype=float)) for o, c in _OUTCOME_COLOURS.items()]
        groups = [g for g in groups if len(g[2])]
        ax.hist(
            [values for _, _, values in groups],
            bins=bins,
            stacked=True,
            color=[colour for _, colour, _ in groups],
            label=[f"{outcome} ({len(values):,})" for outcome, _, values in groups],
        )
        for q, style in ((50, ":"), (95, "--"), (99, "-")):
            value = np.percentile(latency, q)
            ax.axvline(value, color="black", linestyle=style, linewidth=1)
            ax.annotate(f" p{q} {value:.2f} s", (value, 0.98), xycoords=("data", "axes fraction"),
                        rotation=90, va="top", ha="left", fontsize=8)
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("tap-to-result latency (s)")
    ax.set_ylabel("transactions")
    ax.set_title(f"Tap-to-result latency — {results.scenario.name}, scale {results.scenario.scale:g}")
    return fig


def throughput_and_queues(results: Results, bin_s: float = 900.0) -> Figure:
    """Transactions per second over the day (by outcome, averaged over `bin_s`) above the number
    of requests at each host, in service or waiting, time-averaged over each monitor interval."""
    tx = results.transactions
    fig = Figure(figsize=(10, 6.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    duration = results.scenario.demand.duration_s
    n_bins = int(np.ceil(duration / bin_s))
    edges_h = np.arange(n_bins + 1) * bin_s / 3600.0
    stack = np.zeros(n_bins)
    for outcome, colour in _OUTCOME_COLOURS.items():
        tapped = tx.loc[tx.outcome == outcome, "tapped_at"].to_numpy(dtype=float)
        if not len(tapped):
            continue
        tps = np.bincount(np.minimum((tapped // bin_s).astype(int), n_bins - 1), minlength=n_bins) / bin_s
        top.stairs(stack + tps, edges_h, baseline=stack, fill=True, color=colour, alpha=0.85, label=outcome)
        stack += tps
    top.set_ylabel(f"transactions per second\n({bin_s / 60:g}-minute average)")
    top.set_title(f"Throughput and load over the day — {results.scenario.name}, scale {results.scenario.scale:g}")
    top.legend(loc="upper left", fontsize=8)
    samples = results.samples
    if len(samples):
        component = samples.component.astype(str)
        for name, rows in (("acquirer", component == "acquirer"), ("switch", component == "switch"),
                           ("issuers (all banks)", component.str.startswith("issuer:"))):
            if not rows.any():
                continue
            grouped = samples[rows].groupby("at")[["mean_busy", "mean_queue"]].sum()
            line = bottom.step(grouped.index / 3600.0, grouped.mean_busy + grouped.mean_queue, where="pre", label=f"{name}: in service + waiting")
            if grouped.mean_queue.any():
                bottom.step(grouped.index / 3600.0, grouped.mean_queue, where="pre", linestyle=":", color=line[0].get_color(), label=f"{name}: waiting")
    bottom.set_xlabel("hour of the day (local time)")
    bottom.set_ylabel(f"requests at the host\n({results.scenario.monitor_interval_s:g}-s time average)")
    bottom.set_xlim(0, duration / 3600.0)
    bottom.set_ylim(bottom=0)
    bottom.legend(loc="upper left", fontsize=8)
    return fig


def utilisation(results: Results) -> Figure:
    """Mean utilisation of every host over the run."""
    comp = results.components
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    ax.bar(comp["component"], comp["utilisation"] * 100, color=["tab:blue", "tab:purple"] + ["tab:cyan"] * (len(comp) - 2))
    ax.set_ylabel("utilisation (%)")
    ax.set_title("Mean utilisation per host")
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    return fig


def save_all(results: Results, out_dir: str | Path) -> list[Path]:
    """Write every plot as PNG into `out_dir`; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in (
        ("latency_distribution", latency_distribution),
        ("throughput_and_queues", throughput_and_queues),
        ("utilisation", utilisation),
    ):
        fig = make(results)
        path = out / f"{name}.png"
        fig.savefig(path, dpi=110)
        written.append(path)
    return written
