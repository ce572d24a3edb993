"""The run's invariants, checked while it plays: what must hold whatever faults it meets.

Physical picture: an auditor who sits beside the ledger and reads every entry as it is posted,
and who at the close of the day lays the books beside the switch's clearing file and the
terminals' and the app's final states. In the manner of deterministic simulation testing (a
seeded run, invariants checked after every step, a failing seed replayed exactly), a fault drill
turns the checker on and counts what it finds; a normal run leaves it off and pays one test per
posting for it (`Ledger.on_posting` is None).

After every posting (`Ledger.on_posting`):

- ``entry_balances``: the entry moves a positive integer amount between two different accounts,
  and both accounts' balances are what a replay of every posting to them gives (a balance moved
  by anything but a posting shows at the next posting to that account);
- ``posted_twice``: nothing is posted twice: a trace's posting between two accounts while an
  earlier one between them stands (an approval posted again; an advice posted after its
  original's reversal is not twice), and no reversal undoes what does not stand (the same
  original reversed twice).

At the end of the run (`check_results`, on the run's tables; `close_books`, on the ledger):

- ``ledger_balances``: the trial balance is zero and the balances are a replay of the journal;
- ``one_final_state``: every trace id given out has exactly one final state — one row in the
  ``transactions`` or the ``transfers`` table, or a salary or pension credit's posting — and no
  trace is in both tables;
- ``outcome_matches_money``: the final state agrees with the cardholders' money: an approved
  payment at a terminal moved its amount off the card, any other outcome moved nothing; a
  transfer declined or reversed left the cardholders as they were; a completed one was debited;
- ``advice_posted``: every stand-in approval's advice was posted by the issuer by the end of the
  day (read from the ``stand_in`` table when the run has one);
- ``cleared_totals``: with clearing on, the switch's clearing agrees with each bank's own
  approvals minus reversals: every bank and side's difference is zero, and there is no break
  (clearing/reconciliation.py lists them with their trace ids);
- ``positions_net_zero``: each batch's multilateral net positions sum to zero.

A violation is a `Violation` (invariant, trace id or -1, simulated instant, detail): collected,
not raised, so that a drill sees every one; `strict=True` raises `InvariantViolation` at the
first, for tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from elcart_sim.core.errors import ElcartSimError

__all__ = ["Invariants", "Violation", "InvariantViolation", "INVARIANTS"]

INVARIANTS = (
    "entry_balances",
    "posted_twice",
    "ledger_balances",
    "one_final_state",
    "outcome_matches_money",
    "advice_posted",
    "cleared_totals",
    "positions_net_zero",
    "run_completes",
)
"""The invariants, in the order they are described above; ``run_completes`` is a fault drill's
(drill/runs.py): the run ended without an error."""

_TRANSFER_DEBIT_KINDS = ["transfer_debit", "bill_payment", "qr_payment"]
"""The postings of a transfer's debit at the payer's bank (hosts/issuer.py), by service."""


class InvariantViolation(ElcartSimError):
    """An invariant of the run did not hold (strict mode of `Invariants`): names the invariant,
    the trace id and the simulated instant."""

    def __init__(self, violation: "Violation"):
        self.violation = violation
        super().__init__(violation.describe())


class Violation(NamedTuple):
    """One invariant that did not hold: which, for which trace (-1: none in particular), when."""

    invariant: str
    trace_id: int
    at: float
    detail: str

    def describe(self) -> str:
        trace = f"trace {self.trace_id}" if self.trace_id >= 0 else "no trace"
        return f"{self.invariant} at t={self.at:.3f} s, {trace}: {self.detail}"


class Invariants:
    """The checker of one run (see the module docstring). `watch(ledger, kinds)` hooks it to the
    ledger's postings; `close_books` and `check_results` run the end-of-run checks."""

    def __init__(self, *, strict: bool = False):
        self.strict = strict
        self.violations: list[Violation] = []
        self._ledger: Any = None
        self._kinds: Sequence[str] = ()
        self._replayed: dict[int, int] = {}  # account number -> its balance as a replay of the postings seen
        self._live: dict[tuple[int, int, int], int] = {}  # (trace id, debit, credit) -> postings standing (not reversed)
        self._reversal = -1  # the kind code of a reversal
        self.postings_checked = 0

    # -- during the run ------------------------------------------------------------------------

    def watch(self, ledger: Any, kinds: Sequence[str]) -> None:
        """Check every posting `ledger` makes from now on (a money/ledger.Ledger; `kinds` its
        POSTING_KINDS, to name a kind code). The ledger must not have posted yet."""
        self._ledger, self._kinds = ledger, tuple(kinds)
        self._reversal = self._kinds.index("reversal") if "reversal" in self._kinds else -1
        ledger.on_posting = self.after_posting

    def after_posting(self, entry: int, debit: int, credit: int, amount_tyiyn: int, kind: int, trace_id: int, at: float) -> None:
        """The checks after one posting (`Ledger.on_posting`)."""
        self.postings_checked += 1
        replayed = self._replayed
        debit_balance = replayed[debit] = replayed.get(debit, 0) + amount_tyiyn
        credit_balance = replayed[credit] = replayed.get(credit, 0) - amount_tyiyn
        if debit == credit or amount_tyiyn <= 0:
            self.add("entry_balances", trace_id, at, f"entry {entry} moves {amount_tyiyn} tyiyn from account {credit} to account {debit}")
        ledger = self._ledger
        for number, balance in ((debit, debit_balance), (credit, credit_balance)):
            held = ledger.balance_of_number(number)
            if held != balance and debit != credit:
                self.add("entry_balances", trace_id, at, f"after entry {entry}, account {ledger.account(number)} holds {held} tyiyn, its postings sum to {balance}")
                replayed[number] = held  # reported once, not at every later posting
        if trace_id >= 0:
            self._count_live(entry, debit, credit, kind, trace_id, at)

    def _count_live(self, entry: int, debit: int, credit: int, kind: int, trace_id: int, at: float) -> None:
        """``posted_twice``: a posting of a trace between two accounts while an earlier one of
        the trace between them still stands (not reversed); a reversal with none to undo."""
        live = self._live
        if kind == self._reversal:
            key = (trace_id, credit, debit)  # the original it undoes went the other way
            standing = live.get(key, 0)
            if standing:
                live[key] = standing - 1
            else:
                self.add("posted_twice", trace_id, at, f"reversal debiting {self._ledger.account(debit)}, crediting "
                         f"{self._ledger.account(credit)} undoes nothing that stands: reversed twice (entry {entry})")  # fmt: skip
            return
        key = (trace_id, debit, credit)
        standing = live.get(key, 0)
        if standing:
            self.add("posted_twice", trace_id, at, f"{self._kind(kind)} debiting {self._ledger.account(debit)}, crediting "
                     f"{self._ledger.account(credit)} posted again while the first stands (entry {entry})")  # fmt: skip
        live[key] = standing + 1

    def _kind(self, code: int) -> str:
        return self._kinds[code] if 0 <= code < len(self._kinds) else str(code)

    def add(self, invariant: str, trace_id: int, at: float, detail: str) -> None:
        """Record a violation (strict: raise it)."""
        violation = Violation(invariant, int(trace_id), float(at), detail)
        self.violations.append(violation)
        if self.strict:
            raise InvariantViolation(violation)

    # -- at the end ----------------------------------------------------------------------------

    def close_books(self, ledger: Any, at: float) -> None:
        """``ledger_balances``: the trial balance is zero and the balances replay the journal
        (Ledger.prove_balanced)."""
        from elcart_sim.core.errors import LedgerError

        total = ledger.trial_balance()
        if total != 0:
            self.add("ledger_balances", -1, at, f"trial balance is {total} tyiyn, not zero")
            return
        try:
            ledger.prove_balanced()
        except LedgerError as error:
            self.add("ledger_balances", -1, at, str(error))

    def check_results(self, results: Any, trace_ids_issued: int, at: float) -> None:
        """The end-of-run checks on the run's tables (an analysis/results.Results: transactions,
        transfers, postings; clearing's reconciliation and positions; stand_in when present)."""
        self._one_final_state(results, trace_ids_issued, at)
        self._outcome_matches_money(results, at)
        self._advices_posted(results, at)
        self._cleared_totals(results, at)
        self._positions_net_zero(results, at)

    def _one_final_state(self, results: Any, issued: int, at: float) -> None:
        taps = results.transactions["trace_id"].to_numpy(dtype=np.int64)
        transfers = results.transfers["trace_id"].to_numpy(dtype=np.int64)
        postings = results.postings
        credits = postings.loc[postings["kind"] == "payroll_credit", "trace_id"].to_numpy(dtype=np.int64)
        for name, ids in (("transactions", taps), ("transfers", transfers)):
            values, counts = np.unique(ids, return_counts=True)
            for trace_id, count in zip(values[counts > 1].tolist(), counts[counts > 1].tolist()):
                self.add("one_final_state", trace_id, at, f"{count} rows in {name}")
        for trace_id in np.intersect1d(taps, transfers).tolist():
            self.add("one_final_state", trace_id, at, "a row in both transactions and transfers")
        finished = np.zeros(issued + 1, dtype=bool)
        for ids in (taps, transfers, credits):
            ids = ids[(ids > 0) & (ids <= issued)]
            finished[ids] = True
        for trace_id in np.flatnonzero(~finished[1:]).tolist():
            self.add("one_final_state", trace_id + 1, at, "given out, but no final state in transactions or transfers, and no credit posted")

    def _outcome_matches_money(self, results: Any, at: float) -> None:
        moved = _cardholder_movements(results.postings)  # trace id -> net debit of cardholders' deposits
        taps = results.transactions
        if len(taps):
            ids = taps["trace_id"].to_numpy(dtype=np.int64)
            expected = np.where(taps["outcome"].astype(str).to_numpy() == "approved", taps["amount_tyiyn"].to_numpy(dtype=np.int64), 0)
            found = moved.reindex(ids, fill_value=0).to_numpy(dtype=np.int64)
            for row in np.flatnonzero(found != expected).tolist():
                self.add("outcome_matches_money", int(ids[row]), at,
                         f"{taps['outcome'].iloc[row]} at the terminal, the card's deposit moved {int(found[row])} tyiyn (expected {int(expected[row])})")  # fmt: skip
        transfers = results.transfers
        if len(transfers):
            ids = transfers["trace_id"].to_numpy(dtype=np.int64)
            outcome = transfers["outcome"].astype(str).to_numpy()
            found = moved.reindex(ids, fill_value=0).to_numpy(dtype=np.int64)
            for row in np.flatnonzero((outcome != "completed") & (found != 0)).tolist():
                self.add("outcome_matches_money", int(ids[row]), at, f"{outcome[row]} transfer, the cardholders' deposits moved {int(found[row])} tyiyn net")
            postings = results.postings
            kinds = postings["kind"].astype(str).to_numpy()
            debited = set(postings["trace_id"].to_numpy(dtype=np.int64)[np.isin(kinds, _TRANSFER_DEBIT_KINDS)].tolist())
            reversed_ = _reversed_debits(postings)
            for row in np.flatnonzero(outcome == "completed").tolist():
                trace_id = int(ids[row])
                if trace_id not in debited or trace_id in reversed_:
                    self.add("outcome_matches_money", trace_id, at, "completed transfer whose debit is not posted, or was reversed")

    def _advices_posted(self, results: Any, at: float) -> None:
        stand_in = getattr(results, "stand_in", None)
        if stand_in is None or not len(stand_in):
            return
        approved = stand_in[stand_in["response_code"].astype(str) == "00"] if "response_code" in stand_in.columns else stand_in
        posted = set(results.postings["trace_id"].to_numpy(dtype=np.int64).tolist())
        unposted = approved["advice_posted_at"].isna().to_numpy() if "advice_posted_at" in approved.columns else np.zeros(len(approved), bool)
        for trace_id, never in zip(approved["trace_id"].to_numpy(dtype=np.int64).tolist(), unposted.tolist()):
            if never or trace_id not in posted:
                self.add("advice_posted", trace_id, at, "approved in stand-in, its advice not posted by the issuer by the end of the day")

    def _cleared_totals(self, results: Any, at: float) -> None:
        totals = getattr(results, "reconciliation_totals", None)
        if totals is None or not len(totals):
            return
        for row in totals[totals["difference_tyiyn"] != 0].itertuples(index=False):
            self.add("cleared_totals", -1, at, f"{row.bank} ({row.side}): the switch cleared {row.switch_tyiyn} tyiyn, its own records say {row.bank_tyiyn}")
        items = results.reconciliation
        for row in items[items["category"].astype(str) == "break"].itertuples(index=False):
            self.add("cleared_totals", int(row.trace_id), at,
                     f"{row.kind} at {row.bank} ({row.side}): switch {row.switch_amount_tyiyn} tyiyn, bank {row.bank_amount_tyiyn}")  # fmt: skip

    def _positions_net_zero(self, results: Any, at: float) -> None:
        positions = getattr(results, "positions", None)
        if positions is None or not len(positions):
            return
        sums = positions.groupby(positions["batch_id"].astype(str))["net_tyiyn"].sum()
        for batch, total in sums[sums != 0].items():
            self.add("positions_net_zero", -1, at, f"batch {batch}: net positions sum to {int(total)} tyiyn")

    # -- reading -------------------------------------------------------------------------------

    def frame(self) -> pd.DataFrame:
        """The violations as the `violations` table (core/schemas.py)."""
        return pd.DataFrame(self.violations, columns=list(Violation._fields)).astype({"trace_id": np.int32, "at": float})

    def __len__(self) -> int:
        return len(self.violations)


def _account_kinds(column: pd.Series) -> np.ndarray:
    """Per row, the kind of the account named ``bank/kind/key`` (a categorical column of names)."""
    categories = pd.Series(column.cat.categories.astype(str)).str.split("/", n=2).str[1].to_numpy()
    return categories[column.cat.codes.to_numpy()] if len(categories) else np.array([], dtype=object)


def _cardholder_movements(postings: pd.DataFrame) -> pd.Series:
    """Trace id -> the net amount debited from cardholders' deposits by its postings."""
    if not len(postings):
        return pd.Series(dtype=np.int64)
    amount = postings["amount_tyiyn"].to_numpy(dtype=np.int64)
    signed = np.where(_account_kinds(postings["debit_account"]) == "cardholder", amount, 0)
    signed = signed - np.where(_account_kinds(postings["credit_account"]) == "cardholder", amount, 0)
    frame = pd.DataFrame({"trace_id": postings["trace_id"].to_numpy(dtype=np.int64), "moved": signed})
    frame = frame[frame["trace_id"] >= 0]
    return frame.groupby("trace_id")["moved"].sum()


def _reversed_debits(postings: pd.DataFrame) -> set[int]:
    """Trace ids whose debit of a cardholder was reversed (a reversal crediting a cardholder)."""
    kinds = postings["kind"].astype(str).to_numpy()
    credited = _account_kinds(postings["credit_account"]) == "cardholder"
    return set(postings["trace_id"].to_numpy(dtype=np.int64)[(kinds == "reversal") & credited].tolist())
