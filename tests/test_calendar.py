"""The calendar (scenario/calendar.py) and multi-day runs (Simulation(days=n), analysis/days.py)."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from elcart_sim.analysis.days import DAY_COLUMNS
from elcart_sim.cli import main
from elcart_sim.core.errors import ConfigurationError, ScenarioError
from elcart_sim.core.streams import RandomStreams
from elcart_sim.model.simulation import Simulation, run
from elcart_sim.scenario import load_scenario
from elcart_sim.scenario.calendar import CalendarSpec, calendar_summary
from elcart_sim.world.population import Population

D = datetime.date


@pytest.fixture(scope="module")
def dated():
    """national-day with the calendar on."""
    return load_scenario("national-day").with_overrides({"calendar.enabled": True})


# -- the calendar -----------------------------------------------------------------------------------


def test_kyrgyz_holidays_of_2025_with_the_transferred_day_off():
    spec = CalendarSpec(enabled=True)
    assert spec.holiday_name(D(2025, 1, 1)) == "New Year's Day"
    assert spec.holiday_name(D(2025, 3, 21)).startswith("Nooruz")
    assert spec.holiday_name(D(2025, 8, 31)) == "Independence Day"
    # Thursday 2 January 2025 is a day off transferred from Saturday 11 January, a working day then
    assert spec.holiday_name(D(2025, 1, 2)).startswith("Day off (substituted from 01/11/2025)")
    assert spec.day_kind(D(2025, 1, 2), [], []) == "holiday"
    assert spec.is_transferred_workday(D(2025, 1, 11)) and spec.day_kind(D(2025, 1, 11), [], []) == "workday"
    assert spec.day_kind(D(2025, 1, 12), [], []) == "weekend"
    assert spec.day_kind(D(2025, 1, 10), [10, 25], [5]) == "salary"
    assert spec.day_kind(D(2025, 2, 5), [10, 25], [5]) == "pension"
    assert spec.holiday_name(D(2025, 7, 1)) == ""


def test_holiday_and_transferred_workday_factors(dated):
    holiday = dated.volume_factors("2025-01-02")
    assert holiday["holiday"] == 0.7 and holiday["weekday"] == 1.0
    saturday_at_work = dated.volume_factors("2025-01-11")
    assert saturday_at_work["holiday"] == 1.0 and saturday_at_work["weekday"] == dated.demand.weekday_factors[0]
    assert dated.volume_factors("2025-01-18")["weekday"] == dated.demand.weekday_factors[5]  # an ordinary Saturday
    # the volume is the product of the factors
    day = dated.on("2025-01-02")
    expected = dated.demand.transactions_per_day * np.prod(list(day.volume_factors().values())) * dated.scale * dated.demand.channels["contactless"]
    assert day.channel_per_day("contactless") == pytest.approx(expected)


def test_calendar_off_keeps_the_day_as_it_was():
    scenario = load_scenario("national-day")
    assert set(scenario.volume_factors()) == {"weekday", "day_kind", "growth"}
    assert scenario.transactions_per_day_effective == 300_000.0
    assert scenario.channel_per_day("contactless") == pytest.approx(300_000.0 * scenario.demand.channels["contactless"])
    assert scenario.dated_population() is scenario.population


def test_adoption_grows_from_zero_at_the_july_2022_launch(dated):
    spec = dated.calendar
    assert spec.adoption(D(2022, 6, 30)) == 0.0 and spec.adoption(D(2022, 7, 1)) == 0.0
    july = [spec.adoption(D(2022, 7, day)) for day in range(1, 32)]
    assert all(a < b for a, b in zip(july, july[1:]))  # growing every day
    assert 0 < july[-1] < 0.05
    assert spec.adoption_ratio(D(2025, 7, 1)) == pytest.approx(1.0)  # the scenario's figures describe its reference date
    assert spec.adoption(D(2030, 1, 1)) < 1.0 and spec.adoption(D(2030, 1, 1)) > spec.adoption(D(2025, 7, 1))
    assert dated.on("2022-07-01").channel_per_day("contactless") == 0.0
    # enrolment follows the curve: nobody enrolled on launch day
    launch = dated.on("2022-07-01").with_overrides({"scale": 0.001})
    assert launch.dated_population().enrolment_share == 0.0
    assert Population.build(launch, RandomStreams(1)).enrolled_cards.size == 0
    later = dated.on("2023-07-01")
    assert 0 < later.dated_population().enrolment_share < dated.population.enrolment_share


def test_chains_live_by_the_end_of_july_2022(dated):
    assert dated.volume_factors("2022-07-30")["chains"] == dated.calendar.before_chains_factor
    assert dated.volume_factors("2022-07-31")["chains"] == 1.0
    assert dated.volume_factors("2022-07-30", "p2p_phone")["chains"] == 1.0  # a tap's factor only


def test_fee_abolition_steps_transfers_up_on_1_november_2024():
    scenario = load_scenario("money-services-day").with_overrides({"calendar.enabled": True})
    before, after = scenario.on("2024-10-31"), scenario.on("2024-11-01")  # Thursday, Friday
    for channel in ("p2p_phone", "p2p_card", "account_transfer"):
        ratio = after.channel_per_day(channel) / before.channel_per_day(channel)
        weekdays = scenario.demand.weekday_factors
        assert ratio == pytest.approx(weekdays[4] / weekdays[3] / 0.15)
    assert before.volume_factors(channel="topup")["fees"] == 1.0


def test_growth_per_channel_and_of_the_population():
    scenario = load_scenario("national-day").with_overrides(
        {"demand.years_ahead": 2, "demand.channel_growth_per_year": {"contactless": 0.5}, "population.card_growth_per_year": 0.1,
         "population.balance_growth_per_year": 0.2}
    )  # fmt: skip
    assert scenario.channel_per_day("contactless") == pytest.approx(300_000 * scenario.demand.channels["contactless"] * 1.5**2)
    assert scenario.volume_factors(channel="p2p_phone")["growth"] == pytest.approx(1.3**2)
    population = scenario.dated_population()
    assert population.cards == round(3_651_617 * 1.1**2)
    assert population.opening_balance.mean_kgs == pytest.approx(12_000 * 1.2**2)


@pytest.mark.parametrize(
    "override, path",
    [
        ({"calendar.launch_date": "2022-13-01"}, "calendar.launch_date"),
        ({"calendar.enabled": True, "calendar.reference_date": "2022-06-01"}, "calendar.reference_date"),
        ({"calendar.holiday_factor": 0}, "calendar.holiday_factor"),
        ({"demand.channel_growth_per_year": {"teleport": 0.1}}, "demand.channel_growth_per_year.teleport"),
        ({"demand.channel_growth_per_year": {"contactless": -1}}, "demand.channel_growth_per_year.contactless"),
        ({"demand.pension_days_of_month": [32]}, "demand.pension_days_of_month[0]"),
    ],
)
def test_calendar_fields_are_checked_at_the_door(override, path):
    with pytest.raises(ScenarioError) as error:
        load_scenario("national-day").with_overrides(override)
    assert error.value.path == path


def test_calendar_summary_lists_each_day(dated):
    rows = calendar_summary(dated, "2025-03-07", "2025-03-09")
    assert [(r["date"], r["weekday"], r["day_kind"]) for r in rows] == [
        ("2025-03-07", "Fri", "workday"), ("2025-03-08", "Sat", "holiday"), ("2025-03-09", "Sun", "weekend")
    ]  # fmt: skip
    assert rows[1]["holiday"] == "International Women's Day"
    assert rows[1]["contactless"] == pytest.approx(dated.on("2025-03-08").channel_per_day("contactless"))
    with pytest.raises(ScenarioError, match="to must not be before from"):
        calendar_summary(dated, "2025-03-09", "2025-03-07")


# -- several days in a row ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_days():
    scenario = load_scenario("money-services-day", scale=0.001).with_overrides({"calendar.enabled": True, "date": "2025-03-07"})
    simulation = Simulation(scenario, days=3)
    return simulation, simulation.run()


def test_a_multi_day_run_plays_each_day_at_its_own_midnight(three_days):
    simulation, results = three_days
    days = results.days
    assert list(days.columns) == list(DAY_COLUMNS)
    assert list(days["date"]) == ["2025-03-07", "2025-03-08", "2025-03-09"]
    assert list(days["day_kind"]) == ["workday", "holiday", "weekend"]
    taps = results.transactions["tapped_at"].to_numpy()
    assert taps.max() > 2 * 86_400 and (np.bincount((taps // 86_400).astype(int)) == days["taps"].to_numpy()).all()
    assert (days["p2p"] > 0).all() and days["transactions"].sum() == len(results.transactions) + len(results.transfers)
    assert ((days["approved_share"] > 0.5) & (days["approved_share"] <= 1)).all()
    assert results.components["served"].sum() > 0


def test_balances_carry_over_exactly_and_the_ledger_balances_every_day(three_days):
    simulation, results = three_days
    days = results.days
    assert (days["ledger_check"] == "balanced").all() and results.trial_balance_tyiyn == 0
    postings = results.postings
    debit, credit = postings["debit_account"].astype(str), postings["credit_account"].astype(str)
    amount = postings["amount_tyiyn"].to_numpy()
    into_cards = np.where(credit.str.contains("/cardholder/"), amount, 0) - np.where(debit.str.contains("/cardholder/"), amount, 0)
    entries = days["entries"].to_numpy()
    closes = days["cardholder_balances_tyiyn"].to_numpy()
    # each day opens with the previous day's closing balances: the day's postings take one to the next
    assert closes[0] == into_cards[: entries[0]].sum()
    for d in (1, 2):
        assert closes[d] - closes[d - 1] == into_cards[entries[d - 1] : entries[d]].sum()
    assert entries[-1] == len(postings)
    # and no entry of a later day was posted before the previous day closed
    posted = postings["posted_at"].to_numpy()
    assert posted[: entries[0]].max() < 86_400 <= posted[entries[0] :].min()


def test_days_must_be_a_whole_number():
    with pytest.raises(ConfigurationError, match="days must be a whole number >= 1, got 0"):
        Simulation(load_scenario("national-day", scale=0.0005), days=0)


def test_a_single_day_has_no_days_table():
    results = run(load_scenario("national-day", scale=0.0005))
    assert results.days.empty and "days" not in results.tables()


def test_cli_from_to_runs_the_days_and_writes_the_table(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", "--scale", "0.0005", "--from", "2025-01-01", "--to", "2025-01-02", "--set", "calendar.enabled=true"]
    assert main([*argv, "--out", str(out), "--no-progress", "--no-plots", "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    assert "by day" in printed and "2025-01-02" in printed
    days = pd.read_csv(out / "days.csv")
    assert list(days["date"]) == ["2025-01-01", "2025-01-02"] and list(days["day_kind"]) == ["holiday", "holiday"]


@pytest.mark.parametrize(
    "dates, message",
    [
        (["--from", "2025-02-30"], "--from must be a date like 2025-07-01, got '2025-02-30'"),
        (["--from", "2025-02-03", "--to", "yesterday"], "--to must be a date like 2025-07-01, got 'yesterday'"),
        (["--from", "2025-02-03", "--to", "2025-02-01"], "--to must not be before --from (2025-02-03), got 2025-02-01"),
    ],
)
def test_cli_bad_dates_are_clear_errors(tmp_path, capsys, dates, message):
    assert main(["run", "--scale", "0.0005", *dates, "--out", str(tmp_path), "--no-progress", "--no-plots"]) == 2
    assert message in capsys.readouterr().err


def test_a_run_over_the_launch_has_no_taps_before_it_and_wallets_after():
    scenario = load_scenario("national-day", scale=0.02).with_overrides(
        {"calendar.enabled": True, "date": "2022-06-30", "demand.transactions_per_day": 1e7, "demand.channels": {"contactless": 1.0}}
    )
    simulation = Simulation(scenario, days=6)
    results = simulation.run()
    taps = results.days["taps"].tolist()
    assert taps[:2] == [0, 0] and taps[-1] > 0 and taps[2:] == sorted(taps[2:])  # adoption grows day by day
    # the wallets are the last day's, on the adoption curve
    assert 0 < simulation.population.enrolled_cards.size < 0.001 * simulation.population.n_cards
    assert (results.days["ledger_check"] == "balanced").all()


def test_crediting_days_in_a_row_credit_afresh_and_their_echo_follows_each_day():
    scenario = load_scenario("salary-day-credits", scale=0.0005).with_overrides(
        {"date": "2025-07-10", "demand.day_kind": "auto", "demand.salary_days_of_month": [10], "demand.pension_days_of_month": [11],
         "demand.app_channels": {}}  # the credits' echo alone: the app's own transfers would come every day
    )
    results = run(scenario, days=3)
    days = results.days
    assert list(days["day_kind"]) == ["salary", "pension", "weekend"]
    assert (days["p2p"][:2] > 0).all() and days["p2p"].iloc[2] == 0  # echo transfers on the crediting days only
    credits = results.postings[results.postings["kind"] == "payroll_credit"]
    first, second = (credits[(credits.posted_at // 86_400) == d]["credit_account"].astype(str) for d in (0, 1))
    assert len(first) and len(second) and set(first) != set(second)
    assert (days["ledger_check"] == "balanced").all()
