"""The POS terminal side of a tap: the NFC link to the phone and the contactless kernel."""

from elcart_sim.acceptance.kernel import ContactlessKernel
from elcart_sim.acceptance.nfc_link import NfcLink, SimulatedNfcLink
from elcart_sim.acceptance.outcome import ApduExchange, KernelOutcome
from elcart_sim.acceptance.terminal_config import TerminalConfig

__all__ = [
    "ApduExchange",
    "ContactlessKernel",
    "KernelOutcome",
    "TerminalConfig",
    "NfcLink",
    "SimulatedNfcLink",
]
