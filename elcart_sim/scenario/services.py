"""Scenario fields of the app's money services: transfers between ELKART cards (P2P by phone
number, card number or QR code), their limits and fees, the directory that resolves a
recipient, and the links from the app's service to the directory and the switch.

Physical picture: a sender in ELKART Mobile types a phone number or a card number, or scans a
QR code, and an amount; the app's service at IPC asks the directory whose card that is, checks
the sender's limits, works out the fee, then moves the money in two legs through the switch: a
debit at the sender's bank, a credit at the recipient's. Domestic transfers have been free of
commission since November 2024 (docs/sources.md), so no fee rule is the default.

Beside transfers the app pays bills (``bills``: a top-up is a bill whose reference is a phone
number) through the biller gateways, and sends money to bank accounts (``account_transfers``)
through NBKR's interaction operator, and pays merchants whose static ELQR code the payer scans
(``qr_payments``: the merchant is credited at its acquiring bank through the same operator); each
names the host it waits for and the link to it. Each service may spread its arrivals over the
day by an hourly profile of its own (``hourly_profile``, 24 weights; empty: demand.hourly_profile).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.choices import (
    ACCOUNT_TRANSFER_CHANNELS,
    BILL_CHANNELS,
    FEE_CHANNELS,
    P2P_CHANNELS,
    QR_PAYMENT_CHANNELS,
    SERVICES,
)
from elcart_sim.scenario.fields import AmountSpec, DurationSpec, checked, fraction, non_negative, one_of, positive
from elcart_sim.scenario.hosts import HostSpec
from elcart_sim.scenario.payroll import PayrollSpec, PushSpec
from elcart_sim.scenario.world import optional_hourly_profile

__all__ = ["FeeRule", "TransferLimits", "TransferSpec", "BillSpec", "AccountTransferSpec", "QrPaymentSpec", "ServicesSpec"]


def _percent(value: float, path: str) -> None:
    if not 0.0 <= value <= 100.0:
        raise ScenarioError(path, f"must be a percentage between 0 and 100, got {value!r}")


@dataclass(frozen=True)
class FeeRule:
    """A fee charged to the sender of a service on a channel ("any": every channel): a flat part
    plus a percentage of the amount, no less than ``min_tyiyn`` and — when ``max_tyiyn`` > 0 —
    no more than it. The first rule that matches a transfer applies."""

    service: str = field(default="p2p", metadata=checked(one_of(SERVICES)))
    channel: str = field(default="any", metadata=checked(one_of(FEE_CHANNELS)))
    flat_tyiyn: int = field(default=0, metadata=checked(non_negative))
    percent: float = field(default=0.0, metadata=checked(_percent))
    min_tyiyn: int = field(default=0, metadata=checked(non_negative))
    max_tyiyn: int = field(default=0, metadata=checked(non_negative))

    def fee_tyiyn(self, amount_tyiyn: int) -> int:
        """The fee on ``amount_tyiyn``, rounded half up to whole tyiyn."""
        fee = self.flat_tyiyn + (amount_tyiyn * round(self.percent * 10_000) + 500_000) // 1_000_000
        fee = max(fee, self.min_tyiyn)
        return min(fee, self.max_tyiyn) if self.max_tyiyn else fee


@dataclass(frozen=True)
class TransferLimits:
    """What one sender may send: per transfer, and per local day in amount and in count
    (ELKART Mobile's limits are not published: estimates, docs/sources.md)."""

    per_transfer_tyiyn: int = field(default=15_000_000, metadata=checked(positive))  # 150,000 som
    per_day_tyiyn: int = field(default=50_000_000, metadata=checked(positive))  # 500,000 som
    per_day_count: int = field(default=50, metadata=checked(positive))


@dataclass(frozen=True)
class TransferSpec:
    """Transfers between ELKART cards: amounts, limits, fees, how long the app's service waits
    for each leg, and the share of transfers whose recipient cannot be found (a mistyped or
    unknown number: each is declined by the directory, and nothing moves)."""

    amount: AmountSpec = field(default_factory=lambda: AmountSpec("lognormal", 1711.0, 1.5))
    limits: TransferLimits = field(default_factory=TransferLimits)
    fees: list[FeeRule] = field(default_factory=list)
    timeout_s: float = field(default=30.0, metadata=checked(positive))
    unknown_recipient_share: float = field(default=0.01, metadata=checked(fraction))
    # Arrivals over the local hours 00..23 (24 weights); empty: demand.hourly_profile.
    hourly_profile: list[float] = field(default_factory=list, metadata=checked(optional_hourly_profile))

    def fee_tyiyn(self, service: str, channel: str, amount_tyiyn: int) -> int:
        """The fee of the first rule for ``service`` on ``channel``; 0 when none applies."""
        for rule in self.fees:
            if rule.service == service and rule.channel in ("any", channel):
                return rule.fee_tyiyn(amount_tyiyn)
        return 0


@dataclass(frozen=True)
class BillSpec:
    """Bill payments and top-ups: amounts, how long the app's service waits for the debit and
    for the biller gateway, the share of payers who give a reference the biller cannot accept
    (declined before any money moves), the biller gateways (one host per gateway of the
    catalogue, each configured by ``gateway``; its ``timeout_s`` is how long it waits for a
    biller before answering that the biller did not answer), the link to them, and the share of
    postings a biller answers [estimate: nothing is published]."""

    topup_amount: AmountSpec = field(default_factory=lambda: AmountSpec("lognormal", 150.0, 1.0))
    bill_amount: AmountSpec = field(default_factory=lambda: AmountSpec("lognormal", 1500.0, 1.2))
    timeout_s: float = field(default=30.0, metadata=checked(positive))
    wrong_reference_share: float = field(default=0.02, metadata=checked(fraction))
    biller_availability: float = field(default=0.995, metadata=checked(fraction))
    gateway: HostSpec = field(default_factory=lambda: HostSpec(32, DurationSpec("lognormal", 0.6, 0.5), 20.0))
    app_gateway: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.01, 0.5))
    # Arrivals over the local hours 00..23 (24 weights); empty: demand.hourly_profile.
    hourly_profile: list[float] = field(default_factory=list, metadata=checked(optional_hourly_profile))


@dataclass(frozen=True)
class AccountTransferSpec:
    """Transfers from an ELKART card to a bank account (commission-free): amounts, how long the
    app's service waits for the debit and for the interaction operator, the share of senders who
    mistype the account number (declined before any money moves), the interaction operator's
    host and the link to it [estimate: nothing is published]."""

    amount: AmountSpec = field(default_factory=lambda: AmountSpec("lognormal", 5000.0, 1.5))
    timeout_s: float = field(default=30.0, metadata=checked(positive))
    wrong_account_share: float = field(default=0.01, metadata=checked(fraction))
    operator: HostSpec = field(default_factory=lambda: HostSpec(16, DurationSpec("lognormal", 0.05, 0.5), 10.0))
    app_operator: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.005))
    # Arrivals over the local hours 00..23 (24 weights); empty: demand.hourly_profile.
    hourly_profile: list[float] = field(default_factory=list, metadata=checked(optional_hourly_profile))


@dataclass(frozen=True)
class QrPaymentSpec:
    """Payments to merchants by scanning their static ELQR code (the interaction operator of
    ``account_transfers`` credits the merchant at its acquiring bank): amounts, how long the
    app's service waits for the debit and for the operator, and the share of scans of a damaged
    code (declined before anything is sent) [estimate: nothing is published]."""

    amount: AmountSpec = field(default_factory=lambda: AmountSpec("lognormal", 1711.0, 1.5))
    timeout_s: float = field(default=30.0, metadata=checked(positive))
    damaged_code_share: float = field(default=0.005, metadata=checked(fraction))
    # Arrivals over the local hours 00..23 (24 weights); empty: demand.hourly_profile.
    hourly_profile: list[float] = field(default_factory=list, metadata=checked(optional_hourly_profile))


@dataclass(frozen=True)
class ServicesSpec:
    """The app's money services: transfers, the directory host, and the app service's links;
    bill payments and top-ups, transfers to bank accounts, merchant QR payments; salary and pension credits and the
    notification gateway."""

    transfers: TransferSpec = field(default_factory=TransferSpec)
    directory: HostSpec = field(default_factory=lambda: HostSpec(8, DurationSpec("lognormal", 0.010, 0.5), 5.0))
    app_directory: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.002))
    app_switch: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.004))
    bills: BillSpec = field(default_factory=BillSpec)
    account_transfers: AccountTransferSpec = field(default_factory=AccountTransferSpec)
    qr_payments: QrPaymentSpec = field(default_factory=QrPaymentSpec)
    # Salary and pension credits (scenario/payroll.py) and the gateway that pushes them to phones.
    payroll: PayrollSpec = field(default_factory=PayrollSpec)
    notifications: HostSpec = field(default_factory=lambda: HostSpec(50, DurationSpec("lognormal", 0.005, 0.5), 30.0))
    push: PushSpec = field(default_factory=PushSpec)

    def hourly_profile(self, channel: str) -> list[float]:
        """The hourly profile of the service that serves app channel ``channel``; empty: the demand's."""
        if channel in P2P_CHANNELS:
            return self.transfers.hourly_profile
        if channel in BILL_CHANNELS:
            return self.bills.hourly_profile
        if channel in ACCOUNT_TRANSFER_CHANNELS:
            return self.account_transfers.hourly_profile
        if channel in QR_PAYMENT_CHANNELS:
            return self.qr_payments.hourly_profile
        return []
