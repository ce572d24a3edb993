"""A virtual phone on vsmartcard's vpcd reader, serving in a thread of this process.

Physical picture: the phone of ``elcart-sim phone`` without its own process: it connects to
vpcd's TCP port (a tap), answers the terminal with a wallet's HCE applet (phone/vpcd.py) and
leaves, tap after tap, while the caller - a notebook, a test - taps it with :func:`live_tap`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from elcart_sim.core.errors import LinkError
from elcart_sim.live.country import LIVE_SCALE, LIVE_SCENARIO, phone_applet
from elcart_sim.live.vpcd import VPCD_PORT, TapRecord, VirtualPhone
from elcart_sim.wallet.applet import PaymentApplet

if TYPE_CHECKING:
    from elcart_sim.scenario import Scenario

__all__ = ["VirtualPhoneThread", "start_virtual_phone"]


class VirtualPhoneThread:
    """A :class:`VirtualPhone` serving one applet (its ATC runs across taps) in a thread."""

    def __init__(self, phone: VirtualPhone, applet: PaymentApplet, description: str, taps: int | None):
        self.phone = phone
        self.applet = applet
        self.description = description
        self.records: list[TapRecord] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, args=(taps,), name="virtual-phone", daemon=True)
        self._thread.start()

    def _serve(self, taps: int | None) -> None:
        try:
            self.records.extend(self.phone.serve(lambda: self.applet, taps=taps))
        except BaseException as exc:  # re-raised by join()
            self.error = exc

    def join(self, timeout_s: float = 5.0) -> list[TapRecord]:
        """Wait for the phone to finish its taps; re-raise what stopped it."""
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise LinkError(f"the virtual phone on port {self.phone.port} still runs after {timeout_s:g} s")
        if self.error is not None:
            raise self.error
        return self.records

    def stop(self, timeout_s: float = 5.0) -> list[TapRecord]:
        """Take the phone away and stop serving."""
        self.phone.stop()
        return self.join(timeout_s)


def start_virtual_phone(
    wallet: int | None = None,
    *,
    scenario: str | Scenario = LIVE_SCENARIO,
    seed: int | None = None,
    scale: float = LIVE_SCALE,
    port: int = VPCD_PORT,
    taps: int | None = None,
    tear_after_apdus: int | None = None,
    malformed_after_apdus: int | None = None,
) -> VirtualPhoneThread:
    """Put a virtual phone on the vpcd reader at ``port`` (35963 = 'Virtual PCD 00 00') in a
    background thread, serving wallet ``wallet`` (see :func:`phone_applet`)."""
    applet, description = phone_applet(wallet, scenario=scenario, seed=seed, scale=scale)
    phone = VirtualPhone(port, tear_after_apdus=tear_after_apdus, malformed_after_apdus=malformed_after_apdus)
    return VirtualPhoneThread(phone, applet, description, taps)
