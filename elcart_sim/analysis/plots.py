"""Plots of a run, for people who would rather look than read. Each function returns a Figure.

Figures are made without pyplot, so nothing is shown or kept behind the caller's back: a
notebook displays the returned figure once, and the command line saves it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from elcart_sim.analysis.days_plots import days_by_service
from elcart_sim.analysis.results import Results
from elcart_sim.analysis.settlement_plots import save_settlement_plots
from elcart_sim.scenario import Scenario
from elcart_sim.world.demand import card_side_rates_per_s

__all__ = [
    "latency_distribution",
    "throughput_and_queues",
    "utilisation",
    "save_all",
    "demand_over_the_day",
    "latency_percentiles_over_the_day",
    "utilisation_per_component",
    "sizing_curves",
    "headroom_over_years",
    "knee_curves",
    "attack_detection",
    "volume_by_service",
    "days_by_service",
]

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


# -- capacity-planning plots: means with 95 % confidence intervals across replications ----------
#
# They take the tidy interval frames of `elcart_sim.capacity.confidence_intervals` (columns
# `metric`, `mean`, `ci_low`, `ci_high` and the point's own columns, e.g. `hour` or `servers`).

_PERCENTILE_COLOURS = {"latency_p50_s": ("p50", "tab:green"), "latency_p95_s": ("p95", "tab:orange"), "latency_p99_s": ("p99", "tab:red")}


def _band(ax, x, rows, colour: str, label: str) -> None:
    """Mean line with its interval as a shaded band; points with an infinite mean (a host
    overloaded, so no steady state) are marked × along the top of the axes."""
    x = np.asarray(x, dtype=float)
    mean = rows["mean"].to_numpy(dtype=float)
    low, high = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
    finite = np.isfinite(mean)
    ax.plot(x[finite], mean[finite], marker="o", markersize=3, color=colour, label=label)
    ax.fill_between(x[finite], low[finite], high[finite], color=colour, alpha=0.2, linewidth=0)
    if (~finite).any():
        ax.plot(x[~finite], np.full((~finite).sum(), 0.97), "x", color=colour, markersize=7,
                transform=ax.get_xaxis_transform(), label=f"{label}: overloaded (a host at ρ ≥ 1)")


def _target_line(ax, target_s: float | None) -> None:
    if target_s is not None:
        ax.axhline(target_s, color="black", linestyle="--", linewidth=1, label=f"target p99 {target_s:g} s")


def demand_over_the_day(scenario: Scenario, observed=None) -> Figure:
    """Taps per second in each hour of the day: the demand model's rates (transactions_per_day ×
    weekday × day kind × growth × scale, shaped by the hourly profile) and, if given, the rates
    the replications produced (`observed`: intervals by `hour` of the metric `tps`)."""
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    rates = card_side_rates_per_s(scenario)
    hours = np.arange(25)
    ax.stairs(rates, hours, color="tab:blue", linewidth=2, label="demand model")
    if observed is not None and len(observed):
        rows = observed[observed["metric"] == "tps"].sort_values("hour")
        n = int(rows["n"].max())
        x = rows["hour"].to_numpy(dtype=float) + 0.5
        ax.errorbar(x, rows["mean"], yerr=[rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]], fmt="o",
                    markersize=3, color="tab:orange", capsize=2, label=f"simulated, mean and 95 % CI of {n} replications")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("hour of the day (local time)")
    ax.set_ylabel("taps per second")
    ax.set_title(f"Demand over the day — {scenario.name} {scenario.date}, scale {scenario.scale:g}")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def latency_percentiles_over_the_day(intervals, *, target_p99_s: float | None = None, title: str = "") -> Figure:
    """p50, p95 and p99 of tap-to-result latency in each hour of the day: the mean over
    replications with its 95 % confidence band (`intervals`: by `hour`, metrics latency_p*_s)."""
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    ax = fig.subplots()
    for metric, (label, colour) in _PERCENTILE_COLOURS.items():
        rows = intervals[intervals["metric"] == metric].sort_values("hour")
        if len(rows):
            _band(ax, rows["hour"].to_numpy(dtype=float), rows, colour, label)
    _target_line(ax, target_p99_s)
    ax.set_xlim(0, 23)
    ax.set_xticks(range(0, 24, 3))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("hour of the day (local time)")
    ax.set_ylabel("tap-to-result latency (s)")
    ax.set_title(title or "Latency percentiles over the day (mean and 95 % CI across replications)")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def utilisation_per_component(intervals, *, title: str = "") -> Figure:
    """Utilisation of each host over the day and in its peak hour, with 95 % confidence intervals
    (`intervals`: by `component` and `window`, metric `utilisation`)."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax = fig.subplots()
    rows = intervals[intervals["metric"] == "utilisation"]
    components = list(dict.fromkeys(rows["component"]))
    windows = list(dict.fromkeys(rows["window"]))
    width = 0.8 / max(1, len(windows))
    x = np.arange(len(components))
    for i, (window, colour) in enumerate(zip(windows, ("tab:blue", "tab:red", "tab:gray"))):
        part = rows[rows["window"] == window].set_index("component").reindex(components)
        mean = part["mean"].to_numpy(dtype=float) * 100
        err = np.vstack([mean - part["ci_low"].to_numpy(dtype=float) * 100, part["ci_high"].to_numpy(dtype=float) * 100 - mean])
        ax.bar(x + (i - (len(windows) - 1) / 2) * width, mean, width, yerr=np.nan_to_num(err), capsize=2, color=colour, label=window)
    ax.set_xticks(x, components, rotation=90, fontsize=7)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("utilisation (%)")
    ax.set_title(title or "Utilisation per component (mean and 95 % CI across replications)")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def sizing_curves(intervals, *, target_p99_s: float | None = None, recommended: dict[str, int] | None = None) -> Figure:
    """Tap-to-result p99 against the number of servers of each component, the others as
    configured (`intervals`: by `component` and `servers`, metric latency_p99_s, or on a day with
    the app's services worst_latency_p99_s); the smallest count that meets the target is marked
    when `recommended` gives it."""
    rows = intervals[intervals["metric"].isin(("latency_p99_s", "worst_latency_p99_s"))]
    components = list(dict.fromkeys(rows["component"]))
    fig = Figure(figsize=(4 * max(1, len(components)), 4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(1, len(components)), sharey=True))
    for ax, component in zip(axes, components):
        part = rows[rows["component"] == component].sort_values("servers")
        servers = part["servers"].to_numpy(dtype=float)
        _band(ax, servers, part, "tab:red", "p99 (mean, 95 % CI)")
        _target_line(ax, target_p99_s)
        if recommended and recommended.get(component) is not None:
            ax.axvline(recommended[component], color="tab:green", linewidth=1.5, label=f"smallest meeting target: {recommended[component]}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(servers, [f"{int(s)}" for s in servers])
        ax.set_xlabel(f"{component} servers")
        ax.set_title(component)
        ax.legend(loc="upper right", fontsize=7)
    worst = bool((rows["metric"] == "worst_latency_p99_s").any())
    axes[0].set_ylabel("worst service's p99 (s)" if worst else "tap-to-result p99 (s)")
    axes[0].set_ylim(bottom=0)
    fig.suptitle("Sizing curves: p99 against servers, one component at a time")
    return fig


def headroom_over_years(
    intervals, *, target_p99_s: float | None = None, growth_per_year: float | None = None, knee=None
) -> Figure:
    """Tap-to-result p99 (and p95) as demand grows year by year on today's configuration
    (`intervals`: by `years_ahead`, metrics latency_p95_s and latency_p99_s); with `knee` (a
    `capacity.knee.knee_table` of the same scenario) the year the first host reaches its knee is
    marked."""
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    for metric in ("latency_p95_s", "latency_p99_s"):
        label, colour = _PERCENTILE_COLOURS[metric]
        rows = intervals[intervals["metric"] == metric].sort_values("years_ahead")
        if len(rows):
            _band(ax, rows["years_ahead"].to_numpy(dtype=float), rows, colour, label)
    _target_line(ax, target_p99_s)
    if knee is not None and len(knee):
        first = knee.loc[knee["knee_multiple"].idxmin()]
        if np.isfinite(first["years_to_knee"]):
            ax.axvline(float(first["years_to_knee"]), color="tab:purple", linestyle=":", linewidth=1.5,
                       label=f"knee: {first['component']} 80 % busy ({first['knee_year']})")  # fmt: skip
    ax.set_ylim(bottom=0)
    ax.set_xlabel("years ahead" + (f" (demand × {1 + growth_per_year:g} per year)" if growth_per_year is not None else ""))
    ax.set_ylabel("tap-to-result latency (s)")
    ax.set_title("Headroom: latency as demand grows, today's configuration (mean and 95 % CI)")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def knee_curves(curves) -> Figure:
    """Each host's utilisation (left) and M/M/c mean wait (right) against the load as a multiple
    of today's peak (`curves`: `capacity.knee.knee_curves`, by `component` and `load_multiple`,
    with `knee_multiple`); the 80 % line and each host's knee are marked."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    for component, part in curves.groupby("component", sort=False):
        multiples = part["load_multiple"].to_numpy(dtype=float)
        knee = float(part["knee_multiple"].iloc[0])
        (line,) = left.plot(multiples, 100 * part["utilisation"].to_numpy(dtype=float), label=f"{component} (knee × {knee:.3g})")
        left.plot([knee], [80.0], "o", color=line.get_color())
        waits = part["mean_wait_s"].to_numpy(dtype=float)
        finite = np.isfinite(waits) & (waits > 0)
        right.plot(multiples[finite], 1000 * waits[finite], color=line.get_color())
        right.axvline(knee, color=line.get_color(), linestyle=":", linewidth=0.8)
    left.axhline(80.0, color="tab:gray", linestyle="--", linewidth=1, label="knee: 80 % busy")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("load (× today's peak)")
    left.set_ylim(0, 100)
    left.set_ylabel("utilisation (%)")
    left.legend(loc="upper left", fontsize=7)
    right.set_yscale("log")
    right.set_ylabel("mean wait in queue, M/M/c (ms)")
    fig.suptitle("The knee: hosts nearest it, utilisation and waiting as the load grows")
    return fig


def attack_detection(results: Results) -> Figure:
    """Each injected attack kind as one bar of its attempts: stopped by which check, approved
    (missed), or failed otherwise; the detection rate is written at the bar's end."""
    from elcart_sim.fraud.detection import checks_table, detection_table

    tx = results.transactions
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    ax = fig.subplots()
    attacks = tx[tx["attack"].astype(str) != ""]
    if not len(attacks):
        ax.text(0.5, 0.5, "no attacks injected", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    rates = detection_table(attacks)
    checks = checks_table(attacks).drop(columns="not stopped", errors="ignore")
    kinds = list(rates.index)[::-1]
    left = np.zeros(len(kinds))
    palette = iter(["tab:blue", "tab:purple", "tab:cyan", "tab:olive", "tab:brown", "tab:pink", "navy", "teal", "gold", "slategray"])
    for check in checks.columns:
        counts = checks.reindex(kinds)[check].fillna(0).to_numpy(dtype=float)
        ax.barh(kinds, counts, left=left, color=next(palette), label=f"stopped: {check}")
        left += counts
    for label, column, colour in (("approved (missed)", "missed", "tab:red"), ("failed otherwise", "otherwise_failed", "lightgray")):
        counts = rates.reindex(kinds)[column].to_numpy(dtype=float)
        if counts.any():
            ax.barh(kinds, counts, left=left, color=colour, label=label)
            left += counts
    for y, kind in enumerate(kinds):
        ax.annotate(f" {rates.loc[kind, 'detection_rate']:.0%} detected", (left[y], y), va="center", fontsize=8)
    ax.set_xlim(0, left.max() * 1.3)
    ax.set_xlabel("attempts")
    ax.set_title(f"Injected attacks and the checks that stopped them — {results.scenario.name}")
    ax.legend(loc="lower right", fontsize=7)
    return fig


def volume_by_service(results: Results | pd.DataFrame) -> Figure:
    """Requests per local hour, stacked by service and channel (taps, card channels, transfers by
    phone, card, QR, ...): from a run, or from a `services.requests_by_hour` table (the report's,
    averaged over replications)."""
    from elcart_sim.analysis.services import requests_by_hour

    table = requests_by_hour(results) if isinstance(results, Results) else results
    hours = np.arange(24)
    fig = Figure(figsize=(8, 3.6))
    ax = fig.add_subplot()
    bottom = np.zeros(24)
    for name in dict.fromkeys(table["service"]):
        counts = table[table["service"] == name].set_index("hour")["requests"].reindex(hours, fill_value=0).to_numpy(dtype=float)
        ax.bar(hours, counts, bottom=bottom, label=name, width=0.85)
        bottom += counts
    ax.set_xlabel("local hour")
    ax.set_ylabel("requests per hour")
    ax.set_title("The day by service")
    ax.set_xticks(range(0, 24, 3))
    ax.legend(fontsize=7, ncols=2)
    fig.tight_layout()
    return fig


def save_all(results: Results, out_dir: str | Path) -> list[Path]:
    """Write every plot as PNG into `out_dir` (the settlement plots when clearing ran); returns the paths."""
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
    if len(results.transfers):
        path = out / "volume_by_service.png"
        volume_by_service(results).savefig(path, dpi=110)
        written.append(path)
    if (results.transactions["attack"].astype(str) != "").any():
        path = out / "attack_detection.png"
        attack_detection(results).savefig(path, dpi=110)
        written.append(path)
    written += save_settlement_plots(results, out)  # when clearing ran
    return written
