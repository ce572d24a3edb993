"""The APDUs of a live tap as the terminal sent them: named, and kept even when the phone leaves.

Physical picture: between the kernel and the reader sits a recorder. Every command the kernel
sends and every answer the device gives pass through it with their round-trip time; when the
phone is taken away mid-tap, the command left unanswered is kept too, so the report of a torn
tap still shows where the dialogue stopped. Commands are named as the kernel names them
(acceptance/kernel.py): SELECT PPSE, SELECT AID, GPO, READ RECORD SFI s REC r, GENERATE AC.
"""

from __future__ import annotations

from elcart_sim.acceptance.nfc_link import NfcLink
from elcart_sim.acceptance.outcome import ApduExchange
from elcart_sim.core.errors import LinkError
from elcart_sim.protocol.emv.apdu import PPSE

__all__ = ["name_command", "TracingLink"]


def name_command(command: bytes) -> str:
    """The kernel's name for a command APDU (SELECT PPSE, SELECT AID, GPO, READ RECORD ...).

    >>> name_command(bytes.fromhex("00B2010C00"))
    'READ RECORD SFI 1 REC 1'
    """
    if len(command) < 4:
        return f"APDU {command.hex().upper()}"
    ins, p1, p2 = command[1], command[2], command[3]
    if ins == 0xA4:
        data = command[5 : 5 + command[4]] if len(command) > 5 else b""
        return "SELECT PPSE" if data == PPSE else "SELECT AID"
    if ins == 0xA8:
        return "GPO"
    if ins == 0xB2:
        return f"READ RECORD SFI {p2 >> 3} REC {p1}"
    if ins == 0xAE:
        return "GENERATE AC"
    return f"INS {ins:02X}"


class TracingLink:
    """An :class:`NfcLink` that keeps every exchange of the link it wraps, and the command
    left unanswered when the link fails (a tear), so a torn tap still shows its trace."""

    def __init__(self, link: NfcLink):
        self.link = link
        self.name = link.name
        self.exchanges: list[ApduExchange] = []
        self.unanswered: bytes | None = None

    def transceive(self, command: bytes) -> tuple[bytes, float]:
        try:
            response, duration_s = self.link.transceive(command)
        except LinkError:
            self.unanswered = bytes(command)
            raise
        self.exchanges.append(ApduExchange(name_command(command), bytes(command), response, duration_s))
        return response, duration_s
