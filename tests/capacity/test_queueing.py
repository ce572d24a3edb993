"""Queueing formulas against values worked by hand and against the textbook definitions."""

from __future__ import annotations

import math

import pytest

from elcart_sim.capacity.queueing import (
    erlang_b,
    erlang_c,
    min_stable_servers,
    mmc_mean_wait_s,
    mmc_wait_quantile_s,
    mmc_wait_tail,
    relaxation_time_s,
    utilisation,
    wait_quantile_s,
)
from elcart_sim.core.errors import ConfigurationError


def _erlang_c_by_definition(c: int, a: float) -> float:
    """P(wait) = (a^c/c!)·c/(c−a) / (Σ_{k<c} a^k/k! + (a^c/c!)·c/(c−a))."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(("c", "a", "b"), [(1, 1.0, 0.5), (2, 1.0, 0.2), (0, 3.0, 1.0), (3, 0.0, 0.0)])
def test_erlang_b_hand_values(c, a, b):
    assert erlang_b(c, a) == pytest.approx(b, abs=1e-15)


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (2, 1.0), (3, 2.1), (8, 6.4), (40, 35.0)])
def test_erlang_c_matches_its_definition(c, a):
    assert erlang_c(c, a) == pytest.approx(_erlang_c_by_definition(c, a), rel=1e-12)


def test_mm1_is_the_special_case():
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert mmc_mean_wait_s(0.7, 1.0, 1) == pytest.approx(0.7 / 0.3)  # ρ/(μ − λ)
    assert utilisation(0.7, 1.0, 1) == pytest.approx(0.7)


def test_mmc_mean_wait_and_tail():
    c_wait = _erlang_c_by_definition(3, 2.1)
    assert mmc_mean_wait_s(2.1, 1.0, 3) == pytest.approx(c_wait / 0.9)
    assert mmc_wait_tail(2.1, 1.0, 3, 0.0) == pytest.approx(c_wait)
    assert mmc_wait_tail(2.1, 1.0, 3, 2.0) == pytest.approx(c_wait * math.exp(-1.8))
    q = mmc_wait_quantile_s(2.1, 1.0, 3, 0.99)
    assert mmc_wait_tail(2.1, 1.0, 3, q) == pytest.approx(0.01)
    assert mmc_wait_quantile_s(2.1, 1.0, 3, 0.5) == 0.0  # more than half never wait


def test_unstable_queues_wait_forever():
    assert erlang_c(2, 2.0) == 1.0
    assert mmc_mean_wait_s(2.0, 1.0, 2) == math.inf
    assert mmc_wait_tail(3.0, 1.0, 2, 100.0) == 1.0
    assert wait_quantile_s(3.0, 1.0, 2, 0.99) == math.inf
    assert relaxation_time_s(3.0, 1.0, 2) == math.inf


def test_allen_cunneen_scales_the_wait_by_the_variability():
    exponential = wait_quantile_s(0.5, 1.0, 1, 0.99, service_cv=1.0)
    constant = wait_quantile_s(0.5, 1.0, 1, 0.99, service_cv=0.0)
    assert constant == pytest.approx(exponential / 2)
    assert wait_quantile_s(0.5, 0.0, 1, 0.99) == 0.0  # no service time, no queue


def test_min_stable_servers_and_relaxation():
    assert min_stable_servers(2.1, 1.0) == 3
    assert min_stable_servers(3.0, 1.0) == 4  # ρ = 1 is not stable
    assert min_stable_servers(2.1, 1.0, 0.5) == 5
    assert min_stable_servers(0.0, 1.0) == 1
    assert relaxation_time_s(0.25, 1.0, 1) == pytest.approx(4.0)  # 1/(μ(1 − √ρ)²), ρ = 1/4


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_c(0, 1.0), "erlang_c: servers must be >= 1, got 0"),
        (lambda: erlang_b(-1, 1.0), "erlang_b: servers must be >= 0, got -1"),
        (lambda: erlang_b(1, -0.5), "erlang_b: offered_load must be >= 0, got -0.5"),
        (lambda: utilisation(1.0, 0.0, 1), "utilisation: service_rate_per_s must be > 0, got 0.0"),
        (lambda: mmc_mean_wait_s(-1.0, 1.0, 1), "mmc_mean_wait_s: arrival_rate_per_s must be >= 0, got -1.0"),
        (lambda: mmc_wait_tail(1.0, 2.0, 0, 0.0), "mmc_wait_tail: servers must be >= 1, got 0"),
        (lambda: wait_quantile_s(0.5, 1.0, 1, 1.0), "wait_quantile_s: q must be between 0 and 1 (exclusive), got 1.0"),
        (lambda: min_stable_servers(1.0, 1.0, 0.0), "min_stable_servers: max_utilisation must be in (0, 1], got 0.0"),
    ],
)
def test_bad_inputs_are_refused(call, message):
    with pytest.raises(ConfigurationError) as info:
        call()
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)  # callers that catch ValueError still do
