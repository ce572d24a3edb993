"""The credits' echo in the analytic load (capacity/echo.py): exact on a constructed crediting
day, and against a simulated salary-day peak hour by hour and host by host."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from elcart_sim import load_scenario
from elcart_sim.analysis.occupancy import hop_components
from elcart_sim.capacity.echo import GRID_S, delay_weights, echo_rates
from elcart_sim.capacity.hosts import _model, card_side_peak, card_side_per_s, host_loads
from elcart_sim.core.streams import Distribution
from elcart_sim.model.simulation import Simulation
from elcart_sim.world.demand import card_side_rates_per_s

SCALE = 0.02


def _instant(**echo) -> object:
    """salary-day-peak with one file at 09:00 crediting 10 % of the cards, posted and announced
    at once, and the echo after constant delays."""
    constant = {"dist": "constant", "mean_s": 0.0}
    return load_scenario("salary-day-peak", scale=0.01).with_overrides(
        {
            "services.payroll.batches": [{"payer": "employer", "hour": 9.0, "share": 0.1}],
            "services.payroll.posting.service_time": constant,
            "services.push.latency": constant,
            "services.push.loss_share": 0.0,
            "services.push.offline_share": 0.0,
            **{f"services.payroll.echo.{key}": value for key, value in echo.items()},
        }
    )


def test_constant_delays_put_the_whole_echo_in_one_hour_each():
    day = _instant(
        spend_delay={"dist": "constant", "mean_s": 9_000.0},  # 11:30
        withdraw_delay={"dist": "constant", "mean_s": 1_800.0},  # 09:30
        send_delay={"dist": "constant", "mean_s": 7_200.0},  # 11:00
    )
    banks = _model(day)[2]
    n_cards = banks.cards.sum()
    credits = round(0.1 * n_cards)
    echo = echo_rates(day, banks)
    spend, send, withdraw = (getattr(day.services.payroll.echo, f"{k}_share") for k in ("spend", "send", "withdraw"))
    taps = echo.taps_per_s.sum(axis=0) * 3600.0
    withdrawals = echo.withdrawals_per_s.sum(axis=0) * 3600.0
    transfers = echo.transfers_per_s * 3600.0
    assert taps[11] == pytest.approx(credits * spend * banks.enrolled.sum() / n_cards) and taps.sum() == pytest.approx(taps[11])
    assert withdrawals[9] == pytest.approx(credits * withdraw) and withdrawals.sum() == pytest.approx(withdrawals[9])
    assert transfers[11] == pytest.approx(credits * send * banks.linked.sum() / n_cards) and transfers.sum() == pytest.approx(transfers[11])
    # each bank's echo is its part of the file: withdrawals by its cards, taps by its wallets
    assert echo.withdrawals_per_s[:, 9] * 3600.0 == pytest.approx(credits * withdraw * banks.cards / n_cards)
    assert echo.taps_per_s[:, 11] * 3600.0 == pytest.approx(credits * spend * banks.enrolled / n_cards)


def test_the_echo_follows_its_shares_and_the_posting_rate():
    day = _instant(withdraw_delay={"dist": "constant", "mean_s": 1_800.0})
    banks = _model(day)[2]
    base = echo_rates(day, banks).withdrawals_per_s.sum()
    half = day.with_overrides({"services.payroll.echo.withdraw_share": day.services.payroll.echo.withdraw_share / 2})
    assert echo_rates(half, banks).withdrawals_per_s.sum() == pytest.approx(base / 2)
    # a slow batch run spreads each bank's part over its posting: at a credit in 10 s the largest
    # bank's part (hundreds of credits at this scale) takes hours, so most of its withdrawals come
    # after 09:30's hour
    slow = day.with_overrides({"services.payroll.posting": {"servers": 1, "service_time": {"dist": "constant", "mean_s": 10.0}}})
    slow_echo = echo_rates(slow, banks).withdrawals_per_s
    largest = int(np.argmax(banks.cards))
    assert slow_echo[largest, 9] < 0.5 * slow_echo[largest].sum()
    assert slow_echo.sum() == pytest.approx(base, rel=1e-9)  # all of them still within the day


def test_a_delay_is_spread_over_the_grid_by_its_distribution():
    weights = delay_weights(Distribution("lognormal", 3_600.0, 1.0), 4 * 3600 // int(GRID_S))
    steps = np.arange(len(weights)) * GRID_S
    assert weights.min() >= 0 and weights.sum() < 1.0  # the tail beyond 4 h is left out
    assert (weights * steps).sum() / weights.sum() == pytest.approx(3_600.0, rel=0.15)
    assert delay_weights(Distribution("constant", 60.0), 4).tolist() == [0.0, 0.0, 1.0, 0.0]


def test_no_crediting_day_no_echo():
    day = load_scenario("national-day", scale=0.01)
    assert card_side_per_s(day).tolist() == card_side_rates_per_s(day)
    peak = card_side_peak(day)
    assert not peak.echo_taps_per_s and peak.echo_transfers_per_s == 0


@pytest.fixture(scope="module")
def salary_day():
    """salary-day-peak at scale 0.02, simulated all day (about 90,000 card transactions; a few
    seconds at `fast`)."""
    day = load_scenario("salary-day-peak", scale=SCALE).with_overrides({"fidelity": "fast"})
    simulation = Simulation(day)
    results = simulation.run()
    hops = results.hops
    components = hop_components(hops, simulation.registry)
    hours = (hops["arrived_at"].to_numpy() // 3600).astype(int)
    return day, pd.DataFrame({"component": components, "hour": hours})


def test_the_card_side_by_hour_is_the_simulated_one(salary_day):
    """Every card-side request passes the acquirer once: its arrivals by hour are the card side's
    rate with the echo. Tolerance: 4 Poisson standard deviations and 2 % (the echo's counts are
    binomial, a little tighter than Poisson)."""
    day, hops = salary_day
    simulated = np.bincount(hops.loc[hops["component"] == "acquirer", "hour"], minlength=24)[:24]
    analytic = card_side_per_s(day) * 3600.0
    assert analytic.sum() > 2.4 * np.sum(card_side_rates_per_s(day)) * 3600.0  # the echo more than doubles the day
    for hour in range(24):
        assert abs(simulated[hour] - analytic[hour]) <= 4 * math.sqrt(analytic[hour]) + 0.02 * analytic[hour], hour


def test_the_peak_hours_loads_are_the_simulated_ones(salary_day):
    """Each host's arrivals in the card side's peak hour against `host_loads` at the peak rate:
    within 3 % where thousands arrive (acquirer, switch), 5 % at IPC's HSM and the directory
    (hundreds), 3 % over all banks' issuing hosts together."""
    day, hops = salary_day
    peak = card_side_peak(day)
    assert peak.total_per_s > 3 * max(card_side_rates_per_s(day))  # the echo's hour, not the day's ordinary peak
    analytic = {load.component: load.arrival_rate_per_s * 3600.0 for load in host_loads(day, rate_per_s=peak.total_per_s)}
    simulated = hops.loc[hops["hour"] == peak.hour, "component"].value_counts()
    for host, tolerance in (("acquirer", 0.03), ("switch", 0.03), ("hsm", 0.05), ("directory", 0.05)):
        assert simulated[host] == pytest.approx(analytic[host], rel=tolerance), host
    issuers = [c for c in analytic if c.startswith("issuer:")]
    assert sum(simulated.get(c, 0) for c in issuers) == pytest.approx(sum(analytic[c] for c in issuers), rel=0.03)


def test_a_simulations_own_population_gives_the_models_echo(salary_day):
    """What the report's day replications use for their peak hour (report/day.py): the echo of
    the simulation's own population, the same as the analytic model's."""
    from elcart_sim.capacity.hosts import bank_cards

    day, _ = salary_day
    own = card_side_per_s(day, bank_cards(Simulation(day)))
    assert own.tolist() == pytest.approx(card_side_per_s(day).tolist(), rel=1e-12)
    assert int(np.argmax(own)) == card_side_peak(day).hour == 11  # 09:00's and 10:00's files, an hour or two on
