"""Transfer demand: who sends money to whom in ELKART Mobile, when, and how much.

Physical picture: people open the app and send money all day, by phone number, card number or
by scanning a transfer QR code, more of them in the evening; each P2P channel is a Poisson
stream at its share of ELKART Mobile's payments (``demand.app_channels``) following the
transfers' hourly profile (``services.transfers.hourly_profile``, else the demand's;
world/arrivals.py). A sender is a cardholder who linked a card in the app; the recipient is
another linked cardholder (by phone number or QR code) or any ELKART card (by card number). A
share of senders get the recipient wrong (``services.transfers.unknown_recipient_share``): a
number with a digit missing, a card number with a wrong last digit, a QR code the directory
never issued, or a QR code with one character changed (its checksum fails) — each is declined
and nothing moves. Phone numbers are typed as people type them: international, with spaces, or
the national 0-prefixed form. A transfer QR code is an ELQR link shaped like ELKART's own
(protocol/qr/elqr.py): the recipient's opaque id, never the card number, and the card masked.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Callable

import numpy as np
import simpy

from elcart_sim.core.redact import mask_pan_grouped
from elcart_sim.core.streams import RandomStreams
from elcart_sim.protocol.qr import elqr
from elcart_sim.scenario import P2P_CHANNELS, Scenario
from elcart_sim.world.arrivals import HourlyPoisson
from elcart_sim.world.demand import STANDARD_EXPONENTIAL, hourly_rates_per_s
from elcart_sim.world.directory import Directory, could_be_a_card_number
from elcart_sim.world.population import Population

__all__ = ["TransferDemand", "phone_as_typed"]

_MIN_TRANSFER_TYIYN = 100  # one som
_PER_MILLION = 1_000_000


def phone_as_typed(number: int, style: int) -> str:
    """Mobile number ``number`` (996XXXXXXXXX) as a sender types it: style 0 "+996555123456",
    1 "+996 555 123 456", 2 "0555 123 456"."""
    digits = str(number)
    national = digits[3:]
    if style == 0:
        return "+" + digits
    if style == 1:
        return f"+996 {national[:3]} {national[3:6]} {national[6:]}"
    return f"0{national[:3]} {national[3:6]} {national[6:]}"


class TransferDemand:
    """The arrivals of each P2P channel with a share of the day, and the choices each makes."""

    def __init__(
        self, scenario: Scenario, population: Population, directory: Directory, streams: RandomStreams, stream_prefix: str = "transfers"
    ):
        """Each choice draws from its own stream, named under ``stream_prefix`` (another prefix:
        the same choices on streams of their own, e.g. for transfers that echo a credit)."""
        spec = scenario.services.transfers
        prefix = stream_prefix
        self.population = population
        self.directory = directory
        linked = np.flatnonzero(directory.linked)
        self._linked = array("q", linked.tolist())
        self._sender = streams.integers(f"{prefix}.sender", max(1, len(linked)))
        self._linked_recipient = streams.integers(f"{prefix}.recipient", max(1, len(linked)))
        self._any_recipient = streams.integers(f"{prefix}.recipient_card", population.n_cards)
        self._style = streams.integers(f"{prefix}.phone_style", 3)
        self._mistyped = streams.integers(f"{prefix}.mistyped", _PER_MILLION)
        self._mistyped_below = round(spec.unknown_recipient_share * _PER_MILLION)
        self._wrong_qr = streams.generator(f"{prefix}.wrong_qr")
        self._amount = streams.sampler(f"{prefix}.amount", spec.amount.distribution())
        duration = scenario.demand.duration_s
        self.arrivals = {
            channel: HourlyPoisson(
                hourly_rates_per_s(scenario, channel), duration, streams.sampler(f"{prefix}.{channel}.arrivals", STANDARD_EXPONENTIAL)
            )
            for channel in P2P_CHANNELS
            if scenario.demand.share(channel) > 0
        }

    def schedule(self, env: simpy.Environment, start_transfer: Callable[[str, int, str, int], None], day: Scenario | None = None) -> None:
        """Call ``start_transfer(channel, sender card, recipient as given, amount_tyiyn)`` at each
        arrival of each channel, from now for a day (at ``day``'s rates: Scenario.on(date), when given)."""
        if not self._linked:
            return
        for channel, arrivals in self.arrivals.items():
            arrivals.start(env, functools.partial(self._arrive, channel, start_transfer), None if day is None else hourly_rates_per_s(day, channel))

    def _arrive(self, channel: str, start_transfer: Callable[[str, int, str, int], None]) -> None:
        sender = self._linked[self._sender()]
        start_transfer(channel, sender, self.recipient(channel, sender), self.next_amount_tyiyn())

    def _other(self, pick: Callable[[], int], sender: int, cards: array | None) -> int:
        card = pick() if cards is None else cards[pick()]
        if (len(cards) if cards is not None else self.population.n_cards) < 2:
            return card  # nobody else to send to
        while card == sender:
            card = pick() if cards is None else cards[pick()]
        return card

    def next_amount_tyiyn(self) -> int:
        return max(_MIN_TRANSFER_TYIYN, round(self._amount()))

    def _unknown_qr_id(self) -> str:
        """An id the directory never issued (a code from another system, a stale one), free of
        digit runs as the directory's own ids are: 32 random hex digits, drawn again when they
        could be read as a card number (a run of 13 digits: about one draw in 57)."""
        while True:
            recipient_id = self._wrong_qr.bytes(16).hex()
            if not could_be_a_card_number(recipient_id):
                return recipient_id

    def recipient(self, channel: str, sender: int) -> str:
        """The recipient of one transfer from card ``sender`` on ``channel``, as the sender gives
        it — a phone number as typed, a card number, or the scanned QR code's text (someone else:
        a draw of the sender's own card is drawn again)."""
        mistyped = self._mistyped() < self._mistyped_below
        if channel == "p2p_card":
            card = self._other(self._any_recipient, sender, None)
            pan = self.population.pan(card)
            return pan[:-1] + str((int(pan[-1]) + 1) % 10) if mistyped else pan
        card = self._other(self._linked_recipient, sender, self._linked)
        if channel == "p2p_phone":
            typed = phone_as_typed(int(self.population.msisdn[card]), self._style())
            return typed[:-1] if mistyped else typed
        recipient_id = self._unknown_qr_id() if mistyped else self.directory.qr_id(card)
        link = elqr.link(elqr.p2p_payload(recipient_id, mask_pan_grouped(self.population.pan(card))))
        if mistyped and self._wrong_qr.random() < 0.5:  # half of them a code damaged in one character
            at = link.index("#") + 12
            link = link[:at] + ("1" if link[at] != "1" else "2") + link[at + 1 :]
        return link
