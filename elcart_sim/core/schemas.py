"""The record tables' schemas: every table's fields, their storage, unit and meaning.

The field tables below are the documentation: `docs/records.md` is generated from them
(`schema_markdown`), and `core/records.py` stores rows by them. Every row carries the trace id,
the one key that joins the tables; instants end in `_at`, durations in `_s`; money is integer
tyiyn; no column ever holds a full card number.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Field", "SCHEMAS", "schema_markdown"]


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
        "tapped_at": F("d", "s", "Phone or card touched (or was seated in) the terminal, its lane being free; at an ATM, the chip dialogue's start after the customer's session (card in, PIN, amount)"),
        "result_at": F("d", "s", "Terminal showed its final result"),
        "tap_to_result_s": F("d", "s", "result_at − tapped_at", difference=("result_at", "tapped_at")),
        "nfc_s": F("d", "s", "Time spent in APDU exchanges with the phone or card"),
        "host_s": F("d", "s", "Authorisation request sent → response or timeout at the terminal"),
        "lane_wait_s": F("d", "s", "Wait for the terminal (checkout lane) before the tap"),
        "outcome": F("c", "", "approved | declined | reversed (terminal timed out, sent 0400) | terminated (card dialogue failed)"),
        "response_code": F("c", "", "ISO 8583 DE39 as seen by the terminal; empty when terminated"),
        "reason": F("c", "", "Why it was declined or terminated, in words"),
        "amount_tyiyn": F("q", "tyiyn", "Purchase or withdrawal amount, 1/100 KGS"),
        "issuer": F("c", "", "Issuing bank code"),
        "acquirer": F("c", "", "Acquiring bank code"),
        "terminal_id": F("c", "", "DE41 terminal id"),
        "merchant": F("c", "", "Merchant chain or independent kind"),
        "token_masked": F("c", "", "The wallet's token, or a plastic card's number, masked (first six, last four)"),
        "apdus": F("h", "", "Number of command APDUs in the card dialogue"),
        "receipt_no": F("i", "", "KKM fiscal document number; -1 when no receipt"),
        "attack": F("c", "", "Injected attack (fraud scenarios, elcart_sim/fraud.py); empty for a genuine payment"),
        "stopped_by": F("c", "", "Security check that stopped it, or with clearing enabled the payer bank's liquidity check (liquidity_cover, net_debit_cap) (protocol/decline_reasons.py CHECKS); empty if none did"),
        "channel": F("c", "", "contactless (a phone's tap, ELKART Pay) | card_contactless | card_chip (a plastic card held to or inserted into a POS terminal) | atm (a cash withdrawal at an ATM; terminal_id the ATM's, merchant 'ATM')"),
    },
    "transfers": {
        "trace_id": F("i", "", "Transfer id, carried in DE37 by both legs and their reversals"),
        "service": F("c", "", "The app's service: p2p | topup | bill | account (to a bank account) | qr_payment (to a merchant, by its ELQR code)"),
        "channel": F("c", "", "How the sender named the recipient: phone | card | qr (a transfer's or a merchant's code) | reference (a biller's) | account (a bank account number)"),
        "requested_at": F("d", "s", "The sender confirmed the transfer in the app"),
        "result_at": F("d", "s", "Final state reached (for a reversed one: the debit's reversal acknowledged)"),
        "request_to_result_s": F("d", "s", "result_at − requested_at", difference=("result_at", "requested_at")),
        "outcome": F("c", "", "completed | declined (nothing moved) | reversed (the debit was undone)"),
        "response_code": F("c", "", "ISO 8583 DE39 of the step that decided it (the directory's, a leg's; 68 when a leg timed out; 30 when a QR code did not read, 14 when a merchant code names no merchant)"),
        "reason": F("c", "", "Why it was declined or reversed, in words"),
        "decided_by": F("c", "", "qr (a code that did not read, or named no merchant) | limits | directory | reference (a biller's reference or an account number refused before any money moved) | debit | credit (for a bill, the biller gateway; for an account transfer or a merchant QR payment, the interaction operator)"),
        "amount_tyiyn": F("q", "tyiyn", "Amount sent"),
        "fee_tyiyn": F("q", "tyiyn", "Fee charged to the sender (0 unless completed)"),
        "sender_issuer": F("c", "", "Sender's bank code"),
        "receiver_issuer": F("c", "", "Recipient's bank code (a biller's bank, an account's bank, a merchant's acquirer); empty when none was found"),
        "debit_code": F("c", "", "DE39 of the debit leg (0200, DE3 10; 50 a bill; 00 a merchant QR payment); empty when not sent"),
        "credit_code": F("c", "", "DE39 of the credit leg (0200, DE3 26), or the biller gateway's or interaction operator's answer (an account transfer, a merchant QR payment); empty when not sent"),
        "biller_id": F("c", "", "The biller paid (BL0001…, data/billers.csv); empty unless a bill or top-up"),
        "category": F("c", "", "The biller's category (world/billers.CATEGORIES); empty unless a bill or top-up"),
    },
    "notifications": {
        "trace_id": F("i", "", "Id of what the push announces (a credit's trace id)"),
        "kind": F("c", "", "What it announces: payroll_credit"),
        "channel": F("c", "", "How it reached the phone: push"),
        "sent_at": F("d", "s", "The bank handed the push to the notification gateway"),
        "delivered_at": F("d", "s", "The phone showed it; NaN when it never arrived"),
        "delay_s": F("d", "s", "delivered_at − sent_at (NaN when lost)", difference=("delivered_at", "sent_at")),
        "outcome": F("c", "", "delivered | late (after services.push.late_after_s; the phone was offline or the network slow) | lost"),
    },
    "hops": {
        "trace_id": F("i", "", "Transaction id"),
        "hop": F("c", "", "acquirer | switch | issuer | hsm (an HSM pool: IPC's, or with `issuer` a bank's) | directory | biller_gateway | interaction_operator | payroll (a bank posting a credit file) | notifications"),
        "mti": F("c", "", "Message type handled: 0100 authorisation, 0200 financial request (a transfer leg, a bill payment), 0400 reversal, 0420 reversal advice, 0120 a stand-in's authorisation advice; a repeat's last digit is 1 (0101, 0121, 0401, 0421); empty at the hosts that take no ISO 8583 message"),
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
    "stand_in": {
        "trace_id": F("i", "", "Transaction id of the authorisation the switch decided in the issuer's stead"),
        "issuer": F("c", "", "Issuing bank code"),
        "reason": F("c", "", "issuer_timed_out (no answer within switch.timeout_s) | issuer_unavailable (its host down, or signed off after switch.stand_in.sign_off_after_timeouts timeouts in a row)"),
        "response_code": F("c", "", "DE39 the switch answered: 00 approved in stand-in, 91 beyond the issuer's stand-in limits"),
        "amount_tyiyn": F("q", "tyiyn", "Amount of the authorisation"),
        "decided_at": F("d", "s", "The switch decided"),
        "advice_sent_at": F("d", "s", "The advice (0120) was first sent to the issuer; NaN when never sent (a decline, or still queued)"),
        "advice_posted_at": F("d", "s", "The issuer posted the advice (or found it already posted); NaN when not (yet)"),
        "attempts": F("h", "", "Times the advice was sent: the 0120 and its repeats (0121)"),
        "expired": F("b", "", "1 if the advice went unanswered past switch.stand_in.advice.expiry_s and was given up"),
        "exposure_tyiyn": F("q", "tyiyn", "Money at risk: the part of the amount beyond the cardholder's available balance when the issuer posted the advice"),
    },
    # Kept by the ledger (ledger.py), not by a Table: accounts as int ids, the entry id is the row.
    "postings": {
        "entry_id": F("i", "", "Journal entry number"),
        "trace_id": F("i", "", "Transaction id; -1 for opening balances"),
        "posted_at": F("d", "s", "When the posting was made"),
        "kind": F("c", "", "opening | purchase | reversal | transfer_debit | transfer_credit | fee | payroll_credit | bill_payment | bill_credit | qr_payment | merchant_credit | cash_withdrawal (at an ATM, the card's bank) | cash_dispensed (the ATM's bank, at clearing) | settlement (a bank's net position of a clearing batch, between its elkart_settlement and nbkr_correspondent accounts; trace_id -1) | interchange (owed by the creditor of a clearing record's amount to its debtor, between their fee_income and elkart_settlement accounts)"),
        "debit_account": F("c", "", "bank/kind/key of the debited account"),
        "credit_account": F("c", "", "bank/kind/key of the credited account"),
        "amount_tyiyn": F("q", "tyiyn", "Amount moved"),
    },
    # Only when the scenario's clearing is enabled (clearing.enabled; model/clearing_cycle.py).
    "clearing": {
        "trace_id": F("i", "", "Id of the approved message (DE37), the same as in the transactions or transfers"),
        "kind": F("c", "", "purchase | cash_withdrawal | transfer_debit | bill | account_transfer | qr_payment (the customer's bank owes the acquirer) | transfer_credit | bill_credit | account_credit | merchant_credit (the acquirer owes the customer's bank) | reversal"),
        "reverses": F("c", "", "For a reversal, the kind it reverses; empty otherwise"),
        "acquirer_bank": F("c", "", "Acquiring bank code: DE32's bank for a tap, a card purchase or an ATM withdrawal, IPC for the app's payments"),
        "issuer_bank": F("c", "", "The customer's bank: the card's issuer, or the bank of the biller, account or merchant credited"),
        "amount_tyiyn": F("q", "tyiyn", "Amount cleared"),
        "fee_tyiyn": F("q", "tyiyn", "Fee charged to the cardholder on the message (DE28), kept by the issuer that charged it: not netted"),
        "interchange_tyiyn": F("q", "tyiyn", "Interchange from clearing.interchange, owed the other way from the amount (on a purchase the acquirer pays the issuer) and netted with it"),
        "cleared_at": F("d", "s", "The switch relayed the approval (or delivered the reversal); for a credit posted by IPC's partner, when it was posted"),
        "batch_id": F("c", "", "The clearing period's batch (clearing/records.batch_id), DNS-417-<date>-C<cut-off>"),
    },
    "positions": {
        "batch_id": F("c", "", "The batch"),
        "bank": F("c", "", "Member bank code, or IPC"),
        "gross_debit_tyiyn": F("q", "tyiyn", "What the bank owes in the batch, gross"),
        "gross_credit_tyiyn": F("q", "tyiyn", "What the bank is owed in the batch, gross"),
        "net_tyiyn": F("q", "tyiyn", "Multilateral net position: gross credit − gross debit (negative: a net debtor pays in)"),
    },
    "bilateral": {
        "batch_id": F("c", "", "The batch"),
        "bank_a": F("c", "", "The pair's first bank code (bank_a < bank_b)"),
        "bank_b": F("c", "", "The pair's second bank code"),
        "net_tyiyn": F("q", "tyiyn", "Bilateral net position: what bank_b owes bank_a minus what bank_a owes bank_b (clearing/netting.bilateral_positions); summed per bank it gives the positions table's net_tyiyn"),
    },
    "settlement": {
        "batch_id": F("c", "", "The batch"),
        "status": F("c", "", "settled | partial | queued | offset (a queued batch has a second row when it settles; offset: settled together with other queued batches to resolve a gridlock)"),
        "submitted_at": F("d", "s", "The batch went to the National Bank's gross settlement system (its cut-off, or the end of the run)"),
        "settled_at": F("d", "s", "The positions moved; NaN while queued"),
        "unsettled_tyiyn": F("q", "tyiyn", "Net value not moved, ½ Σ |due − settled|"),
        "excluded_banks": F("c", "", "Banks excluded under the exclude rule, comma-separated; empty when none"),
    },
    "liquidity_events": {
        "at": F("d", "s", "When the switch checked the payer's position (it forwarded the payment to the issuer)"),
        "bank": F("c", "", "The payer bank (the debtor of the record the payment would make), or IPC"),
        "event": F("c", "", "alarm (the position passed clearing.alarm_share of cover) | breach_cover (no cover left: Mojaloop 4001) | breach_cap (the net debit cap reached: Mojaloop 4200)"),
        "position_tyiyn": F("q", "tyiyn", "The payer's effective position when checked: owed from the open periods' records plus reservations (plus the payment, for an alarm)"),
        "cover_tyiyn": F("q", "tyiyn", "The payer's liquidity cover: its settlement account at the National Bank"),
        "trace_id": F("i", "", "The payment checked"),
    },
    # Only when clearing is enabled: the switch's clearing against each bank's own records
    # (clearing/reconciliation.py). Amounts signed as in positions: positive, the bank is owed.
    "reconciliation": {
        "batch_id": F("c", "", "The batch of the switch's record; for a record the switch never cleared, the batch the bank's record falls in"),
        "bank": F("c", "", "The bank whose own records differ from the switch's, or IPC"),
        "side": F("c", "", "issuer (its ledger postings and the advices its host received) | acquirer (its terminals' transactions; IPC's transfers)"),
        "category": F("c", "", "break (never on a clean day) | timing (the money agrees, the batch differs)"),
        "kind": F("c", "", "Breaks: missing_at_issuer | missing_at_acquirer | missing_at_switch | amount_mismatch | duplicate; timing: reversal_after_cutoff | late_advice"),
        "trace_id": F("i", "", "Id of the message (DE37)"),
        "switch_amount_tyiyn": F("q", "tyiyn", "Net amount the switch cleared for the trace id and bank; a duplicate: the extra copy; reversal_after_cutoff: the reversal; late_advice: the original"),
        "bank_amount_tyiyn": F("q", "tyiyn", "Net amount in the bank's own records; reversal_after_cutoff: the issuer's reversal postings; late_advice: as switch_amount_tyiyn"),
    },
    "reconciliation_totals": {
        "bank": F("c", "", "Member bank code, or IPC"),
        "side": F("c", "", "issuer | acquirer"),
        "records": F("q", "", "Clearing records with the bank on that side"),
        "switch_tyiyn": F("q", "tyiyn", "Net of the switch's records (the issuer and acquirer sides of a bank add up to its net_tyiyn over the batches)"),
        "bank_tyiyn": F("q", "tyiyn", "Net of the bank's own records"),
        "difference_tyiyn": F("q", "tyiyn", "switch_tyiyn − bank_tyiyn; zero on a clean day"),
        "breaks": F("q", "", "Items of category break"),
        "timing_items": F("q", "", "Items of category timing"),
    },
    # Only when the scenario has faults (scenario/faults.py; faults/injection.py): one row per fault, when it ends.
    "faults": {
        "fault": F("h", "", "The fault's place in the plan: faults[i] of the scenario"),
        "kind": F("c", "", "host_down | link | duplicates | switch_node_down | clearing_late"),
        "target": F("c", "", "What it hit: a host (acquirer, switch, issuer:<bank>, directory, biller_gateway[:<gateway>], biller:<id>, interaction_operator, batch_posting[:<bank>], notification_gateway), a link (terminal_acquirer, acquirer_switch, switch_issuer[:<bank>], app_directory, app_gateway, app_operator), switch (a node), clearing"),
        "started_at": F("d", "s", "The fault began (for clearing_late: the cut-off)"),
        "ended_at": F("d", "s", "The fault ended (for clearing_late: the period went to settlement)"),
        "drop_share": F("d", "", "link: share of the messages crossing it (either way) dropped; 0 otherwise"),
        "delay_s": F("d", "s", "link: delay added to every crossing; clearing_late: how late; 0 otherwise"),
        "rate": F("d", "", "duplicates: share of the messages delivered twice; 0 otherwise"),
        "node": F("h", "", "switch_node_down: the node lost; -1 otherwise"),
        "dropped": F("q", "", "Requests lost to the fault: dropped on the link (either way), turned away by the down host, lost with the node"),
        "repeated": F("q", "", "Store-and-forward messages the fault kept from their receiver, each delivered later: a reversal or advice (0400, 0420, 0120) turned away by the down host or lost with its acknowledgement on the link (each loss counted; repeats lost while a host is down are not counted again), repeated by its own sender (0401, 0421, 0121) until acknowledged; a cancellation lost on the link, sent again by the link; a cancellation or push kept by the down host; a message lost with a switch node"),
        "duplicated": F("q", "", "Messages the link delivered twice"),
        "recovered_at": F("d", "s", "When the service had recovered: the result of the last payment of the burst of failures on time (DE39 91 or 68) that followed the fault, started_at when none did (analysis/recovery.py); NaN for clearing_late"),
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
    # Not a run's: the support centre's (people/support_centre.py, SupportCentre and simulate_centre),
    # one row per contact offered to an agent; instants from local midnight of the centre's first day.
    "contacts": {
        "channel": F("c", "", "How the customer came: phone | chat (scenario/choices.CONTACT_CHANNELS)"),
        "cause": F("c", "", "Why: identification_failed | card_link_failed | declined_tap | token_suspended | transfer_failed | notification_missing | outage | general (scenario/choices.CONTACT_CAUSES)"),
        "arrived_at": F("d", "s", "The contact reached the centre's queue"),
        "hour": F("b", "", "Local hour of arrived_at, 0-23 (of any day)"),
        "wait_s": F("d", "s", "Wait in the queue: to the answer, or to hanging up"),
        "answered": F("b", "", "1 answered by an agent; 0 the customer hung up after their patience"),
        "handle_s": F("d", "s", "Time an agent's position held the contact, drawn for its cause and channel; 0 when not answered"),
        "replication": F("h", "", "The centre's replication (simulate_centre's ``replication``), 0 by default"),
    },
    # Only when the run checks its invariants (scenario `invariants: true`, Simulation(check_invariants=True),
    # `elcart-sim drill`; core/invariants.py): exported even when empty, as the proof.
    "violations": {
        "invariant": F("c", "", "entry_balances | posted_twice | ledger_balances | one_final_state | outcome_matches_money | advice_posted | cleared_totals | positions_net_zero | run_completes (a drill's run that ended in an error) (core/invariants.INVARIANTS)"),
        "trace_id": F("i", "", "The transaction it concerns; -1 when none in particular (a bank's totals, a batch, the books)"),
        "at": F("d", "s", "When it was found: the posting's instant, or the end of the run"),
        "detail": F("s", "", "What did not hold, in words"),
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


_UNIT_NAMES = {"s": "seconds", "tyiyn": "tyiyn (1/100 KGS)", "": ""}
_STORAGE_NAMES = {"b": "int8", "h": "int16", "i": "int32", "q": "int64", "d": "float64", "c": "category", "s": "string", "n": "string"}


def schema_markdown() -> str:
    """docs/records.md: one table of fields and units per record type (tests keep it current)."""
    lines = [
        "# Records: tables, fields and units",
        "",
        "Generated from `elcart_sim/core/schemas.py` (`SCHEMAS`); `tests/test_docs.py` fails when the two differ.",
        "Regenerate with `python -c \"from elcart_sim.core.schemas import schema_markdown; print(schema_markdown(), end='')\" > docs/records.md`.",
        "",
        "Every table is keyed by `trace_id`, the transaction's id, which travels in ISO 8583 DE37 from the terminal",
        "to the issuer. Instants end in `_at` and durations in `_s`, in simulated seconds from local midnight of the",
        "scenario's `date` (UTC+6). Money is integer tyiyn. No field holds a full card number.",
        "The `components` table (utilisation per host) has the columns `component`, `servers`, `served`,",
        "`utilisation`, `mean_busy`, `mean_queue` and `max_queue`, time-averaged over the run.",
        "A multi-day run (`elcart-sim run --from --to`) adds the `days` table, one row per day, from `analysis/days.py`",
        "(`DAY_COLUMNS`); its instants count from local midnight of the first day, day d starting at d × 86,400 s.",
        "The type is the DataFrame's dtype, the narrowest that holds every value the field can take; a type marked",
        "(computed) is a difference of two instants of the same row, computed when the DataFrame is built, not stored.",
    ]
    for table, fields in SCHEMAS.items():
        lines += ["", f"## {table}", "", "| field | type | unit | meaning |", "|---|---|---|---|"]
        for name, field in fields.items():
            kind = _STORAGE_NAMES[field.storage] + (" (computed)" if field.difference else "")
            lines.append(f"| `{name}` | {kind} | {_UNIT_NAMES[field.unit]} | {field.meaning} |")
    return "\n".join(lines) + "\n"
