"""Fault drills: the same day run again and again under seeded fault plans, its invariants
checked in every run, each run scored against the day without faults.

Physical picture: the operators' drill night, automated. Drill run i of a drill with seed S
plays the scenario's day (seed S) under the fault plan of run i and checks every invariant after
every posting and at the end (core/invariants.py). A random plan is drawn from a seed of its own,
`plan_seed(S, i)` (faults/plan.random_plan, on a generator of its own: the day's demand is not
shifted), so every random run plays the same customers as the day without faults, which is run
once and shared; a plan from a file is the same for every run, so run i then plays replication i
of the day (its own customers), against replication i without faults. Either way run i is
reproduced exactly by its seed and index alone: a violation is replayed by one command.

Runs go out to an executor (capacity/executors.py: serial, local processes, Dask) as small
picklable tasks — the scenario, the plan, the baseline's outcomes — and come back as one row of
figures and the violations found. A run that fails with an error while it plays is a violation
too, ``run_completes``, not the end of the drill; a plan that cannot be built into the run (a
host or bank that does not exist) is an error in the input, refused before anything runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from elcart_sim.analysis.drill_scores import SCORE_COLUMNS, outcomes, score
from elcart_sim.capacity.executors import Executor, run_all
from elcart_sim.core.errors import ConfigurationError, ElcartSimError, ScenarioError
from elcart_sim.core.invariants import Violation
from elcart_sim.scenario import Scenario

__all__ = ["Drill", "DrillTask", "FAULT_SOURCES", "drill", "fault_plan", "plan_seed", "run_drill"]

FAULT_SOURCES = ("random", "none")
"""The fault plans a drill can draw besides a plan file: seeded random plans, or none at all."""

_PLAN_STREAM = 0x0D1211  # mixed into each run's plan seed, so it is no other stream's seed


def plan_seed(seed: int, run: int) -> int:
    """The seed of drill run ``run``'s random fault plan, from the drill's ``seed``: the same on
    every machine, different for every run.

    >>> plan_seed(7, 0) == plan_seed(7, 0) != plan_seed(7, 1)
    True
    """
    return int(np.random.SeedSequence([seed, run, _PLAN_STREAM]).generate_state(1)[0])


def fault_plan(faults: str, scenario: Scenario, seed: int, run: int) -> Any:
    """The fault section run ``run`` plays: None for ``none``; for ``random``, a plan drawn from
    `plan_seed(seed, run)`; else ``faults`` names a YAML file holding a ``faults:`` section (or
    the section alone), the same for every run."""
    if faults == "none":
        return None
    if faults == "random":
        try:
            from elcart_sim.faults.plan import random_plan
        except ImportError:
            raise ConfigurationError("--faults random needs elcart_sim.faults (the fault plans), which this build lacks; give a plan FILE or none") from None
        return random_plan(plan_seed(seed, run), scenario)
    path = Path(faults)
    if not path.is_file():
        raise ScenarioError("--faults", f"must be random, none or a YAML file with a faults: section, got {faults!r} (no such file)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ScenarioError("--faults", f"{path} is not YAML: {error}") from None
    return raw.get("faults") if isinstance(raw, dict) and "faults" in raw else raw


def with_faults(scenario: Scenario, plan: Any) -> Scenario:
    """``scenario`` with ``plan`` as its fault section (no plan, or an empty one: as it is)."""
    if plan is None or (isinstance(plan, (list, tuple, dict)) and not plan):
        return scenario
    return scenario.with_overrides({"faults": _section(plan)})


def _section(plan: Any) -> Any:
    """A plan as a scenario's ``faults`` section: a drawn plan's faults each as their spec
    (faults/plan.Fault.to_spec); a section read from a file as it is."""
    if isinstance(plan, (list, tuple)):
        return [fault.to_spec() if hasattr(fault, "to_spec") else fault for fault in plan]
    return plan


@dataclass(frozen=True)
class DrillTask:
    """One drill run: run ``run`` of ``scenario`` (its seed the drill's), on ``replication``,
    under ``plan``, scored against ``baseline`` (`drill_scores.outcomes` of the same day and
    replication without faults)."""

    scenario: Scenario
    run: int
    replication: int
    plan: Any
    baseline: pd.DataFrame


def baseline_outcomes(task: tuple[Scenario, int]) -> pd.DataFrame:
    """`outcomes` of replication ``task[1]`` of the day ``task[0]`` without faults."""
    from elcart_sim.model.simulation import Simulation

    scenario, replication = task
    return outcomes(Simulation(scenario, replication=replication).run())


def run_drill(task: DrillTask) -> dict[str, Any]:
    """Play one drill run with its invariants checked: its row of figures, with the violations
    found (as tuples) under ``violations``. What executors ship to workers; deterministic in the task."""
    from elcart_sim.model.simulation import Simulation

    started = time.perf_counter()
    simulation = Simulation(with_faults(task.scenario, task.plan), replication=task.replication, check_invariants=True)
    checker = simulation.invariants
    try:
        results = simulation.run()
    except ElcartSimError as error:  # the run could not go on: a violation too, the drill goes on
        results = None
        checker.violations.append(Violation("run_completes", -1, float(simulation.env.now), f"{type(error).__name__}: {error}"))
    faults = _injected(results, task.plan)
    scores = score(task.baseline, results, faults) if results is not None else dict.fromkeys(SCORE_COLUMNS, float("nan"))
    kinds = faults["kind"].astype(str).value_counts().to_dict() if len(faults) else {}
    return {
        "run": task.run,
        "replication": task.replication,
        "faults": len(faults),
        "faults_by_kind": dict(sorted(kinds.items())),
        **{f"messages_{name}": int(faults[name].sum()) if name in faults.columns else 0 for name in ("dropped", "repeated", "duplicated")},
        "violations": [tuple(v) for v in checker.violations],
        **scores,
        "wall_s": time.perf_counter() - started,
    }


def _injected(results: Any, plan: Any) -> pd.DataFrame:
    """The faults the run injected (its ``faults`` table, when the run has one), else those its
    plan names; columns at least ``kind`` (and when known ``ended_at``)."""
    table = getattr(results, "faults", None)
    if isinstance(table, pd.DataFrame):
        return table
    section = _section(plan) if plan is not None else []
    frame = pd.DataFrame([entry for entry in section if isinstance(entry, dict)] if isinstance(section, list) else [])
    if "kind" not in frame.columns:
        return pd.DataFrame({"kind": pd.Series([], dtype=str)})
    return frame.rename(columns={"end_s": "ended_at"})


@dataclass(frozen=True)
class Drill:
    """A drill's runs: one row per run (its faults by kind, violations and scores), and every
    violation found, with its run."""

    scenario: Scenario
    seed: int
    faults: str
    runs: pd.DataFrame
    violations: pd.DataFrame

    @property
    def failed_runs(self) -> list[int]:
        """The runs with at least one violation, in order."""
        return sorted(set(self.violations["run"].tolist()))

    def summary(self) -> dict[str, Any]:
        """The drill in a few figures (plain Python numbers)."""
        runs = self.runs
        kinds = sorted({kind for counts in runs["faults_by_kind"] for kind in counts})
        return {
            "scenario": self.scenario.name,
            "scale": self.scenario.scale,
            "seed": self.seed,
            "fault_plans": self.faults,
            "runs": len(runs),
            "faults": int(runs["faults"].sum()),
            "faults_by_kind": {kind: int(sum(counts.get(kind, 0) for counts in runs["faults_by_kind"])) for kind in kinds},
            "violations": len(self.violations),
            "runs_with_violations": len(self.failed_runs),
            **{f"{name}_total": float(runs[name].sum()) for name in ("sales_lost", "sales_lost_kgs", "reversals", "customers_affected", "stand_in_exposure_kgs")},
            "time_to_recover_s_max": float(runs["time_to_recover_s"].max()) if len(runs) else float("nan"),
        }


def drill(
    scenario: Scenario,
    runs: int,
    *,
    seed: int | None = None,
    faults: str = "random",
    first: int = 0,
    executor: Executor | None = None,
    progress: bool = False,
) -> Drill:
    """Runs ``first`` … ``first + runs - 1`` of a drill on ``scenario`` with ``seed`` (default:
    the scenario's), each under its fault plan (``faults``: random, none, or a plan FILE), on
    ``executor`` (None: serially, here).

    >>> from elcart_sim import load_scenario
    >>> found = drill(load_scenario("national-day", scale=0.0005, fidelity="fast"), 2, seed=5, faults="none")
    >>> list(found.runs["run"]), found.failed_runs
    ([0, 1], [])
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ConfigurationError(f"drill: runs must be a whole number >= 1, got {runs!r}")
    if isinstance(first, bool) or not isinstance(first, int) or first < 0:
        raise ConfigurationError(f"drill: the first run must be a whole number >= 0, got {first!r}")
    seed = scenario.seed if seed is None else seed
    scenario = scenario.with_overrides({"seed": seed}) if seed != scenario.seed else scenario
    indices = range(first, first + runs)
    plans = [fault_plan(faults, scenario, seed, run) for run in indices]
    for plan in plans:  # every plan valid before anything runs
        with_faults(scenario, plan)
    if faults not in FAULT_SOURCES:  # a file's plan names hosts and banks: built once, so that it is refused now if it must be
        from elcart_sim.model.simulation import Simulation

        Simulation(with_faults(scenario, plans[0]))
    replications = [run if faults not in FAULT_SOURCES else 0 for run in indices]  # a file's plan: each run its own day
    distinct = sorted(set(replications))
    baselines = dict(zip(distinct, run_all(executor, baseline_outcomes, [(scenario, r) for r in distinct], progress=progress, desc="days without faults")))
    tasks = [DrillTask(scenario, run, replication, plan, baselines[replication]) for run, replication, plan in zip(indices, replications, plans)]
    rows = run_all(executor, run_drill, tasks, progress=progress, desc="drill runs")
    violations = [{"run": row["run"], **Violation(*found)._asdict()} for row in rows for found in row.pop("violations")]
    columns = ["run", *Violation._fields]
    return Drill(scenario, seed, faults, pd.DataFrame(rows), pd.DataFrame(violations, columns=columns))
