"""Reconciliation: a clean clearing day (one and four cut-offs, with timeouts causing reversals)
has zero breaks and totals that agree; each break injected by tampering with one table is found
with its trace id, on the side whose records differ."""

from __future__ import annotations

import pandas as pd
import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.clearing.reconciliation import BREAK_KINDS, TIMING_KINDS, reconcile
from elcart_sim.core.errors import SettlementError

FOUR_CUTOFFS = ["06:00", "12:00", "18:00", "24:00"]
HEAVY_TAIL = {"dist": "lognormal", "mean_s": 0.01, "cv": 4.0}
FAILURES = {  # timeouts on every leg, so reversals happen (as in tests/test_clearing_day.py)
    "issuer.service_time": HEAVY_TAIL,
    "switch.timeout_s": 0.03,
    "services.qr_payments.timeout_s": 0.045,
    "services.account_transfers.operator.service_time": HEAVY_TAIL,
}


@pytest.fixture(scope="module", params=[["18:00"], FOUR_CUTOFFS], ids=["one_cutoff", "four_cutoffs"])
def day(request):
    scenario = load_scenario("money-services-day", scale=0.0005, seed=3)
    scenario = scenario.with_overrides({"clearing.enabled": True, "clearing.cutoffs": request.param, **FAILURES})
    return Simulation(scenario).run()


def _reconcile(results, **tables):
    frames = {name: getattr(results, name) for name in ("clearing", "postings", "hops", "transactions", "transfers")}
    frames.update(tables)
    scenario = results.scenario
    return reconcile(**frames, business_date=scenario.business_date, cutoffs_s=scenario.clearing.cutoffs_s)


def _items(found, kind):
    items = found.items
    return items[items.kind == kind]


def _a_tap(results):
    """The trace id of an approved tap the switch cleared once and never reversed."""
    clearing = results.clearing
    counts = clearing.groupby("trace_id").size()
    purchases = clearing[(clearing.kind == "purchase") & clearing.trace_id.map(counts).eq(1)]
    return int(purchases.trace_id.iloc[len(purchases) // 2])


def test_a_clean_day_has_zero_breaks_and_its_totals_agree(day):
    results = day
    assert (results.clearing.kind == "reversal").any()
    items, totals = results.reconciliation, results.reconciliation_totals
    assert list(items.columns) == ["batch_id", "bank", "side", "category", "kind", "trace_id", "switch_amount_tyiyn", "bank_amount_tyiyn"]
    assert (items.category != "break").sum() == len(items)  # timing items only, if any
    assert set(items.kind.astype(str)) <= set(TIMING_KINDS)
    assert (totals.difference_tyiyn == 0).all() and (totals.breaks == 0).all()
    assert totals.records.sum() == 2 * len(results.clearing)  # every record on both sides
    # a bank's issuer and acquirer sides add up to its net position over the batches
    nets = results.positions.groupby("bank", observed=True).net_tyiyn.sum()
    by_bank = totals.groupby("bank", observed=True).switch_tyiyn.sum()
    assert by_bank.reindex(nets.index, fill_value=0).equals(nets)
    assert {"reconciliation", "reconciliation_totals"} <= set(results.tables())


def test_a_reversal_straddling_a_cutoff_is_a_timing_item_not_a_break(day):
    results = day
    clearing = results.clearing.copy()
    reversal = clearing.index[clearing.kind == "reversal"][0]
    trace = int(clearing.loc[reversal, "trace_id"])
    clearing["batch_id"] = clearing.batch_id.astype(str)
    clearing.loc[reversal, "batch_id"] = "DNS-417-2025-07-09-C1"  # a week later than any batch of the day
    found = _reconcile(results, clearing=clearing)
    assert _items(found, "reversal_after_cutoff").trace_id.tolist() == [trace]
    assert len(found.breaks) == 0
    row = _items(found, "reversal_after_cutoff").iloc[0]
    assert row.category == "timing" and row.switch_amount_tyiyn == row.bank_amount_tyiyn != 0


def test_a_dropped_clearing_record_is_missing_at_the_switch_on_both_sides(day):
    results = day
    trace = _a_tap(results)
    clearing = results.clearing[results.clearing.trace_id != trace]
    found = _reconcile(results, clearing=clearing)
    missing = _items(found, "missing_at_switch")
    assert set(zip(missing.trace_id, missing.side)) == {(trace, "issuer"), (trace, "acquirer")}
    assert set(found.breaks.kind) == {"missing_at_switch"}
    tap = results.transactions.set_index("trace_id").loc[trace]
    assert missing.set_index("side").bank_amount_tyiyn.to_dict() == {"issuer": -tap.amount_tyiyn, "acquirer": tap.amount_tyiyn}
    assert (missing.switch_amount_tyiyn == 0).all()


def test_a_changed_amount_is_an_amount_mismatch(day):
    results = day
    trace = _a_tap(results)
    clearing = results.clearing.copy()
    clearing.loc[clearing.trace_id == trace, "amount_tyiyn"] += 1
    found = _reconcile(results, clearing=clearing)
    mismatch = _items(found, "amount_mismatch")
    assert set(zip(mismatch.trace_id, mismatch.side)) == {(trace, "issuer"), (trace, "acquirer")}
    assert ((mismatch.switch_amount_tyiyn - mismatch.bank_amount_tyiyn).abs() == 1).all()
    assert found.totals.difference_tyiyn.abs().sum() == 2


def test_a_duplicated_record_is_a_duplicate_and_nothing_else(day):
    results = day
    trace = _a_tap(results)
    clearing = results.clearing
    duplicated = pd.concat([clearing, clearing[clearing.trace_id == trace]], ignore_index=True)
    found = _reconcile(results, clearing=duplicated)
    assert set(found.breaks.kind) == {"duplicate"}
    assert found.breaks.trace_id.tolist() == [trace, trace] and set(found.breaks.side) == {"issuer", "acquirer"}


def test_a_dropped_issuer_posting_is_missing_at_the_issuer(day):
    results = day
    trace = _a_tap(results)
    postings = results.postings[~((results.postings.trace_id == trace) & (results.postings.kind == "purchase"))]
    found = _reconcile(results, postings=postings)
    missing = _items(found, "missing_at_issuer")
    issuer = results.clearing.set_index("trace_id").loc[trace, "issuer_bank"]
    assert missing[["trace_id", "bank", "side"]].values.tolist() == [[trace, issuer, "issuer"]]
    assert set(found.breaks.kind) == {"missing_at_issuer"}


def test_a_tap_the_terminals_never_recorded_is_missing_at_the_acquirer(day):
    results = day
    trace = _a_tap(results)
    found = _reconcile(results, transactions=results.transactions[results.transactions.trace_id != trace])
    assert found.breaks[["kind", "trace_id", "side"]].values.tolist() == [["missing_at_acquirer", trace, "acquirer"]]


def test_an_advice_that_reached_the_issuer_after_the_cutoff_is_a_late_advice(day):
    results = day
    hops = results.hops.copy()
    advices = hops[(hops.hop == "issuer") & hops.mti.isin(["0400", "0420"])]
    cleared = results.clearing[results.clearing.kind != "reversal"]
    originals = set(zip(cleared.trace_id, cleared.issuer_bank.astype(str)))
    advice = advices[[key in originals for key in zip(advices.trace_id, advices.issuer.astype(str))]].index[0]
    trace = int(hops.loc[advice, "trace_id"])
    hops.loc[advice, "arrived_at"] = 86_400.0 + 1.0  # after every cut-off of the business date
    found = _reconcile(results, hops=hops)
    late = _items(found, "late_advice")
    assert late.trace_id.tolist() == [trace] and (late.category == "timing").all()
    assert len(found.breaks) == 0


def test_every_item_kind_is_a_break_or_a_timing_item_never_both():
    assert set(BREAK_KINDS).isdisjoint(TIMING_KINDS)
    assert {"missing_at_issuer", "missing_at_switch", "amount_mismatch", "duplicate"} <= set(BREAK_KINDS)
    assert set(TIMING_KINDS) == {"reversal_after_cutoff", "late_advice"}


def test_a_table_that_is_not_the_runs_is_refused(day):
    with pytest.raises(SettlementError, match="the clearing table has no 'batch_id' column"):
        _reconcile(day, clearing=day.clearing.drop(columns=["batch_id"]))


def test_a_clean_days_empty_reconciliation_is_exported_beside_its_totals(day, tmp_path):
    written = {path.name for path in day.export(tmp_path)}
    assert {"reconciliation.parquet", "reconciliation.csv", "reconciliation_totals.parquet", "reconciliation_totals.csv"} <= written
    assert pd.read_parquet(tmp_path / "reconciliation.parquet").columns.tolist() == list(day.reconciliation.columns)
    assert len(pd.read_csv(tmp_path / "reconciliation_totals.csv")) == len(day.reconciliation_totals) > 0


def test_off_by_default_no_reconciliation():
    results = Simulation(load_scenario("money-services-day", scale=0.0002, seed=1)).run()
    assert {"reconciliation", "reconciliation_totals"}.isdisjoint(results.tables())
    assert len(results.reconciliation) == 0 and len(results.reconciliation_totals) == 0
