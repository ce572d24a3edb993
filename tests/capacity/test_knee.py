"""The knee: the load multiple at which each host is 80 % busy, from the analytic loads, and the
year growth gets it there; checked against a simulated peak."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from elcart_sim import load_scenario
from elcart_sim.capacity.hosts import card_side_peak, card_side_per_s, host_loads, peak_growth
from elcart_sim.capacity.knee import KNEE_UTILISATION, first_knee, knee_table, knee_text, peak_rate_per_s, simulated_utilisation
from elcart_sim.world.demand import hourly_rates_per_s


@pytest.fixture(scope="module")
def peak_day():
    return load_scenario("salary-day-peak", scale=0.05, seed=4)


def test_the_knee_multiple_is_the_utilisation_ratio_and_its_year_the_growth_log(peak_day):
    table = knee_table(peak_day, rate_per_s=2.0)
    loads = {load.component: load for load in host_loads(peak_day, rate_per_s=2.0)}
    # the hosts, then the day's lines with a bandwidth (tests/test_links.py)
    assert list(table["component"])[: len(loads)] == list(loads)
    assert all(c.startswith("link:") for c in list(table["component"])[len(loads) :])
    table = table[table["component"].isin(loads)]
    g = peak_day.demand.growth_per_year
    grown = peak_growth(peak_day, g)
    for row in table.itertuples():
        assert row.utilisation == pytest.approx(loads[row.component].utilisation)
        assert row.knee_multiple == (pytest.approx(KNEE_UTILISATION / row.utilisation) if row.utilisation else math.inf)
        if row.utilisation:  # a crediting day: the echo grows with the cards, the channels at g
            assert grown(row.years_to_knee) == pytest.approx(row.knee_multiple, rel=0.01)
            assert row.years_to_knee > math.log(row.knee_multiple) / math.log(1 + g)
            assert row.knee_year == 2025 + math.ceil(row.years_to_knee)
        else:  # a pool the peak's card side does not load (e.g. the credits' batch posting)
            assert math.isinf(row.years_to_knee) and pd.isna(row.knee_year)
    # IPC's HSM: 2 units at 250 calls/s, one call per phone tap (a plastic card's cryptogram is its
    # issuer's): 2 card transactions/s, the phone taps' share of them at the peak (the credits'
    # echo's taps with the day's), keep it that busy
    peak = card_side_peak(peak_day)
    assert peak.total_per_s == pytest.approx(float(np.max(card_side_per_s(peak_day))))
    tap_share = (hourly_rates_per_s(peak_day, "contactless")[peak.hour] + sum(peak.echo_taps_per_s.values())) / peak.total_per_s
    hsm = table.set_index("component").loc["hsm"]
    assert 0 < tap_share < 1 and hsm.utilisation == pytest.approx(2.0 * tap_share / 500.0)
    assert first_knee(table) == table.loc[table["knee_multiple"].idxmin(), "component"]


def test_when_the_cards_grow_as_the_payments_the_knee_year_is_the_growth_log(peak_day):
    """The echo is a share of the cards: when they grow at g too, the whole peak grows as
    (1 + g)^y and the knee comes ln m ÷ ln(1 + g) years ahead; when they do not, later."""
    g = peak_day.demand.growth_per_year
    together = peak_day.with_overrides({"population.card_growth_per_year": g})
    assert peak_growth(together, g)(7.5) == pytest.approx((1 + g) ** 7.5)
    assert peak_growth(peak_day, g)(7.5) < (1 + g) ** 7.5
    table = knee_table(together, rate_per_s=2.0)
    busy = table[table["utilisation"] > 0]
    assert busy["years_to_knee"].tolist() == pytest.approx((np.log(busy["knee_multiple"]) / math.log(1 + g)).tolist(), abs=0.01)
    assert peak_growth(load_scenario("national-day", scale=0.01), g) is None  # no credits: the closed form


def test_the_peak_rate_is_the_busiest_hours(peak_day):
    default = knee_table(peak_day)
    at_peak = knee_table(peak_day, rate_per_s=peak_rate_per_s(peak_day))
    assert default["utilisation"].tolist() == pytest.approx(at_peak["utilisation"].tolist())


def test_past_the_knee_it_is_now_and_without_growth_never(peak_day):
    past = knee_table(peak_day, rate_per_s=1_000.0)
    assert (past.loc[past["knee_multiple"] <= 1, "years_to_knee"] == 0).all()
    assert (past.loc[past["knee_multiple"] <= 1, "knee_year"] == 2025).all()
    flat = knee_table(peak_day, rate_per_s=2.0, growth_per_year=0.0)
    assert flat["years_to_knee"].map(math.isinf).all() and flat["knee_year"].isna().all()
    text = knee_text(flat, growth_per_year=0.0)
    assert "never" in text and f"first to the knee: {first_knee(flat)}" in text


def test_the_analytic_utilisation_matches_a_simulated_peak(peak_day):
    table = knee_table(peak_day)
    simulated = simulated_utilisation(peak_day, taps=3_000).set_index("component")["simulated_utilisation"]
    analytic = table.set_index("component")["utilisation"]
    for host in ("acquirer", "switch"):  # every card transaction: a few per cent of noise at most
        assert simulated[host] == pytest.approx(analytic[host], rel=0.05)
    # IPC's HSM sees the phone taps only, ~150 of the 3,000: 3 × 1/√150 of Poisson noise
    assert simulated["hsm"] == pytest.approx(analytic["hsm"], rel=0.25)
    issuers = [c for c in analytic.index if c.startswith(("issuer:", "hsm:"))]
    assert sum(simulated[c] for c in issuers) == pytest.approx(sum(analytic[c] for c in issuers), rel=0.1)


def test_knee_curves_rise_in_proportion_and_the_plot_draws_them(peak_day):
    from elcart_sim.analysis import plots
    from elcart_sim.capacity.knee import knee_curves

    table = knee_table(peak_day, rate_per_s=2.0)
    curves = knee_curves(table, hosts=3, points=20)
    assert list(dict.fromkeys(curves["component"])) == list(table.nsmallest(3, "knee_multiple")["component"])
    for component, part in curves.groupby("component"):
        now = table.set_index("component").loc[component, "utilisation"]
        assert part["utilisation"].to_numpy() == pytest.approx(now * part["load_multiple"].to_numpy())
        assert part["mean_wait_s"].is_monotonic_increasing
    fig = plots.knee_curves(curves)
    assert len(fig.axes) == 2


def test_the_sizing_curves_default_to_the_specs_nearest_their_knee(peak_day):
    from elcart_sim.capacity.hosts import sized_hosts
    from elcart_sim.capacity.knee import nearest_knee_specs

    specs = nearest_knee_specs(peak_day, 8)
    assert len(specs) == 8 and set(specs) <= set(sized_hosts(peak_day))
    # the whole card side loads the banks' issuing hosts; a plastic card's cryptogram is checked
    # at its issuer's HSM, so IPC's HSM, which sees the phone taps only, is not among the first
    assert any(spec.startswith("issuers.") for spec in specs) and "hsm.switch" not in specs
    few = peak_day.with_overrides({"issuers": {}, "hsm.enabled": False, "demand.app_channels": {}})
    # with at most 8 specs (the card chain and the credits' gateways) the curves cover them all
    assert nearest_knee_specs(few, 8) == sized_hosts(few) and sized_hosts(few)[:3] == ("acquirer", "switch", "issuer")
