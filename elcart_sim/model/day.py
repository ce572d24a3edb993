"""The day played: arrivals (phone taps, plastic card purchases and ATM withdrawals; transfers, bills and top-ups, transfers to bank accounts and
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

if TYPE_CHECKING:
    from elcart_sim.model.simulation import Simulation

__all__ = ["play", "paused_gc"]


def play(simulation: Simulation, progress: Callable[[float], None] | None = None, progress_step_s: float = 900.0) -> None:
    """Play the scenario's day on ``simulation``; ``progress(fraction)`` as simulated time advances."""
    env = simulation.env
    simulation.demand.schedule_arrivals(env, simulation.start_tap)
    simulation.card_demand.schedule(env, simulation.start_card_payment, simulation.start_withdrawal)
    if simulation.transfer_demand is not None:
        simulation.transfer_demand.schedule(env, simulation.start_transfer)
    if simulation.crediting_day:
        simulation.payroll.schedule()
    if simulation.bill_demand is not None:
        simulation.bill_demand.schedule(env, simulation.start_bill_payment)
    if simulation.account_transfer_demand is not None:
        simulation.account_transfer_demand.schedule(env, simulation.start_account_transfer)
    if simulation.qr_payment_demand is not None:
        simulation.qr_payment_demand.schedule(env, simulation.start_qr_payment)
    env.process(simulation.lifecycle.generate_requests())
    env.process(simulation.fraud.inject_attacks())
    duration = simulation.scenario.demand.duration_s
    t = 0.0
    with paused_gc():
        while t < duration:
            t = min(duration, t + progress_step_s)
            env.run(until=t)
            if progress:
                progress(t / duration)
        env.run()  # drain: every tap in flight reaches its final state, every reversal its issuer
        if simulation.clearing is not None:
            simulation.clearing.settle_rest()  # what the day's last cut-off left open, and the drain's


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
