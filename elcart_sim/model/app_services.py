"""The app's money services, built for a run from its scenario: transfers between cards, bills
and top-ups, transfers to bank accounts, salary and pension credits.

Physical picture: ELKART Mobile's back end at IPC sends money between cards after asking the
directory (one host), pays bills through the biller gateways (one host per gateway of
data/billers.csv) and sends money to bank accounts through NBKR's interaction operator (one
host); on a crediting day each bank posts the credit files (one batch-posting host per bank) and
the notification gateway pushes each credit to the phone. Each service gets the switch, the ledger and the
records of the run, its own links and random streams; each host it adds is registered with the
scenario field that configures it. The simulation builds a service on first use, or when the
day's channels include it (model/simulation.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from elcart_sim.hosts.batch_posting import BatchPostingHost
from elcart_sim.hosts.biller_gateway import BillerGatewayHost
from elcart_sim.hosts.directory import DirectoryHost
from elcart_sim.hosts.interaction_operator import InteractionOperatorHost
from elcart_sim.hosts.notification_gateway import NotificationGateway
from elcart_sim.services.account_transfer import AccountTransferService
from elcart_sim.services.bills import BillService
from elcart_sim.services.legs import AppLegs
from elcart_sim.services.p2p import TransferService
from elcart_sim.services.payroll import CreditEcho, PayrollService
from elcart_sim.world.account_demand import AccountTransferDemand
from elcart_sim.world.bill_demand import BillDemand
from elcart_sim.world.billers import GATEWAYS, load_billers
from elcart_sim.world.transfers import TransferDemand

if TYPE_CHECKING:
    from elcart_sim.model.simulation import Simulation

__all__ = ["build_transfers", "build_bills", "build_account_transfers", "build_payroll"]


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
    echo_process = CreditEcho(env, echo, scenario, simulation.population, streams, simulation.start_tap, simulation.start_transfer, choices)
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
    return service, BillDemand(scenario, catalogue, simulation.app_directory, streams)


def build_account_transfers(simulation: Simulation) -> tuple[AccountTransferService, AccountTransferDemand]:
    """The account-transfer service, the interaction operator (registered as
    ``services.account_transfers.operator``) and the demand."""
    scenario, streams, env = simulation.scenario, simulation.streams, simulation.env
    spec = scenario.services.account_transfers
    operator = InteractionOperatorHost(env, spec.operator, simulation.population.banks, simulation.ledger, streams, simulation.records.hops)
    simulation.register(operator, "services.account_transfers.operator")
    service = AccountTransferService(
        env,
        simulation.population,
        operator,
        _legs(simulation, "account_transfers", spec.timeout_s),
        streams.sampler("network.app_interaction_operator", spec.app_operator.distribution()),
        simulation.records.transfers,
        scenario.services.transfers.fee_tyiyn,
    )
    return service, AccountTransferDemand(scenario, simulation.app_directory, streams)
