"""Faults at the app's service hosts and at clearing, with every delay fixed: the directory down
(a transfer declined 68 at the service's timeout, nothing moved), a bank's batch posting down
(its credits posted when it is back), the notification gateway down (pushes sent when it is
back), the interaction operator down (the debit reversed), and a late clearing file (its
period settled late, the records cleared meanwhile in the next period)."""

from __future__ import annotations

import pytest
from app_services import LEG_S, app_simulation, balance
from test_payroll import GATEWAY_S, LATENCY_S, POSTING_S, _sim, _wallet_card

from elcart_sim import load_scenario, run
from elcart_sim.faults import REPEAT_AFTER_S
from elcart_sim.scenario import CARD_STATUSES


def _linked(sim):
    population, directory = sim.population, sim.transfers.directory.directory
    linked = [int(c) for c in directory.linked.nonzero()[0] if CARD_STATUSES[population.card_status[c]] == "active"]
    sender = linked[0]
    return sender, next(c for c in linked if population.bank_of_card(c) is not population.bank_of_card(sender))


def test_a_transfer_whose_directory_is_down_is_declined_68_at_the_service_s_timeout_and_nothing_moves():
    sim = app_simulation("fast", {"faults": [{"kind": "host_down", "target": "directory", "start_s": 0, "end_s": 100}]})
    sender, recipient = _linked(sim)
    before = balance(sim, sender), balance(sim, recipient)
    result = sim.transfer("p2p_phone", sender, f"+{int(sim.population.msisdn[recipient])}", 250_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "68", "directory")
    assert (balance(sim, sender), balance(sim, recipient)) == before
    results = sim.results()
    [row] = results.transfers.itertuples()
    assert row.result_at == pytest.approx(sim.scenario.services.transfers.timeout_s, abs=1e-12)
    assert len(results.hops) == 0 and results.faults.dropped.tolist() == [1]


def test_a_transfer_after_the_directory_is_back_goes_through():
    sim = app_simulation("fast", {"faults": [{"kind": "host_down", "target": "directory", "start_s": 0, "end_s": 100}]})
    sender, recipient = _linked(sim)
    sim.env.run(until=100)
    result = sim.transfer("p2p_card", sender, sim.population.pan(recipient), 100_000)
    assert result.outcome == "completed"
    assert sim.results().transfers.request_to_result_s.iloc[0] == pytest.approx(0.005 + 2 * LEG_S, abs=1e-9)


def test_a_credit_file_waits_while_its_bank_s_batch_posting_is_down():
    probe = _sim()
    card = _wallet_card(probe)
    bank = probe.population.bank_of_card(card).code
    sim = _sim(faults=[{"kind": "host_down", "target": f"batch_posting:{bank}", "start_s": 0, "end_s": 100}])
    before = sim.ledger.available_tyiyn(sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card))
    sim.env.run(until=1.0)  # the host goes down at 0; what it holds then it would finish
    delivery = sim.credit("employer:0", card, 2_000_000)
    assert delivery.outcome == "delivered"
    assert delivery.sent_at == pytest.approx(100.0 + POSTING_S, abs=1e-9)
    assert sim.ledger.available_tyiyn(sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card)) == before + 2_000_000


def test_a_push_waits_for_the_notification_gateway_to_come_back():
    sim = _sim(faults=[{"kind": "host_down", "target": "notification_gateway", "start_s": 0, "end_s": 100}])
    sim.env.run(until=1.0)
    delivery = sim.credit("employer:0", _wallet_card(sim), 2_000_000)
    assert delivery.sent_at == pytest.approx(100.0, abs=1e-9)  # the bank's push went in when the gateway was back
    assert delivery.delivered_at == pytest.approx(100.0 + GATEWAY_S + LATENCY_S, abs=1e-9)
    [row] = sim.results().faults.itertuples()
    assert (row.dropped, row.repeated) == (0, 1)


def test_an_account_transfer_whose_operator_is_down_is_reversed():
    from elcart_sim.world.bank_accounts import account_number

    sim = app_simulation("fast", {"faults": [{"kind": "host_down", "target": "interaction_operator", "start_s": 0, "end_s": 100}]})
    sender = next(c for c in _linked(sim) if balance(sim, c) >= 100_000)
    before = balance(sim, sender)
    result = sim.account_transfer(sender, account_number(sim.population.banks[3], 42), 50_000)
    assert (result.outcome, result.decided_by) == ("reversed", "credit")
    sim.env.run()
    assert balance(sim, sender) == before and sim.ledger.trial_balance() == 0


def test_a_late_clearing_file_settles_its_period_late():
    day = load_scenario("national-day", scale=0.01, seed=3).with_overrides(
        {"demand.duration_s": 3600.0, "demand.hourly_profile": [1.0] * 24, "clearing.enabled": True, "clearing.cutoffs": ["00:20", "00:40"]}
    )
    plain = run(day)
    late = run(day.with_overrides({"faults": [{"kind": "clearing_late", "cutoff": 0, "delay_s": 300.0}]}))
    assert plain.settlement.submitted_at.tolist()[:2] == [1200.0, 2400.0]
    assert late.settlement.submitted_at.tolist()[:2] == [1500.0, 2400.0]
    assert late.clearing.batch_id.tolist() == plain.clearing.batch_id.tolist()  # a period is its records' by time
    [row] = late.faults.itertuples()
    assert (row.kind, row.started_at, row.ended_at, row.delay_s) == ("clearing_late", 1200.0, 1500.0, 300.0)
    assert late.trial_balance_tyiyn == 0


def test_the_bundled_issuer_outage_drill_is_the_national_day_with_its_fault():
    from test_demand import assert_differs_only_where_intended

    assert_differs_only_where_intended("drill-issuer-outage", {"name", "description", "scale", "faults"})
    results = run(load_scenario("drill-issuer-outage").with_overrides({"demand.duration_s": 43_200.0}))
    down, up = 39_600.0, 41_400.0
    tx = results.transactions
    aiyl = tx[(tx.issuer == "AIYL") & (tx.tapped_at > down) & (tx.tapped_at < up - 30)]
    assert len(aiyl) > 0 and set(aiyl.response_code) == {"91"}
    hops = results.hops
    at_aiyl = hops[(hops.hop == "issuer") & (hops.issuer == "AIYL")]
    assert not ((at_aiyl.arrived_at > down + 1) & (at_aiyl.arrived_at < up)).any()  # nothing reached it while down
    # each reversal and advice that came while it was down was turned away and repeated by its
    # sender (0401, 0421, 0121) every REPEAT_AFTER_S: its first repeat after `up` is taken
    repeats = at_aiyl[at_aiyl.mti.isin(["0401", "0421", "0121"]) & (at_aiyl.arrived_at >= up) & (at_aiyl.arrived_at < up + REPEAT_AFTER_S + 1)]
    [row] = results.faults.itertuples()
    assert row.repeated == repeats.trace_id.nunique() > 0
    assert down < row.recovered_at < up + 120  # the last payment that timed out for it
    assert results.trial_balance_tyiyn == 0


def test_the_app_repeats_its_reversal_advice_to_a_down_switch_until_it_is_back():
    # The switch is down from 0 to 100 s: the debit leg (0200, sent after the directory's 0.005 s)
    # is lost and the service times out (30 s); its 0420 (at the switch 0.004 s later, 30.009 s)
    # is lost, and its repeats (0421, every REPEAT_AFTER_S) of 60.009 s and 90.009 s; the 0421
    # of 120.009 s is taken, and the switch passes it on to the issuer as the original 0420
    # (+ 0.001 s service + 0.003 s link). Nothing moved, so nothing is left to undo.
    sim = app_simulation("fast", {"faults": [{"kind": "host_down", "target": "switch", "start_s": 0, "end_s": 100}]})
    sender, recipient = _linked(sim)
    before = balance(sim, sender), balance(sim, recipient)
    result = sim.transfer("p2p_card", sender, sim.population.pan(recipient), 100_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("reversed", "68", "debit")
    sim.env.run()
    reversal_at = 0.005 + sim.scenario.services.transfers.timeout_s + 3 * REPEAT_AFTER_S + 0.004
    results = sim.results()
    hops = results.hops
    assert hops[hops.hop == "switch"].mti.tolist() == ["0421"]
    assert hops[hops.hop == "switch"].arrived_at.tolist() == pytest.approx([reversal_at], abs=1e-9)
    assert hops[hops.hop == "issuer"].mti.tolist() == ["0420"]
    assert hops[hops.hop == "issuer"].arrived_at.tolist() == pytest.approx([reversal_at + 0.001 + 0.003], abs=1e-9)
    [row] = results.faults.itertuples()
    assert (row.dropped, row.repeated) == (1, 1)
    assert (balance(sim, sender), balance(sim, recipient)) == before and sim.ledger.trial_balance() == 0
