"""HSM pools and per-bank issuing hosts: an authorisation's HSM calls queued at IPC's and the
issuer's HSMs, with every delay fixed, so its times are exact sums."""

from __future__ import annotations

import pytest
import simpy
from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, load_scenario
from elcart_sim.capacity.hosts import configured_servers, host_spec, with_servers
from elcart_sim.core.errors import ScenarioError
from elcart_sim.core.records import Records
from elcart_sim.hosts.hsm import Hsm
from elcart_sim.scenario import HsmSpec, Scenario
from elcart_sim.world.population import CARD_STATUSES

BASE_TAP_S = 4 * 0.02 + 0.05 + 2 * 0.1 + 0.002 + 2 * 0.004 + 0.001 + 2 * 0.003 + 0.006  # tests/test_end_to_end.py
HSM = {
    "hsm.enabled": True,
    "hsm.switch": {"servers": 2, "calls_per_s": 500.0},  # 2 ms a call
    "hsm.issuer": {"servers": 1, "calls_per_s": 100.0},  # 10 ms a call
    "hsm.issuers": {},
    "hsm.calls": {"switch": {"0100": 1}, "issuer": {"0100": 2, "0200": 1}},
}


def _sim(**overrides) -> Simulation:
    return Simulation(load_scenario("national-day", seed=99).with_overrides({**FIXED_DELAYS, **HSM, **overrides}))


def _card(sim: Simulation) -> int:
    pop = sim.population
    for card in pop.enrolled_cards:
        if CARD_STATUSES[pop.card_status[card]] == "active" and pop.opening_balance_tyiyn[card] >= 100_000:
            return int(card)
    raise AssertionError("no such card")


def test_an_authorisation_waits_for_ipcs_and_the_issuers_hsm():
    sim = _sim()
    card = _card(sim)
    bank = sim.population.bank_of_card(card).code
    result = sim.tap(card, terminal=0, amount_tyiyn=100_00)
    assert result.outcome == "approved"
    row = sim.records.transactions.to_frame().iloc[0]
    # one 2 ms call at IPC's HSM, two 10 ms calls at the bank's
    assert row.tap_to_result_s == pytest.approx(BASE_TAP_S + 0.002 + 0.020, abs=1e-12)
    hops = sim.records.hops.to_frame()
    assert list(zip(hops.hop, hops.issuer)) == [("hsm", ""), ("hsm", bank), ("issuer", bank), ("switch", bank), ("acquirer", bank)]
    by = {(h.hop, h.issuer): h for h in hops.itertuples()}
    switch, issuer = by["switch", bank], by["issuer", bank]
    ipc_hsm, bank_hsm = by["hsm", ""], by["hsm", bank]
    assert switch.finished_at - switch.started_at == pytest.approx(0.001)  # the host's own service only
    assert ipc_hsm.arrived_at == ipc_hsm.started_at == switch.finished_at
    assert ipc_hsm.finished_at == pytest.approx(switch.finished_at + 0.002, abs=1e-12)
    assert issuer.arrived_at == pytest.approx(ipc_hsm.finished_at + 0.003, abs=1e-12)  # then the link
    assert bank_hsm.arrived_at == issuer.finished_at
    assert bank_hsm.finished_at == pytest.approx(issuer.finished_at + 0.020, abs=1e-12)
    assert (ipc_hsm.mti, bank_hsm.mti) == ("0100", "0100")


def test_hsm_calls_queue_fifo_on_its_units():
    env = simpy.Environment()
    records = Records()
    hsm = Hsm(env, "hsm.test", HsmSpec(servers=1, calls_per_s=100.0), records.hops, "AIYL")
    answered = []
    for trace_id in (1, 2, 3):
        hsm.call(1 if trace_id != 2 else 2, "0100", trace_id, lambda at, t: answered.append((t, at, env.now)), trace_id)
    env.run()
    assert answered == [(1, pytest.approx(0.01), pytest.approx(0.01)), (2, pytest.approx(0.03), pytest.approx(0.03)),
                        (3, pytest.approx(0.04), pytest.approx(0.04))]  # fmt: skip
    hops = records.hops.to_frame()
    assert list(hops.started_at) == pytest.approx([0.0, 0.01, 0.03])
    assert set(hops.issuer) == {"AIYL"} and set(hops.hop) == {"hsm"}


def test_a_message_the_host_cannot_read_calls_no_hsm():
    sim = _sim()
    answers = []
    sim.switch.authorise(b"\x00garbage", 7, answers.append)  # national-day runs at the wire fidelity
    sim.env.run()
    hops = sim.records.hops.to_frame()
    assert list(hops.hop) == ["switch"] and list(hops.response_code) == ["30"]


def test_off_no_hsm_is_built_and_the_tap_takes_the_base_time():
    sim = _sim(**{"hsm.enabled": False})
    assert sim.hsms == {} and "hsm" not in sim.registry
    sim.tap(_card(sim), terminal=0, amount_tyiyn=100_00)
    assert sim.records.transactions.to_frame().iloc[0].tap_to_result_s == pytest.approx(BASE_TAP_S, abs=1e-12)


def test_per_bank_hosts_and_hsms_are_components_with_their_own_spec():
    sim = _sim(**{
        "issuers": {"AIYL": {"servers": 8, "service_time": {"dist": "constant", "mean_s": 0.06}, "timeout_s": 10}},
        "hsm.issuers": {"AIYL": {"servers": 1, "calls_per_s": 250.0}},
    })  # fmt: skip
    registry = sim.registry
    assert registry["issuer:AIYL"].spec == "issuers.AIYL" and registry["issuer:AIYL"].servers == 8
    assert registry["issuer:RSK"].spec == "issuer"
    assert registry["hsm"].spec == "hsm.switch" and registry["hsm"].servers == 2
    assert registry["hsm:AIYL"].spec == "hsm.issuers.AIYL" and registry["hsm:RSK"].spec == "hsm.issuer"
    assert len([c for c in registry if c.hop == "hsm"]) == 1 + len(sim.population.banks)
    aiyl = sim.issuers[next(b.index for b in sim.population.banks if b.code == "AIYL")]
    assert aiyl.pool.capacity == 8 and aiyl.hsm.call_s == pytest.approx(0.004)


def test_sizing_reads_and_changes_a_banks_host_and_hsm():
    scenario = load_scenario("salary-day-peak")
    assert host_spec(scenario, "issuers.AIYL").servers == 8
    assert host_spec(scenario, "hsm.issuers.AIYL").service_time.mean_s == pytest.approx(1 / 250)
    servers = configured_servers(scenario)
    assert servers["hsm.switch"] == 2 and servers["issuers.MBANK"] == 8 and servers["issuer"] == 2
    more = with_servers(scenario, {"hsm.issuers.AIYL": 3, "issuers.AIYL": 9})
    assert more.hsm.issuers["AIYL"].servers == 3 and more.issuers["AIYL"].servers == 9


@pytest.mark.parametrize(
    "raw,path",
    [
        ({"hsm": {"calls": {"acquirer": {"0100": 1}}}}, "hsm.calls.acquirer"),
        ({"hsm": {"calls": {"switch": {"100": 1}}}}, "hsm.calls.switch.100"),
        ({"hsm": {"calls": {"switch": {"0100": -1}}}}, "hsm.calls.switch.0100"),
        ({"hsm": {"switch": {"servers": 0}}}, "hsm.switch.servers"),
        ({"hsm": {"issuers": {"AIYL": {"calls_per_s": 0}}}}, "hsm.issuers.AIYL.calls_per_s"),
        ({"issuers": {"AIYL": {"servers": 0}}}, "issuers.AIYL.servers"),
    ],
)
def test_bad_fields_name_their_dotted_path(raw, path):
    with pytest.raises(ScenarioError) as error:
        Scenario.from_dict(raw)
    assert error.value.path == path


@pytest.mark.parametrize("field", ["issuers", "hsm.issuers"])
def test_a_bank_the_population_lacks_is_refused(field):
    spec = {"servers": 1, "calls_per_s": 60.0} if field == "hsm.issuers" else {"servers": 1}
    with pytest.raises(ScenarioError) as error:
        _sim(**{field: {"NOBANK": spec}})
    assert error.value.path == f"{field}.NOBANK"


def test_ipcs_hsm_is_called_for_a_token_not_for_a_card_number():
    sim = _sim()
    token = {"t": "0100", "2": sim.population.banks[0].token_bin + "0000000000"}
    card = {"t": "0100", "2": sim.population.banks[0].card_bin + "0000000000"}
    assert sim.switch.hsm_calls_for(token) == 1 and sim.switch.hsm_calls_for(card) == 0
    assert sim.switch.hsm_calls_for({"t": "0200", "2": card["2"]}) == 0  # hsm.calls.switch names 0100 only
    issuer = sim.issuers[0]
    assert issuer.hsm_calls_for(card) == 2 and issuer.hsm_calls_for({"t": "0200"}) == 1 and issuer.hsm_calls_for({"t": "0400"}) == 0
