"""Fraud drills: every injected attack is labelled with its kind and the check that stopped it,
the ground truth adds up, money stays conserved, and both fidelities agree."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from elcart_sim import load_scenario, run
from elcart_sim.analysis import plots
from elcart_sim.fraud.detection import checks_table, detection_table
from elcart_sim.scenario import ATTACK_KINDS

ATTEMPTS = 6
EXPECTED_CHECK = {
    "replayed_authorisation": {"atc_replay"},
    "replayed_card_answers": {"arqc"},
    "relay": {"device_cvm", "relay_timing", ""},
    "stolen_locked_phone": {"device_cvm"},
    "token_after_deletion": {"token_status"},
    "wrong_channel": {"token_domain"},
    "cloned_device": {"token_domain"},
}


def drill(**overrides):
    attempts = {kind: ATTEMPTS for kind in ATTACK_KINDS}
    return load_scenario("national-day", scale=0.002, seed=21, fraud__attempts=attempts, **overrides)


@pytest.fixture(scope="module")
def drill_results():
    return run(drill())


def test_every_attempt_is_labelled_and_stopped_by_the_check_meant_for_it(drill_results):
    tx = drill_results.transactions
    attacks = tx[tx.attack != ""]
    assert attacks.attack.astype(str).value_counts().to_dict() == {kind: ATTEMPTS for kind in ATTACK_KINDS}
    for kind, checks in EXPECTED_CHECK.items():
        mine = attacks[attacks.attack == kind]
        assert set(mine.stopped_by.astype(str)) <= checks, kind
        assert (mine[mine.stopped_by == ""].outcome == "approved").all(), kind  # not stopped = approved
    replayed = attacks[attacks.attack == "replayed_authorisation"]
    assert (replayed.reason == "Security violation: cryptogram presented twice (its ATC was already used)").all()
    assert (attacks[attacks.attack == "cloned_device"].response_code == "57").all()


def test_the_detection_table_adds_up(drill_results):
    table = detection_table(drill_results.transactions)
    assert list(table.index) == list(ATTACK_KINDS)
    assert (table.attempts == ATTEMPTS).all()
    assert (table.detected + table.missed + table.otherwise_failed == table.attempts).all()
    for kind in ATTACK_KINDS:
        if kind != "relay":
            assert table.loc[kind, "detection_rate"] == 1.0, kind
    relay = table.loc["relay"]
    assert relay.otherwise_failed == 0 and 0 < relay.detected <= ATTEMPTS
    crosstab = checks_table(drill_results.transactions)
    assert crosstab.loc["(genuine)"].sum() == (drill_results.transactions.attack == "").sum()
    assert crosstab.loc["replayed_card_answers", "arqc"] == ATTEMPTS


def test_injected_attacks_keep_money_conserved_and_one_final_state(drill_results):
    r = drill_results
    tx = r.transactions
    assert tx.trace_id.is_unique and r.trial_balance_tyiyn == 0
    p = r.postings
    net = p[p.kind.isin(["purchase", "cash_withdrawal"])].groupby("trace_id").amount_tyiyn.sum().sub(
        p[p.kind == "reversal"].groupby("trace_id").amount_tyiyn.sum(), fill_value=0
    )
    approved = tx[tx.outcome == "approved"].set_index("trace_id").amount_tyiyn
    assert net[net != 0].sort_index().equals(approved.sort_index().astype(net.dtype))
    summary = r.summary()
    assert summary["attack_attempts"] == ATTEMPTS * len(ATTACK_KINDS)
    assert summary["attacks_stopped"] == int(detection_table(tx).detected.sum())


def test_the_plot(drill_results):
    fig = plots.attack_detection(drill_results)
    assert isinstance(fig, Figure)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert set(labels) == set(ATTACK_KINDS)


def test_fast_fidelity_and_the_mchip_kernel_give_the_same_outcomes_as_wire():
    scenario = drill(**{"security__kernel": "mchip"})
    wire = run(scenario)
    fast = run(scenario.with_overrides({"fidelity": "fast"}))
    for name in ("transactions", "hops", "postings", "receipts", "token_events"):
        pd.testing.assert_frame_equal(getattr(wire, name), getattr(fast, name), check_exact=True)
    attacks = wire.transactions[wire.transactions.attack != ""]
    assert (attacks[attacks.attack == "replayed_card_answers"].stopped_by == "arqc").all()
    assert (wire.transactions[(wire.transactions.attack == "") & (wire.transactions.outcome != "terminated")].apdus == 5).all()


def test_no_attacks_no_plot_bars():
    from elcart_sim.analysis.results import Results

    results = run(load_scenario("national-day", scale=0.0005, seed=3))
    assert isinstance(results, Results)
    assert detection_table(results.transactions).empty
    fig = plots.attack_detection(results)
    assert fig.axes[0].texts[0].get_text() == "no attacks injected"
