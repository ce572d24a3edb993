"""Demand of plastic cards: purchases with a card at a POS terminal and cash at ATMs.

Physical picture: most ELKART transactions are not phone taps but plastic cards — held to a POS
terminal ("card_contactless"), inserted into its chip reader ("card_chip"), or inserted into an
ATM for cash ("atm"). Each channel's volume is its share (demand.channels) of the card side's
day (Scenario.channel_per_day), spread over the hours by the day's profile
(world/demand.hourly_rates_per_s); its arrivals are a Poisson process on its own streams,
``demand.<channel>.*``, so a channel added or resized never shifts the phone taps' streams
(``demand.arrivals``, ``demand.wallet``, …) or another channel's.

Who: any card of the population, uniformly (a plastic card needs no phone) [E]. Where: a POS
terminal in proportion to its merchant's weight (as for taps); an ATM uniformly [E]. How much: a
card purchase draws the ticket (demand.ticket); a withdrawal draws what the holder would like
(demand.cash_withdrawal), in whole hundreds of som, and a holder who knows the balance — the
share demand.withdrawal_balance_known_share [E] — asks for no more than the balance allows
(world/atms.withdrawal_amount_tyiyn), so that withdrawals are seldom declined for funds; one
whose balance is under 100 som does not try (no transaction).
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from elcart_sim.core.streams import RandomStreams
from elcart_sim.scenario import Scenario
from elcart_sim.world.arrivals import HourlyPoisson
from elcart_sim.world.atms import withdrawal_amount_tyiyn
from elcart_sim.world.demand import _MIN_TICKET_TYIYN, STANDARD_EXPONENTIAL, TerminalPicker, hourly_rates_per_s
from elcart_sim.world.population import Population

__all__ = ["CardDemand", "PLASTIC_CHANNELS", "POS_CARD_CHANNELS"]

POS_CARD_CHANNELS = ("card_contactless", "card_chip")
PLASTIC_CHANNELS = (*POS_CARD_CHANNELS, "atm")


class CardDemand:
    """The arrivals of the plastic card channels and the choices each makes, each on its own stream."""

    def __init__(self, scenario: Scenario, population: Population, streams: RandomStreams, n_atms: int):
        duration = scenario.demand.duration_s
        demand = scenario.demand
        self.channels = tuple(c for c in PLASTIC_CHANNELS if scenario.channel_per_day(c) > 0)
        self._arrivals = {
            c: HourlyPoisson(hourly_rates_per_s(scenario, c), duration, streams.sampler(f"demand.{c}.arrivals", STANDARD_EXPONENTIAL))
            for c in self.channels
        }
        self._card = {c: streams.integers(f"demand.{c}.card", population.n_cards) for c in self.channels}
        self._terminal = {c: TerminalPicker(population, streams, f"demand.{c}.terminal") for c in self.channels if c != "atm"}
        self._ticket = {c: streams.sampler(f"demand.{c}.ticket", demand.ticket.distribution()) for c in self.channels if c != "atm"}
        if "atm" in self.channels:
            self._atm = streams.integers("demand.atm.atm", n_atms)
            self._desired = streams.sampler("demand.atm.amount", demand.cash_withdrawal.distribution())
            self._knows = streams.uniform("demand.atm.knows_balance")
            self._known_share = demand.withdrawal_balance_known_share

    def withdrawal_amount_tyiyn(self, available_tyiyn: int) -> int:
        """The next withdrawer's request given the balance available (0: does not try)."""
        return withdrawal_amount_tyiyn(self._desired(), available_tyiyn, self._knows() < self._known_share)

    def schedule(
        self,
        env: simpy.Environment,
        start_card_payment: Callable[[int, int, int, str], None],
        start_withdrawal: Callable[[int, int], None],
    ) -> None:
        """Call ``start_card_payment(card, terminal, amount_tyiyn, channel)`` at each card
        purchase's arrival and ``start_withdrawal(card, atm)`` at each ATM arrival (the amount is
        chosen at the ATM, from the balance then: ``withdrawal_amount_tyiyn``)."""
        for channel in self.channels:
            card = self._card[channel]
            if channel == "atm":
                atm = self._atm
                self._arrivals[channel].start(env, lambda card=card, atm=atm: start_withdrawal(card(), atm()))
            else:
                terminal, ticket = self._terminal[channel], self._ticket[channel]

                def arrive(card=card, terminal=terminal, ticket=ticket, channel=channel) -> None:
                    start_card_payment(card(), terminal(), max(_MIN_TICKET_TYIYN, round(ticket())), channel)

                self._arrivals[channel].start(env, arrive)
