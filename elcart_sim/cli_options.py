"""Command-line options shared by the commands that run a scenario (run, replicate, sweep, size):
which scenario, and the seed, scale and fidelity that override its own."""

from __future__ import annotations

import argparse

from elcart_sim.scenario import Scenario, load_scenario

__all__ = ["add_scenario_options", "scenario_from_args"]


def add_scenario_options(parser: argparse.ArgumentParser, *, fidelity: bool = True) -> None:
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


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The chosen scenario with the seed, scale and fidelity given on the command line."""
    scenario = load_scenario(args.scenario)
    chosen = (("seed", args.seed), ("scale", args.scale), ("fidelity", getattr(args, "fidelity", None)))
    overrides = {key: value for key, value in chosen if value is not None}
    return scenario.with_overrides(overrides) if overrides else scenario
