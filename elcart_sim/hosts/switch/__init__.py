"""The national switch (IPC): the message flow (``switch``), the token gate (``token_gate``) and
routing to the issuers (``routing``)."""

from elcart_sim.hosts.switch.switch import Switch

__all__ = ["Switch"]
