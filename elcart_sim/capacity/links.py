"""The links as capacity: how busy each line with a bandwidth is at the peak.

Physical picture: a line with a bandwidth carries one message at a time each way (core/link.py),
so each direction is one server whose service time is a message's transmission time (its bytes
× 8 ÷ bps): at λ messages a second of mean size S bytes it is λ × S × 8 ÷ bps busy. Every
message the acquirer takes goes on to the switch, and its answer comes back, so the acquirer's
line carries the acquirer's arrival rate each way; IPC's line to a bank carries that bank's
issuing host's. The messages' mean sizes each way are measured (`message_bytes`): a pilot, the
scenario's peak window at a small scale (sizes do not depend on the scale) with every line
counting what it carries. A link's row in the load tables is the busier direction's. A terminal's
own link queues nothing and is left out.
"""

from __future__ import annotations

from elcart_sim.capacity.hosts import HostLoad
from elcart_sim.scenario import Scenario, spec_key

__all__ = ["PILOT_SCALE", "PILOT_TAPS", "message_bytes", "link_loads"]

PILOT_SCALE = 0.01
PILOT_TAPS = 2_000
_UNLIMITED_BPS = 1e15  # a pilot's line that counts what it carries and delays nothing measurable
_BYTES: dict[tuple, dict[str, tuple[float, float]]] = {}


def message_bytes(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Mean bytes of a message (out, back) on the acquirer's line to the switch
    (`link:acquirer-switch`) and on IPC's lines to the banks (`link:switch-issuer`, all banks
    together), measured on the pilot; cached by the scenario."""
    from elcart_sim.capacity.peak import peak_window
    from elcart_sim.model.links import ACQUIRER_SWITCH, SWITCH_ISSUER
    from elcart_sim.model.simulation import Simulation

    key = spec_key(scenario.with_overrides({"network.acquirer_switch_bps": 0.0, "network.switch_issuer_bps": 0.0}))
    measured = _BYTES.get(key)
    if measured is None:
        pilot = scenario.with_overrides({"scale": PILOT_SCALE})
        window = peak_window(pilot, taps=PILOT_TAPS)
        simulation = Simulation(window.scenario.with_overrides({"network.acquirer_switch_bps": _UNLIMITED_BPS, "network.switch_issuer_bps": _UNLIMITED_BPS}))
        simulation.run()
        measured = {}
        for kind in (ACQUIRER_SWITCH, SWITCH_ISSUER):
            links = [link for name, link in simulation.links.items() if name == kind or name.startswith(f"{kind}:")]
            sizes = []
            for direction in (0, 1):
                count = sum(link.messages[direction] for link in links)
                sizes.append(sum(link.bytes[direction] for link in links) / count if count else 0.0)
            measured[kind] = (sizes[0], sizes[1])
        _BYTES[key] = measured
    return measured


def link_loads(scenario: Scenario, loads: list[HostLoad]) -> list[HostLoad]:
    """The scenario's lines with a bandwidth as single-server pools beside the host `loads`
    (capacity/hosts.host_loads): `host` the scenario field of the bandwidth, `component` the
    link (`link:acquirer-switch`, `link:switch-issuer:<bank>`), the messages a second each way,
    the busier direction's mean transmission time. Empty when no line has a bandwidth."""
    from elcart_sim.model.links import ACQUIRER_SWITCH, SWITCH_ISSUER

    network = scenario.network
    if not (network.acquirer_switch_bps or network.switch_issuer_bps):
        return []
    sizes = message_bytes(scenario)
    rows = []
    for load in loads:
        if load.component == "acquirer" and network.acquirer_switch_bps:
            bps, name, field, kind = network.acquirer_switch_bps, ACQUIRER_SWITCH, "network.acquirer_switch_bps", ACQUIRER_SWITCH
        elif load.component.startswith("issuer:") and network.switch_issuer_bps:
            bank = load.component.split(":", 1)[1]
            bps, name, field, kind = network.switch_issuer_bps, f"{SWITCH_ISSUER}:{bank}", "network.switch_issuer_bps", SWITCH_ISSUER
        else:
            continue
        rows.append(HostLoad(field, name, load.arrival_rate_per_s, max(sizes[kind]) * 8.0 / bps, 0.0, 1))
    return rows
