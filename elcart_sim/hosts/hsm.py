"""A hardware security module pool: the HSMs a host calls to verify a cryptogram or a PIN.

Physical picture: a rack of payment HSMs (payShield-class) beside a host, each doing a fixed
number of host commands a second (60, 250 or 2,500 calls per second are the tiers sold). A host
whose entry needs cryptography — IPC's switch verifying a token's cryptogram on an
authorisation request (0100), an issuer verifying the ARQC or the PIN on a 0100 or a 0200 —
finishes its own service, then queues its call(s) at its HSM pool; the message goes on when the
HSM has answered. The host's server is free meanwhile (its HSM client is asynchronous), so the
host and its HSM are two queues in a row, each with its own utilisation.

`calls` commands of one message are one service of calls ÷ calls_per_s seconds on one unit,
scheduled FIFO (core/server_pool.py) when the host's service ends; each is one hop record
(`hop` = "hsm", `issuer` = the owning bank's code, empty for IPC's), so the HSM is a host in
every per-host table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from elcart_sim.core.clock import after
from elcart_sim.core.records import Table
from elcart_sim.core.server_pool import ServerPool
from elcart_sim.scenario.hosts import HsmSpec

__all__ = ["Hsm"]


class Hsm:
    """One HSM pool: `spec.servers` units at `spec.calls_per_s` calls a second each."""

    hop = "hsm"

    def __init__(self, env: simpy.Environment, name: str, spec: HsmSpec, hops: Table, bank: str = ""):
        self.env = env
        self.name = name
        self.bank = bank  # the owning bank's code; '' for IPC's
        self.pool = ServerPool(name, spec.servers)
        self.call_s = 1.0 / spec.calls_per_s
        self._hops = hops

    @property
    def servers(self) -> int:
        """The pool's units, as the registry counts them."""
        return self.pool.capacity

    def call(self, calls: int, mti: str, trace_id: int, then: Callable[..., None], *args: Any) -> None:
        """Queue `calls` commands for message `mti` now; `then(answered_at, *args)` when answered
        (one event)."""
        env = self.env
        now = env.now
        started, finished = self.pool.schedule(now, calls * self.call_s)
        self._hops.append(
            trace_id=trace_id,
            hop="hsm",
            mti=mti,
            issuer=self.bank,
            arrived_at=now,
            started_at=started,
            finished_at=finished,
            responded_at=finished,
            response_code="00",
            timed_out=0,
        )
        after(env, finished - now, then, finished, *args)
