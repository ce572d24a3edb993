"""Scenario fields of salary and pension credits, the pushes that announce them, and what the
fresh money does next.

Physical picture: on a crediting day, employers and the Social Fund hand their banks credit
files at set local hours (``batches``: who pays, when, what share of cardholders, how much).
Each bank's core system posts the file one credit after another (``posting``: its servers and
the time per posting), and each credit sends a push to the cardholder's phone through the
notification gateway (``services.notifications``, a host; ``services.push``: the way to the
phone — its latency, pushes lost, phones offline until later). A cardholder who sees the
credit may go shopping (a tap, if the phone has a wallet) or send some of it on (a transfer
by phone number) some hours later (``echo``). No batch is the default: the day then has no
credits at all, and a salary day is only `demand.salary_day_factor`'s flat multiplier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.choices import PAYERS
from elcart_sim.scenario.fields import AmountSpec, DurationSpec, checked, fraction, one_of, positive
from elcart_sim.scenario.hosts import HostSpec

__all__ = ["PayrollBatch", "EchoSpec", "PayrollSpec", "PushSpec"]


def _local_hour(value: float, path: str) -> None:
    if not 0.0 <= value < 24.0:
        raise ScenarioError(path, f"must be a local hour from 0 to below 24 (9.5 is 09:30), got {value!r}")


@dataclass(frozen=True)
class PayrollBatch:
    """One credit file: ``payer`` (employer | social_fund) hands it to the banks at local hour
    ``hour``; it credits ``share`` of all cardholders (drawn without repeats) ``amount`` each."""

    payer: str = field(default="employer", metadata=checked(one_of(PAYERS)))
    hour: float = field(default=9.0, metadata=checked(_local_hour))
    share: float = field(default=0.1, metadata=checked(fraction))
    amount: AmountSpec = field(default_factory=lambda: AmountSpec("lognormal", 20_000.0, 0.6))


@dataclass(frozen=True)
class EchoSpec:
    """What a cardholder does after seeing a credit (a push delivered, on time or late): with
    ``spend_share`` one tap ``spend_delay`` later (only a card with a wallet can tap), with
    ``send_share`` one transfer by phone number ``send_delay`` later (only a card linked in the
    app), with ``withdraw_share`` one cash withdrawal at an ATM ``withdraw_delay`` later (any
    card: the money arrived, so much of it is taken out as cash). What would fall after the end
    of the day is not played (the next day's echo)."""

    spend_share: float = field(default=0.4, metadata=checked(fraction))
    spend_delay: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 10_800.0, 1.0))
    send_share: float = field(default=0.2, metadata=checked(fraction))
    send_delay: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 7_200.0, 1.0))
    withdraw_share: float = field(default=0.0, metadata=checked(fraction))
    withdraw_delay: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 10_800.0, 1.0))


@dataclass(frozen=True)
class PayrollSpec:
    """Salary and pension credits: the day's credit files, the banks' posting of them, the echo.
    Credits run on a crediting day (`demand.day_kind` salary, or auto on one of
    `demand.salary_days_of_month`) when ``batches`` lists any."""

    batches: list[PayrollBatch] = field(default_factory=list)
    posting: HostSpec = field(default_factory=lambda: HostSpec(2, DurationSpec("lognormal", 0.005, 0.5), 60.0))
    echo: EchoSpec = field(default_factory=EchoSpec)


@dataclass(frozen=True)
class PushSpec:
    """A push on its way from the notification gateway to the phone: ``latency`` for most; a
    share ``loss_share`` never arrives; a share ``offline_share`` finds the phone offline and
    is delivered when it is back, ``offline_delay`` later. A push delivered more than
    ``late_after_s`` after the bank sent it counts as late."""

    latency: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 4.5, 2.8))
    loss_share: float = field(default=0.005, metadata=checked(fraction))
    offline_share: float = field(default=0.025, metadata=checked(fraction))
    offline_delay: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 3_600.0, 1.5))
    late_after_s: float = field(default=60.0, metadata=checked(positive))
