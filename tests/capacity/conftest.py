"""Small scenarios for the capacity tests: a tiny national day and a textbook queue."""

from __future__ import annotations

import pytest

from elcart_sim import load_scenario
from elcart_sim.capacity import queue_scenario


@pytest.fixture(scope="session")
def tiny_scenario():
    """The national day's card side at 0.05 % scale in the fast fidelity: ~150 card transactions, a
    fraction of a second (the app's payments off: tests/capacity/test_service_sizing.py sizes them)."""
    return load_scenario("national-day", scale=0.0005, seed=5, fidelity="fast", demand__app_channels={})


@pytest.fixture(scope="session")
def mm2_scenario():
    """The switch as M/M/2 (λ = 1.5/s, mean service 1 s), ~150 customers after a 50 s warm-up."""
    return queue_scenario(2, 1.5, 1.0, customers=150, warmup_s=50.0, seed=3)
