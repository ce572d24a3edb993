"""Capacity-planning reports: the studies behind them, and the notebook rendered to one HTML file.

    elcart-sim report [--scenario NAME|PATH] [--replications N] [--seed N] [--scale F] [--days N] --out DIR

A report answers three questions about a scenario, each from independent replications with 95 %
confidence intervals (`elcart_sim.capacity`):

- `day_study`: how the day goes — taps per second and latency percentiles hour by hour, the
  headline metrics, and the utilisation of every host over the day and in its peak hour;
- `sizing_study`: for each component in turn (acquirer, switch, issuers, and on a day with the
  app's services the directory, the biller gateways and the interaction operator), p99 against
  its number of servers, the others as configured, and the smallest count that meets the target;
- `headroom_study`: p99 as demand grows year by year (`demand.years_ahead`) on today's
  configuration, and how many years it absorbs before the target breaks.

With `--days N` it also shows how N days in a row go (`days_study`): one run from the scenario's
date, the days table (`analysis.days`) and its plot. With `--drills N`, N fault drills on the
day (`drills_study`): the faults injected, the invariants broken, and the sales lost, reversals,
customers affected, stand-in exposure and time to recover against the day without faults.

`notebooks/04_capacity_planning.ipynb` holds the narrative and calls these and `elcart_sim.analysis.plots`.
`build_report` executes it for a scenario (papermill) and renders it (nbconvert) into a single
self-contained HTML file.

One concern per module:

| module | what it holds |
|---|---|
| `overview` | the report's opening: `heading` (what was simulated, the target) and `demand_table` |
| `day` | `day_study` and `DayStudy`: the day's replications, hour by hour, and their tables |
| `peak_points` | points simulated at the peak window (overloaded points skipped, p99 ∞), their intervals |
| `sizing_curves` | `sizing_study` and `SizingStudy`: p99 at the peak against servers, one component at a time |
| `headroom` | `headroom_study` and `HeadroomStudy`: p99 at the peak as demand grows, years absorbed |
| `days` | `days_study` and `DaysStudy`: a multi-day run's days table, one row per day (off by default) |
| `drills` | `drills_study` and `DrillsStudy`: fault drills on the day, scored against it without faults (off by default) |
| `runner` | the executor a study runs on: the caller's, or its own for `workers` processes |
| `notebook` | `ReportParameters`, `report_scenario`, the notebook executed (papermill) and rendered (nbconvert) |
"""

from elcart_sim.report.day import DayStudy, day_study, hourly_rows
from elcart_sim.report.days import DaysStudy, days_study
from elcart_sim.report.drills import DrillsStudy, drills_study
from elcart_sim.report.headroom import HeadroomStudy, headroom_study, headroom_years
from elcart_sim.report.notebook import (
    NOTEBOOK,
    ReportParameters,
    build_report,
    execute_notebook,
    notebook_path,
    render_html,
    report_scenario,
)
from elcart_sim.report.overview import demand_table, heading
from elcart_sim.report.sizing_curves import SizingStudy, default_server_counts, sizing_study

__all__ = [
    "DayStudy",
    "SizingStudy",
    "HeadroomStudy",
    "DaysStudy",
    "DrillsStudy",
    "day_study",
    "days_study",
    "drills_study",
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
]
