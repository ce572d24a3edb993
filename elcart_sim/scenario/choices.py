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

MODELLED_CHANNELS = ("contactless",)
"""Payment channels the model simulates; P2P transfers, bill payments… come later."""
