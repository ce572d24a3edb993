"""Scenario files: YAML under data/scenarios/ (or any path), read strictly and validated.

A duplicate key is an error, not a silently kept last value; dates stay text for the validator.
`data_dir()` is the bundled data folder (override with ELCART_SIM_DATA).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.scenario import Scenario

__all__ = ["load_scenario", "scenario_names", "data_dir"]


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise ScenarioError(str(key), f"appears twice (line {key_node.start_mark.line + 1})")
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay text (`date: 2025-07-01` is the string '2025-07-01'); the validator checks them.
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def data_dir() -> Path:
    """The bundled data folder (override with ELCART_SIM_DATA)."""
    env = os.environ.get("ELCART_SIM_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data"


def scenario_names() -> list[str]:
    return sorted(p.stem for p in (data_dir() / "scenarios").glob("*.yaml"))


def load_scenario(name_or_path: str | os.PathLike = "national-day", **overrides: Any) -> Scenario:
    """Load a bundled scenario by name, or a YAML file by path; keyword overrides use `__` for dots.

    >>> load_scenario("national-day", scale=0.01).scale
    0.01
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = data_dir() / "scenarios" / f"{name_or_path}.yaml"
        if not path.exists():
            raise ScenarioError("", f"no scenario named {str(name_or_path)!r}; bundled: {', '.join(scenario_names())}")
    if not path.exists():
        raise ScenarioError("", f"scenario file {str(path)!r} does not exist")
    try:
        with path.open(encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except ScenarioError as exc:
        raise ScenarioError(exc.path, exc.problem, source=str(path)) from None
    except yaml.YAMLError as exc:
        raise ScenarioError("", f"is not valid YAML: {exc}", source=str(path)) from None
    if raw is None:
        raw = {}
    scenario = Scenario.from_dict(raw, source=str(path))
    if overrides:
        scenario = scenario.with_overrides({k.replace("__", "."): v for k, v in overrides.items()})
    return scenario
