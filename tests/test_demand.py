"""The demand model: the day's volume is built factor by factor, spread by the hourly profile,
and arrives as a Poisson process; broken demand settings fail at the door, naming the path."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import numpy as np
import pytest
import simpy

from elcart_sim import ScenarioError, load_scenario
from elcart_sim.core.streams import RandomStreams
from elcart_sim.scenario import WEEKDAYS
from elcart_sim.world.demand import Demand, card_side_rates_per_s, demand_summary, hourly_rates_per_s
from elcart_sim.world.population import Population

NATIONAL = load_scenario("national-day")
PROFILE = np.asarray(NATIONAL.demand.hourly_profile)
WEEKDAY_FACTORS = NATIONAL.demand.weekday_factors


def expected_rates(scenario, factor: float) -> np.ndarray:
    return scenario.demand.transactions_per_day * factor * scenario.scale * PROFILE / PROFILE.sum() / 3600.0


def test_national_day_rates_are_the_profile_times_the_daily_volume_exactly():
    # An ordinary Tuesday today: every factor is 1, so the rates are exactly those of the
    # walking skeleton (which tests/test_runs.py and notebooks/01_tour.ipynb pin down).
    scenario = NATIONAL.with_overrides({"scale": 0.002})
    assert scenario.business_date.weekday() == WEEKDAYS.index("Tue")
    np.testing.assert_allclose(card_side_rates_per_s(scenario), 300_000.0 * 0.002 * PROFILE / PROFILE.sum() / 3600.0, rtol=1e-12)
    # each card channel its share of them: the phone taps 5 %, the ATMs 50 %
    assert hourly_rates_per_s(scenario) == (300_000.0 * 0.002 * 0.05 * PROFILE / PROFILE.sum() / 3600.0).tolist()
    np.testing.assert_allclose(hourly_rates_per_s(scenario, "atm"), 300_000.0 * 0.002 * 0.50 * PROFILE / PROFILE.sum() / 3600.0, rtol=1e-12)
    assert scenario.transactions_expected == pytest.approx(600.0, rel=1e-12)


@pytest.mark.parametrize("day", range(7))
def test_the_date_picks_the_weekday_factor(day):
    date = datetime.date(2025, 6, 30) + datetime.timedelta(days=day)  # Monday 30 June 2025 + day
    scenario = NATIONAL.with_overrides({"date": date.isoformat()})
    np.testing.assert_allclose(card_side_rates_per_s(scenario), expected_rates(scenario, WEEKDAY_FACTORS[day]), rtol=1e-12)
    assert demand_summary(scenario)["weekday"] == WEEKDAYS[day]


def test_salary_day_growth_and_weekday_multiply():
    scenario = NATIONAL.with_overrides(
        {
            "date": "2025-07-05",  # a Saturday
            "demand.day_kind": "salary",
            "demand.salary_day_factor": 3.0,
            "demand.years_ahead": 2,
            "demand.growth_per_year": 0.25,
            "scale": 0.5,
        }
    )
    factor = WEEKDAY_FACTORS[5] * 3.0 * 1.25**2
    np.testing.assert_allclose(card_side_rates_per_s(scenario), expected_rates(scenario, factor), rtol=1e-12)
    assert scenario.transactions_per_day_effective == pytest.approx(300_000 * factor * 0.5, rel=1e-12)
    summary = demand_summary(scenario)
    assert (summary["weekday_factor"], summary["day_kind_factor"]) == (1.10, 3.0)
    assert summary["growth_factor"] == pytest.approx(1.5625)
    assert summary["peak_hour"] == 18 and summary["peak_hour_share"] == pytest.approx(0.09)


def test_auto_day_kind_follows_the_calendar():
    auto = NATIONAL.with_overrides({"demand.day_kind": "auto", "demand.salary_days_of_month": [10, 25]})
    on = auto.with_overrides({"date": "2025-07-10"})
    off = auto.with_overrides({"date": "2025-07-09"})
    assert on.transactions_per_day_effective == 2.5 * off.transactions_per_day_effective
    assert demand_summary(on)["day_kind"] == "salary" and demand_summary(off)["day_kind"] == "normal"


def test_expected_taps_follow_the_profile_over_a_partial_day():
    scenario = NATIONAL.with_overrides({"demand.duration_s": 5_400.0})  # 00:00-01:30
    assert scenario.transactions_expected == pytest.approx(300_000 * (0.4 + 0.5 * 0.2) / 100, rel=1e-12)
    assert NATIONAL.transactions_expected == pytest.approx(sum(card_side_rates_per_s(NATIONAL)) * 3600, rel=1e-12)


def test_bundled_demand_scenarios():
    salary = load_scenario("salary-day-peak")
    summary = demand_summary(salary)
    # the salary day's extra volume comes from its credits' echo (tests/test_payroll.py), not a factor
    assert summary["day_kind"] == "salary" and summary["weekday_factor"] == 1.0 and summary["day_kind_factor"] == 1.0
    assert summary["card_transactions_per_day"] == pytest.approx(300_000)
    assert demand_summary(NATIONAL)["atm_share"] == 0.50
    # docs/sources.md (demand) [estimate]: 7-10 TPS in the peak hour of a normal day
    assert 7 <= demand_summary(NATIONAL)["peak_hour_tps"] <= 10
    growth = load_scenario("growth-5y")
    assert growth.transactions_per_day_effective == pytest.approx(300_000 * 1.3**5)


def assert_differs_only_where_intended(name, intended, base_name="national-day"):
    """The bundled variant ``name`` differs from ``base_name`` only in the ``intended`` keys."""
    def flat(d, prefix=""):
        out = {}
        for key, value in d.items():
            path = f"{prefix}{key}"
            out.update(flat(value, f"{path}.") if isinstance(value, dict) and key not in ("channels",) else {path: value})
        return out

    base, variant = flat(load_scenario(base_name).to_dict()), flat(load_scenario(name).to_dict())
    differing = {k for k in base.keys() | variant.keys() if base.get(k) != variant.get(k)}
    assert differing == intended, f"{name}.yaml drifted from {base_name}.yaml: keep them in step"


def test_growth_5y_is_money_services_day_with_the_whole_mix_and_the_population_grown():
    """Item 5 of issue 13: every service at its own rate, and the population grows with them."""
    growth = load_scenario("growth-5y")
    intended = {"name", "description", "demand.years_ahead", "population.enrolment_share", "population.card_growth_per_year",
                "population.balance_growth_per_year", *(f"demand.channel_growth_per_year.{c}" for c in growth.demand.channel_growth_per_year)}  # fmt: skip
    assert set(growth.demand.channel_growth_per_year) == set(growth.demand.app_channels)
    assert_differs_only_where_intended("growth-5y", intended, base_name="money-services-day")
    assert growth.channel_per_day("qr_merchant") / load_scenario("money-services-day").channel_per_day("qr_merchant") == pytest.approx(1.35**5)
    assert growth.dated_population().cards == round(3_651_617 * 1.08**5)


def test_the_salary_day_peak_is_the_credits_day_under_its_own_name():
    peak, credits = load_scenario("salary-day-peak").to_dict(), load_scenario("salary-day-credits").to_dict()
    assert {k for k in peak if peak[k] != credits[k]} == {"name", "description"}


def _arrival_times(scenario) -> np.ndarray:
    """The phone taps' arrivals of ``scenario`` with every card transaction a tap."""
    scenario = scenario.with_overrides({"demand.channels": {"contactless": 1.0}})
    streams = RandomStreams(scenario.seed)
    demand = Demand(scenario, Population.build(scenario, streams), streams)
    env = simpy.Environment()
    taps: list[float] = []
    demand.schedule_arrivals(env, lambda card, terminal, amount: taps.append(env.now))
    env.run()
    return np.asarray(taps)


def test_arrivals_are_poisson_with_the_hourly_rates():
    # ~40,000 taps over the day on the national profile.
    scenario = load_scenario("national-day", scale=0.002, seed=3).with_overrides({"demand.transactions_per_day": 2e7})
    times = _arrival_times(scenario)
    expected = np.asarray(card_side_rates_per_s(scenario)) * 3600.0
    per_hour = np.bincount((times // 3600).astype(int), minlength=24)
    # Counts per hour against the profile: chi-square with 24 degrees of freedom (p = 0.001 at 51.2).
    chi2 = float(((per_hour - expected) ** 2 / expected).sum())
    assert chi2 < 51.2, (chi2, per_hour.tolist())
    assert abs(per_hour.sum() - expected.sum()) < 4 * math.sqrt(expected.sum())
    # Within an hour the rate is constant, so counts per minute have variance = mean (Poisson):
    # the dispersion index summed over the busy hours is chi-square with 59 dof per hour.
    per_minute = np.bincount((times // 60).astype(int), minlength=1440).reshape(24, 60)
    busy = expected >= 600  # hours with >= 10 taps a minute
    dispersion = float((((per_minute - per_minute.mean(axis=1, keepdims=True)) ** 2).sum(axis=1) / per_minute.mean(axis=1))[busy].sum())
    dof = 59 * int(busy.sum())
    assert abs(dispersion - dof) < 4 * math.sqrt(2 * dof), (dispersion, dof)


def test_rates_scale_the_arrival_count():
    base = load_scenario("national-day", scale=0.002, seed=5)
    grown = base.with_overrides({"demand.years_ahead": 3})
    n_base, n_grown = len(_arrival_times(base)), len(_arrival_times(grown))
    assert abs(n_base - base.transactions_expected) < 4 * math.sqrt(base.transactions_expected)
    assert abs(n_grown - grown.transactions_expected) < 4 * math.sqrt(grown.transactions_expected)
    assert grown.transactions_expected == pytest.approx(600 * 1.3**3)


@pytest.mark.parametrize(
    ("demand_yaml", "message"),
    [
        ("weekday_factors: [1, 1, 1]", "demand.weekday_factors must list 7 weekday factors (Mon, Tue, Wed, Thu, Fri, Sat, Sun), got 3"),
        ("weekday_factors: [1, 1, 1, 1, 1, -1, 1]", "demand.weekday_factors[5] (Sat) must be >= 0, got -1.0"),
        ("weekday_factors: [0, 0, 0, 0, 0, 0, 0]", "demand.weekday_factors must have a positive total"),
        ("day_kind: holiday", "demand.day_kind must be one of normal, salary, auto, got 'holiday'"),
        ("salary_days_of_month: [10, 32]", "demand.salary_days_of_month[1] must be a day of the month 1..31, got 32"),
        ("salary_days_of_month: [10, 10]", "demand.salary_days_of_month must not repeat a day, got [10, 10]"),
        ("day_kind: auto", "demand.salary_days_of_month must list the crediting days when demand.day_kind is auto"),
        ("salary_day_factor: 0", "demand.salary_day_factor must be > 0, got 0.0"),
        ("growth_per_year: -1", "demand.growth_per_year must be > -1, got -1.0"),
        ("years_ahead: -2", "demand.years_ahead must be >= 0, got -2.0"),
        ("years_ahead: five", "demand.years_ahead must be a number, got str 'five'"),
        ("channels: {contactless: 0.8, cheque: 0.2}", "demand.channels.cheque is not modelled yet (card channels: contactless, card_contactless, card_chip, atm)"),
        ("channels: {contactless: 0.8, p2p_phone: 0.2}", "demand.channels.p2p_phone is not a channel of this field: give its share in demand.app_channels"),
        ("app_channels: {p2p_phone: 0.5, atm: 0.5}", "demand.app_channels.atm is not a channel of this field: give its share in demand.channels"),
        ("app_channels: {p2p_phone: 0.5, cheque: 0.5}", "demand.app_channels.cheque is not modelled yet (app channels: p2p_phone, p2p_card, p2p_qr, qr_merchant, topup, bill, account_transfer)"),
        ("app_channels: {contactless: 1.0}", "demand.app_channels.contactless is not a channel of this field: give its share in demand.channels"),
        ("app_channels: {p2p_phone: 0.5, qr_merchant: 0.4}", "demand.app_channels shares must sum to 1, got 0.9"),
        ("app_channels: {qr_merchant: 1.5}", "demand.app_channels.qr_merchant must be between 0 and 1, got 1.5"),
        ("elkart_app_share: 1.2", "demand.elkart_app_share must be between 0 and 1, got 1.2"),
        ("app_payments_per_day: -5", "demand.app_payments_per_day must be >= 0, got -5.0"),
        ("channels: {contactless: 0.9}", "demand.channels shares must sum to 1, got 0.9"),
        ("channels: {contactless: 1.5}", "demand.channels.contactless must be between 0 and 1, got 1.5"),
        ("channels: {}", "demand.channels must not be empty"),
        ("weekly: [1]", "demand.weekly is not a known key"),
    ],
)
def test_broken_demand_names_path_and_value(tmp_path: Path, demand_yaml, message):
    path = tmp_path / "broken.yaml"
    path.write_text(f"demand:\n  {demand_yaml}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_overrides_of_demand_fields_validate():
    with pytest.raises(ScenarioError, match=r"demand\.channels\.bill_payment is not modelled yet"):
        NATIONAL.with_overrides({"demand.channels": {"contactless": 0.5, "bill_payment": 0.5}})
    assert NATIONAL.with_overrides({"demand.years_ahead": 1}).transactions_per_day_effective == pytest.approx(390_000)
