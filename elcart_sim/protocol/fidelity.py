"""The run's fidelity: how messages cross the boundaries between the entities of the chain.

'wire' — ISO 8583 bytes under the ELKART host spec at every host boundary, and APDU bytes on the
contactless link, as the real systems exchange them. 'fast' — message objects between the hosts
and APDU objects between the terminal and a simulated phone, with the same processes, timing
models and random draws, so the same outcomes and timings without the codecs' and the
cryptography's cost. Entities only ever call their fidelity's ``encode`` and ``decode``.
"""

from __future__ import annotations

from elcart_sim.protocol.emv.apdu_format import APDU_BYTES, APDU_OBJECTS, ApduFormat
from elcart_sim.protocol.iso8583.wire import Iso8583Bytes, MessageObjects, WireFormat

__all__ = ["FIDELITIES", "APDU_FORMATS", "WireFormat", "ApduFormat", "wire_format", "apdu_format"]

FIDELITIES: dict[str, WireFormat] = {"wire": Iso8583Bytes(), "fast": MessageObjects()}
APDU_FORMATS: dict[str, ApduFormat] = {"wire": APDU_BYTES, "fast": APDU_OBJECTS}


def wire_format(fidelity: str) -> WireFormat:
    """The message format of fidelity ``fidelity`` (a name in FIDELITIES)."""
    return FIDELITIES[fidelity]


def apdu_format(fidelity: str) -> ApduFormat:
    """The APDU format of fidelity ``fidelity`` on a link to a simulated phone (a name in APDU_FORMATS)."""
    return APDU_FORMATS[fidelity]
