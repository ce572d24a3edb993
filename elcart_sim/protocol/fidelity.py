"""The run's fidelity: how messages cross the boundaries between the entities of the chain.

'wire' — ISO 8583 bytes under the ELKART host spec at every host boundary, as the real hosts
exchange them. 'fast' — message objects, with the same processes, timing models and random
draws, so the same outcomes and timings without the codecs' cost. Entities only ever call
their fidelity's ``encode`` and ``decode``.
"""

from __future__ import annotations

from elcart_sim.protocol.iso8583.wire import Iso8583Bytes, MessageObjects, WireFormat

__all__ = ["FIDELITIES", "WireFormat", "wire_format"]

FIDELITIES: dict[str, WireFormat] = {"wire": Iso8583Bytes(), "fast": MessageObjects()}


def wire_format(fidelity: str) -> WireFormat:
    """The message format of fidelity ``fidelity`` (a name in FIDELITIES)."""
    return FIDELITIES[fidelity]
