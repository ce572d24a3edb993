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
    "CARD_CHANNELS",
    "APP_CHANNELS",
    "P2P_CHANNELS",
    "QR_PAYMENT_CHANNELS",
    "BILL_CHANNELS",
    "ACCOUNT_TRANSFER_CHANNELS",
    "SERVICES",
    "FEE_CHANNELS",
    "PAYERS",
    "UNCOVERED_RULES",
    "CUTOFF_COUNTS",
    "DEBIT_KINDS",
    "FAULT_KINDS",
    "FAULT_LINKS",
    "FAULT_HOSTS",
    "FUNNEL_STEPS",
    "CONTACT_CAUSES",
    "CONTACT_CHANNELS",
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

BILL_CHANNELS = ("topup", "bill")
"""Payments to billers in ELKART Mobile: mobile top-ups (the reference is a phone number) and
every other bill (the reference is an account, contract or personal number)."""

ACCOUNT_TRANSFER_CHANNELS = ("account_transfer",)
"""Transfers from an ELKART card to a bank account, through the interaction operator."""

QR_PAYMENT_CHANNELS = ("qr_merchant",)
"""Payments to a merchant in ELKART Mobile by scanning the merchant's static ELQR code."""

CARD_CHANNELS = ("contactless", "card_contactless", "card_chip", "atm")
"""Channels of the card side (demand.channels, shares of demand.transactions_per_day): the phone's
tap (ELKART Pay, "contactless"), a plastic card held to a POS terminal or inserted into its chip
reader, and a cash withdrawal at an ATM."""

APP_CHANNELS = (*P2P_CHANNELS, *QR_PAYMENT_CHANNELS, *BILL_CHANNELS, *ACCOUNT_TRANSFER_CHANNELS)
"""Channels of ELKART Mobile (demand.app_channels, shares of the app's payments): transfers
between cards, merchant QR payments, top-ups and bills, transfers to bank accounts."""

MODELLED_CHANNELS = (*CARD_CHANNELS, *APP_CHANNELS)
"""Channels the model simulates: the card side's and the app's."""

SERVICES = ("p2p", "bill", "topup", "account", "qr_payment")
"""The app's money services a fee rule can name (the `service` column of the transfers table)."""

FEE_CHANNELS = ("any", "phone", "card", "qr", "reference", "account")
"""How a fee rule names the channel of a transfer, as the transfers table's `channel` column
says it ("any": all of them): the recipient named by phone number, card number, QR code, a
biller's reference or a bank account number."""

PAYERS = ("employer", "social_fund")
"""Who sends a salary or pension credit file (services.payroll.batches)."""

UNCOVERED_RULES = ("queue", "partial", "exclude")
"""What the gross settlement system does with a batch when a net debtor lacks cover
(clearing.uncovered_rule; clearing/settlement.py): hold the batch until liquidity arrives,
settle what the cover allows, or exclude the bank and net the batch again without it."""

CUTOFF_COUNTS = (1, 2, 4)
"""How many clearing cut-offs a day may have (clearing.cutoffs)."""

DEBIT_KINDS = ("purchase", "transfer_debit", "bill", "topup", "account_transfer", "qr_payment", "cash_withdrawal")
"""Clearing kinds that debit the cardholder: the issuing bank owes the acquiring bank
(clearing/records.py), and the acquirer may owe the issuer interchange (clearing.interchange)."""

DUPLICATE_CHECKS = ("reversals", "all")
"""What the switch and the issuers remember to answer duplicates and repeats (switch.duplicates):
reversals (and the issuers their approvals and advices), or every request besides."""

FAULT_KINDS = ("host_down", "link", "duplicates", "switch_node_down", "clearing_late")
"""Faults a scenario can inject (scenario/faults.py; faults/injection.py says what each one does)."""

FAULT_LINKS = ("terminal_acquirer", "acquirer_switch", "switch_issuer", "app_directory", "app_gateway", "app_operator")
"""Links a link or duplicates fault can name: the terminals' and ATMs' link to the acquirer, the
acquirer's to the switch, the switch's to the issuers (``switch_issuer:<bank>``: to one), the
app's service's to the directory, the biller gateways and the interaction operator."""

FAULT_HOSTS = (
    "acquirer",
    "switch",
    "issuer",
    "directory",
    "biller_gateway",
    "biller",
    "interaction_operator",
    "batch_posting",
    "notification_gateway",
)
"""Hosts a host_down fault can name: ``issuer:<bank>``, ``batch_posting:<bank>``,
``biller_gateway:<gateway>`` and ``biller:<biller id>`` name one of several (a bare
``batch_posting`` or ``biller_gateway``: every one)."""
FUNNEL_STEPS = ("install", "registration", "identification", "card_linking", "tokenization", "contactless")
"""The road into ELKART Pay, in order (onboarding.<step>; people/onboarding.py): the install past
the gate (Android >= 6.0.1 with NFC), registration, remote identification, linking a card with
the issuer's one-time code, tokenization, turning contactless payments on."""

CONTACT_CAUSES = (
    "identification_failed",
    "card_link_failed",
    "declined_tap",
    "token_suspended",
    "transfer_failed",
    "notification_missing",
    "outage",
    "general",
)
"""Why people contact the support centre (support.contacts.<cause>; people/contacts.py)."""

CONTACT_CHANNELS = ("phone", "chat")
"""How they contact it (support.phone, support.chat)."""
