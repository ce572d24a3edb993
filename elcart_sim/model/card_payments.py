"""Plastic cards and ATMs, a part of the Simulation: one purchase with a plastic ELKART card at a
POS terminal (held to the reader, or inserted into it: cards/), and one cash withdrawal at a
member bank's ATM (acceptance/atm.py), through the same acquirer, switch and issuers as a phone
tap. `start_*` starts one now and calls back at its final state; `card_payment()` and
`withdraw()` run one to its end. The ATMs are built on first use.
"""

from __future__ import annotations

from collections.abc import Callable

from elcart_sim.acceptance.atm import AtmTerminal
from elcart_sim.acceptance.nfc_link import SimulatedNfcLink
from elcart_sim.acceptance.terminal import TapResult
from elcart_sim.core.redact import mask_pan
from elcart_sim.money import accounts

__all__ = ["CardPayments"]


class CardPayments:
    """The Simulation's plastic card purchases and ATM withdrawals."""

    def atm(self, index: int) -> AtmTerminal:
        """ATM ``index`` of the fleet, built on first use."""
        terminal = self.atms.get(index)
        if terminal is None:
            data = self.atm_fleet.atm(index)
            terminal = self.atms[index] = AtmTerminal(data, self.population.banks[data.acquirer], self.atm_services)
        return terminal

    def start_card_payment(
        self, card: int, terminal: int, amount_tyiyn: int, channel: str = "card_chip", then: Callable[[TapResult], None] | None = None
    ) -> None:
        """Start one purchase with plastic card ``card`` at POS terminal ``terminal`` now, held to
        the reader (``card_contactless``) or inserted (``card_chip``); `then(result)` at the end."""
        applet = self.plastic_cards.applet(card)
        link = SimulatedNfcLink.to(applet, self.card_apdu_latency_s[channel], self.apdu_format)
        pan = applet.credential.token_pan
        self.terminal(terminal).accept_tap(
            self.next_trace_id(), link, amount_tyiyn, mask_pan(pan), self.population.bank_of_card(card).code, "", then, channel=channel
        )

    def start_withdrawal(self, card: int, atm: int, amount_tyiyn: int | None = None, then: Callable[[TapResult], None] | None = None) -> None:
        """Start one cash withdrawal with card ``card`` at ATM ``atm`` now; ``amount_tyiyn`` None:
        what the holder asks for given the balance now (world/card_demand.py), and nothing at all
        when that is nothing."""
        bank = self.population.bank_of_card(card)
        if amount_tyiyn is None:
            amount_tyiyn = self.card_demand.withdrawal_amount_tyiyn(self.ledger.available_tyiyn(accounts.cardholder(bank.code, card), self.env.now))
            if amount_tyiyn <= 0:
                return
        applet = self.plastic_cards.applet(card)
        link = SimulatedNfcLink.to(applet, self.card_apdu_latency_s["card_chip"], self.apdu_format)
        self.atm(atm).accept_card(self.next_trace_id(), link, amount_tyiyn, mask_pan(applet.credential.token_pan), bank.code, then)

    def card_payment(self, card: int, terminal: int, amount_tyiyn: int, channel: str = "card_chip") -> TapResult:
        """Run one plastic card purchase to its final state and return what the terminal showed."""
        results: list[TapResult] = []
        self.start_card_payment(card, terminal, amount_tyiyn, channel, then=results.append)
        self.env.run()
        return results[0]

    def withdraw(self, card: int, atm: int, amount_tyiyn: int) -> TapResult:
        """Run one ATM withdrawal to its final state and return what the ATM showed."""
        results: list[TapResult] = []
        self.start_withdrawal(card, atm, amount_tyiyn, then=results.append)
        self.env.run()
        return results[0]
