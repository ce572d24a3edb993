"""The components of the modelled system, by name: what results, capacity planning and the
report read instead of reaching into the entities.

Physical picture: the operator's inventory of hosts — the acquirer's processor, IPC's switch,
every member bank's issuing host — each with its servers and the scenario field that
configures it. The model registers each host it builds (one `add` per host); the hop records
name the host that handled each message (`hop`, and the issuing bank for a per-bank host), so
`component_of` turns a hop record into the component it loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from elcart_sim.core.errors import ConfigurationError

__all__ = ["Component", "Registry"]


@dataclass(frozen=True, slots=True)
class Component:
    """One host pool. ``hop`` is what its hop records say in `hop`; a per-bank host also names
    its ``bank`` (the records' `issuer`); ``spec`` is the scenario field holding its HostSpec;
    ``servers`` how many it has."""

    name: str
    hop: str
    spec: str
    servers: int
    bank: str = ""


class Registry:
    """The components in the order they were added (the order of every per-host table)."""

    def __init__(self, components: tuple[Component, ...] = ()):
        self._components: dict[str, Component] = {}
        self._of_hop: dict[tuple[str, str], str] = {}
        for component in components:
            self.add(component)

    def add(self, component: Component) -> Component:
        if component.name in self._components:
            raise ConfigurationError(f"component {component.name!r} is registered twice")
        self._components[component.name] = component
        self._of_hop[component.hop, component.bank] = component.name
        return component

    def component_of(self, hop: str, bank: str = "") -> str:
        """The name of the component a hop record of ``hop`` (issuing bank ``bank``) loaded."""
        name = self._of_hop.get((hop, bank))
        return name if name is not None else self._of_hop[hop, ""]

    def hop_names(self) -> dict[tuple[str, str], str]:
        """(hop, bank) -> component name; the bank is '' for a host that is not per bank."""
        return dict(self._of_hop)

    def specs(self) -> tuple[str, ...]:
        """The scenario fields that configure the components, each once, in order."""
        return tuple(dict.fromkeys(c.spec for c in self))

    def __getitem__(self, name: str) -> Component:
        return self._components[name]

    def __iter__(self) -> Iterator[Component]:
        return iter(self._components.values())

    def __len__(self) -> int:
        return len(self._components)

    def __contains__(self, name: object) -> bool:
        return name in self._components

    def names(self) -> list[str]:
        return list(self._components)
