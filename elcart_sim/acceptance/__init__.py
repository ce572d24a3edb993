"""The POS terminal side of a tap: the NFC link to the phone and the contactless kernel."""

from elcart_sim.acceptance.kernel import (
    ApduExchange,
    ContactlessKernel,
    KernelOutcome,
    TerminalConfig,
)
from elcart_sim.acceptance.nfc_link import NfcLink, SimulatedNfcLink

__all__ = [
    "ApduExchange",
    "ContactlessKernel",
    "KernelOutcome",
    "TerminalConfig",
    "NfcLink",
    "SimulatedNfcLink",
]
