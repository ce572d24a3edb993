"""The results of a run as pandas DataFrames, a summary, and exports (Parquet and CSV).

This is the only place records become DataFrames. Tables: `transactions`, `hops`, `postings`,
`receipts`, `samples` (queue lengths over the day), `components` (utilisation per host),
`token_events` (the token service's lifecycle steps and key issues), `transfers` and
`notifications` when the app's services ran, `clearing`, `positions`, `bilateral`, `settlement` and
`liquidity_events` when the scenario's clearing is enabled, `faults` (the faults injected) and `stand_in` (the switch's stand-in decisions and their advices) when there were any, `days` for a multi-day run (analysis/days.py), with `reconciliation` (the switch's
clearing against the banks' own records: exported even when empty, as the proof of a clean day)
and `reconciliation_totals`, and
`apdus` (one row per APDU) when the run recorded them (`Simulation(record_apdus=True)`).
Their fields and units are documented in docs/records.md (generated from records.SCHEMAS).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from elcart_sim.acceptance.terminal import OUTCOMES
from elcart_sim.analysis.occupancy import by_component, components_table, samples_table
from elcart_sim.analysis.recovery import with_recovery
from elcart_sim.analysis.settlement import settlement_summary, settlement_text
from elcart_sim.clearing.reconciliation import reconcile
from elcart_sim.core.records import Records, Table, as_numpy, categorical, category_dtype
from elcart_sim.core.registry import Registry
from elcart_sim.money.ledger import POSTING_KINDS, Ledger
from elcart_sim.scenario import Scenario

__all__ = ["Results", "TABLES"]

TABLES = ("transactions", "hops", "postings", "receipts", "samples", "components", "token_events")


def _account_name(account: tuple) -> str:
    return "/".join(str(part) for part in account)


def _postings_frame(ledger: Ledger) -> pd.DataFrame:
    """The ledger's journal, closed (ledger.close_journal), as a DataFrame built on its own
    arrays. Accounts become one categorical of names shared by the debit and credit columns
    (the accounts that appear in the journal)."""
    first, journal = ledger.close_journal()
    columns = {name: as_numpy(values) for name, values in journal.items()}
    del journal
    debit, credit = columns["debit"], columns["credit"]
    # The accounts the journal mentions, in account-number order.
    used = np.zeros(len(ledger.account_ids), dtype=bool)
    used[debit] = True
    used[credit] = True
    numbers = np.flatnonzero(used)
    names = [_account_name(ledger.account(number)) for number in numbers.tolist()]
    try:
        accounts = category_dtype(names) if names else []
    except ValueError:  # two accounts whose names print the same (a key 1 and a key "1") share a name
        unique = dict.fromkeys(names)
        accounts = category_dtype(list(unique))
        code_of_name = dict(zip(unique, range(len(unique))))
        codes = np.array([code_of_name[name] for name in names], dtype=np.int32)
    else:
        codes = np.arange(len(names), dtype=np.int32)
    del names
    if len(numbers) != len(used) or not (codes == np.arange(len(codes))).all():
        by_number = np.full(len(used), -1, dtype=np.int32)
        by_number[numbers] = codes
        np.take(by_number, debit, out=debit)  # account number -> category code, in place
        np.take(by_number, credit, out=credit)
    n = len(debit)
    return pd.DataFrame(
        {
            "entry_id": np.arange(first, first + n, dtype=np.int32),
            "trace_id": columns["trace_id"],
            "posted_at": columns["posted_at"],
            "kind": categorical(columns["kind"], list(POSTING_KINDS)),
            "debit_account": categorical(debit, accounts),
            "credit_account": categorical(credit, accounts),
            "amount_tyiyn": columns["amount_tyiyn"],
        },
        copy=False,
    )


@dataclass
class Results:
    scenario: Scenario
    transactions: pd.DataFrame
    hops: pd.DataFrame
    postings: pd.DataFrame
    receipts: pd.DataFrame
    samples: pd.DataFrame
    components: pd.DataFrame
    population: dict[str, int]
    trial_balance_tyiyn: int
    extra: dict[str, Any] = field(default_factory=dict)
    apdus: pd.DataFrame = field(default_factory=lambda: Table("apdus").to_frame())  # empty unless recorded
    token_events: pd.DataFrame = field(default_factory=lambda: Table("token_events").to_frame())
    transfers: pd.DataFrame = field(default_factory=lambda: Table("transfers").to_frame())  # empty unless the app's services ran
    notifications: pd.DataFrame = field(default_factory=lambda: Table("notifications").to_frame())  # empty unless credits were pushed
    clearing: pd.DataFrame = field(default_factory=lambda: Table("clearing").to_frame())  # empty unless clearing is enabled
    positions: pd.DataFrame = field(default_factory=lambda: Table("positions").to_frame())
    settlement: pd.DataFrame = field(default_factory=lambda: Table("settlement").to_frame())
    bilateral: pd.DataFrame = field(default_factory=lambda: Table("bilateral").to_frame())
    liquidity_events: pd.DataFrame = field(default_factory=lambda: Table("liquidity_events").to_frame())
    reconciliation: pd.DataFrame = field(default_factory=lambda: Table("reconciliation").to_frame())
    reconciliation_totals: pd.DataFrame = field(default_factory=lambda: Table("reconciliation_totals").to_frame())
    faults: pd.DataFrame = field(default_factory=lambda: Table("faults").to_frame())  # empty unless the scenario has faults
    stand_in: pd.DataFrame = field(default_factory=lambda: Table("stand_in").to_frame())  # empty unless the switch stood in
    days: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per day of a multi-day run (analysis/days.py)
    violations: pd.DataFrame | None = None  # the invariants' violations when they were checked (core/invariants.py)
    registry: Registry = field(default_factory=Registry, repr=False)  # the components the per-host tables name

    @classmethod
    def collect(
        cls, *, scenario: Scenario, records: Records, registry: Registry, ledger: Ledger, population: dict[str, int],
        duration_s: float | None = None,
    ) -> "Results":
        """The run's tables as DataFrames, from its records, its ledger's journal and the
        registry of its components. Each frame is built on its table's own arrays, and the table
        is emptied as its frame is made, so the rows of a national day are never held twice (only
        a table that must be sorted has one column at a time copied). The hops go last: their
        computed durations are the largest addition, and a table's transient copies then never
        sit on top of them; the per-host tables are read from them (occupancy.py). ``duration_s``: the
        run's span (a multi-day run's; default the scenario's day)."""
        postings = _postings_frame(ledger)  # proves the books balanced first
        trial_balance = ledger.trial_balance()
        receipts = records.receipts.take_frame()
        apdus = records.apdus.take_frame()
        token_events = records.token_events.take_frame()
        transactions = records.transactions.take_frame(order_by=("trace_id",))
        transfers = records.transfers.take_frame(order_by=("trace_id",))
        notifications = records.notifications.take_frame(order_by=("trace_id",))
        clearing = records.clearing.take_frame()
        positions = records.positions.take_frame()
        settlement = records.settlement.take_frame()
        bilateral = records.bilateral.take_frame()
        liquidity_events = records.liquidity_events.take_frame()
        faults = with_recovery(records.faults.take_frame(order_by=("fault",)), transactions, transfers)
        stand_in = records.stand_in.take_frame(order_by=("trace_id",))
        hops = records.hops.take_frame(order_by=("trace_id", "arrived_at"))
        duration = scenario.demand.duration_s if duration_s is None else duration_s
        occupancy = by_component(hops, registry)
        reconciled = {}
        if scenario.clearing.enabled:
            found = reconcile(
                clearing, postings, hops, transactions, transfers, business_date=scenario.business_date, cutoffs_s=scenario.clearing.cutoffs_s
            )
            reconciled = {"reconciliation": found.items, "reconciliation_totals": found.totals}
        return cls(
            scenario=scenario,
            transactions=transactions,
            hops=hops,
            postings=postings,
            receipts=receipts,
            samples=samples_table(hops, registry, duration, scenario.monitor_interval_s, occupancy=occupancy),
            components=components_table(hops, registry, duration, occupancy=occupancy),
            population=population,
            trial_balance_tyiyn=trial_balance,
            apdus=apdus,
            token_events=token_events,
            transfers=transfers,
            notifications=notifications,
            clearing=clearing,
            positions=positions,
            settlement=settlement,
            bilateral=bilateral,
            liquidity_events=liquidity_events,
            faults=faults,
            stand_in=stand_in,
            registry=registry,
            **reconciled,
        )

    # -- summary -----------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Headline figures of the run (plain Python numbers)."""
        tx = self.transactions
        n = len(tx)
        counts = tx["outcome"].value_counts()
        latency = tx["tap_to_result_s"].to_numpy(dtype=float)
        per_minute = np.bincount((tx["tapped_at"].to_numpy(dtype=float) // 60).astype(int)) if n else np.zeros(1)
        per_second = np.bincount(tx["tapped_at"].to_numpy(dtype=float).astype(int)) if n else np.zeros(1)
        issuers = self.components[self.components["component"].str.startswith("issuer:")]
        return {
            "scenario": self.scenario.name,
            "seed": self.scenario.seed,
            "scale": self.scenario.scale,
            "transactions": n,
            **{f"{o}": int(counts.get(o, 0)) for o in OUTCOMES},
            "approval_rate": float(counts.get("approved", 0) / n) if n else 0.0,
            "latency_p50_s": float(np.percentile(latency, 50)) if n else float("nan"),
            "latency_p95_s": float(np.percentile(latency, 95)) if n else float("nan"),
            "latency_p99_s": float(np.percentile(latency, 99)) if n else float("nan"),
            "peak_tps_minute": float(per_minute.max() / 60.0),
            "peak_tps_second": int(per_second.max()),
            "utilisation_acquirer": float(self.components.loc[self.components.component == "acquirer", "utilisation"].iloc[0]),
            "utilisation_switch": float(self.components.loc[self.components.component == "switch", "utilisation"].iloc[0]),
            "utilisation_issuer_mean": float(issuers["utilisation"].mean()),
            "utilisation_issuer_max": float(issuers["utilisation"].max()),
            "approved_tyiyn": int(tx.loc[tx.outcome == "approved", "amount_tyiyn"].sum()),
            "trial_balance_tyiyn": self.trial_balance_tyiyn,
            # Security: genuine payments a check stopped; injected attacks and those stopped.
            "genuine_stopped_by_checks": int(((tx["attack"] == "") & (tx["stopped_by"] != "")).sum()),
            "attack_attempts": int((tx["attack"] != "").sum()),
            "attacks_stopped": int(((tx["attack"] != "") & (tx["stopped_by"] != "")).sum()),
            **self._transfer_summary(),
            **settlement_summary(self),
            **self._stand_in_summary(),
        }

    def _stand_in_summary(self) -> dict[str, Any]:
        """The switch's stand-in, when the scenario turns it on: its approvals and declines, the
        advices sent, posted and expired, and the money at risk when they were posted."""
        if not self.scenario.switch.stand_in.enabled:
            return {}
        rows = self.stand_in
        approved = (rows["response_code"].astype(str) == "00").to_numpy()
        return {
            "stand_in_approved": int(approved.sum()),
            "stand_in_declined": int((~approved).sum()),
            "stand_in_approved_tyiyn": int(rows["amount_tyiyn"].to_numpy()[approved].sum()),
            "advices_sent": int((rows["attempts"].to_numpy() > 0).sum()),
            "advices_posted": int(rows["advice_posted_at"].notna().sum()),
            "advices_expired": int(rows["expired"].sum()),
            "stand_in_exposure_tyiyn": int(rows["exposure_tyiyn"].sum()),
        }

    def _transfer_summary(self) -> dict[str, Any]:
        """The app's transfers, when the day had any: counts by outcome, latency, value moved."""
        transfers = self.transfers
        if not len(transfers):
            return {}
        outcome = transfers["outcome"].astype(str)
        latency = transfers["request_to_result_s"].to_numpy(dtype=float)
        completed = (outcome == "completed").to_numpy()
        return {
            "transfers": len(transfers),
            **{f"transfers_{o}": int((outcome == o).sum()) for o in ("completed", "declined", "reversed")},
            "transfer_p50_s": float(np.percentile(latency, 50)),
            "transfer_p99_s": float(np.percentile(latency, 99)),
            "transferred_tyiyn": int(transfers["amount_tyiyn"].to_numpy()[completed].sum()),
            "transfer_fees_tyiyn": int(transfers["fee_tyiyn"].sum()),
        }

    def summary_text(self) -> str:
        """The summary as the command line prints it (utilisation in per cent: analysis/units.py)."""
        from elcart_sim.analysis.units import PERCENT, percent

        s = self.summary()
        declines = self.transactions.loc[self.transactions.outcome == "declined", "response_code"].value_counts()
        decline_text = ", ".join(f"{code}×{count}" for code, count in declines.items() if count) or "none"
        lines = [
            f"elcart-sim  scenario={s['scenario']} seed={s['seed']} scale={s['scale']:g}",
            f"  transactions        {s['transactions']:>10,}   approved {s['approved']:,}  declined {s['declined']:,}"
            f"  reversed {s['reversed']:,}  terminated {s['terminated']:,}",
            f"  approval rate       {s['approval_rate']:>10.2%}   declines by DE39: {decline_text}",
            f"  tap-to-result (s)   p50 {s['latency_p50_s']:.3f}   p95 {s['latency_p95_s']:.3f}   p99 {s['latency_p99_s']:.3f}",
            f"  peak TPS            {s['peak_tps_minute']:>10.2f}   (busiest minute; busiest second {s['peak_tps_second']})",
            f"  utilisation {PERCENT}     "
            f"acquirer {percent(s['utilisation_acquirer'])}   switch {percent(s['utilisation_switch'])}   "
            f"issuers mean {percent(s['utilisation_issuer_mean'])} / max {percent(s['utilisation_issuer_max'])}",
            f"  money               approved {s['approved_tyiyn'] / 100:,.2f} KGS; ledger trial balance {s['trial_balance_tyiyn']} tyiyn",
            f"  security            {s['genuine_stopped_by_checks']:,} genuine payments stopped by a check; "
            f"attacks: {s['attack_attempts']:,} injected, {s['attacks_stopped']:,} stopped",
        ]
        if "transfers" in s:
            lines += [
                f"  transfers           {s['transfers']:>10,}   completed {s['transfers_completed']:,}  declined {s['transfers_declined']:,}"
                f"  reversed {s['transfers_reversed']:,}",
                f"  request-to-result   p50 {s['transfer_p50_s']:.3f} s   p99 {s['transfer_p99_s']:.3f} s;  "
                f"moved {s['transferred_tyiyn'] / 100:,.2f} KGS, fees {s['transfer_fees_tyiyn'] / 100:,.2f} KGS",
            ]
        if "stand_in_approved" in s:
            lines.append(
                f"  stand-in            approved {s['stand_in_approved']:,} ({s['stand_in_approved_tyiyn'] / 100:,.2f} KGS)  declined {s['stand_in_declined']:,};"
                f"  advices sent {s['advices_sent']:,}  posted {s['advices_posted']:,}  expired {s['advices_expired']:,};"
                f"  exposure {s['stand_in_exposure_tyiyn'] / 100:,.2f} KGS"
            )
        lines += settlement_text(s)
        return "\n".join(lines)

    # -- export ---------------------------------------------------------------------------------------

    def tables(self) -> dict[str, pd.DataFrame]:
        optional = ("transfers", "notifications", "clearing", "positions", "settlement", "bilateral", "liquidity_events", "apdus", "days", "faults", "stand_in")
        recorded = tuple(name for name in optional if len(getattr(self, name)))
        if self.scenario.clearing.enabled:  # an empty reconciliation is a clean day's evidence
            recorded += ("reconciliation", "reconciliation_totals")
        if self.violations is not None:  # checked: an empty table is the proof
            recorded += ("violations",)
        return {name: getattr(self, name) for name in TABLES + recorded}

    def export(self, out_dir: str | Path, formats: tuple[str, ...] = ("parquet", "csv")) -> list[Path]:
        """Write every table in each format, summary.json, and scenario.yaml — the scenario as run,
        with every override (`elcart-sim run --scenario DIR/scenario.yaml` runs it again); returns
        the files written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in self.tables().items():
            if "parquet" in formats:
                path = out / f"{name}.parquet"
                frame.to_parquet(path, index=False)
                written.append(path)
            if "csv" in formats:
                path = out / f"{name}.csv"
                frame.to_csv(path, index=False)
                written.append(path)
        path = out / "summary.json"
        path.write_text(json.dumps(self.summary(), indent=2) + "\n", encoding="utf-8")
        written.append(path)
        path = out / "scenario.yaml"
        path.write_text(self.scenario.to_yaml(), encoding="utf-8")
        written.append(path)
        return written


