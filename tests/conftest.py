"""Shared fixtures: small scenarios with fixed seeds, built once per session where read-only."""

from __future__ import annotations

import pytest

from elcart_sim import load_scenario, run


@pytest.fixture(scope="session")
def small_scenario():
    """The bundled national day's card side at 0.2 % scale: ~600 card transactions, all 21 banks,
    a few hundred terminals (the app's payments off: the tests on them build their own days)."""
    return load_scenario("national-day", scale=0.002, seed=11, demand__app_channels={})


@pytest.fixture(scope="session")
def small_results(small_scenario):
    return run(small_scenario)
