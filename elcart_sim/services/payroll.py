"""Salary and pension credits: the credit files of a crediting day, the pushes that announce
each credit, and the fresh money spent and sent on.

Physical picture: at set local hours (``services.payroll.batches``) an employer or the Social
Fund sends its banks a credit file: a share of all cardholders, an amount each. This is not
ISO 8583 and does not cross IPC's switch: each bank's core system posts its part of the file
(hosts/batch_posting.py: debit the payer's funding account, credit the cardholder's deposit,
one `payroll_credit` posting and one trace id per credit), then hands a push for the
cardholder's phone to the notification gateway (hosts/notification_gateway.py). A cardholder
whose phone shows the credit — on time or late — may go shopping with it (one tap, hours later,
if the phone carries an ELKART Pay wallet) and may send some of it on (one transfer by phone
number, if the card is linked in ELKART Mobile): the salary day's echo (`CreditEcho`), in place
of a flat multiplier of the day's volume. A lost push is seen by nobody: its money is on the
card, but it starts no echo today.

Each batch draws its cardholders and amounts from streams of its own (``payroll.batch<i>.*``),
and the echo's choices too (``payroll.echo.*``), so adding credits to a day shifts none of
the day's other draws.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from elcart_sim.core.clock import after
from elcart_sim.core.streams import RandomStreams
from elcart_sim.hosts.batch_posting import BatchPostingHost, CreditFile
from elcart_sim.hosts.notification_gateway import Delivery, NotificationGateway, Push
from elcart_sim.scenario import EchoSpec, PayrollSpec, Scenario
from elcart_sim.world.demand import TerminalPicker
from elcart_sim.world.population import Population
from elcart_sim.world.transfers import TransferDemand

__all__ = ["PayrollService", "CreditEcho", "CREDIT_KIND"]

CREDIT_KIND = "payroll_credit"  # the posting kind, and the kind of push that announces it
_MIN_CREDIT_TYIYN = 100  # one som
_MIN_TICKET_TYIYN = 100

StartTap = Callable[[int, int, int], None]  # (card, terminal, amount_tyiyn)
StartTransfer = Callable[[str, int, str, int], None]  # (channel, sender card, recipient as given, amount_tyiyn)


class CreditEcho:
    """What cardholders do after seeing a credit: a tap, a transfer and a cash withdrawal at an
    ATM, each with its share and its delay, on streams of their own (``start_withdrawal`` the
    simulation's; the amount asked for is the ATM demand's, from the balance then). ``start_tap`` and ``start_transfer`` start them (the
    simulation's); ``transfer_choices`` picks recipients and amounts (None: nobody sends)."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: EchoSpec,
        scenario: Scenario,
        population: Population,
        streams: RandomStreams,
        start_tap: StartTap,
        start_transfer: StartTransfer,
        transfer_choices: TransferDemand | None,
        start_withdrawal: Callable[[int, int], None] | None = None,
        n_atms: int = 0,
    ):
        self.env = env
        self.spec = spec
        self.population = population
        self.duration_s = scenario.demand.duration_s
        self.start_tap = start_tap
        self.start_transfer = start_transfer
        self.transfer_choices = transfer_choices
        self._spends = streams.uniform("payroll.echo.spend")
        self._spend_delay_s = streams.sampler("payroll.echo.spend_delay", spec.spend_delay.distribution())
        self._terminal = TerminalPicker(population, streams, "payroll.echo.terminal")
        self._ticket = streams.sampler("payroll.echo.ticket", scenario.demand.ticket.distribution())
        self._sends = streams.uniform("payroll.echo.send")
        self._send_delay_s = streams.sampler("payroll.echo.send_delay", spec.send_delay.distribution())
        self.start_withdrawal = start_withdrawal
        if start_withdrawal is not None and n_atms and spec.withdraw_share > 0:
            self._withdraws = streams.uniform("payroll.echo.withdraw")
            self._withdraw_delay_s = streams.sampler("payroll.echo.withdraw_delay", spec.withdraw_delay.distribution())
            self._atm = streams.integers("payroll.echo.atm", n_atms)
        else:
            self.start_withdrawal = None

    def follow(self, card: int) -> None:
        """The holder of ``card`` has just seen a credit: schedule what they do with it today."""
        env, spec, end = self.env, self.spec, self.duration_s
        if self._spends() < spec.spend_share and self.population.enrolled[card]:
            delay = self._spend_delay_s()
            if env.now + delay < end:
                after(env, delay, self._tap, card, self._terminal(), max(_MIN_TICKET_TYIYN, round(self._ticket())))
        choices = self.transfer_choices
        if self._sends() < spec.send_share and choices is not None and choices.directory.linked[card]:
            delay = self._send_delay_s()
            if env.now + delay < end:
                after(env, delay, self._send, card, choices.next_amount_tyiyn())
        if self.start_withdrawal is not None and self._withdraws() < spec.withdraw_share:
            delay = self._withdraw_delay_s()
            if env.now + delay < end:
                after(env, delay, self.start_withdrawal, card, self._atm())

    def _tap(self, card: int, terminal: int, amount_tyiyn: int) -> None:
        self.start_tap(card, terminal, amount_tyiyn)

    def _send(self, card: int, amount_tyiyn: int) -> None:
        self.start_transfer("p2p_phone", card, self.transfer_choices.recipient("p2p_phone", card), amount_tyiyn)


class PayrollService:
    """The day's credit files, sent at their hours to each bank's batch posting, and a push for
    every credit posted; ``echo`` follows each credit seen (None: nobody reacts)."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: PayrollSpec,
        population: Population,
        posting: dict[int, BatchPostingHost],
        gateway: NotificationGateway,
        streams: RandomStreams,
        duration_s: float,
        echo: CreditEcho | None,
    ):
        self.env = env
        self.spec = spec
        self.population = population
        self.posting = posting  # by bank index
        self.gateway = gateway
        self.streams = streams
        self.duration_s = duration_s
        self.echo = echo
        self.credits_sent = 0  # credits handed to the banks so far

    def schedule(self) -> None:
        """Send each batch at its local hour (a batch after the end of the day is not sent)."""
        for i, batch in enumerate(self.spec.batches):
            at = batch.hour * 3600.0
            if self.env.now <= at < self.duration_s:
                after(self.env, at - self.env.now, self.send_batch, i)

    def send_batch(self, i: int) -> None:
        """Batch ``i`` now: draw its cardholders (``share`` of all cards, none twice) and their
        amounts, and hand each bank its part of the file."""
        batch = self.spec.batches[i]
        n_cards = self.population.n_cards
        count = round(batch.share * n_cards)
        cards = np.sort(self.streams.generator(f"payroll.batch{i}.cards").choice(n_cards, size=count, replace=False))
        drawn = batch.amount.distribution().draw_batch(self.streams.generator(f"payroll.batch{i}.amount"), count)
        amounts = np.maximum(_MIN_CREDIT_TYIYN, np.rint(drawn)).astype(np.int64)
        bounds = np.searchsorted(cards, self.population.card_starts).tolist()
        payer_id = f"{batch.payer}:{i}"
        for bank in self.population.banks:
            low, high = bounds[bank.index], bounds[bank.index + 1]
            if high > low:
                self.posting[bank.index].receive_file(CreditFile(payer_id, cards[low:high], amounts[low:high], self._posted))
        self.credits_sent += count

    def start_credit(self, payer_id: str, card: int, amount_tyiyn: int, then: Callable[[Delivery], None] | None = None) -> None:
        """Credit ``amount_tyiyn`` to ``card`` now, a file of one from the payer's funding account
        ``payer_id``; ``then(delivery)`` when its push has reached the phone or is lost."""

        def posted(trace_id: int, card: int, amount_tyiyn: int) -> None:
            self._posted(trace_id, card, amount_tyiyn, then)

        bank = self.population.bank_of_card(card)
        self.posting[bank.index].receive_file(CreditFile(payer_id, [card], [amount_tyiyn], posted))
        self.credits_sent += 1

    def _posted(self, trace_id: int, card: int, amount_tyiyn: int, then: Callable[[Delivery], None] | None = None) -> None:
        bank_code = self.population.bank_of_card(card).code
        self.gateway.push(Push(CREDIT_KIND, bank_code), trace_id, lambda delivery: self._seen(card, delivery, then))

    def _seen(self, card: int, delivery: Delivery, then: Callable[[Delivery], None] | None) -> None:
        if delivery.outcome != "lost" and self.echo is not None:
            self.echo.follow(card)
        if then is not None:
            then(delivery)
