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

The tables' fields are declared in core/schemas.py (`docs/records.md` is generated from them).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Mapping, Sequence
from keyword import iskeyword
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from elcart_sim.core.errors import ElcartSimError
from elcart_sim.core.schemas import SCHEMAS, Field, schema_markdown

__all__ = ["Table", "Records", "Field", "SCHEMAS", "RecordError", "as_numpy", "categorical", "category_dtype", "schema_markdown"]


class RecordError(ElcartSimError):
    """A row that does not fit its table: wrong number of values, or a value its column cannot hold."""


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


class _Codes(dict):
    """A category column's codes, {value: code}: a value not seen before is given the next code."""

    def __missing__(self, value: Any) -> int:
        code = self[value] = len(self)
        return code


_MISSING = object()  # the default of every field of `append`: the row did not give it


class Table:
    """Append-only column store for one record type.

    `append(field=value, …)` takes one row, every stored field by name (the computed columns,
    those with a `difference`, are left out; `stored` names the others). `to_frame()` copies the rows into a
    DataFrame; `take_frame()` hands the storage itself to the DataFrame and empties the table.
    `categories` optionally names a category column's values in advance, {column: values}: they
    are numbered in that order (and are the frame's categories), whichever row comes first.
    """

    def __init__(self, name: str, categories: Mapping[str, Sequence[Any]] | None = None):
        self.name = name
        self.schema = SCHEMAS[name]
        self.stored = tuple(column for column, field in self.schema.items() if field.difference is None)
        self.columns: dict[str, array | list] = {column: _empty_storage(self.schema[column].storage) for column in self.stored}
        self.categories: dict[str, dict[Any, int]] = {c: _Codes() for c in self.stored if self.schema[c].storage == "c"}
        for column, values in (categories or {}).items():
            if column not in self.categories:
                raise RecordError(f"{self.name}.{column}: not a category column")
            codes = self.categories[column]
            for value in values:
                codes[value]  # a value not seen before is given the next code
            self._codes_for(column, len(codes))
        self._rows: list[tuple] = []  # rows filed away, each its values in the order of `stored`
        self.append = self._appender()

    def _appender(self):
        """`append` for this schema: a function whose keyword-only parameters are the stored
        fields, so Python itself matches the names (no dict per row) and the row is filed as the
        tuple of its values; a field not given (left at its default) or a name not in the schema
        (caught by `**unknown`) is refused at once. Written from the schema, as namedtuple does."""
        names = self.stored
        if not all(n.isidentifier() and not iskeyword(n) and not n.startswith("_") for n in names):
            raise RecordError(f"{self.name}: field names must be Python identifiers: {', '.join(names)}")
        fields = ", ".join(names)
        source = (
            f"def append(*, {', '.join(f'{n}=_MISSING' for n in names)}, **_unknown):\n"
            f"    if _unknown or {' or '.join(f'{n} is _MISSING' for n in names)}:\n"
            f"        _refuse(({fields},), _unknown)\n"
            f"    _file_row(({fields},))\n"
            f"    if len(_rows) >= _CHUNK:\n"
            f"        _flush()\n"
        )
        rows = self._rows
        scope = {"_MISSING": _MISSING, "_refuse": self._refuse, "_file_row": rows.append, "_rows": rows}
        scope.update(_CHUNK=_CHUNK, _flush=self._flush)
        exec(source, scope)  # noqa: S102 - the source is made above from the schema's field names only
        append = scope["append"]
        append.__qualname__ = f"Table({self.name!r}).append"
        return append

    def append(self, **values: Any) -> None:  # each instance has its own, made by _appender
        """Add one row, every stored field by name (the computed columns left out)."""
        self.__dict__["append"](**values)

    def _refuse(self, row: tuple, unknown: dict[str, Any]) -> None:
        missing = [c for c, value in zip(self.stored, row) if value is _MISSING]
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"not a stored field: {', '.join(unknown)}"] if unknown else []
        raise RecordError(f"{self.name}: a row must give {', '.join(self.stored)} by name; {'; '.join(parts)}")

    def _flush(self) -> None:
        """Move the filed rows into the column arrays."""
        rows = self._rows
        if not rows:
            return
        for column, values in zip(self.stored, zip(*rows)):
            target = self.columns[column]
            storage = self.schema[column].storage
            try:
                if storage == "c":
                    codes = self.categories[column]
                    coded = list(map(codes.__getitem__, values))  # a new value gets the next code
                    self._codes_for(column, len(codes)).fromlist(coded)
                elif storage == "n":
                    if set(map(len, values)) != {_DIGITS}:
                        raise RecordError(f"{self.name}.{column} ({storage}): not all {_DIGITS} digits long in {values!r}")
                    target.extend(map(int, values))
                else:
                    target.fromlist(list(values))  # twice as fast as extending by the tuple
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
                    self.categories[column] = _Codes()
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
        self.notifications = Table("notifications")
        self.hops = Table("hops")
        self.receipts = Table("receipts")
        self.token_events = Table("token_events")
        self.apdus = Table("apdus")
        self.clearing = Table("clearing")
        self.positions = Table("positions")
        self.settlement = Table("settlement")
        self.bilateral = Table("bilateral")
        self.liquidity_events = Table("liquidity_events")
        self.faults = Table("faults")
        self.stand_in = Table("stand_in")
