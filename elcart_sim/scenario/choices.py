"""The scenario's vocabulary: every list of allowed values, declared once.

The validation rules (fields.py) refuse a value outside these lists, and the modules that act on
a value import its list from here (the applet its kernel styles, the population its card
statuses, the fraud injector its attack kinds), so a list is never written twice.
"""

from __future__ import annotations

__all__ = [
    "DISTRIBUTIONS",
    "KERNEL_STYLES",
    "ATTACK_KINDS",
    "CARD_STATUSES",
    "WEEKDAYS",
    "DAY_KINDS",
    "MODELLED_CHANNELS",
    "P2P_CHANNELS",
    "SERVICES",
    "FEE_CHANNELS",
    "PAYERS",
]

DISTRIBUTIONS = ("constant", "exponential", "lognormal", "uniform")
"""Random durations and amounts (core/streams.py draws them)."""

KERNEL_STYLES = ("qvsdc", "mchip")
"""Card profile of the ELKART Pay applet: the cryptogram in the GPO answer (Visa qVSDC, EMV
Book C-3) or from GENERATE AC (M/Chip, Book C-2); wallet/applet.py."""

ATTACK_KINDS = (
    "replayed_authorisation",
    "replayed_card_answers",
    "relay",
    "stolen_locked_phone",
    "token_after_deletion",
    "wrong_channel",
    "cloned_device",
)
"""Attacks a fraud scenario can inject (fraud/injector.py says what each one is)."""

CARD_STATUSES = ("active", "blocked", "lost", "stolen", "expired")
"""A card's status at its issuer; the population stores the index into this tuple."""

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Order of demand.weekday_factors."""

DAY_KINDS = ("normal", "salary", "auto")
"""auto: a salary day when the date is in demand.salary_days_of_month."""

P2P_CHANNELS = ("p2p_phone", "p2p_card", "p2p_qr")
"""Transfers between ELKART cards in ELKART Mobile, by how the sender names the recipient."""

MODELLED_CHANNELS = ("contactless", *P2P_CHANNELS)
"""Channels the model simulates (demand.channels): the contactless tap and the transfers;
account transfers, bill payments and top-ups come later."""

SERVICES = ("p2p",)
"""The app's money services a fee rule can name."""

FEE_CHANNELS = ("any", "phone", "card", "qr")
"""How a fee rule names the channel of a transfer ("any": all of them)."""

PAYERS = ("employer", "social_fund")
"""Who sends a salary or pension credit file (services.payroll.batches)."""
