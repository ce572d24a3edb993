"""The road into ELKART Pay: adoption over the launch month follows from the funnel's step shares."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from elcart_sim import Simulation, load_scenario, run
from elcart_sim.core.errors import ScenarioError
from elcart_sim.people.contacts import funnel_contacts, wallets_on
from elcart_sim.people.onboarding import Funnel, funnel_of, step_pass_share
from elcart_sim.scenario import FUNNEL_STEPS, DurationSpec, FunnelStep, OnboardingSpec, Scenario, SupportSpec
from elcart_sim.scenario.calendar import CalendarSpec, calendar_summary, date_range
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
    assert phone.capable_share() == pytest.approx(phone.android_share * phone.nfc_share * capable, rel=1e-12)
    # Without the funnel the wallets are the capable holders × the enrolment share, as a run enrols them.
    scenario = load_scenario("national-day")
    assert wallets_on(scenario) == pytest.approx(scenario.population.cards * phone.capable_share() * scenario.population.enrolment_share)


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


def _july_2022(**overrides):
    return load_scenario("national-day", scale=0.05, fidelity="fast").with_overrides(
        {"onboarding.enabled": True, "calendar.enabled": True, "date": "2022-07-15", **overrides})


def test_a_dated_run_in_july_2022_enrols_the_funnels_wallets():
    scenario = _july_2022()
    day = scenario.business_date
    wallets = funnel_of(scenario).adoption(day, day)["adoption"].iloc[-1]
    phone = scenario.population.phone
    share = scenario.dated_population().enrolment_share
    assert share == pytest.approx(wallets / (scenario.population.cards * phone.capable_share()), rel=1e-12)
    population = Simulation(scenario).population
    capable = int(((population.android_version >= MIN_ELKART_PAY_ANDROID) & population.has_nfc).sum())
    enrolled = len(population.enrolled_cards)
    # Each capable holder enrolled with the funnel's share: the count within 4 binomial sigmas
    # of the funnel's wallets at the run's scale.
    assert abs(enrolled - capable * share) < 4 * (capable * share * (1 - share)) ** 0.5
    assert abs(enrolled - wallets * scenario.scale) < 0.1 * wallets * scenario.scale
    # The day's phone taps follow the wallets: each taps as often as at the scenario's own enrolment.
    calendar_only = scenario.with_overrides({"onboarding.enabled": False})
    ratio = share / calendar_only.dated_population().enrolment_share
    assert scenario.channel_per_day("contactless") == pytest.approx(calendar_only.channel_per_day("contactless") * ratio, rel=1e-12)
    assert scenario.channel_per_day("card_chip") == calendar_only.channel_per_day("card_chip")
    [row] = calendar_summary(scenario, day, day)
    assert row["wallets"] == pytest.approx(wallets, rel=1e-12) and row["contactless"] == scenario.channel_per_day("contactless")
    assert "wallets" not in calendar_summary(calendar_only, day, day)[0]


def test_a_step_share_moves_a_runs_enrolment_by_its_pass_share():
    easy, hard = _july_2022(), _july_2022(**{"onboarding.identification.failure_share": 0.30})
    ratio = (1 - 0.30) / (1 - OnboardingSpec().identification.failure_share)
    assert hard.dated_population().enrolment_share == pytest.approx(easy.dated_population().enrolment_share * ratio, rel=1e-12)
    assert hard.channel_per_day("contactless") == pytest.approx(easy.channel_per_day("contactless") * ratio, rel=1e-12)
    before, after = (set(Simulation(s).population.enrolled_cards.tolist()) for s in (easy, hard))
    # The same draws, a lower share: the harder road's wallets are some of the easier one's.
    assert after < before
    assert len(after) / len(before) == pytest.approx(ratio, abs=0.06)


def test_onboarding_off_leaves_a_run_as_it_was():
    # Off, the section is not read: whatever its figures, a run's records and its dated
    # enrolment are those of the scenario without it (the calendar's logistic, or the share).
    base = load_scenario("national-day", scale=0.0005, fidelity="fast")
    with_people = base.with_overrides({"onboarding.installs_per_day": 99.0, "onboarding.identification.failure_share": 0.9,
                                       "support.shrinkage": 0.5})
    a, b = run(base), run(with_people)
    assert len(a.transactions) > 100 and len(a.transfers) > 50
    assert a.transactions.equals(b.transactions) and a.transfers.equals(b.transfers)
    dated = base.with_overrides({"calendar.enabled": True, "date": "2022-07-15"})
    assert dated.dated_population().enrolment_share == pytest.approx(
        base.population.enrolment_share * dated.calendar.adoption(dated.business_date) / dated.calendar.adoption(datetime.date(2025, 7, 1)), rel=1e-12)
    assert dated.volume_factors()["adoption"] == dated.calendar.adoption_ratio(dated.business_date)
    assert "adoption" not in base.volume_factors()
