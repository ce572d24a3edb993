"""Plots of a run, for people who would rather look than read. Each function returns a Figure.

The command line selects the non-interactive Agg backend before importing this module; in a
notebook the figures display inline.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from elcart_sim.results import Results

__all__ = ["latency_distribution", "throughput_and_queues", "utilisation", "save_all"]

_OUTCOME_COLOURS = {"approved": "tab:green", "declined": "tab:orange", "reversed": "tab:red", "terminated": "tab:gray"}


def latency_distribution(results: Results) -> Figure:
    """Histogram of tap-to-result latency by outcome, with p50/p95/p99 marked."""
    tx = results.transactions
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    latency = tx["tap_to_result_s"].to_numpy(dtype=float)
    if len(latency):
        bins = np.linspace(0, np.percentile(latency, 99.9) * 1.05 or 1.0, 60)
        for outcome, colour in _OUTCOME_COLOURS.items():
            values = tx.loc[tx.outcome == outcome, "tap_to_result_s"].to_numpy(dtype=float)
            if len(values):
                ax.hist(values, bins=bins, alpha=0.75, color=colour, label=f"{outcome} ({len(values):,})")
        for q, style in ((50, ":"), (95, "--"), (99, "-")):
            value = np.percentile(latency, q)
            ax.axvline(value, color="black", linestyle=style, linewidth=1)
            ax.annotate(f"p{q} {value:.2f} s", (value, 1), xycoords=("data", "axes fraction"),
                        rotation=90, va="top", ha="right", fontsize=8)
    ax.set_xlabel("tap-to-result latency (s)")
    ax.set_ylabel("transactions")
    ax.set_title(f"Tap-to-result latency — {results.scenario.name}, scale {results.scenario.scale:g}")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def throughput_and_queues(results: Results) -> Figure:
    """Taps per minute over the day (by outcome) above the queue length at each host."""
    tx = results.transactions
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, layout="constrained")
    hours = results.scenario.demand.duration_s / 3600.0
    minutes = int(np.ceil(results.scenario.demand.duration_s / 60.0))
    x = np.arange(minutes) / 60.0
    bottom_stack = np.zeros(minutes)
    for outcome, colour in _OUTCOME_COLOURS.items():
        tapped = tx.loc[tx.outcome == outcome, "tapped_at"].to_numpy(dtype=float)
        if not len(tapped):
            continue
        counts = np.bincount(np.minimum((tapped // 60).astype(int), minutes - 1), minlength=minutes) / 60.0
        top.fill_between(x, bottom_stack, bottom_stack + counts, step="post", color=colour, alpha=0.8, label=outcome)
        bottom_stack += counts
    top.set_ylabel("transactions per second\n(per-minute average)")
    top.set_title(f"Throughput and queues over the day — {results.scenario.name}, scale {results.scenario.scale:g}")
    top.legend(loc="upper left", fontsize=8)
    samples = results.samples
    if len(samples):
        issuer_rows = samples[samples.component.astype(str).str.startswith("issuer:")]
        for name in ("acquirer", "switch"):
            rows = samples[samples.component == name]
            bottom.step(rows["at"] / 3600.0, rows["queue_length"], where="post", label=name)
        if len(issuer_rows):
            total = issuer_rows.groupby("at")["queue_length"].sum()
            bottom.step(total.index / 3600.0, total.to_numpy(), where="post", label="issuers (sum)")
    bottom.set_xlabel("hour of the day (local time)")
    bottom.set_ylabel("requests waiting")
    bottom.set_xlim(0, hours)
    bottom.legend(loc="upper left", fontsize=8)
    return fig


def utilisation(results: Results) -> Figure:
    """Mean utilisation of every host over the run."""
    comp = results.components
    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
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
        plt.close(fig)
        written.append(path)
    return written
