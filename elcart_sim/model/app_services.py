"""The app's money services, built for a run from its scenario: transfers between cards, bills
and top-ups, transfers to bank accounts, merchant QR payments, salary and pension credits.

Physical picture: ELKART Mobile's back end at IPC sends money between cards after asking the
directory (one host), pays bills through the biller gateways (one host per gateway of
data/billers.csv), sends money to bank accounts and pays merchants by their QR codes through
NBKR's interaction operator (one host, shared by both services); on a crediting day each bank posts the credit files (one batch-posting host per bank) and
the notification gateway pushes each credit to the phone. Each service gets the switch, the ledger and the
records of the run, its own links and random streams; each host it adds is registered with the
scenario field that configures it. `AppServices`, a part of the Simulation, builds a service
on first use, or when the day's app channels include it, and runs one payment of each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import simpy

from elcart_sim.hosts.batch_posting import BatchPostingHost
from elcart_sim.hosts.biller_gateway import BillerGatewayHost
from elcart_sim.hosts.directory import DirectoryHost
from elcart_sim.hosts.interaction_operator import InteractionOperatorHost
from elcart_sim.hosts.notification_gateway import Delivery, NotificationGateway
from elcart_sim.scenario import ACCOUNT_TRANSFER_CHANNELS, BILL_CHANNELS, P2P_CHANNELS, QR_PAYMENT_CHANNELS
from elcart_sim.services.account_transfer import AccountTransferService
from elcart_sim.services.bills import BillService
from elcart_sim.services.legs import AppLegs
from elcart_sim.services.p2p import TransferService
from elcart_sim.services.payroll import CreditEcho, PayrollService
from elcart_sim.services.qr_payment import QrPaymentService
from elcart_sim.services.requests import TransferResult
from elcart_sim.world.account_demand import AccountTransferDemand
from elcart_sim.world.bill_demand import BillDemand
from elcart_sim.world.billers import GATEWAYS, load_billers
from elcart_sim.world.directory import Directory
from elcart_sim.world.merchant_codes import MerchantCodes
from elcart_sim.world.qr_demand import QrPaymentDemand
from elcart_sim.world.transfers import TransferDemand

if TYPE_CHECKING:
    from elcart_sim.model.simulation import Simulation

__all__ = ["AppServices", "build_transfers", "build_bills", "build_account_transfers", "build_qr_payments", "build_payroll"]

Then = Callable[[TransferResult], None] | None


class AppServices:
    """ELKART Mobile's services as a part of the Simulation: each built on first use (or for a
    day whose app channels include it), and one payment of each started or run to its end."""

    env: simpy.Environment
    clearing: Any  # model/clearing_cycle.ClearingCycle | None, set by the Simulation

    def build_app_services_for_the_day(self) -> None:
        """Build the services the day's app channels use, so their hosts are registered now."""
        self._transfers: TransferService | None = None
        self.transfer_demand: TransferDemand | None = None
        self._directory: Directory | None = None
        self._bills: BillService | None = None
        self.bill_demand: BillDemand | None = None
        self._operator: InteractionOperatorHost | None = None
        self._account_transfers: AccountTransferService | None = None
        self.account_transfer_demand: AccountTransferDemand | None = None
        self._qr_payments: QrPaymentService | None = None
        self.qr_payment_demand: QrPaymentDemand | None = None
        demand = self.scenario.demand
        for channels, service in ((P2P_CHANNELS, "transfers"), (BILL_CHANNELS, "bills"), (ACCOUNT_TRANSFER_CHANNELS, "account_transfers"),
                                  (QR_PAYMENT_CHANNELS, "qr_payments")):  # fmt: skip
            if any(demand.share(channel) > 0 for channel in channels):
                getattr(self, service)  # built on first use
        self._payroll: PayrollService | None = None
        # A crediting day with credit files: salaries and pensions are posted and pushed.
        self.crediting_day = bool(self.scenario.services.payroll.batches) and demand.is_salary_day(self.scenario.business_date)
        if self.crediting_day:
            self.payroll  # built now, so its hosts are registered

    @property
    def payroll(self) -> PayrollService:
        """Salary and pension credits: each bank's batch posting (registered as ``payroll:<bank>``),
        the notification gateway (``notifications``) and the echo of the credits, built on first use."""
        if self._payroll is None:
            self._payroll = build_payroll(self)
        return self._payroll

    @property
    def transfers(self) -> TransferService:
        """ELKART Mobile's transfer service, with the directory host it asks (registered as
        ``directory``), built on first use."""
        if self._transfers is None:
            self._transfers, self.transfer_demand = build_transfers(self)
        return self._transfers

    @property
    def app_directory(self) -> Directory:
        """Which cards are linked in ELKART Mobile, and whose card a number is (built once)."""
        if self._directory is None:
            self._directory = Directory.build(self.population, self.streams)
        return self._directory

    @property
    def bills(self) -> BillService:
        """ELKART Mobile's bill service, with the biller gateways it posts to, built on first use."""
        if self._bills is None:
            self._bills, self.bill_demand = build_bills(self)
        return self._bills

    @property
    def interaction_operator(self) -> InteractionOperatorHost:
        """NBKR's interaction operator (registered as ``services.account_transfers.operator``),
        built on first use: the account transfers and the merchant QR payments share it."""
        if self._operator is None:
            spec = self.scenario.services.account_transfers.operator
            self._operator = InteractionOperatorHost(self.env, spec, self.population.banks, self.ledger, self.streams, self.records.hops)
            self._operator.clearing = self.clearing
            self.register(self._operator, "services.account_transfers.operator")
        return self._operator

    @property
    def account_transfers(self) -> AccountTransferService:
        """ELKART Mobile's transfers to bank accounts, with the interaction operator, built on first use."""
        if self._account_transfers is None:
            self._account_transfers, self.account_transfer_demand = build_account_transfers(self)
        return self._account_transfers

    @property
    def qr_payments(self) -> QrPaymentService:
        """ELKART Mobile's merchant QR payments, with the interaction operator, built on first use."""
        if self._qr_payments is None:
            self._qr_payments, self.qr_payment_demand = build_qr_payments(self)
        return self._qr_payments

    # -- one payment of each service ---------------------------------------------------------------

    def start_transfer(self, channel: str, sender: int, recipient: str, amount_tyiyn: int, then: Then = None) -> None:
        """Start one P2P transfer now from card ``sender`` to ``recipient`` (a phone number, a
        card number or a QR recipient id, as ``channel`` — p2p_phone, p2p_card, p2p_qr — says)."""
        self.transfers.start(self.next_trace_id(), channel, sender, recipient, amount_tyiyn, then)

    def transfer(self, channel: str, sender: int, recipient: str, amount_tyiyn: int) -> TransferResult:
        """Run one transfer to its final state and return how it ended."""
        return self._run_one(self.start_transfer, channel, sender, recipient, amount_tyiyn)

    def start_bill_payment(self, payer: int, biller_id: str, reference: str, amount_tyiyn: int, then: Then = None) -> None:
        """Start one bill payment or top-up now from card ``payer`` to ``biller_id`` for ``reference``."""
        self.bills.start(self.next_trace_id(), payer, biller_id, reference, amount_tyiyn, then)

    def pay_bill(self, payer: int, biller_id: str, reference: str, amount_tyiyn: int) -> TransferResult:
        """Run one bill payment or top-up to its final state and return how it ended."""
        return self._run_one(self.start_bill_payment, payer, biller_id, reference, amount_tyiyn)

    def start_account_transfer(self, sender: int, account_number: str, amount_tyiyn: int, then: Then = None) -> None:
        """Start one transfer now from card ``sender`` to bank account ``account_number``."""
        self.account_transfers.start(self.next_trace_id(), sender, account_number, amount_tyiyn, then)

    def account_transfer(self, sender: int, account_number: str, amount_tyiyn: int) -> TransferResult:
        """Run one transfer to a bank account to its final state and return how it ended."""
        return self._run_one(self.start_account_transfer, sender, account_number, amount_tyiyn)

    def start_qr_payment(self, payer: int, code: str, amount_tyiyn: int, then: Then = None) -> None:
        """Start one payment now from card ``payer`` to the merchant whose code the app read as ``code``."""
        self.qr_payments.start(self.next_trace_id(), payer, code, amount_tyiyn, then)

    def qr_payment(self, payer: int, code: str, amount_tyiyn: int) -> TransferResult:
        """Run one merchant QR payment to its final state and return how it ended."""
        return self._run_one(self.start_qr_payment, payer, code, amount_tyiyn)

    def start_credit(self, payer_id: str, card: int, amount_tyiyn: int, then: Callable[[Delivery], None] | None = None) -> None:
        """Credit ``amount_tyiyn`` to ``card`` now from the payer's funding account ``payer_id``
        (a file of one at the card's bank); ``then(delivery)`` when its push has ended."""
        self.payroll.start_credit(payer_id, card, amount_tyiyn, then)

    def credit(self, payer_id: str, card: int, amount_tyiyn: int) -> Delivery:
        """Run one credit, its push and anything it set off, and return how the push ended."""
        return self._run_one(self.start_credit, payer_id, card, amount_tyiyn)

    def _run_one(self, start: Callable[..., None], *args: object) -> Any:
        results: list = []
        start(*args, then=results.append)
        self.env.run()
        return results[0]


def build_transfers(simulation: Simulation) -> tuple[TransferService, TransferDemand]:
    """The transfer service, the directory host it asks (registered as ``services.directory``)
    and the transfer demand."""
    scenario, streams, env = simulation.scenario, simulation.streams, simulation.env
    services = scenario.services
    directory = simulation.app_directory
    host = DirectoryHost(env, services.directory, directory, streams, simulation.records.hops)
    simulation.register(host, "services.directory")
    legs = AppLegs(
        env, simulation.switch, simulation.wire, simulation.terminal_services.day,
        streams.sampler("network.app_switch", services.app_switch.distribution()), services.transfers.timeout_s,
    )  # fmt: skip
    directory_latency_s = streams.sampler("network.app_directory", services.app_directory.distribution())
    service = TransferService(env, services.transfers, simulation.population, host, legs, directory_latency_s, simulation.records.transfers)
    return service, TransferDemand(scenario, simulation.population, directory, streams)


def build_payroll(simulation: Simulation) -> PayrollService:
    """Salary and pension credits: each bank's batch posting (registered as
    ``services.payroll.posting`` per bank), the notification gateway (``services.notifications``)
    and the echo of the credits."""
    scenario, streams, env, records = simulation.scenario, simulation.streams, simulation.env, simulation.records
    services = scenario.services
    gateway = NotificationGateway(env, services.notifications, services.push, streams, records.hops, records.notifications)
    simulation.register(gateway, "services.notifications")
    posting = {}
    for bank in simulation.population.banks:
        host = BatchPostingHost(env, bank, services.payroll.posting, simulation.ledger, streams, records.hops, simulation.next_trace_id)
        posting[bank.index] = host
        simulation.register(host, "services.payroll.posting", bank.code)
    echo = services.payroll.echo
    choices = None
    if echo.send_share > 0:  # the echo's transfers: the app's services, with choices on streams of their own
        directory = simulation.transfers.directory.directory
        choices = TransferDemand(scenario, simulation.population, directory, streams, stream_prefix="payroll.echo.transfers")
    echo_process = CreditEcho(
        env, echo, scenario, simulation.population, streams, simulation.start_tap, simulation.start_transfer, choices,
        simulation.start_withdrawal, len(simulation.atm_fleet),
    )
    return PayrollService(env, services.payroll, simulation.population, posting, gateway, streams, scenario.demand.duration_s, echo_process)


def _legs(simulation: Simulation, service: str, timeout_s: float) -> AppLegs:
    """The 0200s of ``service`` to the switch; its link (services.app_switch) draws from a stream
    of its own, so a new service shifts no other service's draws."""
    latency_s = simulation.streams.sampler(f"network.app_switch.{service}", simulation.scenario.services.app_switch.distribution())
    return AppLegs(simulation.env, simulation.switch, simulation.wire, simulation.terminal_services.day, latency_s, timeout_s)


def build_bills(simulation: Simulation) -> tuple[BillService, BillDemand]:
    """The bill service, its gateways (registered as ``services.bills.gateway``) and its demand."""
    scenario, streams, env = simulation.scenario, simulation.streams, simulation.env
    spec = scenario.services.bills
    catalogue = load_billers()
    gateways = {}
    for gateway_id in GATEWAYS:
        billers = [b.biller_id for b in catalogue.billers if b.gateway == gateway_id]
        host = BillerGatewayHost(env, gateway_id, spec.gateway, billers, spec.biller_availability, streams, simulation.records.hops)
        simulation.register(host, "services.bills.gateway", gateway_id)
        gateways[gateway_id] = host
    service = BillService(
        env,
        catalogue,
        simulation.population,
        gateways,
        _legs(simulation, "bills", spec.timeout_s),
        streams.sampler("network.app_gateway", spec.app_gateway.distribution()),
        simulation.ledger,
        simulation.records.transfers,
        scenario.services.transfers.fee_tyiyn,
    )
    service.clearing = simulation.clearing
    return service, BillDemand(scenario, catalogue, simulation.app_directory, streams)


def build_account_transfers(simulation: Simulation) -> tuple[AccountTransferService, AccountTransferDemand]:
    """The account-transfer service, the interaction operator (registered as
    ``services.account_transfers.operator``) and the demand."""
    scenario, streams, env = simulation.scenario, simulation.streams, simulation.env
    spec = scenario.services.account_transfers
    service = AccountTransferService(
        env,
        simulation.population,
        simulation.interaction_operator,
        _legs(simulation, "account_transfers", spec.timeout_s),
        streams.sampler("network.app_interaction_operator", spec.app_operator.distribution()),
        simulation.records.transfers,
        scenario.services.transfers.fee_tyiyn,
    )
    return service, AccountTransferDemand(scenario, simulation.app_directory, streams)


def build_qr_payments(simulation: Simulation) -> tuple[QrPaymentService, QrPaymentDemand]:
    """The merchant QR payment service, the merchants' codes, the interaction operator it shares
    with the account transfers, and the demand."""
    scenario, streams, env = simulation.scenario, simulation.streams, simulation.env
    spec = scenario.services.qr_payments
    codes = MerchantCodes(simulation.population)
    service = QrPaymentService(
        env,
        simulation.population,
        codes,
        simulation.interaction_operator,
        _legs(simulation, "qr_payments", spec.timeout_s),
        streams.sampler("network.app_interaction_operator.qr_payments", scenario.services.account_transfers.app_operator.distribution()),
        simulation.records.transfers,
        scenario.services.transfers.fee_tyiyn,
    )
    return service, QrPaymentDemand(scenario, codes, simulation.app_directory, streams)
