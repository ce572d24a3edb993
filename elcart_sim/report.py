"""Capacity-planning reports: the studies behind them, and the notebook rendered to one HTML file.

    elcart-sim report [--scenario NAME|PATH] [--replications N] [--seed N] [--scale F] --out DIR

A report answers three questions about a scenario, each from independent replications with 95 %
confidence intervals (`elcart_sim.capacity`):

- `day_study`: how the day goes — taps per second and latency percentiles hour by hour, the
  headline metrics, and the utilisation of every host over the day and in its peak hour;
- `sizing_study`: for each component in turn (acquirer, switch, issuers), tap-to-result p99
  against its number of servers, the others as configured, and the smallest count that meets
  the target;
- `headroom_study`: p99 as demand grows year by year (`demand.years_ahead`) on today's
  configuration, and how many years it absorbs before the target breaks.

`notebooks/04_capacity_planning.ipynb` holds the narrative and calls these and `elcart_sim.plots`.
`build_report` injects the parameters into the notebook's `parameters` cell with papermill,
executes it in a fresh kernel (the same Python as the caller), keeps the executed notebook, and
renders it with nbconvert into a single self-contained HTML file: plots are embedded as
base64 PNGs and no script, style sheet or font is fetched from the network, so the file can be
mailed or archived as it is.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from elcart_sim.capacity import (
    Executor,
    PeakWindow,
    ReplicationTask,
    component_metrics,
    confidence_intervals,
    make_executor,
    peak_window,
    replication_metrics,
    run_all,
    run_tasks,
)
from elcart_sim.capacity.sizing import host_loads
from elcart_sim.cli_options import add_scenario_options
from elcart_sim.demand import demand_summary, hourly_rates_per_s
from elcart_sim.errors import ReportError
from elcart_sim.results import Results
from elcart_sim.scenario import Scenario, load_scenario

__all__ = [
    "DayStudy",
    "SizingStudy",
    "HeadroomStudy",
    "day_study",
    "sizing_study",
    "headroom_study",
    "hourly_rows",
    "heading",
    "demand_table",
    "headroom_years",
    "default_server_counts",
    "NOTEBOOK",
    "ReportParameters",
    "notebook_path",
    "report_scenario",
    "execute_notebook",
    "render_html",
    "build_report",
    "add_commands",
]

NOTEBOOK = "04_capacity_planning.ipynb"

SUMMARY_METRICS = (
    "transactions",
    "approval_rate",
    "throughput_tps",
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "timeouts",
    "reversals",
    "acquirer_utilisation",
    "switch_utilisation",
    "issuers_max_utilisation",
)
HOURLY_METRICS = ("taps", "tps", "latency_p50_s", "latency_p95_s", "latency_p99_s")
COMPONENTS = ("acquirer", "switch", "issuer")
_INTERVAL_COLUMNS = ["metric", "n", "mean", "half_width", "ci_low", "ci_high"]


def _executor(workers: int, executor: Executor | None) -> tuple[Executor, bool]:
    """The executor to use and whether this call owns it (and must close it)."""
    return (executor, False) if executor is not None else (make_executor(workers), True)


def _table(intervals: pd.DataFrame, by: Sequence[str] = (), digits: int = 4) -> pd.DataFrame:
    """An interval frame as a readable, rounded table."""
    return intervals[[*by, *_INTERVAL_COLUMNS]].round(digits).reset_index(drop=True)


def heading(scenario: Scenario, replications: int, target_p99_s: float) -> str:
    """The report's first lines: what was simulated, and the target."""
    return (
        f"Capacity plan for scenario {scenario.name!r} ({scenario.description})\n"
        f"date {scenario.date}, seed {scenario.seed}, scale {scenario.scale:g}, fidelity {scenario.fidelity}; "
        f"{replications} replications per point; target tap-to-result p99 <= {target_p99_s:g} s"
    )


def demand_table(scenario: Scenario) -> pd.DataFrame:
    """How the day's volume is built (`elcart_sim.demand.demand_summary`), one row per figure."""
    summary = demand_summary(scenario)
    rows = [{"figure": key, "value": round(value, 4) if isinstance(value, float) else value} for key, value in summary.items()]
    return pd.DataFrame(rows).set_index("figure")


# -- how the day goes ---------------------------------------------------------------------------


def hourly_rows(results: Results) -> list[dict[str, Any]]:
    """Taps, taps per second and latency percentiles in each hour of one run (by tap instant)."""
    tx = results.transactions
    duration = results.scenario.demand.duration_s
    tapped = tx["tapped_at"].to_numpy(dtype=float)
    latency = tx["tap_to_result_s"].to_numpy(dtype=float)
    hour_of = (tapped // 3600.0).astype(int)
    rows = []
    for hour in range(int(np.ceil(duration / 3600.0))):
        values = latency[hour_of == hour]
        seconds = min(3600.0, duration - hour * 3600.0)
        p50, p95, p99 = np.percentile(values, [50, 95, 99]).tolist() if len(values) else (np.nan,) * 3
        rows.append(
            {"hour": hour, "taps": len(values), "tps": len(values) / seconds,
             "latency_p50_s": p50, "latency_p95_s": p95, "latency_p99_s": p99}
        )
    return rows


def _peak_hour_utilisation(results: Results, hour: int) -> dict[str, float]:
    """Utilisation of each host in the local hour `hour`: the time average of the samples table's
    busy servers over the monitor intervals that end within the hour, ÷ servers."""
    samples = results.samples
    at = samples["at"].to_numpy(dtype=float)
    ends = np.unique(at)
    length = dict(zip(ends.tolist(), np.diff(ends, prepend=0.0).tolist()))
    inside = (at > hour * 3600.0) & (at <= (hour + 1) * 3600.0)
    weights = np.array([length[a] for a in at[inside].tolist()])
    frame = pd.DataFrame(
        {
            "component": samples["component"].astype(str).to_numpy()[inside],
            "busy_area": samples["mean_busy"].to_numpy(dtype=float)[inside] * weights,
            "seconds": weights,
        }
    )
    sums = frame.groupby("component", sort=False)[["busy_area", "seconds"]].sum()
    servers = dict(zip(results.components["component"], results.components["servers"]))
    return {
        component: float(sums.at[component, "busy_area"] / sums.at[component, "seconds"] / n) if component in sums.index else 0.0
        for component, n in servers.items()
    }


def run_day_replication(task: ReplicationTask) -> dict[str, Any]:
    """One replication of the day study (what executors ship to workers): the capacity metrics,
    the hourly rows and the utilisation of each host over the day and in the peak hour."""
    from elcart_sim.simulation import Simulation

    results = Simulation(task.scenario, replication=task.replication).run()
    k = task.replication
    rates = hourly_rates_per_s(task.scenario)
    peak = int(np.argmax(rates))
    day = component_metrics(results, task.warmup_s)
    peak_utilisation = _peak_hour_utilisation(results, peak)
    utilisation = [{"replication": k, "component": c, "window": "day", "utilisation": float(u)}
                   for c, u in zip(day["component"], day["utilisation"])]
    utilisation += [{"replication": k, "component": c, "window": f"peak hour {peak:02d}:00", "utilisation": u}
                    for c, u in peak_utilisation.items()]
    return {
        "metrics": {"replication": k, **replication_metrics(results, task.warmup_s)},
        "hourly": [{"replication": k, **row} for row in hourly_rows(results)],
        "utilisation": utilisation,
    }


@dataclass(frozen=True)
class DayStudy:
    """Replications of a scenario's day: per-replication frames and their intervals."""

    scenario: Scenario
    replications: pd.DataFrame  # one row per replication: elcart_sim.capacity.metrics
    hourly: pd.DataFrame  # replication, hour, taps, tps, latency_p50_s, latency_p95_s, latency_p99_s
    utilisation: pd.DataFrame  # replication, component, window ("day" | "peak hour HH:00"), utilisation

    def summary_intervals(self) -> pd.DataFrame:
        metrics = [m for m in SUMMARY_METRICS if m in self.replications.columns]
        return confidence_intervals(self.replications, metrics=metrics)

    def hourly_intervals(self) -> pd.DataFrame:
        return confidence_intervals(self.hourly, by=["hour"], metrics=list(HOURLY_METRICS))

    def utilisation_intervals(self) -> pd.DataFrame:
        return confidence_intervals(self.utilisation, by=["component", "window"], metrics=["utilisation"])

    def summary_table(self) -> pd.DataFrame:
        """Headline metrics: mean, 95 % interval and n (rounded; utilisations in per cent)."""
        intervals = self.summary_intervals()
        percent = intervals["metric"].str.endswith("utilisation")
        scaled = intervals.copy()
        for column in ("mean", "half_width", "ci_low", "ci_high"):
            scaled[column] = np.where(percent, intervals[column] * 100, intervals[column])
        scaled["metric"] = np.where(percent, intervals["metric"] + " (%)", intervals["metric"])
        return _table(scaled)

    def peak_hour_table(self) -> pd.DataFrame:
        """Latency percentiles and taps per second in the demand model's peak hour."""
        peak = int(np.argmax(hourly_rates_per_s(self.scenario)))
        intervals = self.hourly_intervals()
        return _table(intervals[intervals["hour"] == peak], by=["hour"])

    def busiest_components_table(self, n: int = 5) -> pd.DataFrame:
        """The `n` most utilised hosts in the peak hour: utilisation in per cent with its 95 %
        interval (the lower end clipped at 0, as a utilisation cannot be negative)."""
        intervals = self.utilisation_intervals()
        peak = intervals[intervals["window"] != "day"].sort_values("mean", ascending=False, kind="stable").head(n)
        return pd.DataFrame(
            {
                "component": peak["component"].to_numpy(),
                "window": peak["window"].to_numpy(),
                "utilisation_%": (peak["mean"] * 100).round(4).to_numpy(),
                "ci_low_%": (peak["ci_low"].clip(lower=0) * 100).round(4).to_numpy(),
                "ci_high_%": (peak["ci_high"] * 100).round(4).to_numpy(),
                "n": peak["n"].to_numpy(),
            }
        )


def day_study(
    scenario: Scenario, replications: int, *, warmup_s: float = 0.0, workers: int = 1, executor: Executor | None = None
) -> DayStudy:
    """Run `replications` replications of the scenario's day (serially, or on `workers` local
    processes, or on the `executor` given)."""
    if replications < 2:
        raise ReportError(f"replications must be >= 2 for confidence intervals, got {replications}")
    tasks = [ReplicationTask(scenario, k, warmup_s) for k in range(replications)]
    runner, owned = _executor(workers, executor)
    try:
        answers = run_all(runner, run_day_replication, tasks, progress=False, desc=f"{scenario.name} day")
    finally:
        if owned:
            runner.close()
    return DayStudy(
        scenario=scenario,
        replications=pd.DataFrame([a["metrics"] for a in answers]),
        hourly=pd.DataFrame([row for a in answers for row in a["hourly"]]),
        utilisation=pd.DataFrame([row for a in answers for row in a["utilisation"]]),
    )


# -- sizing and headroom at the peak ---------------------------------------------------------------
#
# Both simulate the scenario's busiest hour alone (`elcart_sim.capacity.sizing.peak_window`: the
# peak rate held constant, a warm-up, then a window of about `taps` taps), so each point costs
# the same whatever the load, and the warm-up suits the point's own servers and demand.


def _overloaded(window: PeakWindow) -> bool:
    """Whether some host would get more work than its servers can do (ρ ≥ 1: no steady state)."""
    return any(load.utilisation >= 1.0 for load in host_loads(window.scenario, rate_per_s=window.rate_per_s))


def _run_peak_points(
    points: list[tuple[dict[str, Any], PeakWindow]], replications: int, workers: int, executor: Executor | None, desc: str
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Simulate replications 0 … n−1 of every point that a host can carry; returns their rows and
    the labels of the overloaded points, which are not simulated (their p99 is infinite)."""
    tasks = [
        ReplicationTask(window.scenario, k, window.warmup_s, tuple(labels.items()))
        for labels, window in points
        if not _overloaded(window)
        for k in range(replications)
    ]
    overloaded = [labels for labels, window in points if _overloaded(window)]
    runner, owned = _executor(workers, executor)
    try:
        frame = run_tasks(tasks, executor=runner, desc=desc)
    finally:
        if owned:
            runner.close()
    return frame, overloaded


def _intervals(frame: pd.DataFrame, by: list[str], metrics: list[str]) -> pd.DataFrame:
    if frame.empty:  # every point overloaded: nothing was simulated
        return pd.DataFrame(columns=[*by, "metric", "n", "mean", "std", "half_width", "ci_low", "ci_high", "confidence"])
    return confidence_intervals(frame, by=by, metrics=metrics)


def _with_overloaded(intervals: pd.DataFrame, overloaded: list[dict[str, Any]], metrics: Sequence[str]) -> pd.DataFrame:
    """Interval rows, plus one per overloaded point and metric with an infinite mean."""
    rows = intervals.to_dict("records")
    rows += [
        {**labels, "metric": metric, "n": 0, "mean": np.inf, "std": np.nan, "half_width": np.nan,
         "ci_low": np.nan, "ci_high": np.nan, "confidence": 0.95}
        for labels in overloaded
        for metric in metrics
    ]
    return pd.DataFrame(rows, columns=intervals.columns)


def _meets(intervals: pd.DataFrame, target_p99_s: float) -> pd.Series:
    """A point meets the target when its mean p99 across replications is at most the target
    (the criterion of `elcart_sim.capacity.sizing`)."""
    return intervals["mean"] <= target_p99_s


def default_server_counts(scenario: Scenario, component: str, most: int = 8) -> list[int]:
    """About `most` server counts from 1 to twice the configured count, spread geometrically,
    always with the configured count.

    >>> default_server_counts(load_scenario("national-day"), "switch")
    [1, 2, 3, 4, 7, 12, 16, 20, 32]
    >>> default_server_counts(load_scenario("national-day"), "switch", most=2)
    [1, 16, 32]
    """
    configured = getattr(scenario, component).servers
    top = max(2, 2 * configured)
    counts = {int(round(v)) for v in np.geomspace(1, top, max(2, most))} | {configured}
    return sorted(counts)


@dataclass(frozen=True)
class SizingStudy:
    """p99 at the peak against servers, one component at a time (the others as configured);
    `frame` has one row per component, server count and replication."""

    scenario: Scenario
    target_p99_s: float
    frame: pd.DataFrame  # simulated points only
    overloaded: list[dict[str, Any]] = field(default_factory=list)  # {component, servers} not simulated

    def intervals(self) -> pd.DataFrame:
        """Mean p99 and 95 % interval per component and count (overloaded counts: mean ∞)."""
        metrics = ["latency_p99_s"]
        intervals = _intervals(self.frame, ["component", "servers"], metrics)
        rows = _with_overloaded(intervals, self.overloaded, metrics)
        order = {(c, n): i for i, (c, n) in enumerate(sorted(
            {(c, int(n)) for c, n in zip(rows["component"], rows["servers"])},
            key=lambda cn: (COMPONENTS.index(cn[0]) if cn[0] in COMPONENTS else len(COMPONENTS), cn[1])))}
        rows = rows.assign(servers=rows["servers"].astype(int))
        rank = [order[(c, n)] for c, n in zip(rows["component"], rows["servers"])]
        return rows.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)

    def smallest_meeting_target(self) -> dict[str, int | None]:
        """Per component, the smallest swept count whose p99 meets the target, the others as
        configured (None: none does)."""
        p99 = self.intervals()
        answer: dict[str, int | None] = {}
        for component, rows in p99.groupby("component", sort=False):
            ok = rows[_meets(rows, self.target_p99_s)].sort_values("servers")
            answer[component] = int(ok["servers"].iloc[0]) if len(ok) else None
        return answer

    def table(self) -> pd.DataFrame:
        p99 = self.intervals()
        configured = {c: getattr(self.scenario, c).servers for c in p99["component"].unique()}
        p99 = p99.assign(
            configured=[configured[c] == s for c, s in zip(p99["component"], p99["servers"])],
            meets_target=_meets(p99, self.target_p99_s),
        )
        columns = ["component", "servers", "configured", "mean", "ci_low", "ci_high", "n", "meets_target"]
        return p99[columns].rename(columns={"mean": "p99_s"}).round(4).reset_index(drop=True)


def sizing_study(
    scenario: Scenario,
    replications: int,
    *,
    target_p99_s: float,
    taps: int = 5_000,
    components: Sequence[str] = COMPONENTS,
    server_counts: dict[str, Sequence[int]] | None = None,
    points: int = 8,
    workers: int = 1,
    executor: Executor | None = None,
) -> SizingStudy:
    """p99 at the peak for each count of `server_counts` (default `default_server_counts`) of each
    component, the others as configured; every point runs replications 0 … n−1 (common random
    numbers); `points` is how many counts `default_server_counts` gives. Counts that would
    overload a host are not simulated: their p99 is infinite."""
    windows = []
    for component in components:
        counts = list((server_counts or {}).get(component) or default_server_counts(scenario, component, points))
        for n in counts:
            sized = scenario.with_overrides({f"{component}.servers": int(n)})
            windows.append(({"component": component, "servers": int(n)}, peak_window(sized, taps=taps)))
    frame, overloaded = _run_peak_points(windows, replications, workers, executor, "sizing curves")
    return SizingStudy(scenario, target_p99_s, frame, overloaded)


@dataclass(frozen=True)
class HeadroomStudy:
    """p99 at the peak as demand grows on today's configuration: one row per year ahead and
    replication in `frame` (`years_ahead` counts years beyond the scenario's own)."""

    scenario: Scenario
    target_p99_s: float
    frame: pd.DataFrame  # simulated years only
    overloaded: list[dict[str, Any]] = field(default_factory=list)  # {years_ahead} not simulated

    def intervals(self) -> pd.DataFrame:
        """Mean p95 and p99 with 95 % intervals per year (overloaded years: mean ∞)."""
        metrics = ["latency_p95_s", "latency_p99_s"]
        intervals = _intervals(self.frame, ["years_ahead"], metrics)
        rows = _with_overloaded(intervals, self.overloaded, metrics)
        rows = rows.assign(years_ahead=rows["years_ahead"].astype(int))
        return rows.sort_values(["years_ahead"], kind="stable").reset_index(drop=True)

    def years_absorbed(self) -> int | None:
        """The last swept year up to which every swept year meets the target (None: not even now)."""
        p99 = self.intervals()
        p99 = p99[p99["metric"] == "latency_p99_s"].sort_values("years_ahead")
        absorbed = None
        for years, ok in zip(p99["years_ahead"], _meets(p99, self.target_p99_s)):
            if not ok:
                break
            absorbed = int(years)
        return absorbed

    def table(self) -> pd.DataFrame:
        p99 = self.intervals()
        p99 = p99[p99["metric"] == "latency_p99_s"]
        growth = self.scenario.demand.growth_per_year
        p99 = p99.assign(
            demand_factor=[(1 + growth) ** y for y in p99["years_ahead"]],
            meets_target=_meets(p99, self.target_p99_s),
        )
        columns = ["years_ahead", "demand_factor", "mean", "ci_low", "ci_high", "n", "meets_target"]
        return p99[columns].rename(columns={"mean": "p99_s"}).round(4).reset_index(drop=True)


def headroom_years(max_years: int, breaks_in_year: int | None = None, most: int = 13) -> list[int]:
    """Years to sweep: 0 … `max_years` (or two years past the year the target breaks, if sooner)
    in at most `most` even steps, with the breaking year and the one before it.

    >>> headroom_years(30, breaks_in_year=21)
    [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 21, 22, 23]
    >>> headroom_years(10)
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    """
    last = max_years if breaks_in_year is None else min(max_years, breaks_in_year + 2)
    step = max(1, -(-last // (most - 1)))
    years = set(range(0, last + 1, step)) | {last}
    if breaks_in_year is not None and breaks_in_year <= last:
        years |= {breaks_in_year, max(0, breaks_in_year - 1)}
    return sorted(years)


def headroom_study(
    scenario: Scenario,
    replications: int,
    *,
    target_p99_s: float,
    years: Sequence[int],
    taps: int = 5_000,
    workers: int = 1,
    executor: Executor | None = None,
) -> HeadroomStudy:
    """p99 at the peak `years` of growth ahead (`demand.growth_per_year` compounded) on today's
    servers, replications 0 … n−1 at each year; overloaded years are not simulated (p99 ∞)."""
    points = [({"years_ahead": int(y)}, peak_window(scenario, years=float(y), taps=taps)) for y in years]
    frame, overloaded = _run_peak_points(points, replications, workers, executor, "headroom")
    return HeadroomStudy(scenario, target_p99_s, frame, overloaded)


# -- rendering ----------------------------------------------------------------------------------

# The report HTML extends nbconvert's JupyterLab template and drops everything it would load
# from a CDN (require.js, MathJax, Mermaid, widget manager): the report has none of those.
_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


@dataclass(frozen=True)
class ReportParameters:
    """What the report notebook's `parameters` cell receives (None: the scenario's own value)."""

    scenario: str = "national-day"
    seed: int | None = None
    scale: float | None = None
    replications: int = 5
    target_p99_s: float = 2.0
    peak_taps: int = 2_000
    max_years: int = 30
    sizing_points: int = 8
    workers: int = 1
    dask: str | None = None

    def as_notebook_parameters(self) -> dict[str, Any]:
        return {name.upper(): value for name, value in asdict(self).items()}


def notebook_path() -> Path:
    """The report notebook (override the folder with ELCART_SIM_NOTEBOOKS)."""
    folder = os.environ.get("ELCART_SIM_NOTEBOOKS")
    return (Path(folder) if folder else Path(__file__).resolve().parent.parent / "notebooks") / NOTEBOOK


def report_scenario(
    name_or_path: str, seed: int | None = None, scale: float | None = None, fidelity: str | None = "fast"
) -> Scenario:
    """The scenario a report is about: a bundled name or a YAML path, with the seed and scale
    replaced where given. Reports run the `fast` fidelity by default: the same outcomes and
    timings as `wire` (tests/test_runs.py checks it), fewer codec cycles.

    >>> s = report_scenario("national-day", scale=0.01)
    >>> s.scale, s.fidelity
    (0.01, 'fast')
    """
    overrides: dict[str, Any] = {}
    if fidelity is not None:
        overrides["fidelity"] = fidelity
    if seed is not None:
        overrides["seed"] = seed
    if scale is not None:
        overrides["scale"] = scale
    return load_scenario(name_or_path, **overrides)


def execute_notebook(parameters: ReportParameters, executed_path: Path, *, source: Path | None = None) -> Path:
    """Run the report notebook with `parameters` (papermill) and save the executed copy."""
    import papermill

    source = source or notebook_path()
    if not source.exists():
        raise ReportError(f"report notebook {str(source)!r} does not exist")
    executed_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(source),
            str(executed_path),
            parameters=parameters.as_notebook_parameters(),
            kernel_name="python3",
            progress_bar=False,
            cwd=str(source.parent),
            extra_arguments=["--log-level=ERROR"],  # the kernel's start-up notices are not the report's
        )
    except papermill.PapermillExecutionError as exc:
        raise ReportError(
            f"report notebook failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
            f"(the executed notebook is {executed_path})"
        ) from None
    return executed_path


def render_html(executed_path: Path, html_path: Path, *, title: str, show_code: bool = False) -> Path:
    """Render an executed notebook into one self-contained HTML file (images inline, no CDN)."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(executed_path, as_version=4)
    notebook.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"elcart_report.html.j2": _TEMPLATE})],
        template_file="elcart_report.html.j2",
        embed_images=True,
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def build_report(parameters: ReportParameters, out_dir: str | os.PathLike, *, show_code: bool = False) -> Path:
    """Execute the report notebook for `parameters` and write `DIR/capacity-report-<scenario>.html`
    (and the executed notebook beside it); returns the HTML file."""
    scenario = report_scenario(parameters.scenario, parameters.seed, parameters.scale)  # fail fast
    if Path(parameters.scenario).suffix:  # a YAML path: the kernel runs in notebooks/
        parameters = ReportParameters(**{**asdict(parameters), "scenario": str(Path(parameters.scenario).resolve())})
    out = Path(out_dir)
    executed = execute_notebook(parameters, out / f"capacity-report-{scenario.name}.ipynb")
    title = f"ELKART Pay capacity plan — {scenario.name} (seed {scenario.seed}, scale {scenario.scale:g})"
    return render_html(executed, out / f"capacity-report-{scenario.name}.html", title=title, show_code=show_code)


# -- command line -------------------------------------------------------------------------------


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `elcart-sim report` on the main parser's subcommands."""
    defaults = ReportParameters()
    report = subparsers.add_parser(
        "report",
        help="capacity-planning report: the capacity notebook executed and rendered to one HTML file",
        description="Execute notebooks/04_capacity_planning.ipynb for a scenario (papermill) and render it "
        "into one self-contained HTML file in --out: demand over the day, latency percentiles with 95 % "
        "confidence bands across replications, utilisation per component, sizing curves (p99 against "
        "servers per component) and headroom over the years of growth.",
    )
    add_scenario_options(report, fidelity=False)  # reports run the fast fidelity
    report.add_argument(
        "--replications",
        type=int,
        default=defaults.replications,
        metavar="N",
        help="independent replications behind every mean and confidence interval (default: %(default)s)",
    )
    report.add_argument(
        "--target-p99",
        type=float,
        default=defaults.target_p99_s,
        metavar="SECONDS",
        help="tap-to-result p99 the sizing and headroom sections aim at (default: %(default)s)",
    )
    report.add_argument(
        "--years",
        type=int,
        default=defaults.max_years,
        metavar="N",
        help="growth horizon of the headroom section, in years (default: %(default)s)",
    )
    report.add_argument(
        "--peak-taps",
        type=int,
        default=defaults.peak_taps,
        metavar="N",
        help="taps per simulated peak window in the sizing and headroom sections (default: %(default)s)",
    )
    report.add_argument(
        "--sizing-points",
        type=int,
        default=defaults.sizing_points,
        metavar="N",
        help="about how many server counts each sizing curve has (default: %(default)s)",
    )
    report.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        metavar="N",
        help="run replications on N local processes (default: %(default)s, in the notebook's kernel)",
    )
    report.add_argument("--dask", metavar="ADDRESS|local", help="run replications on a Dask cluster (a scheduler address, or local)")
    report.add_argument("--show-code", action="store_true", help="include the notebook's code cells in the HTML")
    report.add_argument("--out", required=True, metavar="DIR", help="output folder")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if args.replications < 2:
        raise ReportError(f"--replications must be >= 2 for confidence intervals, got {args.replications}")
    for option, value, least in (("--peak-taps", args.peak_taps, 1), ("--years", args.years, 0),
                                 ("--sizing-points", args.sizing_points, 2), ("--workers", args.workers, 1)):
        if value < least:
            raise ReportError(f"{option} must be >= {least}, got {value}")
    if not args.target_p99 > 0:
        raise ReportError(f"--target-p99 must be > 0 s, got {args.target_p99}")
    parameters = ReportParameters(
        scenario=args.scenario,
        seed=args.seed,
        scale=args.scale,
        replications=args.replications,
        target_p99_s=args.target_p99,
        peak_taps=args.peak_taps,
        max_years=args.years,
        sizing_points=args.sizing_points,
        workers=args.workers,
        dask=args.dask,
    )
    scenario = report_scenario(args.scenario, args.seed, args.scale)
    print(
        f"report on {scenario.name}: ~{scenario.transactions_expected:,.0f} taps per run, "
        f"{args.replications} replications, seed {scenario.seed}, scale {scenario.scale:g}",
        file=sys.stderr,
    )
    started = time.perf_counter()
    html = build_report(parameters, args.out, show_code=args.show_code)
    print(f"  wall time           {time.perf_counter() - started:.1f} s")
    print(f"  wrote {html.resolve()}")
    return 0
