"""Fault plans: the scenario's `faults` section validated like every field (errors name
`faults[i].<key>`), read into a plan of Fault records, and random plans drawn from a seed —
the same plan for the same seed, a mix of kinds over seeds, and each one a valid section."""

from __future__ import annotations

import pytest

from elcart_sim import ScenarioError, load_scenario
from elcart_sim.faults import Fault, as_specs, plan_of, random_plan
from elcart_sim.scenario.choices import FAULT_KINDS


@pytest.fixture(scope="module")
def day():
    return load_scenario("national-day", scale=0.002, seed=5)


def _with(day, *faults, **more):
    return day.with_overrides({"faults": list(faults), **more})


@pytest.mark.parametrize(
    ("fault", "path", "words"),
    [
        ({"kind": "outage"}, "faults[1].kind", "must be one of host_down, link"),
        ({"kind": "host_down", "target": "issuer"}, "faults[1].target", "must name one issuer"),
        ({"kind": "host_down", "target": "mainframe"}, "faults[1].target", "must name a host"),
        ({"kind": "host_down", "target": "acquirer:AIYL"}, "faults[1].target", "with nothing after it"),
        ({"kind": "host_down", "target": "acquirer", "rate": 0.1}, "faults[1].rate", "does not apply to a host_down fault"),
        ({"kind": "host_down", "target": "acquirer", "start_s": 50, "end_s": 40}, "faults[1].end_s", "must be after start_s"),
        ({"kind": "host_down", "target": "acquirer", "start_s": -1}, "faults[1].start_s", "must be >= 0"),
        ({"kind": "host_down", "target": "acquirer", "start_s": 90_000}, "faults[1].start_s", "within the day's demand"),
        ({"kind": "link", "target": "switch_issuer"}, "faults[1].drop_share", "must drop a share of messages or delay"),
        ({"kind": "link", "target": "switch_issuer", "drop_share": 1.5}, "faults[1].drop_share", "between 0 and 1"),
        ({"kind": "link", "target": "acquirer_switch:AIYL", "delay_s": 1}, "faults[1].target", "must name a link"),
        ({"kind": "link", "target": "switch_issuer", "delay_s": 1, "node": 1}, "faults[1].node", "does not apply to a link fault"),
        ({"kind": "duplicates", "target": "switch_issuer"}, "faults[1].rate", "must be > 0"),
        ({"kind": "switch_node_down", "node": 1}, "faults[1].node", "must be a node of the switch"),
        ({"kind": "clearing_late", "delay_s": 600}, "faults[1].kind", "needs clearing.enabled"),
        ({"kind": "host_down", "target": "acquirer", "colour": "red"}, "faults[1].colour", "is not a known key"),
    ],
)
def test_a_bad_fault_is_refused_naming_its_key(day, fault, path, words):
    good = {"kind": "duplicates", "target": "switch_issuer", "rate": 0.01}
    with pytest.raises(ScenarioError) as caught:
        _with(day, good, fault)
    assert caught.value.path == path
    assert words in caught.value.problem


def test_the_clearing_faults_check_the_cut_offs(day):
    with pytest.raises(ScenarioError) as caught:
        _with(day, {"kind": "clearing_late", "cutoff": 1, "delay_s": 600}, **{"clearing.enabled": True})
    assert caught.value.path == "faults[0].cutoff"
    plan = plan_of(_with(day, {"kind": "clearing_late", "cutoff": 0, "delay_s": 600}, **{"clearing.enabled": True}))
    assert plan == (Fault("clearing_late", "clearing", 64_800.0, 65_400.0, (("cutoff", 0.0), ("delay_s", 600.0))),)


def test_no_section_is_an_empty_plan(day):
    assert day.faults == [] and plan_of(day) == ()


def test_the_section_reads_into_a_plan_with_open_ends_closed_at_the_day_s_end(day):
    scenario = _with(
        day,
        {"kind": "host_down", "target": "issuer:AIYL", "start_s": 36_000, "end_s": 37_800},
        {"kind": "link", "target": "switch_issuer:RSK", "drop_share": 0.05, "start_s": 43_200},
        {"kind": "duplicates", "target": "acquirer_switch", "rate": 0.01},
        {"kind": "switch_node_down", "node": 1, "start_s": 50_000, "end_s": 50_600},
        **{"switch.nodes": 2},
    )
    assert plan_of(scenario) == (
        Fault("host_down", "issuer:AIYL", 36_000.0, 37_800.0),
        Fault("link", "switch_issuer:RSK", 43_200.0, 86_400.0, (("drop_share", 0.05), ("delay_s", 0.0))),
        Fault("duplicates", "acquirer_switch", 0.0, 86_400.0, (("rate", 0.01),)),
        Fault("switch_node_down", "switch", 50_000.0, 50_600.0, (("node", 1.0),)),
    )


def test_a_random_plan_is_the_same_for_the_same_seed_and_differs_between_seeds(day):
    assert random_plan(7, day) == random_plan(7, day)
    assert random_plan(7, day) != random_plan(8, day)
    assert len(random_plan(7, day, n_faults=5)) == 5


def test_random_plans_mix_the_kinds_and_fall_within_the_day(day):
    scenario = day.with_overrides({"switch.nodes": 3, "clearing.enabled": True})
    plans = [random_plan(seed, scenario, n_faults=4) for seed in range(60)]
    kinds = {fault.kind for plan in plans for fault in plan}
    assert kinds == set(FAULT_KINDS)
    targets = {fault.target for plan in plans for fault in plan}
    assert len({t for t in targets if t.startswith("issuer:")}) >= 10
    for plan in plans:
        for fault in plan:
            assert 0 <= fault.start_s < fault.end_s
            if fault.kind != "clearing_late":
                assert fault.end_s <= scenario.demand.duration_s


def test_a_random_plan_written_as_a_section_validates_and_reads_back_the_same(day):
    scenario = day.with_overrides({"switch.nodes": 2, "clearing.enabled": True})
    for seed in range(20):
        plan = random_plan(seed, scenario, n_faults=4)
        assert plan_of(scenario.with_overrides({"faults": as_specs(plan)})) == plan


def test_a_random_plan_leaves_out_what_the_day_does_not_have(day):
    plain = day.with_overrides({"demand.app_channels": {}})
    kinds = {fault.kind for seed in range(40) for fault in random_plan(seed, plain)}
    targets = {fault.target for seed in range(40) for fault in random_plan(seed, plain)}
    assert "switch_node_down" not in kinds and "clearing_late" not in kinds
    assert not {"directory", "biller_gateway", "interaction_operator", "app_directory", "app_gateway", "app_operator"} & targets
