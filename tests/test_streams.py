"""Named random streams: reproducible, independent, and unshifted by new streams."""

from __future__ import annotations

import numpy as np
import pytest

from elcart_sim.core.errors import ConfigurationError
from elcart_sim.core.streams import Distribution, RandomStreams
from elcart_sim.scenario import DISTRIBUTIONS


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = RandomStreams(5).generator("demand.arrivals").random(4)
    b = RandomStreams(5).generator("demand.arrivals").random(4)
    c = RandomStreams(6).generator("demand.arrivals").random(4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_adding_a_stream_does_not_shift_another():
    streams = RandomStreams(5)
    before = streams.sampler("switch.service_time", Distribution("exponential", 1.0))
    first = [before() for _ in range(5)]
    streams2 = RandomStreams(5)
    _ = streams2.sampler("a.new.stream", Distribution("exponential", 1.0))()
    after = streams2.sampler("switch.service_time", Distribution("exponential", 1.0))
    assert [after() for _ in range(5)] == first


def test_replications_differ():
    a = RandomStreams(5, replication=0).generator("x").random()
    b = RandomStreams(5, replication=1).generator("x").random()
    assert a != b


@pytest.mark.parametrize("kind,cv", [("exponential", 1.0), ("lognormal", 0.5), ("uniform", 0.3)])
def test_distributions_have_their_mean_and_cv(kind, cv):
    sampler = RandomStreams(1).sampler("t", Distribution(kind, 2.0, cv))
    values = np.array([sampler() for _ in range(200_000)])
    assert values.mean() == pytest.approx(2.0, rel=0.01)
    assert values.std() / values.mean() == pytest.approx(cv, rel=0.02)


@pytest.mark.parametrize("kind", DISTRIBUTIONS)
def test_every_kind_a_scenario_names_is_drawn(kind):
    assert RandomStreams(1).sampler("t", Distribution(kind, 2.0, 0.5))() >= 0.0


def test_constant_is_exact():
    sampler = RandomStreams(1).sampler("t", Distribution("constant", 0.25))
    assert [sampler() for _ in range(3)] == [0.25, 0.25, 0.25]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: RandomStreams(-1), "RandomStreams: seed must be >= 0, got -1"),
        (lambda: RandomStreams(1).integers("t", 0), "IntegerSampler: high must be > 0, got 0"),
        (
            lambda: RandomStreams(1).sampler("t", Distribution("gamma", 1.0))(),
            "Distribution: unknown kind 'gamma' (the kinds: DISTRIBUTIONS in scenario/choices.py)",
        ),
    ],
)
def test_bad_parameters_are_refused_by_name(call, message):
    with pytest.raises(ConfigurationError) as info:
        call()
    assert str(info.value) == message
