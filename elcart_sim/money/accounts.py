"""The chart of accounts: how every party's money is named in the ledger.

An account is `(bank_code, kind, key)`. Each member bank keeps, in its own books:

| kind | key | what it is | normal balance |
|---|---|---|---|
| `cardholder` | card index | the deposit behind an ELKART card | credit (bank owes the holder) |
| `customer_account` | account number | a bank account that is not a card (transfers to bank accounts) | credit |
| `merchant` | merchant id | the acquirer's settlement account of a merchant | credit |
| `biller` | biller id | a utility or service provider paid through the app | credit |
| `elkart_settlement` | "" | the bank's position towards IPC for the current clearing cycle | credit when it owes |
| `nbkr_correspondent` | "" | the bank's correspondent account at the National Bank, where net positions settle | debit (an asset) |
| `own_funds` | "" | the bank's own funds, which opened the deposits of this run | debit |
| `fee_income` | "" | the fees the bank charged its cardholders (the app's services) | credit |
| `atm_cash` | "" | the cash the bank's ATMs paid out (withdrawals by any bank's cards) | credit (cash left the vault) |
| `payroll_funding` | payer id | an employer's or the Social Fund's account at the bank, from which it pays salaries or pensions (funded before the day, outside the run) | debit during the run |

How the services post, each as balanced postings in integer tyiyn (`Ledger.post(debit, credit, …)`):

- **card purchase (authorised)**: issuer: debit `cardholder`, credit `elkart_settlement`.
  At clearing the acquirer: debit `elkart_settlement`, credit `merchant`.
- **P2P card to card**: sender's bank: debit `cardholder`, credit `elkart_settlement`;
  recipient's bank: debit `elkart_settlement`, credit `cardholder`. A fee, when the scenario
  charges one: sender's bank: debit `cardholder`, credit `fee_income`.
- **transfer to a bank account**: as P2P, the recipient's bank crediting `customer_account`.
- **bill payment**: payer's bank: debit `cardholder`, credit `elkart_settlement`;
  biller's bank: debit `elkart_settlement`, credit `biller`.
- **merchant QR payment**: payer's bank: debit `cardholder`, credit `elkart_settlement`
  ("qr_payment"); through the interaction operator, the merchant's acquirer: debit
  `elkart_settlement`, credit `merchant` ("merchant_credit") — at once, not at clearing.
- **ATM cash withdrawal**: issuer: debit `cardholder`, credit `elkart_settlement`
  ("cash_withdrawal"). At clearing the ATM's bank: debit `elkart_settlement`, credit `atm_cash`
  ("cash_dispensed").
- **salary or pension credit**: the cardholder's bank: debit `payroll_funding` (the payer's
  account there), credit `cardholder`; no leg through IPC: the payer's file reaches each bank
  directly.
- **clearing and settlement** (when the scenario's clearing is enabled; model/clearing_cycle.py):
  a tap's acquirer credits its merchant when the switch's approval is cleared (above); at each
  batch's settlement every bank, and IPC as the acquirer of the app's payments, moves its net
  position between `elkart_settlement` and `nbkr_correspondent` ("settlement": a net creditor
  debits `nbkr_correspondent`, a net debtor credits it); the positions sum to zero, and once
  every batch has settled in full every `elkart_settlement` is zero.
"""

from __future__ import annotations

from collections.abc import Hashable

Account = tuple[str, str, Hashable]

__all__ = [
    "Account",
    "cardholder",
    "customer_account",
    "merchant",
    "biller",
    "elkart_settlement",
    "nbkr_correspondent",
    "own_funds",
    "fee_income",
    "payroll_funding",
    "atm_cash",
]


def cardholder(bank_code: str, card: int) -> Account:
    return (bank_code, "cardholder", card)


def customer_account(bank_code: str, account_number: Hashable) -> Account:
    return (bank_code, "customer_account", account_number)


def merchant(bank_code: str, merchant_id: str) -> Account:
    return (bank_code, "merchant", merchant_id)


def biller(bank_code: str, biller_id: str) -> Account:
    return (bank_code, "biller", biller_id)


def elkart_settlement(bank_code: str) -> Account:
    return (bank_code, "elkart_settlement", "")


def nbkr_correspondent(bank_code: str) -> Account:
    return (bank_code, "nbkr_correspondent", "")


def own_funds(bank_code: str) -> Account:
    return (bank_code, "own_funds", "")


def fee_income(bank_code: str) -> Account:
    return (bank_code, "fee_income", "")


def payroll_funding(bank_code: str, payer_id: str) -> Account:
    return (bank_code, "payroll_funding", payer_id)


def atm_cash(bank_code: str) -> Account:
    return (bank_code, "atm_cash", "")
