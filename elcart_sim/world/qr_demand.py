"""Merchant QR payment demand: who pays which merchant by scanning its code, when, and how much.

Physical picture: at tills all day people pay by scanning the merchant's sticker in ELKART
Mobile instead of tapping; the ``qr_merchant`` channel is a Poisson stream at its share of
ELKART Mobile's payments (``demand.app_channels``) following the service's hourly profile
(``services.qr_payments.hourly_profile``, else the demand's; world/arrivals.py). A payer is a
cardholder who linked a card in the app; the merchant is the one of a terminal drawn in
proportion to its merchant's tap weight, as a tap draws its terminal (the busy checkouts get
more scans). A share of scans read a damaged code (``services.qr_payments.damaged_code_share``:
one character changed, so its checksum fails) — the app declines it and nothing is sent.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Callable

import numpy as np
import simpy

from elcart_sim.core.streams import RandomStreams
from elcart_sim.scenario import QR_PAYMENT_CHANNELS, Scenario
from elcart_sim.world.arrivals import HourlyPoisson
from elcart_sim.world.demand import STANDARD_EXPONENTIAL, TerminalPicker, hourly_rates_per_s
from elcart_sim.world.directory import Directory
from elcart_sim.world.merchant_codes import MerchantCodes

__all__ = ["QrPaymentDemand", "damaged"]

StartQrPayment = Callable[[int, str, int], None]  # (payer card, the scanned code's text, amount_tyiyn)

_MIN_PAYMENT_TYIYN = 100  # one som
_PER_MILLION = 1_000_000


def damaged(link: str) -> str:
    """``link`` with one character of its payload changed (a scratched sticker: the checksum fails)."""
    at = link.index("#") + 12
    return link[:at] + ("1" if link[at] != "1" else "2") + link[at + 1 :]


class QrPaymentDemand:
    """The arrivals of merchant QR payments, and the choices each makes."""

    def __init__(self, scenario: Scenario, codes: MerchantCodes, directory: Directory, streams: RandomStreams):
        spec = scenario.services.qr_payments
        self.codes = codes
        linked = np.flatnonzero(directory.linked)
        self._linked = array("q", linked.tolist())
        self._payer = streams.integers("qr_payments.payer", max(1, len(linked)))
        self.next_terminal = TerminalPicker(codes.population, streams, "qr_payments.terminal")
        self._damaged = streams.integers("qr_payments.damaged", _PER_MILLION)
        self._damaged_below = round(spec.damaged_code_share * _PER_MILLION)
        self._amount = streams.sampler("qr_payments.amount", spec.amount.distribution())
        duration = scenario.demand.duration_s
        self.arrivals = {
            channel: HourlyPoisson(hourly_rates_per_s(scenario, channel), duration, streams.sampler(f"qr_payments.{channel}.arrivals", STANDARD_EXPONENTIAL))
            for channel in QR_PAYMENT_CHANNELS
            if scenario.demand.share(channel) > 0
        }

    def schedule(self, env: simpy.Environment, start_payment: StartQrPayment, day: Scenario | None = None) -> None:
        """Call ``start_payment(payer card, the scanned code's text, amount_tyiyn)`` at each arrival,
        from now for a day (at ``day``'s rates: Scenario.on(date), when given)."""
        if not self._linked:
            return
        for channel, arrivals in self.arrivals.items():
            arrivals.start(env, functools.partial(self._arrive, start_payment), None if day is None else hourly_rates_per_s(day, channel))

    def _arrive(self, start_payment: StartQrPayment) -> None:
        payer = self._linked[self._payer()]
        start_payment(payer, self.code(), self.next_amount_tyiyn())

    def code(self) -> str:
        """The text a payer's camera reads: a merchant's code (a share of them damaged)."""
        link = self.codes.link(self.next_terminal())
        return damaged(link) if self._damaged() < self._damaged_below else link

    def next_amount_tyiyn(self) -> int:
        return max(_MIN_PAYMENT_TYIYN, round(self._amount()))
