"""Flat records of a run, one row per transaction, per hop and per ledger posting.

Every row carries the transaction's trace id, the one key that joins the tables (it travels in
ISO 8583 DE37 from the terminal to the issuer). Instants end in `_at`, durations in `_s`, both in
simulated seconds since the start of the day. Rows are stored column-wise in typed arrays (a
national day is millions of rows); only the analysis layer turns them into DataFrames.
No column ever holds a full card number: tokens and masked PANs only.

The field tables below are the documentation: `docs/records.md` is generated from them.
"""

from __future__ import annotations

from array import array
from typing import Any

import pandas as pd

__all__ = ["Table", "Records", "SCHEMAS"]

# name -> (storage, unit, description). storage: 'q' int64, 'd' float64, 'c' categorical text,
# 's' free text.
SCHEMAS: dict[str, dict[str, tuple[str, str, str]]] = {
    "transactions": {
        "trace_id": ("q", "", "Transaction id, carried in DE37 through every hop"),
        "tapped_at": ("d", "s", "Phone touched the terminal (the checkout lane was free)"),
        "result_at": ("d", "s", "Terminal showed its final result"),
        "tap_to_result_s": ("d", "s", "result_at − tapped_at"),
        "nfc_s": ("d", "s", "Time spent in APDU exchanges with the phone"),
        "host_s": ("d", "s", "Authorisation request sent → response or timeout at the terminal"),
        "lane_wait_s": ("d", "s", "Wait for the terminal (checkout lane) before the tap"),
        "outcome": ("c", "", "approved | declined | reversed (terminal timed out, sent 0400) | terminated (card dialogue failed)"),
        "response_code": ("c", "", "ISO 8583 DE39 as seen by the terminal; empty when terminated"),
        "reason": ("c", "", "Why it was declined or terminated, in words"),
        "amount_tyiyn": ("q", "tyiyn", "Purchase amount, 1/100 KGS"),
        "issuer": ("c", "", "Issuing bank code"),
        "acquirer": ("c", "", "Acquiring bank code"),
        "terminal_id": ("c", "", "DE41 terminal id"),
        "merchant": ("c", "", "Merchant chain or independent kind"),
        "token_masked": ("c", "", "The wallet's token, masked (first six, last four)"),
        "apdus": ("q", "", "Number of command APDUs in the card dialogue"),
        "receipt_no": ("q", "", "KKM fiscal document number; -1 when no receipt"),
        "attack": ("c", "", "Injected attack (fraud scenarios, elcart_sim/fraud.py); empty for a genuine payment"),
        "stopped_by": ("c", "", "Security check that stopped it (protocol/decline_reasons.py CHECKS); empty if none did"),
    },
    "hops": {
        "trace_id": ("q", "", "Transaction id"),
        "hop": ("c", "", "acquirer | switch | issuer"),
        "mti": ("c", "", "Message type handled: 0100 authorisation, 0400 reversal"),
        "arrived_at": ("d", "s", "Message reached the host"),
        "started_at": ("d", "s", "A server took it"),
        "finished_at": ("d", "s", "Service ended"),
        "responded_at": ("d", "s", "Host sent its answer upstream (after the next hop, if any)"),
        "wait_s": ("d", "s", "started_at − arrived_at (queueing)"),
        "service_s": ("d", "s", "finished_at − started_at"),
        "residence_s": ("d", "s", "responded_at − arrived_at"),
        "response_code": ("c", "", "DE39 this host answered with"),
        "timed_out": ("q", "", "1 if this host gave up waiting for the next hop"),
    },
    "postings": {
        "entry_id": ("q", "", "Journal entry number"),
        "trace_id": ("q", "", "Transaction id; -1 for opening balances"),
        "posted_at": ("d", "s", "When the posting was made"),
        "kind": ("c", "", "opening | purchase | reversal"),
        "debit_account": ("s", "", "bank/kind/key of the debited account"),
        "credit_account": ("s", "", "bank/kind/key of the credited account"),
        "amount_tyiyn": ("q", "tyiyn", "Amount moved"),
    },
    "receipts": {
        "trace_id": ("q", "", "Transaction id"),
        "kkm_id": ("c", "", "Fiscal cash register serial"),
        "receipt_no": ("q", "", "Fiscal document number, sequential per KKM"),
        "fiscal_sign": ("s", "", "Fiscal sign (10 digits) over the receipt"),
        "amount_tyiyn": ("q", "tyiyn", "Receipt total"),
        "printed_at": ("d", "s", "Receipt printed"),
    },
    "samples": {
        "at": ("d", "s", "Sampling instant (end of the interval)"),
        "component": ("c", "", "acquirer | switch | issuer:<bank>"),
        "queue_length": ("q", "", "Requests waiting for a server at this instant"),
        "busy": ("q", "", "Servers busy at this instant"),
        "mean_queue": ("d", "", "Time-average of requests waiting over the interval before `at`"),
        "mean_busy": ("d", "", "Time-average of busy servers over the interval before `at`"),
    },
    "token_events": {
        "at": ("d", "s", "When the token service acted"),
        "token_masked": ("s", "", "The token, masked; empty when no token was issued"),
        "event": ("c", "", "provisioned | suspended | resumed | deleted | keys_issued | keys_refused | idv_failed"),
        "reason": ("s", "", "Why (lifecycle request, refusal), in words"),
        "device_id": ("q", "", "Attested id of the phone the token is bound to"),
        "key_count": ("q", "", "Limited-use keys issued by this event"),
    },
    # Only when the run records them: Simulation(record_apdus=True), as `elcart-sim tap` does.
    "apdus": {
        "trace_id": ("q", "", "Transaction id"),
        "seq": ("q", "", "Position of the command in the card dialogue, from 0"),
        "sent_at": ("d", "s", "Command sent: tapped_at + the durations of the commands before it"),
        "command": ("c", "", "Command name: SELECT PPSE, SELECT AID, GPO, READ RECORD SFI s REC r"),
        "command_length": ("q", "", "Length of the command APDU in bytes (no APDU bytes are kept)"),
        "sw": ("c", "", "Status word SW1 SW2 of the answer, hex; empty when the answer has none"),
        "duration_s": ("d", "s", "Round trip; measured wall time on a live PC/SC link, drawn on the simulated link"),
    },
}


class Table:
    """Append-only column store for one record type."""

    def __init__(self, name: str):
        self.name = name
        self.schema = SCHEMAS[name]
        self.columns: dict[str, Any] = {}
        self._categories: dict[str, dict[str, int]] = {}
        for column, (storage, _, _) in self.schema.items():
            if storage in ("q", "d"):
                self.columns[column] = array(storage)
            elif storage == "c":
                self.columns[column] = array("i")
                self._categories[column] = {}
            else:
                self.columns[column] = []
        self._appenders = [self._appender(column, storage) for column, (storage, _, _) in self.schema.items()]

    def _appender(self, column: str, storage: str):
        target = self.columns[column]
        if storage != "c":
            return target.append
        codes = self._categories[column]

        def append_category(value: str) -> None:
            code = codes.get(value)
            if code is None:
                code = codes[value] = len(codes)
            target.append(code)

        return append_category

    def append(self, *values: Any) -> None:
        for append, value in zip(self._appenders, values, strict=True):
            append(value)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def to_frame(self) -> pd.DataFrame:
        data = {}
        for column, (storage, _, _) in self.schema.items():
            values = self.columns[column]
            if storage == "c":
                names = list(self._categories[column])
                data[column] = pd.Categorical.from_codes(list(values), categories=names) if names else pd.Categorical([])
            elif storage in ("q", "d"):
                data[column] = pd.array(values, dtype="int64" if storage == "q" else "float64")
            else:
                data[column] = pd.Series(values, dtype="string")
        return pd.DataFrame(data)


class Records:
    """All tables of one run."""

    def __init__(self):
        self.transactions = Table("transactions")
        self.hops = Table("hops")
        self.receipts = Table("receipts")
        self.samples = Table("samples")
        self.token_events = Table("token_events")
        self.apdus = Table("apdus")


_UNIT_NAMES = {"s": "seconds", "tyiyn": "tyiyn (1/100 KGS)", "": ""}
_STORAGE_NAMES = {"q": "int64", "d": "float64", "c": "category", "s": "string"}


def schema_markdown() -> str:
    """docs/records.md: one table of fields and units per record type (tests keep it current)."""
    lines = [
        "# Records: tables, fields and units",
        "",
        "Generated from `elcart_sim/records.py` (`SCHEMAS`); `tests/test_docs.py` fails when the two differ.",
        "Regenerate with `python -c \"from elcart_sim.records import schema_markdown; print(schema_markdown(), end='')\" > docs/records.md`.",
        "",
        "Every table is keyed by `trace_id`, the transaction's id, which travels in ISO 8583 DE37 from the terminal",
        "to the issuer. Instants end in `_at` and durations in `_s`, in simulated seconds from local midnight of the",
        "scenario's `date` (UTC+6). Money is integer tyiyn. No field holds a full card number.",
        "The `components` table (utilisation per host) has the columns `component`, `servers`, `served`,",
        "`utilisation`, `mean_busy`, `mean_queue` and `max_queue`, time-averaged over the run.",
    ]
    for table, fields in SCHEMAS.items():
        lines += ["", f"## {table}", "", "| field | type | unit | meaning |", "|---|---|---|---|"]
        for name, (storage, unit, meaning) in fields.items():
            lines.append(f"| `{name}` | {_STORAGE_NAMES[storage]} | {_UNIT_NAMES[unit]} | {meaning} |")
    return "\n".join(lines) + "\n"
