"""Clearing, netting and settlement: the money's journey after the switch approves it.

Pure code, no SimPy and no randomness: ``records`` (clearing records, clearing periods and
deterministic batch ids), ``netting`` (bilateral and multilateral net positions), ``liquidity``
(the position check during the day: cover, net debit cap, alarm), ``settlement`` (the National
Bank's gross settlement system: accounts, FIFO queues, gridlock and offsetting, net batches and
the rule for a bank without cover), ``measures`` (liquidity bounds, delay, value unsettled, the
share settled by offset), ``reconciliation`` (the switch's clearing against each bank's own
records: breaks and timing items by kind, with their trace ids). The clearing cycle that closes periods in simulated time belongs to
the model, around this core.
"""

from elcart_sim.clearing.liquidity import INSUFFICIENT_LIQUIDITY, LIMIT_ERROR, OK, LiquidityAccount, LiquidityAnswer, check
from elcart_sim.clearing.measures import LiquidityBounds, delay_indicator, liquidity_bounds, offset_share, unsettled_value_tyiyn
from elcart_sim.clearing.netting import (
    Obligations,
    bilateral_positions,
    gross_credits,
    gross_debits,
    multilateral_from_bilateral,
    multilateral_positions,
)
from elcart_sim.clearing.reconciliation import BREAK_KINDS, TIMING_KINDS, Reconciliation, reconcile
from elcart_sim.clearing.records import CLEARING_KINDS, ClearingRecord, Period, batch_id, batch_of, period_of, periods_of
from elcart_sim.clearing.settlement import BatchOutcome, Payment, Rtgs, SettledPayment, pro_rata

__all__ = [
    "CLEARING_KINDS",
    "ClearingRecord",
    "Period",
    "batch_id",
    "batch_of",
    "period_of",
    "periods_of",
    "Obligations",
    "bilateral_positions",
    "multilateral_positions",
    "multilateral_from_bilateral",
    "gross_debits",
    "gross_credits",
    "OK",
    "INSUFFICIENT_LIQUIDITY",
    "LIMIT_ERROR",
    "LiquidityAnswer",
    "LiquidityAccount",
    "check",
    "Payment",
    "SettledPayment",
    "BatchOutcome",
    "Rtgs",
    "pro_rata",
    "LiquidityBounds",
    "liquidity_bounds",
    "delay_indicator",
    "unsettled_value_tyiyn",
    "offset_share",
    "BREAK_KINDS",
    "TIMING_KINDS",
    "Reconciliation",
    "reconcile",
]
