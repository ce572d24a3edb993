"""Reconciliation: the switch's clearing records against each bank's own books.

Physical picture: at the end of the day IPC's clearing file lists, per trace id, what the switch
says each bank owes or is owed. Each member bank holds its own evidence: the issuer its ledger
postings against its ``elkart_settlement`` account (the debit it posted on the cardholder, the
credit to a card, a biller, an account or a merchant, and their reversals) and the reversals
and advices that reached its host (its hop records); the acquirer of a tap its terminals'
transactions (what the terminal showed as approved); IPC, the acquirer of the app's payments,
its transfers (a completed payment's debit and credit legs). Reconciliation lays the two side
by side, trace id by trace id, and lists every difference.

Amounts are signed as the ``positions`` table signs them: positive when clearing makes the bank
owed (the acquirer of a tap, the bank of a card, biller, account or merchant credited), negative
when it makes the bank owe (the issuer of a debited card, IPC for a credit leg). So a bank's
issuer-side and acquirer-side switch totals add up to the sum of its ``net_tyiyn`` over the
batches.

Items, by kind (``ITEM_KINDS``):

- ``duplicate``: the same record (trace id, kind, reverses, both banks) cleared more than once;
  each extra copy is listed on both sides, and left out of the comparison below;
- ``missing_at_issuer``: cleared, but the issuing bank has no posting for the trace id; likewise
  ``missing_at_acquirer`` (cleared, but the acquirer has no tap or transfer with that trace id);
- ``missing_at_switch``: the bank's records show a net movement that the switch never cleared;
- ``amount_mismatch``: both have the trace id and their net amounts differ;
- ``reversal_after_cutoff``: a reversal cleared in a later batch than the record it reverses;
- ``late_advice``: a reversal (0400) or reversal advice (0420) that reached the issuer's host at
  or after the cut-off that closed the batch of the original it reverses.

The first five are breaks: on a clean day there are none. The last two are timing items: the
money agrees over the day, only the batch differs (the original settled in one batch, its
reversal in the next), which happens on a clean day whenever a timeout straddles a cut-off. They
are listed, with the category ``timing``, so that a bank can match them, and they are not
counted as breaks. A clean day's ``reconciliation`` table is therefore empty of breaks (and
usually empty); its ``reconciliation_totals`` table always has one row per bank and side, with a
zero difference.

Pure: pandas in, pandas out, no SimPy. Batch ids and periods as in ``clearing/records``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from elcart_sim.clearing.records import CREDIT_KINDS, DAY_S, DEBIT_KINDS, batch_id, periods_of
from elcart_sim.core.errors import SettlementError

__all__ = ["BREAK_KINDS", "TIMING_KINDS", "ITEM_KINDS", "CUSTOMER_ACCOUNT_KINDS", "Reconciliation", "reconcile"]

BREAK_KINDS = ("missing_at_issuer", "missing_at_acquirer", "missing_at_switch", "amount_mismatch", "duplicate")
"""Differences that a clean day never has."""

TIMING_KINDS = ("reversal_after_cutoff", "late_advice")
"""Differences in the batch, not in the money: listed for matching, not counted as breaks."""

ITEM_KINDS = (*BREAK_KINDS, *TIMING_KINDS)

CUSTOMER_ACCOUNT_KINDS = ("cardholder", "customer_account", "merchant", "biller")
"""Ledger account kinds (money/accounts.py) whose postings against a bank's elkart_settlement
account are the issuer's own record of a cleared message."""

_RECORD_KEY = ["trace_id", "kind", "reverses", "acquirer_bank", "issuer_bank"]
_KEY = ["trace_id", "bank", "leg"]
ITEM_COLUMNS = ["batch_id", "bank", "side", "category", "kind", "trace_id", "switch_amount_tyiyn", "bank_amount_tyiyn"]
TOTAL_COLUMNS = ["bank", "side", "records", "switch_tyiyn", "bank_tyiyn", "difference_tyiyn", "breaks", "timing_items"]


class Reconciliation(NamedTuple):
    """The items found (one row per difference) and the totals per bank and side."""

    items: pd.DataFrame
    totals: pd.DataFrame

    @property
    def breaks(self) -> pd.DataFrame:
        """The items that are breaks (BREAK_KINDS), not timing items."""
        return self.items[self.items["category"] == "break"]


def reconcile(
    clearing: pd.DataFrame,
    postings: pd.DataFrame,
    hops: pd.DataFrame,
    transactions: pd.DataFrame,
    transfers: pd.DataFrame,
    *,
    business_date: datetime.date,
    cutoffs_s: Sequence[float],
    acquirer_of_app: str = "IPC",
) -> Reconciliation:
    """Reconcile the run's ``clearing`` table against the banks' own records (the tables of
    analysis/results.Results, fields in docs/records.md). ``cutoffs_s`` and ``business_date``
    are the scenario's (``clearing.cutoffs_s``, ``business_date``): they name the batch a bank's
    uncleared record would have fallen in, and the instant each batch closed."""
    for name, frame, column in (("clearing", clearing, "batch_id"), ("postings", postings, "debit_account"), ("hops", hops, "mti")):
        if column not in frame.columns:
            raise SettlementError(f"reconcile: the {name} table has no {column!r} column; pass the run's tables (analysis/results.Results)")
    batch_at = _BatchNamer(business_date, cutoffs_s)
    records = _clearing_frame(clearing)
    copies = records.duplicated(_RECORD_KEY, keep="first")
    items = [_duplicates(records[copies])]
    records = records[~copies]
    issuer_switch = records.assign(bank=records["issuer_bank"], leg="", amount_tyiyn=-records["amount_tyiyn"] * records["issuer_sign"])
    acquirer_switch = records.assign(
        bank=records["acquirer_bank"],
        leg=np.where(records["acquirer_bank"] == acquirer_of_app, records["leg"], ""),
        amount_tyiyn=records["amount_tyiyn"] * records["issuer_sign"],
    )
    issuer_books = _issuer_books(postings, transfers["trace_id"].to_numpy(dtype=np.int64))
    acquirer_books = pd.concat([_tap_books(transactions), _app_books(transfers, acquirer_of_app)], ignore_index=True)
    items.append(_compare(issuer_switch, issuer_books, "issuer", "missing_at_issuer", batch_at))
    items.append(_compare(acquirer_switch, acquirer_books, "acquirer", "missing_at_acquirer", batch_at))
    items.append(_reversals_after_cutoff(records, issuer_books))
    items.append(_late_advices(records, hops, batch_at))
    frame = pd.concat([item for item in items if len(item)] or [_empty_items()], ignore_index=True)
    frame = frame.assign(category=np.where(frame["kind"].isin(BREAK_KINDS), "break", "timing"))[ITEM_COLUMNS]
    frame = frame.sort_values(["batch_id", "bank", "side", "trace_id", "kind"], kind="stable", ignore_index=True)
    totals = _totals(issuer_switch, issuer_books, acquirer_switch, acquirer_books, frame)
    return Reconciliation(_typed(frame, ITEM_COLUMNS), _typed(totals, TOTAL_COLUMNS))


# -- the two sides' records, signed as positions sign them --------------------------------------


def _clearing_frame(clearing: pd.DataFrame) -> pd.DataFrame:
    """The clearing table with plain columns, ``issuer_sign`` (+1 when the issuing bank owes the
    acquiring bank: a debit to the customer, or the reversal of a credit; −1 otherwise) and
    ``leg`` (debit or credit: the kind of the original message)."""
    frame = pd.DataFrame(
        {
            "trace_id": clearing["trace_id"].to_numpy(dtype=np.int64),
            "kind": clearing["kind"].astype(str).to_numpy(),
            "reverses": clearing["reverses"].astype(str).to_numpy(),
            "acquirer_bank": clearing["acquirer_bank"].astype(str).to_numpy(),
            "issuer_bank": clearing["issuer_bank"].astype(str).to_numpy(),
            "amount_tyiyn": clearing["amount_tyiyn"].to_numpy(dtype=np.int64),
            "cleared_at": clearing["cleared_at"].to_numpy(dtype=float),
            "batch_id": clearing["batch_id"].astype(str).to_numpy(),
        }
    )
    reversal = frame["kind"] == "reversal"
    issuer_owes = np.where(reversal, frame["reverses"].isin(CREDIT_KINDS), frame["kind"].isin(DEBIT_KINDS))
    frame["issuer_sign"] = np.where(issuer_owes, 1, -1)
    frame["leg"] = np.where(np.where(reversal, frame["reverses"].isin(DEBIT_KINDS), frame["kind"].isin(DEBIT_KINDS)), "debit", "credit")
    return frame


def _issuer_books(postings: pd.DataFrame, app_payments: np.ndarray) -> pd.DataFrame:
    """Each bank's postings between its elkart_settlement account and a customer's account, per
    trace id: money into the settlement account (a customer debited) is owed onwards, negative.
    A merchant's credit is the issuer side's only for a merchant paid in the app (by QR code,
    ``app_payments`` lists their trace ids); a tap's is its acquirer's, made at clearing, and is
    left out."""
    parts = {}
    for side in ("debit", "credit"):
        column = postings[f"{side}_account"].astype("category")
        names = column.cat.categories.astype(str).str.split("/", n=2, expand=True)
        codes = column.cat.codes.to_numpy()
        parts[side] = (names.get_level_values(0).to_numpy()[codes], names.get_level_values(1).to_numpy()[codes]) if len(names) else (np.array([], dtype=object),) * 2
    (debit_bank, debit_kind), (credit_bank, credit_kind) = parts["debit"], parts["credit"]
    trace = postings["trace_id"].to_numpy(dtype=np.int64)
    tap = ~np.isin(trace, app_payments)
    kinds = np.asarray(CUSTOMER_ACCOUNT_KINDS, dtype=object)
    ours = (trace >= 0) & (postings["kind"].astype(str).to_numpy() != "settlement")
    into = ours & (credit_kind == "elkart_settlement") & np.isin(debit_kind, kinds) & (debit_bank == credit_bank)
    out_of = ours & (debit_kind == "elkart_settlement") & np.isin(credit_kind, kinds) & (debit_bank == credit_bank)
    into &= ~(tap & (debit_kind == "merchant"))
    out_of &= ~(tap & (credit_kind == "merchant"))
    amount = postings["amount_tyiyn"].to_numpy(dtype=np.int64)
    chosen = into | out_of
    return pd.DataFrame(
        {
            "trace_id": trace[chosen],
            "bank": np.where(into, credit_bank, debit_bank)[chosen].astype(str),
            "leg": "",
            "amount_tyiyn": np.where(into, -amount, amount)[chosen],
            "at": postings["posted_at"].to_numpy(dtype=float)[chosen],
            "reversal": postings["kind"].astype(str).to_numpy()[chosen] == "reversal",
        }
    )


def _tap_books(transactions: pd.DataFrame) -> pd.DataFrame:
    """Each acquirer's terminals: an approved tap is owed its amount; any other tap nothing."""
    approved = (transactions["outcome"].astype(str) == "approved").to_numpy()
    return pd.DataFrame(
        {
            "trace_id": transactions["trace_id"].to_numpy(dtype=np.int64),
            "bank": transactions["acquirer"].astype(str).to_numpy(),
            "leg": "",
            "amount_tyiyn": np.where(approved, transactions["amount_tyiyn"].to_numpy(dtype=np.int64), 0),
            "at": transactions["result_at"].to_numpy(dtype=float),
        }
    )


def _app_books(transfers: pd.DataFrame, ipc: str) -> pd.DataFrame:
    """IPC's transfers: a completed payment is owed by the payer's bank (its debit leg) and owes
    the payee's bank (its credit leg); a declined or reversed one moved nothing."""
    completed = (transfers["outcome"].astype(str) == "completed").to_numpy()
    amount = np.where(completed, transfers["amount_tyiyn"].to_numpy(dtype=np.int64), 0)
    trace, at = transfers["trace_id"].to_numpy(dtype=np.int64), transfers["result_at"].to_numpy(dtype=float)
    legs = [pd.DataFrame({"trace_id": trace, "bank": ipc, "leg": "debit", "amount_tyiyn": amount, "at": at})]
    legs.append(pd.DataFrame({"trace_id": trace, "bank": ipc, "leg": "credit", "amount_tyiyn": -amount, "at": at}))
    return pd.concat(legs, ignore_index=True)


# -- the items ------------------------------------------------------------------------------------


class _BatchNamer:
    """Batch ids for instants, and the instant a batch closed (its cut-off)."""

    def __init__(self, business_date: datetime.date, cutoffs_s: Sequence[float]):
        self.business_date, self.cutoffs_s = business_date, list(cutoffs_s)

    def of(self, at: np.ndarray) -> list[str]:
        days, indices = periods_of(np.asarray(at, dtype=float), self.cutoffs_s)
        date = self.business_date
        return [batch_id("DNS", 417, date + datetime.timedelta(days=int(d)), int(i)) for d, i in zip(days, indices)]

    def closed_at(self, batch: str) -> float:
        """DNS-417-<date>-C<n>: the n-th cut-off of <date>, in seconds from the business date."""
        date, index = batch[len("DNS-417-") :].rsplit("-C", 1)
        day = (datetime.date.fromisoformat(date) - self.business_date).days
        return day * DAY_S + self.cutoffs_s[int(index) - 1]


def _compare(switch: pd.DataFrame, books: pd.DataFrame, side: str, missing_kind: str, batch_at: _BatchNamer) -> pd.DataFrame:
    """Net amounts per (trace id, bank, leg) on both sides; one item per key that differs."""
    cleared = switch.groupby(_KEY, sort=False).agg(switch_amount_tyiyn=("amount_tyiyn", "sum"), batch_id=("batch_id", "last"))
    own = books.groupby(_KEY, sort=False).agg(bank_amount_tyiyn=("amount_tyiyn", "sum"), at=("at", "first"))
    both = cleared.join(own, how="outer")
    on_switch, on_bank = both["batch_id"].notna(), both["at"].notna()
    both = both.fillna({"switch_amount_tyiyn": 0, "bank_amount_tyiyn": 0})
    differ = both["switch_amount_tyiyn"] != both["bank_amount_tyiyn"]
    kind = np.select([on_switch & ~on_bank, ~on_switch & differ, differ], [missing_kind, "missing_at_switch", "amount_mismatch"], "")
    found = both[kind != ""].assign(kind=kind[kind != ""], side=side).reset_index()
    if len(found):
        uncleared = found["batch_id"].isna()
        found.loc[uncleared, "batch_id"] = batch_at.of(found.loc[uncleared, "at"].to_numpy())
    return found.drop(columns=["leg", "at"])


def _duplicates(copies: pd.DataFrame) -> pd.DataFrame:
    """Each extra copy of a record, on the issuer's side and on the acquirer's."""
    signed = copies["amount_tyiyn"] * copies["issuer_sign"]
    rows = [
        pd.DataFrame({"batch_id": copies["batch_id"], "bank": copies[bank], "side": side, "kind": "duplicate", "trace_id": copies["trace_id"], "switch_amount_tyiyn": amount, "bank_amount_tyiyn": 0})
        for bank, side, amount in (("issuer_bank", "issuer", -signed), ("acquirer_bank", "acquirer", signed))
    ]
    return pd.concat(rows, ignore_index=True)


def _originals(records: pd.DataFrame) -> pd.DataFrame:
    """Every reversal beside the record it reverses (same trace id, banks, and kind)."""
    reversals = records[records["kind"] == "reversal"]
    originals = records[records["kind"] != "reversal"]
    return reversals.merge(
        originals[["trace_id", "kind", "acquirer_bank", "issuer_bank", "batch_id"]],
        left_on=["trace_id", "reverses", "acquirer_bank", "issuer_bank"],
        right_on=["trace_id", "kind", "acquirer_bank", "issuer_bank"],
        suffixes=("", "_original"),
    )


def _reversals_after_cutoff(records: pd.DataFrame, issuer_books: pd.DataFrame) -> pd.DataFrame:
    """A reversal cleared in a later batch than its original: listed on the issuer's side, with
    the issuer's own reversal postings for the trace id."""
    paired = _originals(records)
    late = paired[paired["batch_id"] != paired["batch_id_original"]]
    reversed_at_bank = issuer_books[issuer_books["reversal"]].groupby(["trace_id", "bank"])["amount_tyiyn"].sum()
    keys = pd.MultiIndex.from_arrays([late["trace_id"], late["issuer_bank"]])
    return pd.DataFrame(
        {
            "batch_id": late["batch_id"],
            "bank": late["issuer_bank"],
            "side": "issuer",
            "kind": "reversal_after_cutoff",
            "trace_id": late["trace_id"],
            "switch_amount_tyiyn": -late["amount_tyiyn"] * late["issuer_sign"],
            "bank_amount_tyiyn": reversed_at_bank.reindex(keys, fill_value=0).to_numpy(),
        }
    )


def _late_advices(records: pd.DataFrame, hops: pd.DataFrame, batch_at: _BatchNamer) -> pd.DataFrame:
    """A reversal or advice that reached the issuer's host at or after its original's cut-off."""
    mti = hops["mti"].astype(str)
    advices = hops[(hops["hop"].astype(str) == "issuer") & mti.isin(("0400", "0420"))]
    advices = pd.DataFrame({"trace_id": advices["trace_id"].to_numpy(dtype=np.int64), "issuer_bank": advices["issuer"].astype(str).to_numpy(), "arrived_at": advices["arrived_at"].to_numpy(dtype=float)})
    originals = records[records["kind"] != "reversal"].drop_duplicates(["trace_id", "issuer_bank"], keep="first")
    paired = advices.merge(originals, on=["trace_id", "issuer_bank"])
    closes = {batch: batch_at.closed_at(batch) for batch in paired["batch_id"].unique()}
    late = paired[paired["arrived_at"].to_numpy() >= paired["batch_id"].map(closes).to_numpy(dtype=float)]
    return pd.DataFrame(
        {
            "batch_id": late["batch_id"],
            "bank": late["issuer_bank"],
            "side": "issuer",
            "kind": "late_advice",
            "trace_id": late["trace_id"],
            "switch_amount_tyiyn": -late["amount_tyiyn"] * late["issuer_sign"],
            "bank_amount_tyiyn": -late["amount_tyiyn"] * late["issuer_sign"],
        }
    )


# -- totals and types -------------------------------------------------------------------------------


def _totals(issuer_switch, issuer_books, acquirer_switch, acquirer_books, items: pd.DataFrame) -> pd.DataFrame:
    """Per bank and side: records cleared, the switch's and the bank's net, items by category."""
    frames = []
    for side, switch, books in (("acquirer", acquirer_switch, acquirer_books), ("issuer", issuer_switch, issuer_books)):
        cleared = switch.groupby("bank").agg(records=("amount_tyiyn", "size"), switch_tyiyn=("amount_tyiyn", "sum"))
        own = books.groupby("bank").agg(bank_tyiyn=("amount_tyiyn", "sum"))
        of_side = items[items["side"] == side]
        counts = of_side.groupby("bank")["category"].value_counts().unstack(fill_value=0).reindex(columns=["break", "timing"], fill_value=0)
        table = cleared.join(own, how="outer").join(counts, how="left").fillna(0).astype(np.int64)
        frames.append(table.rename(columns={"break": "breaks", "timing": "timing_items"}).reset_index().assign(side=side))
    totals = pd.concat(frames, ignore_index=True)
    totals["difference_tyiyn"] = totals["switch_tyiyn"] - totals["bank_tyiyn"]
    return totals.sort_values(["bank", "side"], ignore_index=True)[TOTAL_COLUMNS]


def _empty_items() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in ITEM_COLUMNS})


def _typed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Text columns as categories, counts and money as int64 (records.md's types)."""
    out = {}
    for column in columns:
        values = frame[column]
        if column in ("batch_id", "bank", "side", "category", "kind"):
            out[column] = values.astype(str).astype("category")
        elif column == "trace_id":
            out[column] = values.to_numpy(dtype=np.int32)
        else:
            out[column] = values.to_numpy(dtype=np.int64)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
