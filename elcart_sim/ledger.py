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
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

from elcart_sim import accounts
from elcart_sim.accounts import Account
from elcart_sim.errors import ElcartSimError

__all__ = ["Ledger", "Account", "LedgerError"]

# Posting kinds: data, not behaviour. "opening" brings an account onto the books with its
# balance at the start of the run (cardholder deposits are funded from the bank's own funds).
POSTING_KINDS = ("opening", "purchase", "reversal")


class LedgerError(ElcartSimError):
    """A posting that would break the ledger's rules (non-integer or non-positive amount)."""


class Ledger:
    """Balances and the journal of postings. Opening balances are brought in lazily.

    `opening_balance(account)` is consulted the first time an account is touched, and posts an
    "opening" entry against the bank's own funds, so a national population of millions of cards
    costs nothing until a card is used.
    """

    def __init__(self, opening_balance: Callable[[Account], int] | None = None):
        self._balances: dict[Account, int] = {}
        self._opening_balance = opening_balance
        # Journal, column-wise.
        self.entry_id = array("q")
        self.trace_id = array("q")
        self.posted_at = array("d")
        self.kind = array("b")
        self.debit: list[Account] = []
        self.credit: list[Account] = []
        self.amount_tyiyn = array("q")

    # -- posting -------------------------------------------------------------------------------

    def post(self, debit: Account, credit: Account, amount_tyiyn: int, *, kind: str, trace_id: int, at: float) -> int:
        """Move `amount_tyiyn` (integer, > 0) by debiting `debit` and crediting `credit`."""
        if type(amount_tyiyn) is not int or amount_tyiyn <= 0:
            raise LedgerError(f"amount_tyiyn must be a positive integer, got {amount_tyiyn!r} ({kind}, trace {trace_id})")
        self._touch(debit, at)
        self._touch(credit, at)
        return self._append(debit, credit, amount_tyiyn, kind, trace_id, at)

    def _append(self, debit: Account, credit: Account, amount_tyiyn: int, kind: str, trace_id: int, at: float) -> int:
        balances = self._balances
        balances[debit] += amount_tyiyn
        balances[credit] -= amount_tyiyn
        entry = len(self.amount_tyiyn)
        self.entry_id.append(entry)
        self.trace_id.append(trace_id)
        self.posted_at.append(at)
        self.kind.append(POSTING_KINDS.index(kind))
        self.debit.append(debit)
        self.credit.append(credit)
        self.amount_tyiyn.append(amount_tyiyn)
        return entry

    def _touch(self, account: Account, at: float) -> None:
        if account in self._balances:
            return
        self._balances[account] = 0
        if self._opening_balance is None:
            return
        amount = self._opening_balance(account)
        if amount:
            own_funds = accounts.own_funds(account[0])
            self._balances.setdefault(own_funds, 0)
            # A deposit is a liability: crediting the cardholder, debiting the bank's funds.
            self._append(own_funds, account, amount, "opening", -1, at)

    # -- reading ---------------------------------------------------------------------------------

    def balance_tyiyn(self, account: Account) -> int:
        """Debit-positive balance; touching brings the account's opening balance in."""
        self._touch(account, 0.0)
        return self._balances[account]

    def available_tyiyn(self, account: Account, at: float = 0.0) -> int:
        """The holder's view of a liability account: money available to spend."""
        self._touch(account, at)
        return -self._balances[account]

    def trial_balance(self) -> int:
        """Sum of all balances: zero in a sound double-entry ledger."""
        return sum(self._balances.values())

    def prove_balanced(self) -> None:
        """Raise LedgerError unless the balances sum to zero and match a replay of the journal."""
        total = self.trial_balance()
        if total != 0:
            raise LedgerError(f"trial balance is {total} tyiyn, not zero")
        replay: dict[Account, int] = {}
        for debit, credit, amount in zip(self.debit, self.credit, self.amount_tyiyn):
            replay[debit] = replay.get(debit, 0) + amount
            replay[credit] = replay.get(credit, 0) - amount
        for account, balance in self._balances.items():
            if replay.get(account, 0) != balance:
                raise LedgerError(f"account {account} holds {balance} but its postings sum to {replay.get(account, 0)}")

    def __len__(self) -> int:
        return len(self.amount_tyiyn)

    @property
    def accounts(self) -> dict[Account, int]:
        return dict(self._balances)
