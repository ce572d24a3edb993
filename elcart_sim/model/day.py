"""The day played: arrivals (taps; transfers, bills and top-ups, transfers to bank accounts and
merchant QR payments when the day's app channels include them), salary and pension credit files on a crediting day, token
lifecycle and injected attacks over the scenario's duration,
then the drain, until every transaction in flight has reached its final state; with clearing
enabled, the periods still open are then settled.

Python's cyclic garbage collector is paused while the day plays (`paused_gc`): reference
counting frees every message, event and record row, and the only cycles a day leaves are the
wallets of replaced phones (a few dozen), while the collector's passes over hundreds of
thousands of live wallets and tokens cost a third of a national run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from elcart_sim.core.errors import LedgerError

if TYPE_CHECKING:
    from elcart_sim.model.simulation import Simulation

__all__ = ["play", "paused_gc", "DAY_S"]

DAY_S = 86_400.0
"""One day on the simulated clock: day d of a multi-day run starts at d × DAY_S (its local midnight)."""


def play(simulation: Simulation, progress: Callable[[float], None] | None = None, progress_step_s: float = 900.0) -> None:
    """Play the scenario's day, or each of its days in a row (Simulation(days=n)), on
    ``simulation``; ``progress(fraction)`` as simulated time advances."""
    env = simulation.env
    start_day(simulation, 0)
    env.process(simulation.lifecycle.generate_requests())
    env.process(simulation.fraud.inject_attacks())
    total = simulation.duration_s
    duration = simulation.scenario.demand.duration_s
    t = 0.0
    with paused_gc():
        for d in range(len(simulation.dates)):
            if d:
                if env.now < d * DAY_S:
                    env.run(until=d * DAY_S)  # the night: what is in flight carries on
                close_day(simulation, d - 1)
                start_day(simulation, d)
            end = d * DAY_S + duration
            while t < end:
                t = min(end, t + progress_step_s)
                env.run(until=t)
                if progress:
                    progress(t / total)
            t = (d + 1) * DAY_S
        env.run()  # drain: every tap in flight reaches its final state, every reversal its issuer
        if simulation.clearing is not None:
            simulation.clearing.settle_rest()  # what the day's last cut-off left open, and the drain's
        if len(simulation.dates) > 1:
            close_day(simulation, len(simulation.dates) - 1)


def start_day(simulation: Simulation, d: int) -> None:
    """Schedule day ``d``'s arrivals from now (its local midnight), at that day's rates, and its
    credit files on a crediting day with credit files."""
    env = simulation.env
    on = None if d == 0 else simulation.scenario.on(simulation.dates[d])
    simulation.demand.schedule_arrivals(env, simulation.start_tap, on)
    if simulation.transfer_demand is not None:
        simulation.transfer_demand.schedule(env, simulation.start_transfer, on)
    scenario = on or simulation.scenario
    if d == 0 and simulation.crediting_day:
        simulation.payroll.schedule()
    elif d and scenario.services.payroll.batches and scenario.demand.is_salary_day(scenario.business_date):
        simulation.payroll.schedule(d * DAY_S)
    if simulation.bill_demand is not None:
        simulation.bill_demand.schedule(env, simulation.start_bill_payment, on)
    if simulation.account_transfer_demand is not None:
        simulation.account_transfer_demand.schedule(env, simulation.start_account_transfer, on)
    if simulation.qr_payment_demand is not None:
        simulation.qr_payment_demand.schedule(env, simulation.start_qr_payment, on)


def close_day(simulation: Simulation, d: int) -> None:
    """The ledger at day ``d``'s close: its entries so far, whether its balances match a replay of
    the journal (Ledger.prove_balanced), and the cardholders' balances in total."""
    ledger = simulation.ledger
    try:
        ledger.prove_balanced()
        check = "balanced"
    except LedgerError as error:
        check = str(error)
    cardholders = sum(balance for account, balance in ledger.accounts.items() if account[1] == "cardholder")
    simulation.day_closes.append(
        {"closed_at": simulation.env.now, "entries": len(ledger), "ledger_check": check, "cardholder_balances_tyiyn": -cardholders}
    )


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause automatic cyclic garbage collection inside the block (as it was, afterwards)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
