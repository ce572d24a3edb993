"""The road into ELKART Pay: adoption over the launch month follows from the funnel's step shares."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from elcart_sim import load_scenario
from elcart_sim.core.errors import ScenarioError
from elcart_sim.people.contacts import funnel_contacts, wallets_on
from elcart_sim.people.onboarding import Funnel, funnel_of, step_pass_share
from elcart_sim.scenario import FUNNEL_STEPS, DurationSpec, FunnelStep, OnboardingSpec, Scenario, SupportSpec
from elcart_sim.scenario.calendar import CalendarSpec, date_range
from elcart_sim.world.population import MIN_ELKART_PAY_ANDROID, version_code

JULY = (datetime.date(2022, 7, 1), datetime.date(2022, 7, 31))
FLAT = [1.0] * 24


def _launch_month(spec: OnboardingSpec, calendar: CalendarSpec | None = None) -> float:
    return float(Funnel(spec, FLAT, calendar).adoption(*JULY)["adoption"].iloc[-1])


def test_adoption_over_july_2022_is_the_installs_times_the_product_of_the_step_shares():
    spec = OnboardingSpec(enabled=True)
    calendar = CalendarSpec(enabled=True)
    funnel = Funnel(spec, FLAT, calendar)
    installs = sum(funnel.installs(d) for d in date_range(*JULY))
    product = 1.0
    for name in FUNNEL_STEPS:
        step = getattr(spec, name)
        product *= (1 - step.failure_share) * (1 - step.dropoff_share)
    # The steps take 26 minutes on average: even the last hour's installs of 31 July finish that day.
    assert _launch_month(spec, calendar) == pytest.approx(installs * product, rel=1e-12)
    assert calendar.holiday_name(datetime.date(2022, 7, 9))  # Kurman Ait: fewer installs
    assert funnel.installs("2022-07-09") == pytest.approx(calendar.holiday_factor * Funnel(spec, FLAT).installs("2022-07-09"))
    assert funnel.installs("2022-06-30") == 0.0


def test_a_step_share_moves_the_launch_months_adoption_by_the_expected_amount():
    spec = OnboardingSpec(enabled=True)
    before = _launch_month(spec)
    harder = dataclasses.replace(spec, identification=dataclasses.replace(spec.identification, failure_share=0.30))
    after = _launch_month(harder)
    # Only identification's pass share changes: adoption scales by its ratio.
    ratio = step_pass_share(harder.identification) / step_pass_share(spec.identification)
    assert after == pytest.approx(before * ratio, rel=1e-12)
    assert before - after == pytest.approx(before * (1 - (1 - 0.30) / (1 - 0.15)), rel=1e-12)


def test_the_funnel_table_counts_each_step():
    spec = OnboardingSpec(enabled=True, installs_per_day=1_000.0, launch_boost=0.0)
    table = Funnel(spec, FLAT).table("2022-07-01", "2022-07-10")
    assert table["step"].tolist() == list(FUNNEL_STEPS)
    assert table.loc[0, "entered"] == pytest.approx(10_000.0)
    assert table["entered"].tolist() == pytest.approx((table["failed"] + table["dropped"] + table["passed"]).tolist())
    assert table["entered"].iloc[1:].tolist() == table["passed"].iloc[:-1].tolist()
    assert table.loc[2, "failed"] == pytest.approx(table.loc[2, "entered"] * spec.identification.failure_share)
    assert table["share_of_installs"].iloc[-1] == pytest.approx(Funnel(spec, FLAT).pass_share())


def test_a_long_step_carries_the_evenings_cohort_into_the_next_day():
    slow = FunnelStep(DurationSpec("constant", 6 * 3_600.0), 0.0, 0.0)
    spec = OnboardingSpec(enabled=True, installs_per_day=24.0, launch_boost=0.0, install=FunnelStep(DurationSpec("constant", 0.0)),
                          registration=slow, identification=FunnelStep(DurationSpec("constant", 0.0)),
                          card_linking=FunnelStep(DurationSpec("constant", 0.0)), tokenization=FunnelStep(DurationSpec("constant", 0.0)),
                          contactless=FunnelStep(DurationSpec("constant", 0.0)))
    adoption = Funnel(spec, FLAT).adoption("2022-07-01", "2022-07-03")
    # One install an hour; each finishes 6 h later: the first day keeps 18, then 24 a day.
    assert adoption["new_wallets"].tolist() == pytest.approx([18.0, 24.0, 24.0])
    assert adoption["adoption"].tolist() == pytest.approx([18.0, 42.0, 66.0])


def test_the_gate_is_the_populations_phones_that_can_run_elkart_pay():
    phone = load_scenario("national-day").population.phone
    capable = sum(share for version, share in phone.android_versions.items() if version_code(version) >= MIN_ELKART_PAY_ANDROID)
    assert OnboardingSpec().install.failure_share == pytest.approx(1 - phone.android_share * phone.nfc_share * capable, abs=0.005)


def test_the_funnels_failures_become_contacts():
    scenario = load_scenario("national-day").with_overrides({"onboarding.enabled": True})
    funnel = funnel_of(scenario)
    day = "2022-07-05"
    failed = funnel.outcomes(day, day).groupby("step")["failed"].sum()
    table = funnel_contacts(scenario.support, funnel, day)
    contacts = table.groupby("cause")["contacts"].sum()
    causes = SupportSpec().contacts
    assert contacts["identification_failed"] == pytest.approx(failed["identification"] * causes.identification_failed.contact_share)
    assert contacts["card_link_failed"] == pytest.approx((failed["card_linking"] + failed["tokenization"]) * causes.card_link_failed.contact_share)
    assert wallets_on(scenario, day) == pytest.approx(funnel.adoption(day, day)["adoption"].iloc[-1])


def test_onboarding_is_validated_and_off_by_default():
    assert Scenario().onboarding.enabled is False
    with pytest.raises(ScenarioError, match="onboarding.registration.dropoff_share"):
        Scenario.from_dict({"onboarding": {"registration": {"dropoff_share": -0.1}}})
    with pytest.raises(ScenarioError, match="onboarding.selfie"):
        Scenario.from_dict({"onboarding": {"selfie": {}}})
    with pytest.raises(ScenarioError, match="onboarding.hourly_profile"):
        Scenario.from_dict({"onboarding": {"hourly_profile": [1.0, 2.0]}})
    with pytest.raises(ScenarioError, match="to"):
        Funnel(OnboardingSpec(), FLAT).table("2022-07-02", "2022-07-01")


def test_a_scenario_without_the_sections_runs_as_before():
    # The sections are read by elcart_sim.people only: a run's records do not change with them.
    from elcart_sim import run

    base = load_scenario("national-day", scale=0.0005, fidelity="fast")
    with_people = base.with_overrides({"onboarding.enabled": True, "support.shrinkage": 0.5})
    a, b = run(base), run(with_people)
    assert len(a.transactions) > 100 and len(a.transfers) > 50
    assert a.transactions.equals(b.transactions) and a.transfers.equals(b.transfers)
