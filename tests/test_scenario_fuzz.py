"""Scenario files under hostile input: the security and fraud sections validate like the rest, and
whatever a YAML file holds, loading it either gives a Scenario or raises ScenarioError."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elcart_sim import ScenarioError, load_scenario
from elcart_sim.scenario import Scenario


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("security:\n  kernel: k9\n", "security.kernel must be one of qvsdc, mchip, got 'k9'"),
        ("security:\n  cryptogram_version: 256\n", "security.cryptogram_version must be one byte (0-255), got 256"),
        ("security:\n  require_cdcvm: 1\n", "security.require_cdcvm must be true or false, got 1"),
        ("security:\n  max_atc_jump: 0\n", "security.max_atc_jump must be > 0, got 0"),
        ("security:\n  keys:\n    batch_size: 3\n    replenish_threshold: 3\n",
         "security.keys.replenish_threshold must be below security.keys.batch_size (3), got 3"),
        ("security:\n  keys:\n    offline_share: 1.5\n", "security.keys.offline_share must be between 0 and 1, got 1.5"),
        ("security:\n  provisioning:\n    idv_failure_share: -0.1\n",
         "security.provisioning.idv_failure_share must be between 0 and 1, got -0.1"),
        ("security:\n  lifecycle:\n    suspenion_share: 0.1\n", "security.lifecycle.suspenion_share is not a known key"),
        ("fraud:\n  attempts: {relay: -1}\n", "fraud.attempts.relay must be >= 0, got -1"),
        ("fraud:\n  attempts: {skimming: 3}\n", "fraud.attempts.skimming is not an attack kind (replayed_authorisation,"),
        ("fraud:\n  attempts: {relay: 2.5}\n", "fraud.attempts.relay must be an integer, got float 2.5"),
        ("fraud:\n  relay_delay: {dist: gamma}\n", "fraud.relay_delay.dist must be one of"),
    ],
)  # fmt: skip
def test_security_and_fraud_settings_are_validated_naming_path_and_value(tmp_path, yaml_text, message):
    path = write(tmp_path, yaml_text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_security_defaults_are_the_bundled_day_and_hex_versions_read_as_numbers(tmp_path):
    assert load_scenario("national-day").security == Scenario().security
    assert load_scenario(write(tmp_path, "security:\n  cryptogram_version: 0x2B\n")).security.cryptogram_version == 43


_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)  # fmt: skip
_value = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=10)
_BASE = load_scenario("national-day").to_dict()


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))


_PATHS = sorted(_paths(_BASE))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_PATHS), _value), min_size=1, max_size=3))
def test_fuzz_any_field_replaced_by_anything_gives_a_scenario_or_a_scenario_error(changes):
    raw = copy.deepcopy(_BASE)
    for path, value in changes:
        node = raw
        for key in path[:-1]:  # an earlier change may have replaced a section by a leaf: skip then
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node[path[-1]] = value
    try:
        Scenario.from_dict(raw, source="fuzz")
    except ScenarioError as exc:
        assert exc.path is not None and str(exc)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), st.sampled_from(["a: [", "{", ": :", "- - -", "seed: !!python/object:os.system x", "x: &a [*a]"])))
def test_fuzz_any_yaml_text_gives_a_scenario_or_a_scenario_error(text):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert str(path) in str(exc) or "does not exist" in str(exc)
