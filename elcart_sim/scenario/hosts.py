"""Scenario fields of the hosts, their hardware security modules, and the links between them."""

from __future__ import annotations

from dataclasses import dataclass, field

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.choices import DUPLICATE_CHECKS
from elcart_sim.scenario.fields import DurationSpec, checked, non_negative, one_of, positive
from elcart_sim.scenario.stand_in import StandInSpec

__all__ = ["HostSpec", "SwitchSpec", "HsmSpec", "HsmsSpec", "HSM_HOSTS", "NetworkSpec", "host_spec_of_bank"]

HSM_HOSTS = ("switch", "issuer")
"""The hosts that call an HSM (`hsm.calls` is keyed by them)."""


@dataclass(frozen=True)
class HostSpec:
    """A host (acquirer, switch, issuer): c identical servers, a service-time model, and how long it
    waits for the next hop's answer before it gives up and reverses."""

    servers: int = field(default=4, metadata=checked(positive))
    service_time: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.005, 0.5))
    timeout_s: float = field(default=10.0, metadata=checked(positive))


@dataclass(frozen=True)
class SwitchSpec(HostSpec):
    """The national switch: a host of ``nodes`` active nodes (hosts/switch/nodes.py), each with
    ``servers`` servers of its own; traffic is spread over the nodes that are up (one node, the
    default, is the single pool of servers); which messages it remembers to answer their
    duplicates and repeats from memory (`duplicates`: `reversals` — and the issuers remember
    their approvals and advices — or `all`, every request besides, switch and issuers, for links
    that may deliver a message twice: it costs a few microseconds a request) and for how long
    after answering them (`duplicate_window_s`, [E]); and its stand-in processing for the
    issuers (scenario/stand_in.py)."""

    nodes: int = field(default=1, metadata=checked(positive))
    duplicates: str = field(default="reversals", metadata=checked(one_of(DUPLICATE_CHECKS)))
    duplicate_window_s: float = field(default=300.0, metadata=checked(non_negative))
    stand_in: StandInSpec = field(default_factory=StandInSpec)


@dataclass(frozen=True)
class NetworkSpec:
    """Each link of the chain: its one-way latency, and its bandwidth in bits per second each
    way (`*_bps`; 0, the default: no limit, the latency alone). With a bandwidth a message of n
    bytes takes n × 8 ÷ bps seconds to send, and the link between the acquirer and the switch,
    and each bank's link from the switch, carries one message at a time each way, so a busy
    link queues (core/link.py); a terminal's or an ATM's own link only adds the time to send."""

    terminal_acquirer: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.12, 0.5))
    acquirer_switch: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.004))
    switch_issuer: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.004))
    terminal_acquirer_bps: float = field(default=0.0, metadata=checked(non_negative))
    acquirer_switch_bps: float = field(default=0.0, metadata=checked(non_negative))
    switch_issuer_bps: float = field(default=0.0, metadata=checked(non_negative))


@dataclass(frozen=True)
class HsmSpec:
    """A pool of payment HSMs: `servers` units, each doing `calls_per_s` host commands a second
    (a payShield 10K is sold at 60, 250 or 2,500 calls per second). One call holds a unit for
    1 / calls_per_s seconds, so the pool is sized like any host (`servers`)."""

    servers: int = field(default=1, metadata=checked(positive))
    calls_per_s: float = field(default=250.0, metadata=checked(positive))

    @property
    def service_time(self) -> DurationSpec:
        """One call's service: constant, 1 / calls_per_s."""
        return DurationSpec("constant", 1.0 / self.calls_per_s)

    @property
    def timeout_s(self) -> float:
        return float("inf")  # an HSM is waited for however long it takes


def _hsm_calls(value: dict[str, dict[str, int]], path: str) -> None:
    for host, calls in value.items():
        if host not in HSM_HOSTS:
            raise ScenarioError(f"{path}.{host}", f"is not a host that calls an HSM (known: {', '.join(HSM_HOSTS)})")
        for mti, count in calls.items():
            if len(mti) != 4 or not mti.isdigit():
                raise ScenarioError(f"{path}.{host}.{mti}", "must be keyed by a 4-digit MTI such as '0100'")
            non_negative(count, f"{path}.{host}.{mti}")


def _calls_default() -> dict[str, dict[str, int]]:
    return {"switch": {"0100": 1}, "issuer": {"0100": 1, "0200": 1}}


@dataclass(frozen=True)
class HsmsSpec:
    """The hardware security modules: IPC's at the switch (`switch`), each issuing bank's
    (`issuers`, by bank code; a bank not listed has `issuer`), and how many HSM calls each host
    makes per message type (`calls`: switch {"0100": 1}, the token cryptogram verified; issuer
    {"0100": 1, "0200": 1}, the ARQC or the PIN verified). Off unless `enabled`: a host then
    calls none."""

    enabled: bool = False
    switch: HsmSpec = field(default_factory=lambda: HsmSpec(2, 250.0))
    issuer: HsmSpec = field(default_factory=lambda: HsmSpec(1, 60.0))
    issuers: dict[str, HsmSpec] = field(default_factory=dict)
    calls: dict[str, dict[str, int]] = field(default_factory=_calls_default, metadata=checked(_hsm_calls))

    def of_bank(self, code: str) -> tuple[str, HsmSpec]:
        """(scenario field, spec) of bank `code`'s HSM."""
        if code in self.issuers:
            return f"hsm.issuers.{code}", self.issuers[code]
        return "hsm.issuer", self.issuer

    def calls_at(self, host: str) -> dict[str, int]:
        """HSM calls per message type at `host` ("switch", "issuer"): none when off."""
        return {mti: n for mti, n in self.calls.get(host, {}).items() if n > 0} if self.enabled else {}


def host_spec_of_bank(issuer: HostSpec, issuers: dict[str, HostSpec], code: str) -> tuple[str, HostSpec]:
    """(scenario field, spec) of bank `code`'s issuing host: `issuers.<code>`, else `issuer`."""
    if code in issuers:
        return f"issuers.{code}", issuers[code]
    return "issuer", issuer
