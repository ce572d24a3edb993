"""`elcart-sim calibrate`: run a scenario and set what it produced against the published figures.

    elcart-sim calibrate [--scenario NAME|PATH] [--scale F] [--seed N] [--set PATH=VALUE ...]
                         [--targets FILE] [--hourly FILE] [--out FILE]

Prints the calibration table (analysis/calibration.py) and writes it to --out (CSV, or Parquet
for a .parquet name). Exit 0 when every target is inside its tolerance, 1 when one is not, 2 on
a targets file that cannot be read (the message names the row and the column) — checked before
anything is simulated.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from elcart_sim.cli.options import add_scenario_options, scenario_from_args
from elcart_sim.core.errors import OutputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_commands", "calibration_text", "EXIT_OUTSIDE_TOLERANCE"]

EXIT_OUTSIDE_TOLERANCE = 1


def add_commands(commands: argparse._SubParsersAction) -> None:
    calibrate = commands.add_parser(
        "calibrate",
        help="run a scenario and compare what it produced with the published figures",
        description="Simulate the scenario's day and print, and write as a table, each calibration target: "
        "the simulated figure (completed and approved transactions, per day ÷ scale), the published one, the "
        "tolerance, the sampling noise at the run's scale and whether it passed (|simulated − published| ≤ "
        "tolerance + 3 × noise). Exit 1 when a target fails, 2 on a bad targets file. Targets: "
        "data/calibration_targets.csv and data/calibration_hourly.csv; sources in data/README.md.",
    )
    add_scenario_options(calibrate)
    calibrate.add_argument("--targets", metavar="FILE", help="targets CSV (default: data/calibration_targets.csv)")
    calibrate.add_argument("--hourly", metavar="FILE", help="hourly shares CSV (default: data/calibration_hourly.csv)")
    calibrate.add_argument("--out", dest="out_file", default="calibration.csv", metavar="FILE", help="the table's file, .csv or .parquet (default: %(default)s)")
    calibrate.set_defaults(handler=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    from elcart_sim.analysis.calibration import calibration_table, load_hourly, load_targets
    from elcart_sim.model.simulation import run

    targets = load_targets(args.targets)  # a bad file stops here, before the run
    hourly = load_hourly(args.hourly) if any(t.name.startswith("hourly_nrmse_") for t in targets) else None
    out = Path(args.out_file)
    if out.is_dir():  # before the run, as the other commands check --out
        raise OutputError(f"cannot write the calibration table to --out {out}: it is a folder, not a file")
    scenario = scenario_from_args(args)
    print(f"calibrating {scenario.name}: seed {scenario.seed}, scale {scenario.scale:g}", file=sys.stderr)
    args.activity.now(f"simulating {scenario.name}")
    started = time.perf_counter()
    results = run(scenario, progress=False)
    elapsed = time.perf_counter() - started
    table = calibration_table(results, targets, hourly)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".parquet":
            table.to_parquet(out, index=False)
        else:
            table.to_csv(out, index=False)
    except OSError as exc:
        raise OutputError(f"cannot write the calibration table to --out {out}: {exc.strerror or exc}") from exc
    print(calibration_text(table))
    print(f"  wall time {elapsed:.1f} s; wrote {out.resolve()}")
    return 0 if bool(table["passed"].all()) else EXIT_OUTSIDE_TOLERANCE


def _figure(value: float) -> str:
    if value != value:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:.4f}"


def calibration_text(table: pd.DataFrame) -> str:
    """The table for the terminal: one line a target, then how many passed."""
    from elcart_sim.analysis.calibration import NOISE_SE
    from elcart_sim.capacity.tables import text_table

    rows = [
        {"target": row["target"], "unit": row["unit"], "simulated": _figure(row["simulated"]), "published": _figure(row["published"]),
         "tolerance": _figure(row["tolerance"]), "noise (1 SE)": _figure(row["noise"]), "pass": "yes" if row["passed"] else "NO",
         "label": row["label"]}
        for row in table.to_dict("records")
    ]  # fmt: skip
    passed = int(table["passed"].sum())
    return (
        f"  calibration (pass: |simulated − published| ≤ tolerance + {NOISE_SE:g} × noise)\n"
        + "\n".join("  " + line for line in text_table(rows).splitlines())
        + f"\n  {passed} of {len(table)} targets inside their tolerance"
    )
