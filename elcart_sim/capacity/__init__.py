"""Capacity planning on the model: replications with confidence intervals, sweeps, theory checks,
sizing, and running all of it on local processes or a Dask cluster.

One concern per module:

| module | what it does |
|---|---|
| `metrics` | one replication's metrics after warm-up (flat dict; per-host measures) |
| `intervals` | Student-t intervals across replications; paired (CRN) and Welch differences |
| `replications` | `replicate` a scenario on independent streams; `compare` two variants on CRN |
| `sweeps` | `sweep` any scenario fields (dotted paths) over a grid; one tidy row per point × replication |
| `executors` | `SerialExecutor`, `ProcessExecutor`, `DaskExecutor`: identical answers, different places |
| `queueing` | Erlang B/C, M/M/c waiting times, Allen–Cunneen, relaxation times |
| `validation` | the analytic validation suite behind `elcart-sim validate` |
| `hosts` | the sized hosts (the registry's host specs for the scenario), their servers, each host pool's load at a tap rate |
| `visits` | visit ratios: the messages a request of each app channel brings to each host, measured by a pilot run |
| `peak` | the peak window: the busiest hour, some years of growth ahead, as a run of its own |
| `predictor` | the analytic p99 predictor from one pilot run (Erlang C / Allen–Cunneen waits on pilot taps) |
| `evaluations` | one server vector simulated at its peak window (replications, p99 interval), kept once |
| `growth` | the years of growth today's servers absorb, walked year by year from the predictor's guess |
| `sizing_report` | the answers of `size`, as plain values or a terminal table |
| `knee` | the knee: the load multiple at which each host is 80 % busy, and the year growth gets it there |
| `sizing` | `size`: servers per host for a p99 target at the peak, and years of growth absorbed (`elcart-sim size`) |
| `tables` | plain-text tables for the terminal |

A typical study (serially here; pass `executor=ProcessExecutor(2)` or `DaskExecutor("local")`
to scale out — scripts that use processes need the `if __name__ == "__main__":` guard):

    >>> from elcart_sim import load_scenario
    >>> from elcart_sim.capacity import sweep, confidence_intervals
    >>> base = load_scenario("national-day", scale=0.0005, fidelity="fast")
    >>> frame = sweep(base, {"switch.servers": [1, 2]}, replications=2)
    >>> frame[["switch.servers", "replication"]].values.tolist()
    [[1, 0], [1, 1], [2, 0], [2, 1]]
    >>> table = confidence_intervals(frame, by=["switch.servers"], metrics=["latency_p99_s"])
    >>> list(table.columns)
    ['switch.servers', 'metric', 'n', 'mean', 'std', 'half_width', 'ci_low', 'ci_high', 'confidence']
"""

from elcart_sim.capacity.evaluations import Evaluation
from elcart_sim.capacity.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor, make_executor, run_all
from elcart_sim.capacity.growth import GrowthAnswer
from elcart_sim.capacity.hosts import HostLoad, host_loads
from elcart_sim.capacity.intervals import Interval, confidence_intervals, difference_interval, mean_interval
from elcart_sim.capacity.knee import KNEE_UTILISATION, first_knee, knee_curves, knee_table
from elcart_sim.capacity.metrics import (
    COMPONENT_MEASURES,
    TRANSACTION_METRICS,
    component_metrics,
    per_component,
    replication_metrics,
)
from elcart_sim.capacity.peak import PeakWindow, peak_window
from elcart_sim.capacity.queueing import erlang_b, erlang_c, mmc_mean_wait_s, utilisation, wait_quantile_s
from elcart_sim.capacity.replications import ReplicationTask, compare, replicate, run_replication, run_tasks
from elcart_sim.capacity.sizing import size
from elcart_sim.capacity.sizing_report import SizingReport
from elcart_sim.capacity.sweeps import grid_points, parse_assignment, sweep
from elcart_sim.capacity.validation import ValidationReport, queue_scenario, validate

__all__ = [
    # running
    "Executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "make_executor",
    "run_all",
    "ReplicationTask",
    "run_replication",
    "run_tasks",
    "replicate",
    "compare",
    "sweep",
    "grid_points",
    "parse_assignment",
    # metrics and statistics
    "COMPONENT_MEASURES",
    "TRANSACTION_METRICS",
    "replication_metrics",
    "component_metrics",
    "per_component",
    "Interval",
    "mean_interval",
    "difference_interval",
    "confidence_intervals",
    # theory, checks, answers
    "erlang_b",
    "erlang_c",
    "mmc_mean_wait_s",
    "utilisation",
    "wait_quantile_s",
    "queue_scenario",
    "validate",
    "ValidationReport",
    "peak_window",
    "PeakWindow",
    "host_loads",
    "HostLoad",
    "size",
    "SizingReport",
    "Evaluation",
    "GrowthAnswer",
    "KNEE_UTILISATION",
    "knee_table",
    "knee_curves",
    "first_knee",
]
