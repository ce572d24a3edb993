"""Scenarios load into frozen, validated objects; broken ones fail at the door, naming the path."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from elcart_sim import ScenarioError, load_scenario, scenario_names
from elcart_sim.scenario import Scenario, spec_key

BASE = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "national-day.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_default_loads_and_is_frozen():
    scenario = load_scenario("national-day")
    assert "national-day" in scenario_names()
    assert scenario.name == "national-day"
    assert scenario.population.cards == 3_651_617
    assert scenario.switch.servers == 16
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("swich:\n  servers: 4\n", "swich is not a known key"),
        ("switch:\n  servers: 0\n", "switch.servers must be > 0, got 0"),
        ("switch:\n  servers: 2.5\n", "switch.servers must be an integer, got float 2.5"),
        ("switch:\n  servers: four\n", "switch.servers must be an integer, got str 'four'"),
        ("demand:\n  transactions_per_day: -5\n", "demand.transactions_per_day must be > 0, got -5.0"),
        ("issuer:\n  service_time: {dist: gamma, mean_s: 0.1}\n", "issuer.service_time.dist must be one of"),
        ("issuer:\n  service_time: {dist: lognormal, mean_s: -0.1}\n", "issuer.service_time.mean_s must be >= 0, got -0.1"),
        ("population:\n  enrolment_share: 1.5\n", "population.enrolment_share must be between 0 and 1, got 1.5"),
        ("population:\n  phone:\n    nfc: 0.5\n", "population.phone.nfc is not a known key"),
        ("demand:\n  hourly_profile: [1, 2, 3]\n", "demand.hourly_profile must list 24 hourly weights, got 3"),
        ("seed: 1\nseed: 2\n", "seed appears twice"),
        ("scale: 0\n", "scale must be > 0, got 0.0"),
        ("date: 2025-13-01\n", "date must be a date like 2025-07-01, got '2025-13-01'"),
        ("date: 20250701\n", "date must be a string, got int 20250701"),
        ("date: '2025-13-01'\n", "date must be a date like 2025-07-01"),
        ("terminal:\n  aid: F00G\n", "terminal.aid must be an even number of hex digits"),
        ("terminal:\n  timeout_s: 5\n", "terminal.timeout_s must exceed acquirer.timeout_s"),
        ("- just\n- a list\n", "scenario must be a mapping"),
        ("switch: [1, 2\n", "is not valid YAML"),
    ],
)
def test_broken_scenario_names_path_and_value(tmp_path, yaml_text, message):
    path = write(tmp_path, yaml_text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_unknown_scenario_name_lists_the_bundled_ones():
    with pytest.raises(ScenarioError, match="no scenario named 'nope'; bundled: .*national-day"):
        load_scenario("nope")


def test_overrides_use_dotted_paths_and_validate():
    scenario = load_scenario("national-day").with_overrides({"switch.servers": 3, "scale": 0.5})
    assert scenario.switch.servers == 3 and scenario.scale == 0.5
    with pytest.raises(ScenarioError, match="switch.servers must be > 0, got -1"):
        scenario.with_overrides({"switch.servers": -1})
    with pytest.raises(ScenarioError, match="switch.cores is not a scenario field"):
        scenario.with_overrides({"switch.cores": 2})


def test_defaults_round_trip_through_dict():
    scenario = load_scenario("national-day")
    assert Scenario.from_dict(scenario.to_dict()) == scenario


def test_broken_scenario_on_the_command_line_runs_nothing(tmp_path):
    path = write(tmp_path, "switch:\n  servers: 0\n")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "elcart_sim.cli", "run", "--scenario", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "elcart-sim: error: switch.servers must be > 0, got 0" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_spec_key_stands_for_a_spec_in_a_cache():
    base = load_scenario("national-day", scale=0.001)
    with pytest.raises(TypeError):
        hash(base.population)  # dict fields: a spec cannot be a key itself
    same = load_scenario("national-day", scale=0.001)
    assert spec_key(base.population) == spec_key(same.population)
    assert hash(spec_key(base.population)) == hash(spec_key(same.population))
    changed = base.with_overrides({"population.phone.android_versions": {"14": 1.0}})
    assert spec_key(changed.population) != spec_key(base.population)
    reordered = dict(reversed(base.population.card_status.items()))
    swapped = base.with_overrides({"population.card_status": reordered})
    assert swapped.population == base.population  # equal as values…
    assert spec_key(swapped.population) != spec_key(base.population)  # …but drawn in another order
