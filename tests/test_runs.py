"""Whole runs: deterministic for a seed, money conserved, one final state per transaction,
no card number in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from elcart_sim import load_scenario, run
from elcart_sim.analysis.results import TABLES
from elcart_sim.core.redact import find_card_numbers, notebook_output_texts
from elcart_sim.core.streams import RandomStreams
from elcart_sim.world.population import Population


def test_same_seed_identical_tables_other_seed_different(small_scenario, small_results):
    again = run(small_scenario)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(small_results, name), getattr(again, name), check_exact=True)
    other = run(small_scenario.with_overrides({"seed": small_scenario.seed + 1}))
    assert not small_results.transactions.equals(other.transactions)


def test_every_transaction_ends_in_exactly_one_final_state(small_results):
    tx = small_results.transactions
    assert len(tx) > 300
    assert tx.trace_id.is_unique
    assert set(tx.outcome.astype(str)) <= {"approved", "declined", "reversed", "terminated"}
    assert (tx.tap_to_result_s > 0).all()
    assert (tx.loc[tx.outcome == "approved", "response_code"] == "00").all()
    assert (tx.loc[tx.outcome == "declined", "response_code"] != "00").all()


def test_money_is_conserved(small_results):
    r = small_results
    assert r.trial_balance_tyiyn == 0
    postings = r.postings
    assert postings.amount_tyiyn.dtype == "int64"
    purchases = postings[postings.kind.isin(["purchase", "cash_withdrawal"])].groupby("trace_id").amount_tyiyn.sum()
    reversals = postings[postings.kind == "reversal"].groupby("trace_id").amount_tyiyn.sum()
    net = purchases.sub(reversals, fill_value=0)
    net = net[net != 0]
    tx = r.transactions.set_index("trace_id")
    approved = tx[tx.outcome == "approved"]
    # Each approved purchase or withdrawal debits its cardholder exactly once, for its amount …
    assert sorted(net.index) == sorted(approved.index)
    assert (net.loc[approved.index] == approved.amount_tyiyn).all()
    debit_counts = postings[postings.kind.isin(["purchase", "cash_withdrawal"])].groupby("trace_id").size()
    assert (debit_counts.loc[approved.index] == 1).all()
    # … and each declined, reversed or terminated one not at all (net).
    assert not set(net.index) & set(tx[tx.outcome != "approved"].index)
    # Approved money sits in the issuers' settlement positions, awaiting clearing.
    settlement = postings[postings.credit_account.str.endswith("/elkart_settlement/")].amount_tyiyn.sum() - postings[
        postings.debit_account.str.endswith("/elkart_settlement/")
    ].amount_tyiyn.sum()
    assert settlement == approved.amount_tyiyn.sum()


def test_conservation_holds_under_timeouts():
    scenario = load_scenario("national-day", scale=0.002, seed=5, demand__app_channels={}).with_overrides(
        {"issuer.service_time": {"dist": "exponential", "mean_s": 6.0}, "issuer.servers": 2}
    )
    r = run(scenario)
    tx = r.transactions
    assert set(tx.outcome.astype(str)) >= {"approved", "declined"}
    assert (tx.response_code == "91").any()
    p = r.postings
    net = p[p.kind.isin(["purchase", "cash_withdrawal"])].groupby("trace_id").amount_tyiyn.sum().sub(
        p[p.kind == "reversal"].groupby("trace_id").amount_tyiyn.sum(), fill_value=0
    )
    approved = tx[tx.outcome == "approved"].set_index("trace_id").amount_tyiyn
    assert net[net != 0].sort_index().equals(approved.sort_index().astype(net.dtype))
    assert r.trial_balance_tyiyn == 0


def test_hops_share_the_trace_id_and_each_has_its_times(small_results):
    hops = small_results.hops
    assert set(hops.trace_id) <= set(small_results.transactions.trace_id)
    assert (hops.wait_s >= 0).all() and (hops.service_s >= 0).all()
    assert ((hops.started_at - hops.arrived_at - hops.wait_s).abs() < 1e-9).all()
    tx = small_results.transactions
    online = tx[tx.outcome != "terminated"]
    chain = hops[hops.mti.isin(["0100", "0200"]) & (hops.hop != "hsm")]  # the HSMs' calls: tests/test_hsm.py
    per_trace = chain.groupby("trace_id").hop.apply(lambda h: tuple(sorted(h)))
    # The switch answers its own declines (token service, card authentication); the rest reach the issuer.
    at_switch = online.stopped_by.isin(["token_status", "token_domain", "icc_data", "cryptogram_version",
                                        "limited_use_keys", "arqc", "atc_replay", "atc_window"])  # fmt: skip
    assert (per_trace.loc[online[at_switch].trace_id] == ("acquirer", "switch")).all()
    assert (per_trace.loc[online[~at_switch].trace_id] == ("acquirer", "issuer", "switch")).all()


def test_no_full_card_number_in_exports(small_scenario, small_results, tmp_path):
    small_results.export(tmp_path)
    card_bins = [bank.card_bin for bank in Population.build(small_scenario, RandomStreams(small_scenario.seed)).banks]
    written = sorted(tmp_path.iterdir())
    assert {p.suffix for p in written} == {".parquet", ".csv", ".json", ".yaml"}  # tables, summary, the scenario as run
    for path in written:
        assert find_card_numbers(path, card_bins) == [], path.name


def _card_bins(scenario):
    return [bank.card_bin for bank in Population.build(scenario, RandomStreams(scenario.seed)).banks]


def test_no_full_card_number_in_any_file_the_main_job_writes(tmp_path):
    """`elcart-sim run` on a day with every kind of attack and a busy token lifecycle (so every
    code path that writes a record runs): tables, summary and plots are scanned."""
    from elcart_sim.cli import main
    from elcart_sim.scenario import ATTACK_KINDS

    scenario = load_scenario("national-day", scale=0.002, seed=4, demand__app_channels={}).with_overrides(
        {
            "fraud.attempts": {kind: 3 for kind in ATTACK_KINDS},
            "security.lifecycle.suspension_share": 0.05,
            "security.lifecycle.phone_replacement_share": 0.05,
        }
    )
    path = tmp_path / "drill.yaml"
    path.write_text(scenario.to_yaml(), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", "--scenario", str(path), "--out", str(out), "--no-progress"]) == 0
    written = sorted(out.iterdir())
    assert {p.suffix for p in written} == {".parquet", ".csv", ".json", ".yaml", ".png"}
    assert "attack_detection.png" in {p.name for p in written}
    for table in ("transactions", "token_events"):
        assert len(pd.read_parquet(out / f"{table}.parquet")) > 0
    bins = _card_bins(scenario)
    for written_file in written:
        assert find_card_numbers(written_file, bins) == [], written_file.name


NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_no_full_card_number_in_the_stored_notebook_outputs(notebook, small_scenario):
    texts = notebook_output_texts(notebook)
    assert texts, f"{notebook.name} has no stored outputs to check"
    assert find_card_numbers(notebook, _card_bins(small_scenario)) == []


def test_the_notebook_scanner_reads_outputs_and_finds_a_planted_card_number(small_scenario, tmp_path):
    pan = Population.build(small_scenario, RandomStreams(small_scenario.seed)).pan(7)
    cell = {"cell_type": "code", "source": ["x"], "metadata": {}, "execution_count": 1,
            "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                         "data": {"text/plain": [f"'{pan}'"], "image/png": "iVBORw0KGgo="}}]}  # fmt: skip
    path = tmp_path / "leak.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert find_card_numbers(path, _card_bins(small_scenario)) == [pan[:6] + "******" + pan[-4:]]


def test_the_leak_scanner_finds_a_planted_card_number(small_scenario, tmp_path):
    population = Population.build(small_scenario, RandomStreams(small_scenario.seed))
    pan = population.pan(42)
    (tmp_path / "leak.csv").write_text(f"a,b\n1,{pan}\n")
    pd.DataFrame({"x": [f"x{pan}y"]}).to_parquet(tmp_path / "leak.parquet")
    bins = [b.card_bin for b in population.banks]
    assert find_card_numbers(tmp_path / "leak.csv", bins) == [pan[:6] + "******" + pan[-4:]]
    assert len(find_card_numbers(tmp_path / "leak.parquet", bins)) == 1


def test_fast_fidelity_gives_the_same_outcomes_and_timings(small_scenario, small_results):
    fast = run(small_scenario.with_overrides({"fidelity": "fast"}))
    for name in ("transactions", "hops", "postings", "receipts"):
        pd.testing.assert_frame_equal(getattr(small_results, name), getattr(fast, name), check_exact=True)


def test_no_full_card_number_in_a_money_services_day_nor_in_its_qr_codes(tmp_path):
    """The app's services write transfers, services and notifications tables: scanned like the
    others. And every transfer QR code the day's senders scan names the recipient by an opaque id."""
    from elcart_sim import Simulation
    from elcart_sim.cli import main
    from elcart_sim.core.redact import card_number_pattern

    out = tmp_path / "out"
    args = ["run", "--scenario", "money-services-day", "--scale", "0.001", "--fidelity", "fast", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    scenario = load_scenario("money-services-day", scale=0.001)
    bins = _card_bins(scenario)
    assert (out / "transfers.parquet").exists()
    for written_file in sorted(out.iterdir()):
        assert find_card_numbers(written_file, bins) == [], written_file.name
    simulation = Simulation(scenario)
    pattern = card_number_pattern(bins)
    demand = simulation.transfer_demand
    codes = [demand.recipient("p2p_qr", int(simulation.app_directory.linked.nonzero()[0][0])) for _ in range(300)]
    assert all(code.startswith("https://pay.payqr.kg#") for code in codes)
    assert not [code for code in codes if pattern.search(code)]
