"""Sizing: the peak window, the analytic guess confirmed by simulation, minimality, growth."""

from __future__ import annotations

import pytest

from elcart_sim import load_scenario
from elcart_sim.capacity import host_loads, peak_window, queue_scenario, size
from elcart_sim.core.errors import CapacityError
from elcart_sim.world.demand import card_side_rates_per_s


@pytest.fixture(scope="module")
def slow_switch():
    """A chain whose switch is slow (exponential, mean 1 s, 2 servers) and everything else fast."""
    return queue_scenario(2, 0.5, 1.0, seed=7).with_overrides({"acquirer.servers": 4, "issuer.servers": 4})


@pytest.fixture(scope="module")
def report(slow_switch):
    return size(slow_switch, 6.0, taps=300, replications=2, max_years=8)


def test_peak_window_is_the_busiest_hour_alone():
    day = load_scenario("national-day", demand__app_channels={})
    rates = card_side_rates_per_s(day)
    window = peak_window(day, taps=1_000)
    assert window.peak_hour == rates.index(max(rates)) == 18
    assert window.rate_per_s == pytest.approx(max(rates))
    peak = window.scenario
    assert peak.demand.hourly_profile == [1.0] * 24 and peak.fidelity == "fast"
    assert card_side_rates_per_s(peak)[0] == pytest.approx(window.rate_per_s)
    assert peak.demand.duration_s == window.warmup_s + window.window_s
    assert window.window_s >= 1_000 / window.rate_per_s
    assert window.window_s % peak.monitor_interval_s == 0 and window.warmup_s == peak.monitor_interval_s
    grown = peak_window(day, years=2, growth_per_year=0.3, taps=1_000)
    assert grown.rate_per_s == pytest.approx(window.rate_per_s * 1.3**2)


def test_sizes_each_host_to_its_minimum(report):
    assert report.bottleneck == "switch"
    assert report.feasible
    assert report.sized_servers == {"acquirer": 1, "switch": 2, "issuer": 1}
    assert report.sized.meets and report.sized_minimal
    evaluations = report.evaluations.set_index(["acquirer_servers", "switch_servers", "issuer_servers", "years"])
    assert not evaluations.loc[(1, 1, 1, 0.0), "meets"]  # one switch server fewer misses the target
    assert report.analytic_servers["switch"] == 2


def test_counts_the_years_of_growth(report):
    growth = report.growth
    assert growth.growth_per_year == pytest.approx(0.30)  # the scenario's demand.growth_per_year
    assert growth.years_absorbed is not None and growth.breaks_in_year == growth.years_absorbed + 1
    by_year = {e.years: e for e in growth.evaluations}
    assert by_year[growth.years_absorbed].meets and not by_year[growth.breaks_in_year].meets
    assert growth.first_to_break == "switch"
    text = report.table()
    assert f"absorb {growth.years_absorbed} year(s)" in text and "bottleneck at the peak" in text
    assert report.to_dict()["growth"]["breaks_in_year"] == growth.breaks_in_year


def test_a_target_below_the_no_queue_latency_cannot_be_met(slow_switch):
    report = size(slow_switch, 1.0, taps=200, replications=2, growth=False)
    assert not report.feasible and report.sized_servers is None
    assert report.floor_p99_s > 1.0
    assert "no server count meets 1 s" in report.table()


def test_bad_requests_are_refused(slow_switch):
    with pytest.raises(CapacityError, match="target p99 must be > 0 s"):
        size(slow_switch, 0.0)
    with pytest.raises(CapacityError, match=">= 2 replications"):
        size(slow_switch, 6.0, replications=1)


def test_issuer_loads_are_the_population_s_shares_cached_by_its_spec():
    from elcart_sim.capacity import hosts

    day = load_scenario("national-day", scale=0.001, demand__app_channels={})
    issuers = [load for load in host_loads(day, rate_per_s=10.0) if load.component.startswith("issuer:")]
    assert sum(load.arrival_rate_per_s for load in issuers) == pytest.approx(10.0)
    again = load_scenario("national-day", scale=0.001, demand__app_channels={})
    assert hosts._model(again) is hosts._model(day)  # an equal spec: built once
    fewer = day.with_overrides({"population.cards": 2_000_000})
    assert hosts._model(fewer)[1] != hosts._model(day)[1]
