"""The scenario's `clearing:` section: off by default, validated at the door like the others, and
its figures in the units the clearing core takes."""

from __future__ import annotations

import pytest

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario import ClearingSpec, Scenario


def test_clearing_is_off_by_default_with_one_cutoff():
    spec = Scenario().clearing
    assert spec == ClearingSpec()
    assert spec.enabled is False
    assert spec.cutoffs_s == [18 * 3600]


def test_figures_in_the_cores_units():
    scenario = Scenario().with_overrides(
        {
            "clearing.enabled": True,
            "clearing.cutoffs": ["06:00", "12:00", "16:00", "24:00"],
            "clearing.opening_liquidity_kgs": 1_000.0,
            "clearing.opening_liquidity_by_bank_kgs": {"MBANK": 2_500.5},
            "clearing.net_debit_cap_share": 0.5,
            "clearing.uncovered_rule": "exclude",
        }
    )
    spec = scenario.clearing
    assert spec.cutoffs_s == [21_600, 43_200, 57_600, 86_400]
    assert (spec.opening_liquidity_tyiyn("AIYL"), spec.opening_liquidity_tyiyn("MBANK")) == (100_000, 250_050)
    assert (spec.net_debit_cap_tyiyn("AIYL"), spec.net_debit_cap_tyiyn("MBANK")) == (50_000, 125_025)
    assert Scenario.from_dict(scenario.to_dict()) == scenario


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"clearing.cutoffs": ["12:00", "09:00"]}, "clearing.cutoffs must rise through the day"),
        ({"clearing.cutoffs": ["09:00", "12:00", "18:00"]}, "clearing.cutoffs must list 1, 2 or 4 cut-offs a day, got 3"),
        ({"clearing.cutoffs": ["18h"]}, r"clearing.cutoffs\[0\] must be a local time"),
        ({"clearing.cutoffs": ["00:00"]}, r"clearing.cutoffs\[0\] must be a local time after midnight"),
        ({"clearing.uncovered_rule": "hope"}, "clearing.uncovered_rule must be one of queue, partial, exclude, got 'hope'"),
        ({"clearing.opening_liquidity_by_bank_kgs": {"AIYL": -1}}, "clearing.opening_liquidity_by_bank_kgs.AIYL must be >= 0"),
        ({"clearing.net_debit_cap_share": 1.2}, "clearing.net_debit_cap_share must be between 0 and 1"),
        ({"clearing.alarm_share": -0.1}, "clearing.alarm_share must be between 0 and 1"),
        ({"clearing.breach_declines": "no"}, "clearing.breach_declines must be true or false"),
    ],
)
def test_a_broken_clearing_section_names_path_and_value(overrides, message):
    with pytest.raises(ScenarioError, match=message):
        Scenario().with_overrides(overrides)


def test_unknown_keys_are_refused():
    with pytest.raises(ScenarioError, match="clearing.cycles is not a known key"):
        Scenario.from_dict({"clearing": {"cycles": 4}})
