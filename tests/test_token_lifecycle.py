"""The token lifecycle over a day: suspensions and phone replacements planned on their own streams,
their declines explained in the records, nothing lost from the ledger."""

from __future__ import annotations

import pytest

from elcart_sim import Simulation, load_scenario, run

BUSY = {
    "security.lifecycle.suspension_share": 0.05,
    "security.lifecycle.phone_replacement_share": 0.05,
    "security.provisioning.idv": {"dist": "constant", "mean_s": 21_600.0},  # slow ID&V: taps meet phones without token
    "demand.channels": {"contactless": 1.0},  # every card transaction a phone tap: the lifecycle is the tokens'
}


@pytest.fixture(scope="module")
def busy_day():
    return run(load_scenario("national-day", scale=0.002, seed=8).with_overrides(BUSY))


def test_the_plan_is_poisson_over_the_day_and_reproducible():
    scenario = load_scenario("national-day", scale=0.002, seed=8).with_overrides(BUSY)
    a, b = Simulation(scenario), Simulation(scenario)
    plan = a.lifecycle._plan("suspensions", 0.05)
    assert plan == b.lifecycle._plan("suspensions", 0.05)
    wallets = len(a.population.enrolled_cards)
    assert abs(len(plan) - 0.05 * wallets) < 5 * (0.05 * wallets) ** 0.5
    times = [t for t, _ in plan]
    assert times == sorted(times) and 0 <= times[0] and times[-1] < 86_400
    assert {c for _, c in plan} <= set(a.population.enrolled_cards.tolist())
    assert a.lifecycle._plan("suspensions", 0.0) == []


def test_suspensions_and_replacements_show_in_the_token_events(busy_day):
    events = busy_day.token_events
    counts = events.event.astype(str).value_counts()
    assert counts["suspended"] >= counts.get("resumed", 0) > 0
    assert counts["deleted"] > 0 and counts["provisioned"] + counts.get("idv_failed", 0) <= counts["deleted"]
    assert (events["at"].diff().dropna() >= 0).all()  # rows are in the order the service acted
    assert events.token_masked.str.contains(r"^\d{6}\*{6}\d{4}$|^$").all()


def test_taps_with_a_suspended_token_are_declined_and_explained(busy_day):
    tx = busy_day.transactions
    suspended = tx[tx.reason == "Restricted card: token suspended"]
    assert len(suspended) > 0
    assert (suspended.response_code == "62").all() and (suspended.stopped_by == "token_status").all()
    assert (suspended.attack == "").all()  # genuine payments, stopped by the lifecycle
    no_app = tx[tx.reason == "SELECT PPSE: card answered SW 6A82 (file or application not found)"]
    assert len(no_app) > 0 and (no_app.outcome == "terminated").all()  # new phone, token not yet provisioned
    assert busy_day.trial_balance_tyiyn == 0
