"""The double-entry ledger: every movement of money, in integer tyiyn, as balanced postings.

A posting moves `amount_tyiyn` from one account to another: the debit account's balance goes up,
the credit account's goes down (balances are kept debit-positive). So the balances of all
accounts sum to zero at every instant, and `trial_balance()` proves it. Accounts are named by
tuples `(bank_code, kind, key)` — a cardholder's deposit `("AIYL", "cardholder", 1234)`, a bank's
ELKART settlement position `("AIYL", "elkart_settlement", "")` — so that P2P transfers, transfers
to bank accounts, bill payments and end-of-day clearing post with the same mechanism (the chart
of accounts and how each service posts: accounts.py).

Liability accounts (deposits, settlement payable) have credit balances: a cardholder with
1,000 som available shows −100000 here; `available_tyiyn` gives the cardholder's view.

A national day posts millions of entries, so the books are kept compact: each account is
numbered once, when it is first touched (`account_ids`, `account_names`; kept as one dict of
numbers per bank and kind, so no account tuple is stored), balances are an int64 array indexed
by that number, and the journal is column-wise in typed arrays — the debit and
credit columns hold account numbers, the entry id is the row number. At the end of a run the
journal is closed (`close_journal`): its arrays are handed to the postings table as they are,
and the ledger goes on from the closing balances with an empty journal.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Iterator, Mapping

import numpy as np

from elcart_sim.core.errors import LedgerError, UnknownAccountError
from elcart_sim.money import accounts
from elcart_sim.money.accounts import Account

__all__ = ["Ledger", "Account", "LedgerError", "POSTING_KINDS"]

# Posting kinds: data, not behaviour. "opening" brings an account onto the books with its
# balance at the start of the run (cardholder deposits are funded from the bank's own funds).
# A transfer posts a debit at the sender's bank and a credit at the recipient's; a fee is
# charged to the sender beside its debit. A salary or pension credit moves the payer's money
# from its funding account to the cardholder's deposit, at the cardholder's bank. A bill payment
# debits the payer at the payer's bank and credits the biller at the biller's bank when the
# biller's gateway confirms it. A merchant QR payment debits the payer at the payer's bank and,
# through the interaction operator, credits the merchant at its acquiring bank. A settlement
# moves a bank's net position of a clearing batch between its ELKART settlement position and its
# correspondent account at the National Bank. A cash withdrawal at an ATM debits the cardholder
# at the card's bank; at clearing the ATM's bank books the cash it paid out. New kinds are appended: a kind's code is its index.
POSTING_KINDS = (
    "opening", "purchase", "reversal", "transfer_debit", "transfer_credit", "fee", "payroll_credit", "bill_payment", "bill_credit",
    "qr_payment", "merchant_credit", "settlement", "interchange", "cash_withdrawal", "cash_dispensed",
)  # fmt: skip
MAX_AMOUNT_TYIYN = 10**15  # 10 trillion som: far above any movement, far below the int64 balances
_KIND_CODES = {kind: code for code, kind in enumerate(POSTING_KINDS)}


class Ledger:
    """Balances and the journal of postings. Opening balances are brought in lazily.

    `opening_balance(account)` is consulted the first time an account is touched, and posts an
    "opening" entry against the bank's own funds, so a national population of millions of cards
    costs nothing until a card is used.
    """

    def __init__(self, opening_balance: Callable[[Account], int] | None = None):
        self._opening_balance = opening_balance
        # The accounts, numbered in the order they were first touched: per (bank code, kind), a
        # dict key -> number; per number, its (bank code, kind) and its key.
        self._numbers: dict[tuple[str, str], dict[Hashable, int]] = {}
        self._kinds: list[tuple[str, str]] = []  # the (bank code, kind) pairs, in order of appearance
        self._kind_index: dict[tuple[str, str], int] = {}
        self._kind_of = array("i")  # by account number: index into _kinds
        self._keys: list[Hashable] = []  # by account number: the account's key
        self.account_ids: Mapping[Account, int] = _AccountNumbers(self)
        self._balances = array("q")  # debit-positive, by account number
        self._closing = array("q")  # the balances when the journal was last closed (see close_journal)
        self._first_entry = 0  # entry id of the journal's first row
        # Journal, column-wise; entry id = row number.
        self.trace_id = array("i")
        self.posted_at = array("d")
        self.kind = array("b")  # index into POSTING_KINDS
        self.debit = array("i")  # account numbers
        self.credit = array("i")
        self.amount_tyiyn = array("q")
        # Called after every posting with (entry, debit, credit, amount_tyiyn, kind code,
        # trace_id, at) when set: the run's invariant checker (core/invariants.py); None costs
        # one test per posting.
        self.on_posting: Callable[[int, int, int, int, int, int, float], None] | None = None

    # -- posting -------------------------------------------------------------------------------

    def post(self, debit: Account, credit: Account, amount_tyiyn: int, *, kind: str, trace_id: int, at: float) -> int:
        """Move `amount_tyiyn` (integer, > 0) by debiting `debit` and crediting `credit`; returns the entry id."""
        if type(amount_tyiyn) is not int or not 0 < amount_tyiyn <= MAX_AMOUNT_TYIYN:
            raise LedgerError(f"amount_tyiyn must be a positive integer up to {MAX_AMOUNT_TYIYN:_}, got {amount_tyiyn!r} ({kind}, trace {trace_id})")
        code = _KIND_CODES.get(kind)
        if code is None:
            raise LedgerError(f"kind must be one of {', '.join(POSTING_KINDS)}, got {kind!r} (trace {trace_id})")
        numbers = self._numbers
        group = numbers.get((debit[0], debit[1]))
        debit_id = None if group is None else group.get(debit[2])
        if debit_id is None:
            debit_id = self._touch(debit, at)
        group = numbers.get((credit[0], credit[1]))
        credit_id = None if group is None else group.get(credit[2])
        if credit_id is None:
            credit_id = self._touch(credit, at)
        return self._append(debit_id, credit_id, amount_tyiyn, code, trace_id, at)

    def reverse(self, entry_id: int, *, at: float, kind: str = "reversal") -> int:
        """Post the opposite of entry `entry_id` of the open journal (debit and credit swapped,
        same amount and trace id); returns the new entry's id. A host that may have to undo a
        posting can keep its entry id instead of the accounts and the amount."""
        row = entry_id - self._first_entry
        if not 0 <= row < len(self):
            held = f"entries {self._first_entry} to {self._first_entry + len(self) - 1}" if len(self) else "it is empty"
            raise LedgerError(f"entry {entry_id} is not in the open journal ({held})")
        code = _KIND_CODES.get(kind)
        if code is None:
            raise LedgerError(f"kind must be one of {', '.join(POSTING_KINDS)}, got {kind!r} (entry {entry_id})")
        return self._append(self.credit[row], self.debit[row], self.amount_tyiyn[row], code, self.trace_id[row], at)

    def _append(self, debit: int, credit: int, amount_tyiyn: int, kind: int, trace_id: int, at: float) -> int:
        balances = self._balances
        balances[debit] += amount_tyiyn
        balances[credit] -= amount_tyiyn
        entry = self._first_entry + len(self.amount_tyiyn)
        self.trace_id.append(trace_id)
        self.posted_at.append(at)
        self.kind.append(kind)
        self.debit.append(debit)
        self.credit.append(credit)
        self.amount_tyiyn.append(amount_tyiyn)
        if self.on_posting is not None:
            self.on_posting(entry, debit, credit, amount_tyiyn, kind, trace_id, at)
        return entry

    def _find(self, account: Account) -> int | None:
        """The account's number, or None if it was never touched."""
        bank_code, kind, key = account
        group = self._numbers.get((bank_code, kind))
        return None if group is None else group.get(key)

    def _number(self, account: Account) -> int:
        """The account's number; a new account starts at zero."""
        number = self._find(account)
        if number is None:
            bank_code, kind, key = account
            group = self._numbers.get((bank_code, kind))
            if group is None:
                group = self._numbers[bank_code, kind] = {}
                self._kinds.append((bank_code, kind))
                self._kind_index[bank_code, kind] = len(self._kinds) - 1
            number = group[key] = len(self._keys)
            self._kind_of.append(self._kind_index[bank_code, kind])
            self._keys.append(key)
            self._balances.append(0)
        return number

    def account(self, number: int) -> Account:
        """The account numbered `number`."""
        bank_code, kind = self._kinds[self._kind_of[number]]
        return (bank_code, kind, self._keys[number])

    @property
    def account_names(self) -> list[Account]:
        """Every account touched, in the order of their numbers (a list made when asked)."""
        kinds = self._kinds
        return [(*kinds[k], key) for k, key in zip(self._kind_of, self._keys)]

    def _touch(self, account: Account, at: float) -> int:
        """The account's number; the first touch brings its opening balance in."""
        number = self._find(account)
        if number is not None:
            return number
        number = self._number(account)
        if self._opening_balance is not None:
            amount = self._opening_balance(account)
            if amount:
                # A deposit is a liability: crediting the cardholder, debiting the bank's funds.
                self._append(self._number(accounts.own_funds(account[0])), number, amount, _KIND_CODES["opening"], -1, at)
        return number

    # -- reading ---------------------------------------------------------------------------------

    def balance_of_number(self, number: int) -> int:
        """Debit-positive balance of the account numbered `number` (no opening balance brought in)."""
        return self._balances[number]

    def balance_tyiyn(self, account: Account) -> int:
        """Debit-positive balance; touching brings the account's opening balance in."""
        return self._balances[self._touch(account, 0.0)]

    def available_tyiyn(self, account: Account, at: float = 0.0) -> int:
        """The holder's view of a liability account: money available to spend."""
        return -self._balances[self._touch(account, at)]

    def trial_balance(self) -> int:
        """Sum of all balances: zero in a sound double-entry ledger."""
        return sum(self._balances)

    def prove_balanced(self) -> None:
        """Raise LedgerError unless the balances sum to zero and match a replay of the journal."""
        total = self.trial_balance()
        if total != 0:
            raise LedgerError(f"trial balance is {total} tyiyn, not zero")
        replay = np.zeros(len(self._keys), dtype=np.int64)
        replay[: len(self._closing)] = self._closing
        if len(self):  # views of the journal's arrays, dropped before anything can append again
            amounts = np.frombuffer(self.amount_tyiyn, dtype=np.int64)
            np.add.at(replay, np.frombuffer(self.debit, dtype=np.int32), amounts)
            np.subtract.at(replay, np.frombuffer(self.credit, dtype=np.int32), amounts)
            del amounts
        wrong = np.flatnonzero(replay != np.array(self._balances, dtype=np.int64))
        if len(wrong):
            number = int(wrong[0])
            account, balance = self.account(number), self._balances[number]
            raise LedgerError(f"account {account} holds {balance} but its postings sum to {int(replay[number])}")

    def close_journal(self) -> tuple[int, dict[str, array]]:
        """Prove the books, hand the journal over and start an empty one: returns the entry id of
        its first row and its columns (trace_id, posted_at, kind, debit, credit, amount_tyiyn),
        which the ledger no longer holds. Balances carry on, and `prove_balanced` from now on
        replays the new journal from the balances at closing. Entry ids go on counting."""
        self.prove_balanced()
        names = ("trace_id", "posted_at", "kind", "debit", "credit", "amount_tyiyn")
        journal = {name: getattr(self, name) for name in names}
        first = self._first_entry
        self._first_entry += len(self)
        self._closing = array("q", self._balances)
        for name, column in journal.items():
            setattr(self, name, array(column.typecode))
        return first, journal

    def __len__(self) -> int:
        return len(self.amount_tyiyn)

    @property
    def accounts(self) -> dict[Account, int]:
        """Every account touched, with its debit-positive balance."""
        return dict(zip(self.account_names, self._balances))


class _AccountNumbers(Mapping):
    """`Ledger.account_ids`: account -> number, read from the ledger's dicts per bank and kind."""

    __slots__ = ("_ledger",)

    def __init__(self, ledger: Ledger):
        self._ledger = ledger

    def __getitem__(self, account: Account) -> int:
        number = self._ledger._find(account) if isinstance(account, tuple) and len(account) == 3 else None
        if number is None:
            raise UnknownAccountError(account)
        return number

    def __iter__(self) -> Iterator[Account]:
        return iter(self._ledger.account_names)

    def __len__(self) -> int:
        return len(self._ledger._keys)
