"""The links with a bandwidth (the scenario's `network.*_bps`), wired to the parties that send
over them: the acquirer's line to the switch, IPC's line to each bank, and the terminals' and
ATMs' own links to the acquirer (core/link.py). A link without a bandwidth is not built: its
party keeps the bare latency, as before any bandwidth was modelled.

Each link draws its latency from its party's own stream, in the order the messages are sent, so
a run with bandwidths draws what a run without them draws, only later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from elcart_sim.core.link import Link

if TYPE_CHECKING:
    from elcart_sim.model.simulation import Simulation

__all__ = ["ACQUIRER_SWITCH", "SWITCH_ISSUER", "TERMINAL_ACQUIRER", "connect_links"]

ACQUIRER_SWITCH = "link:acquirer-switch"
SWITCH_ISSUER = "link:switch-issuer"  # one per bank: "link:switch-issuer:<bank>"
TERMINAL_ACQUIRER = "link:terminal-acquirer"  # every terminal's and ATM's own, counted together


def connect_links(simulation: Simulation) -> dict[str, Link]:
    """Build the scenario's links with a bandwidth and connect their parties; by name."""
    network, env, size = simulation.scenario.network, simulation.env, simulation.wire.size
    links: dict[str, Link] = {}
    if network.acquirer_switch_bps:
        acquirer = simulation.acquirer
        link = links[ACQUIRER_SWITCH] = Link(env, ACQUIRER_SWITCH, acquirer.link_latency_s, network.acquirer_switch_bps, size)
        acquirer.connect({simulation.switch: link})
    if network.switch_issuer_bps:
        switch = simulation.switch
        to_issuers = {}
        for bank in simulation.population.banks:
            name = f"{SWITCH_ISSUER}:{bank.code}"
            to_issuers[simulation.issuers[bank.index]] = links[name] = Link(env, name, switch.link_latency_s, network.switch_issuer_bps, size)
        switch.connect(to_issuers)
    if network.terminal_acquirer_bps:
        terminals = simulation.terminal_services
        terminals.acquirer_link = Link(env, TERMINAL_ACQUIRER, terminals.acquirer_link_latency_s, network.terminal_acquirer_bps, size, serial=False)
        atms = simulation.atm_services
        atms.acquirer_link = Link(env, f"{TERMINAL_ACQUIRER}:atm", atms.acquirer_link_latency_s, network.terminal_acquirer_bps, size, serial=False)
        links[TERMINAL_ACQUIRER] = terminals.acquirer_link
        links[f"{TERMINAL_ACQUIRER}:atm"] = atms.acquirer_link
    return links
