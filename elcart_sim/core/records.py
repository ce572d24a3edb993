"""Flat records of a run, one row per transaction, per hop and per ledger posting.

Every row carries the transaction's trace id, the one key that joins the tables (it travels in
ISO 8583 DE37 from the terminal to the issuer). Instants end in `_at`, durations in `_s`, both in
simulated seconds since the start of the day. No column ever holds a full card number: tokens and
masked PANs only. Only the analysis layer (results.py) turns records into DataFrames.

A national day is millions of rows, so a row costs what its values need and no more: each column
is a typed array of the narrowest width that holds every value it can take (int32 trace ids,
int8/int16 codes for text from a small set, float64 instants), a duration that is the difference
of two stored instants (a hop's `wait_s` = `started_at` − `arrived_at`) is computed when the
DataFrame is built instead of being stored, and `append` only files the row away: rows are
moved into the arrays a few thousand at a time, column by column, at C speed.

The columns grow by `realloc`, which glibc makes cheap for large blocks only when they are kept
in mappings of their own: the runner asks for that before the day (core/memory.py).

The field tables below are the documentation: `docs/records.md` is generated from them.
"""

from __future__ import annotations

import operator
import sys
from array import array
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from elcart_sim.core.errors import ElcartSimError

__all__ = ["Table", "Records", "Field", "SCHEMAS", "RecordError", "as_numpy", "categorical", "category_dtype"]


class RecordError(ElcartSimError):
    """A row that does not fit its table: wrong number of values, or a value its column cannot hold."""


class Field(NamedTuple):
    """One column. `storage`: 'b' int8, 'h' int16, 'i' int32, 'q' int64, 'd' float64 (array
    typecodes), 'c' category (text from a set, kept as integer codes as narrow as the set allows),
    's' text, 'n' a 10-digit decimal code kept as an int64 and given back as text with its leading
    zeros. `difference` = (a, b): not stored, computed as a − b when the DataFrame is built (a
    column's type is then float64)."""

    storage: str
    unit: str
    meaning: str
    difference: tuple[str, str] | None = None


F = Field

SCHEMAS: dict[str, dict[str, Field]] = {
    "transactions": {
        "trace_id": F("i", "", "Transaction id, carried in DE37 through every hop"),
        "tapped_at": F("d", "s", "Phone touched the terminal (the checkout lane was free)"),
        "result_at": F("d", "s", "Terminal showed its final result"),
        "tap_to_result_s": F("d", "s", "result_at − tapped_at", difference=("result_at", "tapped_at")),
        "nfc_s": F("d", "s", "Time spent in APDU exchanges with the phone"),
        "host_s": F("d", "s", "Authorisation request sent → response or timeout at the terminal"),
        "lane_wait_s": F("d", "s", "Wait for the terminal (checkout lane) before the tap"),
        "outcome": F("c", "", "approved | declined | reversed (terminal timed out, sent 0400) | terminated (card dialogue failed)"),
        "response_code": F("c", "", "ISO 8583 DE39 as seen by the terminal; empty when terminated"),
        "reason": F("c", "", "Why it was declined or terminated, in words"),
        "amount_tyiyn": F("q", "tyiyn", "Purchase amount, 1/100 KGS"),
        "issuer": F("c", "", "Issuing bank code"),
        "acquirer": F("c", "", "Acquiring bank code"),
        "terminal_id": F("c", "", "DE41 terminal id"),
        "merchant": F("c", "", "Merchant chain or independent kind"),
        "token_masked": F("c", "", "The wallet's token, masked (first six, last four)"),
        "apdus": F("h", "", "Number of command APDUs in the card dialogue"),
        "receipt_no": F("i", "", "KKM fiscal document number; -1 when no receipt"),
        "attack": F("c", "", "Injected attack (fraud scenarios, elcart_sim/fraud.py); empty for a genuine payment"),
        "stopped_by": F("c", "", "Security check that stopped it (protocol/decline_reasons.py CHECKS); empty if none did"),
    },
    "transfers": {
        "trace_id": F("i", "", "Transfer id, carried in DE37 by both legs and their reversals"),
        "service": F("c", "", "The app's service: p2p | topup | bill | account (to a bank account)"),
        "channel": F("c", "", "How the sender named the recipient: phone | card | qr | reference (a biller's) | account (a bank account number)"),
        "requested_at": F("d", "s", "The sender confirmed the transfer in the app"),
        "result_at": F("d", "s", "Final state reached (for a reversed one: the debit's reversal acknowledged)"),
        "request_to_result_s": F("d", "s", "result_at − requested_at", difference=("result_at", "requested_at")),
        "outcome": F("c", "", "completed | declined (nothing moved) | reversed (the debit was undone)"),
        "response_code": F("c", "", "ISO 8583 DE39 of the step that decided it (the directory's, a leg's; 68 when a leg timed out)"),
        "reason": F("c", "", "Why it was declined or reversed, in words"),
        "decided_by": F("c", "", "limits | directory | reference (a biller's reference or an account number refused before any money moved) | debit | credit (for a bill, the biller gateway; for an account transfer, the interaction operator)"),
        "amount_tyiyn": F("q", "tyiyn", "Amount sent"),
        "fee_tyiyn": F("q", "tyiyn", "Fee charged to the sender (0 unless completed)"),
        "sender_issuer": F("c", "", "Sender's bank code"),
        "receiver_issuer": F("c", "", "Recipient's bank code (a biller's bank, an account's bank); empty when none was found"),
        "debit_code": F("c", "", "DE39 of the debit leg (0200, DE3 10); empty when not sent"),
        "credit_code": F("c", "", "DE39 of the credit leg (0200, DE3 26), or the biller gateway's or interaction operator's answer; empty when not sent"),
        "biller_id": F("c", "", "The biller paid (BL0001…, data/billers.csv); empty unless a bill or top-up"),
        "category": F("c", "", "The biller's category (world/billers.CATEGORIES); empty unless a bill or top-up"),
    },
    "hops": {
        "trace_id": F("i", "", "Transaction id"),
        "hop": F("c", "", "acquirer | switch | issuer | directory | biller_gateway | interaction_operator"),
        "mti": F("c", "", "Message type handled: 0100 authorisation, 0200 financial request (a transfer leg, a bill payment), 0400 reversal, 0420 reversal advice; empty at the directory, a biller gateway and the interaction operator"),
        "issuer": F("c", "", "Issuing bank code of the transaction (at a biller gateway: the gateway's id, GW-…); empty when the host could not tell (a message it could not read)"),
        "arrived_at": F("d", "s", "Message reached the host"),
        "started_at": F("d", "s", "A server took it"),
        "finished_at": F("d", "s", "Service ended"),
        "responded_at": F("d", "s", "Host sent its answer upstream (after the next hop, if any)"),
        "wait_s": F("d", "s", "started_at − arrived_at (queueing)", difference=("started_at", "arrived_at")),
        "service_s": F("d", "s", "finished_at − started_at", difference=("finished_at", "started_at")),
        "residence_s": F("d", "s", "responded_at − arrived_at", difference=("responded_at", "arrived_at")),
        "response_code": F("c", "", "DE39 this host answered with"),
        "timed_out": F("b", "", "1 if this host gave up waiting for the next hop"),
    },
    # Kept by the ledger (ledger.py), not by a Table: accounts as int ids, the entry id is the row.
    "postings": {
        "entry_id": F("i", "", "Journal entry number"),
        "trace_id": F("i", "", "Transaction id; -1 for opening balances"),
        "posted_at": F("d", "s", "When the posting was made"),
        "kind": F("c", "", "opening | purchase | reversal | transfer_debit | transfer_credit | fee | bill_payment | bill_credit"),
        "debit_account": F("c", "", "bank/kind/key of the debited account"),
        "credit_account": F("c", "", "bank/kind/key of the credited account"),
        "amount_tyiyn": F("q", "tyiyn", "Amount moved"),
    },
    "receipts": {
        "trace_id": F("i", "", "Transaction id"),
        "kkm_id": F("c", "", "Fiscal cash register serial"),
        "receipt_no": F("i", "", "Fiscal document number, sequential per KKM"),
        "fiscal_sign": F("n", "", "Fiscal sign (10 digits) over the receipt"),
        "amount_tyiyn": F("q", "tyiyn", "Receipt total"),
        "printed_at": F("d", "s", "Receipt printed"),
    },
    # Not kept during the run: read from the hops afterwards (analysis/occupancy.py).
    "samples": {
        "at": F("d", "s", "Sampling instant (end of the interval)"),
        "component": F("c", "", "acquirer | switch | issuer:<bank>"),
        "queue_length": F("i", "", "Requests waiting for a server at this instant"),
        "busy": F("i", "", "Servers busy at this instant"),
        "mean_queue": F("d", "", "Time-average of requests waiting over the interval before `at`"),
        "mean_busy": F("d", "", "Time-average of busy servers over the interval before `at`"),
    },
    "token_events": {
        "at": F("d", "s", "When the token service acted"),
        "token_masked": F("c", "", "The token, masked; empty when no token was issued"),
        "event": F("c", "", "provisioned | suspended | resumed | deleted | keys_issued | keys_refused | idv_failed"),
        "reason": F("c", "", "Why (lifecycle request, refusal), in words"),
        "device_id": F("q", "", "Attested id of the phone the token is bound to (32 bits, unsigned)"),
        "key_count": F("i", "", "Limited-use keys issued by this event"),
    },
    # Only when the run records them: Simulation(record_apdus=True), as `elcart-sim tap` does.
    "apdus": {
        "trace_id": F("i", "", "Transaction id"),
        "seq": F("h", "", "Position of the command in the card dialogue, from 0"),
        "sent_at": F("d", "s", "Command sent: tapped_at + the durations of the commands before it"),
        "command": F("c", "", "Command name: SELECT PPSE, SELECT AID, GPO, READ RECORD SFI s REC r"),
        "command_length": F("i", "", "Length of the command APDU in bytes (no APDU bytes are kept)"),
        "sw": F("c", "", "Status word SW1 SW2 of the answer, hex; empty when the answer has none"),
        "duration_s": F("d", "s", "Round trip; measured wall time on a live PC/SC link, drawn on the simulated link"),
    },
}

_CHUNK = 4096  # rows filed away before they are moved into the column arrays
_CODE_WIDTHS = (("b", 2**7), ("h", 2**15), ("i", 2**31))  # category codes: typecode, categories it can number
_DIGITS = 10  # width of an 'n' column's text


def _empty_storage(storage: str) -> array | list:
    if storage == "s":
        return []
    return array({"c": "b", "n": "q"}.get(storage, storage))


def as_numpy(values: array) -> np.ndarray:
    """A view of an array's memory (no copy), or an empty array of its type."""
    return np.frombuffer(values, dtype=values.typecode) if len(values) else np.empty(0, dtype=values.typecode)


def category_dtype(categories: list) -> pd.CategoricalDtype:
    """The dtype of a categorical column whose categories are `categories` (unique, no missing
    values). They are kept as the Python strings given (object dtype): a pyarrow-backed index
    would copy them, and then turn the copy back into Python strings to check they are unique."""
    return pd.CategoricalDtype(pd.Index(categories, dtype=object))


def categorical(codes: np.ndarray, categories: list | pd.CategoricalDtype) -> pd.Categorical:
    """A pandas Categorical from integer codes into `categories` (a list, or a dtype shared by columns)."""
    dtype = categories if isinstance(categories, pd.CategoricalDtype) else None
    if dtype is None and not categories:
        return pd.Categorical([])
    return pd.Categorical.from_codes(codes, dtype=dtype or category_dtype(categories), validate=False)


class Table:
    """Append-only column store for one record type.

    `append(field=value, …)` takes one row, every stored field by name (the computed columns,
    those with a `difference`, are left out; `stored` names the others). `to_frame()` copies the rows into a
    DataFrame; `take_frame()` hands the storage itself to the DataFrame and empties the table.
    """

    def __init__(self, name: str):
        self.name = name
        self.schema = SCHEMAS[name]
        self.stored = tuple(column for column, field in self.schema.items() if field.difference is None)
        self.columns: dict[str, array | list] = {column: _empty_storage(self.schema[column].storage) for column in self.stored}
        self.categories: dict[str, dict[Any, int]] = {c: {} for c in self.stored if self.schema[c].storage == "c"}
        self._rows: list[dict[str, Any]] = []
        self._in_order = operator.itemgetter(*self.stored)  # a row's values in the order of `stored`
        self.append = self._appender()

    def _appender(self):
        rows = self._rows
        file_row = rows.append
        stored = frozenset(self.stored)
        flush = self._flush

        def append(**values: Any) -> None:
            if values.keys() != stored:
                self._refuse(values)
            file_row(values)
            if len(rows) >= _CHUNK:
                flush()

        return append

    def append(self, **values: Any) -> None:  # each instance has its own, made by _appender
        """Add one row, every stored field by name (the computed columns left out)."""
        self.__dict__["append"](**values)

    def _refuse(self, values: dict[str, Any]) -> None:
        missing = [c for c in self.stored if c not in values]
        unknown = [c for c in values if c not in self.stored]
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"not a stored field: {', '.join(unknown)}"] if unknown else []
        raise RecordError(f"{self.name}: a row must give {', '.join(self.stored)} by name; {'; '.join(parts)}")

    def _flush(self) -> None:
        """Move the filed rows into the column arrays."""
        rows = self._rows
        if not rows:
            return
        for column, values in zip(self.stored, zip(*map(self._in_order, rows))):
            target = self.columns[column]
            storage = self.schema[column].storage
            try:
                if storage == "c":
                    codes = self.categories[column]
                    for value in dict.fromkeys(values):
                        if value not in codes:
                            codes[value] = len(codes)
                    target = self._codes_for(column, len(codes))
                    coded = np.fromiter(map(codes.__getitem__, values), dtype=target.typecode, count=len(values))
                    target.frombytes(memoryview(coded).cast("B"))
                elif storage == "n":
                    if set(map(len, values)) != {_DIGITS}:
                        raise RecordError(f"{self.name}.{column} ({storage}): not all {_DIGITS} digits long in {values!r}")
                    target.extend(map(int, values))
                else:
                    target.extend(values)
            except (TypeError, ValueError, OverflowError) as error:
                raise RecordError(f"{self.name}.{column} ({storage}): cannot store a value in {values!r}: {error}") from error
        rows.clear()

    def _codes_for(self, column: str, categories: int) -> array:
        """The code array of `column`, widened when it must number more categories."""
        codes = self.columns[column]
        for typecode, limit in _CODE_WIDTHS:
            if categories <= limit:
                if codes.typecode != typecode:
                    codes = self.columns[column] = array(typecode, codes)
                return codes
        raise RecordError(f"{self.name}.{column}: more than {_CODE_WIDTHS[-1][1]} categories")

    def __len__(self) -> int:
        return len(self.columns[self.stored[0]]) + len(self._rows)

    def nbytes(self) -> int:
        """Bytes held by the column arrays (text columns: the list and its strings, counted once)."""
        self._flush()
        total = 0
        for values in self.columns.values():
            if isinstance(values, array):
                total += values.itemsize * len(values)
            else:
                total += sys.getsizeof(values) + sum(sys.getsizeof(v) for v in {id(v): v for v in values}.values())
        return total

    def to_frame(self) -> pd.DataFrame:
        """The rows so far as a DataFrame (a copy: the table goes on taking rows)."""
        return self._frame(order_by=(), release=False)

    def take_frame(self, order_by: tuple[str, ...] = ()) -> pd.DataFrame:
        """The rows as a DataFrame sorted stably by the columns `order_by`, built on the table's
        own arrays (no copy when no reordering is needed; otherwise one column at a time is
        copied) and the table emptied, so the rows are never held twice."""
        return self._frame(order_by=order_by, release=True)

    def _frame(self, order_by: tuple[str, ...], release: bool) -> pd.DataFrame:
        self._flush()
        order = None
        if order_by and len(self) > 1:
            keys = [as_numpy(self.columns[column]) for column in reversed(order_by)]  # lexsort: last key first
            order = np.lexsort(keys)
            del keys
            if (order[1:] > order[:-1]).all():
                order = None  # already in order
            elif len(order) < 2**31:
                order = order.astype(np.int32)  # half the bytes while the columns are gathered
        data: dict[str, Any] = {}
        for column in self.stored:  # the stored columns first: the order is dropped before any column is computed
            field = self.schema[column]
            values = self.columns[column]
            if release:
                self.columns[column] = _empty_storage(field.storage)
            if field.storage == "s":
                strings = pd.array(values, dtype="string")
                data[column] = strings if order is None else strings.take(order)
                continue
            array_ = as_numpy(values)
            if order is not None:
                array_ = array_.take(order)
            elif not release:
                array_ = array_.copy()  # the table's array must stay free to grow
            del values  # released: only the gathered copy is left
            if field.storage == "c":
                categories = self.categories[column]
                data[column] = categorical(array_, list(categories))
                if release:
                    self.categories[column] = {}
            elif field.storage == "n":
                digits = pc.utf8_lpad(pa.array(array_).cast(pa.string()), width=_DIGITS, padding="0")
                data[column] = pd.array(digits, dtype="string") if len(array_) else pd.array([], dtype="string")
            else:
                data[column] = array_
            del array_
        del order
        for column, field in self.schema.items():
            if field.difference is not None:
                minuend, subtrahend = field.difference
                data[column] = np.subtract(data[minuend], data[subtrahend])
        return pd.DataFrame({column: data[column] for column in self.schema}, copy=False)


class Records:
    """All tables of one run."""

    def __init__(self):
        self.transactions = Table("transactions")
        self.transfers = Table("transfers")
        self.hops = Table("hops")
        self.receipts = Table("receipts")
        self.token_events = Table("token_events")
        self.apdus = Table("apdus")


_UNIT_NAMES = {"s": "seconds", "tyiyn": "tyiyn (1/100 KGS)", "": ""}
_STORAGE_NAMES = {"b": "int8", "h": "int16", "i": "int32", "q": "int64", "d": "float64", "c": "category", "s": "string", "n": "string"}


def schema_markdown() -> str:
    """docs/records.md: one table of fields and units per record type (tests keep it current)."""
    lines = [
        "# Records: tables, fields and units",
        "",
        "Generated from `elcart_sim/records.py` (`SCHEMAS`); `tests/test_docs.py` fails when the two differ.",
        "Regenerate with `python -c \"from elcart_sim.core.records import schema_markdown; print(schema_markdown(), end='')\" > docs/records.md`.",
        "",
        "Every table is keyed by `trace_id`, the transaction's id, which travels in ISO 8583 DE37 from the terminal",
        "to the issuer. Instants end in `_at` and durations in `_s`, in simulated seconds from local midnight of the",
        "scenario's `date` (UTC+6). Money is integer tyiyn. No field holds a full card number.",
        "The `components` table (utilisation per host) has the columns `component`, `servers`, `served`,",
        "`utilisation`, `mean_busy`, `mean_queue` and `max_queue`, time-averaged over the run.",
        "The type is the DataFrame's dtype, the narrowest that holds every value the field can take; a type marked",
        "(computed) is a difference of two instants of the same row, computed when the DataFrame is built, not stored.",
    ]
    for table, fields in SCHEMAS.items():
        lines += ["", f"## {table}", "", "| field | type | unit | meaning |", "|---|---|---|---|"]
        for name, field in fields.items():
            kind = _STORAGE_NAMES[field.storage] + (" (computed)" if field.difference else "")
            lines.append(f"| `{name}` | {kind} | {_UNIT_NAMES[field.unit]} | {field.meaning} |")
    return "\n".join(lines) + "\n"
