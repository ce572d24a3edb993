"""Faults injected into a run, with every delay fixed so their effects have exact times: an
issuer down (its taps time out with 91, the switch's reversal is repeated until it is back), a lossy
link (a lost reversal repeated after REPEAT_AFTER_S), a slow link, a duplicating link, a host
whose door is fitted only while a fault is on, and a run without faults identical to one
without the section."""

from __future__ import annotations

import pandas as pd
import pytest
from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, load_scenario, run
from elcart_sim.core.errors import ScenarioError
from elcart_sim.faults import REPEAT_AFTER_S
from elcart_sim.world.population import CARD_STATUSES

SWITCH_TIMEOUT_S = 15.0  # switch.timeout_s
# The tap's chain up to the switch forwarding the 0100: 4 APDUs, processing, terminal→acquirer,
# acquirer, acquirer→switch, switch.
AT_SWITCH_S = 4 * 0.02 + 0.05 + 0.1 + 0.002 + 0.004 + 0.001


def _scenario(*faults, **more):
    return load_scenario("national-day", seed=99).with_overrides({**FIXED_DELAYS, "faults": list(faults), **more})


def _card(sim):
    pop = sim.population
    for card in pop.enrolled_cards:
        if CARD_STATUSES[pop.card_status[card]] == "active" and pop.opening_balance_tyiyn[card] >= 200_000:
            return int(card)
    raise AssertionError("no such card")


def _tap(sim, card):
    result = sim.tap(card, terminal=0, amount_tyiyn=123_45)
    return result, sim.results()


def test_a_tap_to_an_issuer_that_is_down_times_out_with_91_and_its_reversal_is_repeated_until_it_is_back():
    probe = Simulation(_scenario())
    card = _card(probe)
    bank = probe.population.bank_of_card(card).code
    sim = Simulation(_scenario({"kind": "host_down", "target": f"issuer:{bank}", "start_s": 0, "end_s": 100}))
    before = sim.ledger.balance_tyiyn(sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card))
    result, results = _tap(sim, card)
    assert (result.outcome, result.response_code) == ("declined", "91")
    hops = results.hops
    switch = hops[(hops.hop == "switch") & (hops.mti == "0100")].iloc[0]
    assert (switch.response_code, switch.timed_out) == ("91", 1)
    assert switch.responded_at == pytest.approx(AT_SWITCH_S + SWITCH_TIMEOUT_S, abs=1e-9)
    issuer = hops[hops.hop == "issuer"]
    # the 0100 was lost; the switch's 0400 (at its timeout, + 0.003 s switch→issuer) was lost too, and
    # its repeats (0401, every REPEAT_AFTER_S) at 45.24 s and 75.24 s; the third, at 105.24 s, is taken
    assert issuer.mti.tolist() == ["0401"]
    assert issuer.arrived_at.iloc[0] == pytest.approx(AT_SWITCH_S + SWITCH_TIMEOUT_S + 3 * REPEAT_AFTER_S + 0.003, abs=1e-9)
    assert sim.ledger.balance_tyiyn(sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card)) == before
    [row] = results.faults.itertuples()
    assert (row.kind, row.target, row.started_at, row.ended_at, row.dropped, row.repeated) == ("host_down", f"issuer:{bank}", 0.0, 100.0, 1, 1)
    assert results.trial_balance_tyiyn == 0


def test_a_host_has_no_door_without_a_fault_and_loses_it_when_the_fault_ends():
    sim = Simulation(_scenario({"kind": "host_down", "target": "acquirer", "start_s": 10, "end_s": 20}))
    acquirer = sim.acquirer
    assert "serve" not in vars(acquirer) and not acquirer.down
    sim.env.run(until=15)
    assert acquirer.down and "serve" in vars(acquirer)
    sim.env.run(until=25)
    assert not acquirer.down and "serve" not in vars(acquirer) and "serve_stored" not in vars(acquirer)


def test_a_reversal_lost_on_the_link_is_repeated_until_it_crosses():
    sim = Simulation(_scenario({"kind": "link", "target": "switch_issuer", "drop_share": 1.0, "start_s": 0, "end_s": 50}))
    result, results = _tap(sim, _card(sim))
    assert result.response_code == "91"
    issuer = results.hops[results.hops.hop == "issuer"]
    # sent at the switch's timeout and lost, repeated (0401) every REPEAT_AFTER_S: lost once more
    # while the fault is on, through on the second repeat
    assert issuer.mti.tolist() == ["0401"]
    assert issuer.arrived_at.iloc[0] == pytest.approx(AT_SWITCH_S + SWITCH_TIMEOUT_S + 2 * REPEAT_AFTER_S + 0.003, abs=1e-9)
    [row] = results.faults.itertuples()
    assert (row.dropped, row.repeated, row.duplicated) == (1, 2, 0)


def test_a_slow_link_adds_its_delay_each_way():
    plain = Simulation(_scenario())
    card = _card(plain)
    _, base = _tap(plain, card)
    sim = Simulation(_scenario({"kind": "link", "target": "acquirer_switch", "delay_s": 0.25, "start_s": 0, "end_s": 60}))
    result, results = _tap(sim, card)
    assert result.outcome == "approved"
    assert results.transactions.host_s.iloc[0] == pytest.approx(base.transactions.host_s.iloc[0] + 2 * 0.25, abs=1e-9)


def test_a_duplicating_link_delivers_the_message_twice():
    sim = Simulation(_scenario({"kind": "duplicates", "target": "switch_issuer", "rate": 1.0, "start_s": 0, "end_s": 60}))
    result, results = _tap(sim, _card(sim))
    assert result.outcome == "approved"
    issuer = results.hops[results.hops.hop == "issuer"]
    assert issuer.mti.tolist() == ["0100", "0100"]  # telling a duplicate from a request is not the link's job
    assert issuer.arrived_at.iloc[0] == issuer.arrived_at.iloc[1]
    assert results.faults["duplicated"].tolist() == [1]


def test_a_token_payment_delivered_twice_to_the_switch_is_answered_from_its_memory():
    # a drill with a duplicating link has the switch remember every request (switch.duplicates
    # all, hosts/switch/exchanges.py): the copy gets the original's answer, not the token
    # gate's replay decline, and goes no further
    sim = Simulation(_scenario({"kind": "duplicates", "target": "acquirer_switch", "rate": 1.0, "start_s": 0, "end_s": 60}))
    result, results = _tap(sim, _card(sim))
    assert result.outcome == "approved"
    switch = results.hops[results.hops.hop == "switch"]
    assert sorted(switch.response_code.tolist()) == ["00", "00"]
    assert (results.hops.hop == "issuer").sum() == 1


def test_a_fault_naming_a_bank_the_population_lacks_is_a_scenario_error():
    with pytest.raises(ScenarioError) as caught:
        Simulation(_scenario({"kind": "host_down", "target": "issuer:NOPE", "start_s": 0, "end_s": 10}))
    assert caught.value.path == "faults[0].target"


def test_a_biller_down_is_answered_91_at_the_gateway_s_timeout():
    from app_services import app_simulation

    sim = app_simulation("fast", {"services.bills.biller_availability": 1.0, "faults": [{"kind": "host_down", "target": "biller:BL0004", "start_s": 0, "end_s": 500}]})
    payer = next(int(c) for c in sim.app_directory.linked.nonzero()[0] if CARD_STATUSES[sim.population.card_status[c]] == "active")
    result = sim.pay_bill(payer, "BL0004", "1234567890", 250_000)
    assert result.outcome == "reversed"  # the service's 30 s ran out before the gateway's 20 s + the link
    gateway = sim.results().hops.query("hop == 'biller_gateway'")
    assert gateway.response_code.tolist() == ["91"]


@pytest.fixture(scope="module")
def small_day():
    return load_scenario("national-day", scale=0.002, seed=11, demand__duration_s=7200.0)


def test_no_faults_give_the_same_run_as_no_section(small_day):
    plain = run(small_day)
    empty = run(small_day.with_overrides({"faults": []}))
    for name, frame in plain.tables().items():
        pd.testing.assert_frame_equal(frame, empty.tables()[name], check_categorical=False, obj=name)
    assert plain.summary() == empty.summary()


def test_a_fault_does_not_shift_the_day_s_demand(small_day):
    plain = run(small_day)
    drilled = run(small_day.with_overrides({"faults": [{"kind": "link", "target": "switch_issuer", "drop_share": 0.3, "start_s": 600, "end_s": 3600}]}))
    assert drilled.transactions.tapped_at.tolist() == plain.transactions.tapped_at.tolist()
    assert (drilled.transactions.response_code == "91").sum() > 0
    assert drilled.trial_balance_tyiyn == 0


# -- a switch of several nodes -------------------------------------------------------------------

ACQUIRER_TIMEOUT_S = 25.0  # acquirer.timeout_s
AT_ACQUIRER_S = 4 * 0.02 + 0.05 + 0.1  # the 0100 reaches the acquirer


def test_one_node_is_the_single_switch_and_more_nodes_share_the_traffic(small_day):
    one = run(small_day)
    also_one = run(small_day.with_overrides({"faults": [{"kind": "switch_node_down", "node": 0, "start_s": 7000, "end_s": 7100}]}))
    before = one.transactions.result_at < 7000
    assert (also_one.transactions.result_at[before] == one.transactions.result_at[before]).all()
    sim = Simulation(small_day.with_overrides({"switch.nodes": 3}))
    results = sim.run()
    assert sim.registry["switch"].servers == 3 * small_day.switch.servers
    assert results.transactions.outcome.tolist() == one.transactions.outcome.tolist()
    served = [len(node.holding) for node in sim.switch.nodes]
    assert served == [0, 0, 0]  # every message answered
    assert [node.pool.served for node in sim.switch.nodes] == [
        sum(1 for t in results.hops.query("hop == 'switch'").trace_id if t % 3 == i) for i in range(3)
    ]


def test_a_node_lost_with_a_tap_in_flight_never_answers_it_the_acquirer_reverses_and_a_survivor_delivers():
    probe = Simulation(_scenario(**{"switch.nodes": 2}))
    card = _card(probe)
    # trace id 1 goes to node 1 of 2; lost while it waits for the issuer's approval
    sim = Simulation(_scenario({"kind": "switch_node_down", "node": 1, "start_s": 0.245, "end_s": 300}, **{"switch.nodes": 2}))
    account = sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card)
    before = sim.ledger.balance_tyiyn(account)
    result, results = _tap(sim, card)
    assert (result.outcome, result.response_code) == ("declined", "91")
    hops = results.hops
    acquirer = hops[(hops.hop == "acquirer") & (hops.mti == "0100")].iloc[0]
    assert (acquirer.timed_out, acquirer.responded_at) == (1, pytest.approx(AT_ACQUIRER_S + 0.002 + ACQUIRER_TIMEOUT_S, abs=1e-9))
    assert hops[hops.hop == "issuer"].mti.tolist() == ["0100", "0400"]  # approved, then reversed by the survivor
    assert hops[hops.hop == "switch"].mti.tolist() == ["0400"]  # the lost node never recorded its 0100
    assert sim.ledger.balance_tyiyn(account) == before
    [row] = results.faults.itertuples()
    assert (row.kind, row.node, row.dropped, row.repeated) == ("switch_node_down", 1, 1, 0)
    assert row.recovered_at == pytest.approx(results.transactions.result_at.iloc[0])
    assert results.trial_balance_tyiyn == 0


def test_a_reversal_lost_with_its_node_is_repeated_to_a_survivor():
    # node 1 (trace 1's) is lost with the 0100, back before the acquirer's 0400 comes (25.236 s),
    # lost again while that 0400 waits for the issuer's acknowledgement
    lost_again = 25.242
    sim = Simulation(_scenario(
        {"kind": "switch_node_down", "node": 1, "start_s": 0.245, "end_s": 25.0},
        {"kind": "switch_node_down", "node": 1, "start_s": lost_again, "end_s": 300},
        **{"switch.nodes": 2},
    ))  # fmt: skip
    card = _card(sim)
    account = sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card)
    before = sim.ledger.balance_tyiyn(account)
    result, results = _tap(sim, card)
    assert result.response_code == "91"
    hops = results.hops
    switch = hops[hops.hop == "switch"]
    # the acquirer's repeat (0401, REPEAT_AFTER_S after its 0400) to the survivor, forwarded as the original;
    # the lost node's copy, repeated after REPEAT_AFTER_S, answered from the switch's memory
    assert switch.mti.tolist() == ["0401", "0400"]
    assert switch.arrived_at.tolist() == pytest.approx([AT_ACQUIRER_S + 0.002 + ACQUIRER_TIMEOUT_S + REPEAT_AFTER_S + 0.004, lost_again + REPEAT_AFTER_S], abs=1e-9)
    assert hops[hops.hop == "issuer"].mti.tolist() == ["0100", "0400", "0400"]  # the repeat reached it too, posted once
    assert sim.ledger.balance_tyiyn(account) == before
    assert results.faults[["dropped", "repeated"]].values.tolist() == [[1, 0], [0, 1]]


def test_the_survivors_take_the_load_of_a_busy_ten_minutes(small_day):
    # ~1.7 card payments a second, each held ~1 s by its switch node
    day = small_day.with_overrides({
        "scale": 0.5, "demand.hourly_profile": [1.0] * 24, "demand.duration_s": 600.0, "switch.nodes": 2, "demand.app_channels": {},
        "network.switch_issuer": {"dist": "constant", "mean_s": 0.5},
    })  # fmt: skip
    plain = run(day)
    lost = run(day.with_overrides({"faults": [{"kind": "switch_node_down", "node": 0, "start_s": 300.0, "end_s": 450.0}]}))
    row = lost.faults.iloc[0]
    assert row.dropped >= 1  # the lost node held messages
    tx, base = lost.transactions.set_index("trace_id"), plain.transactions.set_index("trace_id")
    hit = (tx.response_code == "91") & (base.response_code != "91")
    assert hit.sum() == row.dropped  # each lost request is one payment answered 91 by its acquirer
    assert not hit[tx.tapped_at > 300.0].any()  # the survivor answers everything that comes after
    assert row.recovered_at == tx.result_at[hit].max() < 300.0 + ACQUIRER_TIMEOUT_S + 1  # the last casualty's 91
    assert lost.trial_balance_tyiyn == 0


def test_recovery_is_the_last_failure_of_the_burst_that_follows_the_fault():
    import numpy as np

    from elcart_sim.analysis.recovery import recovered_at

    assert recovered_at(100.0, np.array([50.0, 125.0, 150.0, 260.0])) == 150.0  # 260 is a later, separate failure
    assert recovered_at(100.0, np.array([50.0])) == 100.0  # nothing failed after it
    assert recovered_at(100.0, np.array([300.0])) == 100.0  # too late to be its doing
    # a host down from 100 to 1000: sparse failures all through it, then a tail a few seconds apart
    assert recovered_at(100.0, np.array([150.0, 600.0, 1080.0, 1100.0, 1130.0, 1300.0]), 1000.0) == 1130.0


def test_a_terminal_repeats_its_reversal_to_a_down_acquirer_until_it_is_back():
    # The acquirer is down from 0 to 100 s: the 0100 (sent at 4 APDUs + processing = 0.13 s) is
    # lost; at the terminal's timeout (30 s) its 0400 goes out and is lost too, and so are its
    # repeats (0401, every REPEAT_AFTER_S) of 60.13 s and 90.13 s; the 0401 of 120.13 s reaches
    # the acquirer (+ 0.1 s), which passes it on to the switch's repeat entry (+ 0.002 + 0.004 s).
    sim = Simulation(_scenario({"kind": "host_down", "target": "acquirer", "start_s": 0, "end_s": 100}))
    result, results = _tap(sim, _card(sim))
    assert (result.outcome, result.response_code) == ("reversed", "68")
    hops = results.hops
    sent_at = 4 * 0.02 + 0.05
    acquirer = hops[hops.hop == "acquirer"]
    assert acquirer.mti.tolist() == ["0401"]
    assert acquirer.arrived_at.iloc[0] == pytest.approx(sent_at + 30.0 + 3 * REPEAT_AFTER_S + 0.1, abs=1e-9)
    switch = hops[hops.hop == "switch"]
    assert switch.mti.tolist() == ["0401"]
    assert switch.arrived_at.iloc[0] == pytest.approx(sent_at + 30.0 + 3 * REPEAT_AFTER_S + 0.1 + 0.002 + 0.004, abs=1e-9)
    [row] = results.faults.itertuples()
    assert (row.dropped, row.repeated) == (1, 1)
    assert results.trial_balance_tyiyn == 0
