"""Command-line options shared by the commands that run a scenario (run, replicate, sweep, size,
report, and the live tap and phone): which scenario, the seed, scale and fidelity that override
its own, and `--set PATH=VALUE` for any other field."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario import Scenario, load_scenario

__all__ = ["add_scenario_options", "add_set_option", "scenario_from_args", "scenario_with_sets"]

SET_HELP = (
    "override one scenario field by its dotted path, e.g. --set switch.servers=4 or "
    "--set security.keys.batch_size=1000 (VALUE is read as YAML; repeat for more fields)"
)


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """`--set PATH=VALUE`, repeatable: any scenario field (see `scenario_overrides`)."""
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help=SET_HELP)


def scenario_with_sets(name_or_path: str, assignments: Sequence[str] = (), **fields: Any) -> Scenario:
    """Scenario `name_or_path` with the `--set` `PATH=VALUE` assignments — each VALUE read as YAML,
    as a sweep reads its values (`capacity.sweeps.parse_assignment`), but one value each — then
    `fields` (dotted path -> value; None leaves the scenario's own)."""
    from elcart_sim.capacity.sweeps import parse_assignment

    overrides: dict[str, Any] = {}
    for text in assignments:
        path, values = parse_assignment(text)
        if len(values) != 1:
            raise ScenarioError(path, f"takes one value with --set, got {len(values)} in {text!r} (several values are a sweep: elcart-sim sweep --set {text})")
        overrides[path] = values[0]
    overrides.update((path, value) for path, value in fields.items() if value is not None)
    scenario = load_scenario(name_or_path)
    return scenario.with_overrides(overrides) if overrides else scenario


def add_scenario_options(parser: argparse.ArgumentParser, *, fidelity: bool = True, overrides: bool = True) -> None:
    parser.add_argument(
        "--scenario",
        default="national-day",
        metavar="NAME|PATH",
        help="bundled scenario name or path to a YAML file (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, metavar="N", help="master random seed (default: the scenario's)")
    parser.add_argument(
        "--scale",
        type=float,
        metavar="F",
        help="scale population and demand, e.g. 0.01 for 1%% (default: the scenario's, 1.0 = national size)",
    )
    if fidelity:
        parser.add_argument(
            "--fidelity",
            choices=("wire", "fast"),
            help="wire: ISO 8583 bytes at every host boundary; fast: message objects, same timings "
            "and outcomes (default: the scenario's, normally wire)",
        )
    if overrides:
        add_set_option(parser)


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The chosen scenario with the `--set` fields, then the seed, scale and fidelity given on
    the command line."""
    return scenario_with_sets(
        args.scenario, getattr(args, "overrides", ()), seed=args.seed, scale=args.scale, fidelity=getattr(args, "fidelity", None)
    )
