"""Validation at the door: a plain mapping (as loaded from YAML) into frozen scenario objects.

`build` walks a spec dataclass: an unknown key, a value of the wrong type or one its field's
rule refuses (fields.py) raises ScenarioError naming the dotted path and the value;
`check_across_fields` then checks what involves several fields at once.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.faults import check_faults
from elcart_sim.scenario.hosts import HostSpec

if TYPE_CHECKING:
    from elcart_sim.scenario.scenario import Scenario

__all__ = ["build", "check_across_fields", "host_fields"]


def _type_name(value: Any) -> str:
    return type(value).__name__


def build(cls: type, raw: Any, path: str, source: str | None) -> Any:
    """An instance of the spec dataclass ``cls`` from ``raw``, every field checked."""
    if not isinstance(raw, Mapping):
        raise ScenarioError(path or "scenario", f"must be a mapping, got {_type_name(raw)} {raw!r}", source=source)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in raw if k not in fields]
    if unknown:
        key = unknown[0]
        where = f"{path}.{key}" if path else str(key)
        raise ScenarioError(where, f"is not a known key (known here: {', '.join(fields)})", source=source)
    values = {}
    for name, f in fields.items():
        if name not in raw:
            continue
        where = f"{path}.{name}" if path else name
        value = _coerce(hints[name], raw[name], where, source)
        rule = f.metadata.get("check")
        if rule is not None:
            try:
                rule(value, where)
            except ScenarioError as error:
                raise ScenarioError(error.path, error.problem, source=source) from None
        values[name] = value
    return cls(**values)


def _coerce(hint: Any, value: Any, path: str, source: str | None) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return build(hint, value, path, source)
    if hint is bool:
        if not isinstance(value, bool):
            raise ScenarioError(path, f"must be true or false, got {value!r}", source=source)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(path, f"must be an integer, got {_type_name(value)} {value!r}", source=source)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(path, f"must be a number, got {_type_name(value)} {value!r}", source=source)
        if value != value or value in (float("inf"), float("-inf")):
            raise ScenarioError(path, f"must be a finite number, got {value!r}", source=source)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ScenarioError(path, f"must be a string, got {_type_name(value)} {value!r}", source=source)
        return value
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ScenarioError(path, f"must be a list, got {_type_name(value)} {value!r}", source=source)
        return [_coerce(item, v, f"{path}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict:
        _key_type, item = typing.get_args(hint)
        if not isinstance(value, Mapping):
            raise ScenarioError(path, f"must be a mapping, got {_type_name(value)} {value!r}", source=source)
        return {str(k): _coerce(item, v, f"{path}.{k}", source) for k, v in value.items()}
    kind = "a union" if origin in (typing.Union, types.UnionType) else str(hint)
    raise ScenarioError(path, f"has a field type the loader cannot read ({kind}): a bug in the scenario's spec", source=source)


def host_fields(scenario: Scenario) -> tuple[str, ...]:
    """The scenario's fields that configure a host (a HostSpec), in declaration order."""
    return tuple(f.name for f in dataclasses.fields(scenario) if isinstance(getattr(scenario, f.name), HostSpec))


def check_across_fields(scenario: Scenario, source: str | None) -> None:
    """What no single field can check on its own."""
    hosts = {host: getattr(scenario, host) for host in host_fields(scenario)}
    hosts.update({f"issuers.{code}": spec for code, spec in scenario.issuers.items()})
    for host, spec in hosts.items():
        service = spec.service_time
        if service.dist != "constant" and service.mean_s == 0:
            raise ScenarioError(f"{host}.service_time.mean_s", f"must be > 0 for a {service.dist} distribution", source=source)
    keys = scenario.security.keys
    if keys.replenish_threshold >= keys.batch_size:
        raise ScenarioError(
            "security.keys.replenish_threshold",
            f"must be below security.keys.batch_size ({keys.batch_size}), got {keys.replenish_threshold}",
            source=source,
        )
    demand = scenario.demand
    if demand.day_kind == "auto" and not demand.salary_days_of_month and not demand.pension_days_of_month:
        raise ScenarioError("demand.salary_days_of_month", "must list the crediting days when demand.day_kind is auto", source=source)
    try:
        scenario.calendar.check()
        scenario.support.check()
    except ScenarioError as error:
        raise ScenarioError(error.path, error.problem, source=source) from None
    push = scenario.services.push
    if push.loss_share + push.offline_share > 1.0:
        raise ScenarioError(
            "services.push.offline_share",
            f"must leave room for services.push.loss_share ({push.loss_share}): the two sum to at most 1, got {push.offline_share}",
            source=source,
        )
    try:
        check_faults(scenario)
    except ScenarioError as error:
        raise ScenarioError(error.path, error.problem, source=source) from None
    if scenario.terminal.timeout_s <= scenario.acquirer.timeout_s:
        raise ScenarioError(
            "terminal.timeout_s",
            f"must exceed acquirer.timeout_s ({scenario.acquirer.timeout_s}) so that the acquirer answers first, "
            f"got {scenario.terminal.timeout_s}",
            source=source,
        )
