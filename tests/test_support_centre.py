"""The support centre: Erlang C against a published worked example, the simulation against Erlang C
on a stationary case, Erlang A against the simulation with abandonment, shifts, contacts, staffing."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from elcart_sim import load_scenario
from elcart_sim.capacity.intervals import mean_interval
from elcart_sim.capacity.queueing import erlang_a, erlang_c, erlang_c_agents, erlang_c_asa_s, erlang_c_service_level
from elcart_sim.core.errors import ConfigurationError, ScenarioError
from elcart_sim.core.schemas import SCHEMAS
from elcart_sim.people.contacts import (
    TECHNICAL_CODES,
    Outage,
    contact_table,
    contacts_from_events,
    day_contacts,
    expected_contacts,
    hourly_load,
    outages_of,
    record_contacts,
)
from elcart_sim.people.staffing import erlang_staffing, staffing_table
from elcart_sim.people.support_centre import agents_by_hour, service_by_hour, service_by_shift, simulate_centre
from elcart_sim.scenario import ChannelSpec, ContactCause, DurationSpec, Scenario, ShiftSpec, SupportSpec
from elcart_sim.scenario.choices import CONTACT_CAUSES, CONTACT_CHANNELS

# -- Erlang C: the published worked example (docs/sources.md, "The road in and the support centre") --

# 100 calls in 30 minutes, 3 minutes' average handling time: 10 erlangs; 80 % answered in 20 s,
# occupancy at most 85 %, shrinkage 30 %.
CALLS_PER_HOUR, AHT_S, TARGET_S = 200.0, 180.0, 20.0
A = CALLS_PER_HOUR * AHT_S / 3600.0


def test_erlang_c_staffs_the_worked_example_as_published():
    assert A == 10.0
    agents = erlang_c_agents(A, AHT_S, TARGET_S, 0.80, max_occupancy=0.85)
    assert agents == 14
    assert round(erlang_c(14, A), 3) == 0.174  # probability a call waits
    assert round(erlang_c_service_level(14, A, AHT_S, TARGET_S), 3) == 0.888
    assert round(A / agents, 3) == 0.714  # occupancy
    assert math.ceil(agents / (1 - 0.30)) == 20  # with shrinkage
    assert round(erlang_c_asa_s(14, A, AHT_S), 1) == 7.8


def test_erlang_c_steps_of_the_worked_example():
    # The example walks up from N = A + 1 = 11 until 80 % is met; one agent fewer misses it.
    levels = {n: round(erlang_c_service_level(n, A, AHT_S, TARGET_S), 3) for n in (11, 12, 13, 14)}
    assert levels == {11: 0.39, 12: 0.64, 13: 0.796, 14: 0.888}
    assert round(erlang_c(11, A), 4) == 0.6821


def test_erlang_c_service_level_edges():
    assert erlang_c_service_level(10, 10.0, AHT_S, TARGET_S) == 0.0  # unstable
    assert erlang_c_asa_s(9, 10.0, AHT_S) == math.inf
    assert erlang_c_agents(0.0, AHT_S, TARGET_S, 0.8) == 1
    with pytest.raises(ConfigurationError, match="service_level"):
        erlang_c_agents(A, AHT_S, TARGET_S, 1.0)


def test_erlang_a_without_patience_tends_to_erlang_c_and_is_stable_when_overloaded():
    patient = erlang_a(14, A / AHT_S, AHT_S, 1e9)
    assert patient.p_wait == pytest.approx(erlang_c(14, A), rel=1e-6)
    overloaded = erlang_a(9, A / AHT_S, AHT_S, 180.0)  # 9 agents for 10 erlangs: Erlang C has no steady state
    assert 0 < overloaded.p_abandon < 1 and overloaded.p_wait < 1


# -- the simulation against the theory ------------------------------------------------------------

CAUSE = ContactCause(1.0, 1.0, DurationSpec("exponential", AHT_S, 1.0), DurationSpec("exponential", AHT_S, 1.0))


def _stationary(agents: int, patience_s: float = 0.0) -> tuple[SupportSpec, pd.DataFrame]:
    """One phone queue at a constant 200 calls an hour, exponential handling, one 24-hour shift."""
    base = SupportSpec()
    support = dataclasses.replace(
        base,
        contacts=dataclasses.replace(base.contacts, general=CAUSE),
        phone=ChannelSpec(TARGET_S, 0.8, DurationSpec("exponential", patience_s, 1.0), 1),
        shifts=[ShiftSpec("all", 0, 24, agents, 0)],
    )
    return support, contacts_from_events("general", CAUSE, [CALLS_PER_HOUR] * 24)


def _replications(support, table, n: int, warmup_s: float = 3600.0) -> pd.DataFrame:
    frames = [simulate_centre(support, table, seed=15, replication=r) for r in range(n)]
    frame = pd.concat(frames, ignore_index=True)
    return frame[frame["arrived_at"] >= warmup_s]


def test_the_simulated_service_level_holds_erlang_c_in_its_interval_on_a_stationary_queue():
    # M/M/14, no abandonment, 20 replications of a day after an hour's warm-up.
    support, table = _stationary(14)
    frame = _replications(support, table, 20)
    per_replication = [((g["wait_s"] <= TARGET_S) & (g["answered"] == 1)).mean() for _, g in frame.groupby("replication")]
    interval = mean_interval(per_replication)
    assert frame["answered"].all()
    assert erlang_c_service_level(14, A, AHT_S, TARGET_S) in interval
    waits = [g["wait_s"].mean() for _, g in frame.groupby("replication")]
    assert erlang_c_asa_s(14, A, AHT_S) in mean_interval(waits)
    assert 0.005 < interval.half_width < 0.05  # the check has teeth


def test_the_simulated_abandonment_holds_erlang_a_in_its_interval():
    # M/M/12+M with a mean patience of 3 minutes.
    support, table = _stationary(12, patience_s=180.0)
    frame = _replications(support, table, 12)
    abandoned = mean_interval([(g["answered"] == 0).mean() for _, g in frame.groupby("replication")])
    assert erlang_a(12, A / AHT_S, AHT_S, 180.0).p_abandon in abandoned


def test_more_agents_never_mean_a_lower_service_level():
    levels = []
    for agents in (11, 12, 13):
        support, table = _stationary(agents, patience_s=180.0)
        frame = _replications(support, table, 3)
        levels.append(service_by_shift(frame, support)["service_level"].mean())
    assert levels == sorted(levels)


def test_the_same_seed_gives_the_same_contacts():
    support, table = _stationary(12, patience_s=180.0)
    a = simulate_centre(support, table, seed=3, replication=1)
    b = simulate_centre(support, table, seed=3, replication=1)
    pd.testing.assert_frame_equal(a, b)
    assert not simulate_centre(support, table, seed=3, replication=2).equals(a)


def test_the_centres_records_are_the_contacts_table():
    support, table = _stationary(12, patience_s=180.0)
    frame = simulate_centre(support, table, seed=3, replication=4)
    assert list(frame.columns) == list(SCHEMAS["contacts"])
    assert [str(t) for t in frame.dtypes[["arrived_at", "hour", "wait_s", "answered", "handle_s", "replication"]]] == [
        "float64", "int8", "float64", "int8", "float64", "int16"]
    assert list(frame["channel"].cat.categories) == list(CONTACT_CHANNELS) and set(frame["channel"]) == {"phone"}
    assert list(frame["cause"].cat.categories) == list(CONTACT_CAUSES)
    assert (frame["hour"] == (frame["arrived_at"] // 3600).astype(int) % 24).all() and (frame["replication"] == 4).all()
    hung_up = frame[frame["answered"] == 0]
    assert len(hung_up) and (hung_up["handle_s"] == 0).all() and (frame.loc[frame["answered"] == 1, "handle_s"] > 0).all()


# -- shifts ----------------------------------------------------------------------------------------


def test_shifts_change_the_agents_at_their_hours_and_agents_finish_the_contact_in_hand():
    support = SupportSpec()
    assert agents_by_hour(support, "phone") == [2] * 8 + [5] * 8 + [4] * 8
    assert agents_by_hour(support, "chat", [1, 1, 2]) == [1] * 16 + [2] * 8
    # One agent at night, none by day: a call at 07:59:50 is answered and handled past 08:00,
    # a call at 08:30 waits for nobody and hangs up.
    cause = ContactCause(1.0, 1.0, DurationSpec("constant", 600.0), DurationSpec("constant", 600.0))
    quiet = dataclasses.replace(
        support, contacts=dataclasses.replace(support.contacts, general=cause),
        phone=ChannelSpec(20.0, 0.8, DurationSpec("constant", 300.0), 1),
        shifts=[ShiftSpec("night", 0, 8, 1, 0), ShiftSpec("day", 8, 16, 0, 0)],
    )
    table = contacts_from_events("general", cause, [0.0] * 7 + [40.0, 40.0] + [0.0] * 15)
    frame = simulate_centre(quiet, table, seed=1)
    by_day = frame[frame["hour"] == 8]
    assert len(by_day) and not by_day["answered"].any()
    assert (by_day["wait_s"] == 300.0).all()
    assert frame.loc[frame["hour"] == 7, "answered"].any()


def test_the_shifts_must_cover_the_day_once():
    with pytest.raises(ScenarioError, match="support.shifts"):
        Scenario.from_dict({"support": {"shifts": [{"name": "a", "start_hour": 0, "hours": 20}]}})
    with pytest.raises(ScenarioError, match=r"support.shifts\[0\].start_hour"):
        Scenario.from_dict({"support": {"shifts": [{"name": "a", "start_hour": 24, "hours": 24}]}})
    with pytest.raises(ScenarioError, match="support.phone.service_level"):
        Scenario.from_dict({"support": {"phone": {"service_level": 1.5}}})
    with pytest.raises(ScenarioError, match="support.contacts.outage.bogus"):
        Scenario.from_dict({"support": {"contacts": {"outage": {"bogus": 1}}}})


# -- contacts --------------------------------------------------------------------------------------


def test_contacts_from_a_runs_records_by_cause():
    support = SupportSpec()
    transactions = pd.DataFrame({
        "channel": ["contactless", "contactless", "contactless", "card_chip", "contactless"],
        "outcome": ["declined", "declined", "reversed", "declined", "approved"],
        "response_code": ["51", "91", "", "51", "00"],
        "tapped_at": [3_600.0 * 10.5, 3_600.0 * 10.6, 3_600.0 * 11.2, 3_600.0 * 10.5, 3_600.0 * 10.0],
    })
    transfers = pd.DataFrame({"outcome": ["declined", "completed", "reversed"], "response_code": ["61", "00", "68"],
                              "requested_at": [3_600.0 * 9.1, 3_600.0 * 9.2, 3_600.0 * 9.3]})
    tokens = pd.DataFrame({"event": ["suspended", "provisioned", "deleted"], "at": [100.0, 200.0, 3_700.0]})
    pushes = pd.DataFrame({"outcome": ["lost", "delivered"], "sent_at": [3_600.0 * 12.5, 3_600.0 * 12.6]})
    table = record_contacts(support, transactions=transactions, transfers=transfers, token_events=tokens, notifications=pushes, scale=0.5)
    events = table.groupby(["cause", "hour"])["contacts"].sum()
    causes = support.contacts
    assert events[("declined_tap", 10)] == pytest.approx(2 * causes.declined_tap.contact_share)  # one tap, ÷ scale
    assert events[("outage", 10)] == pytest.approx(2 * causes.outage.contact_share)  # the 91
    assert events[("outage", 11)] == pytest.approx(2 * causes.outage.contact_share)  # the reversal after a timeout
    assert events[("outage", 9)] == pytest.approx(2 * causes.outage.contact_share)  # the transfer's 68
    assert events[("transfer_failed", 9)] == pytest.approx(2 * causes.transfer_failed.contact_share)
    assert events[("token_suspended", 0)] == events[("token_suspended", 1)] == pytest.approx(2 * causes.token_suspended.contact_share)
    assert events[("notification_missing", 12)] == pytest.approx(2 * causes.notification_missing.contact_share)
    phone = table[(table["cause"] == "declined_tap") & (table["channel"] == "phone")]["contacts"].sum()
    assert phone == pytest.approx(2 * causes.declined_tap.contact_share * causes.declined_tap.phone_share)


def test_an_outage_window_takes_the_failures_inside_it_and_its_customers():
    support = SupportSpec()
    transactions = pd.DataFrame({"channel": ["contactless"] * 2, "outcome": ["declined"] * 2, "response_code": ["05", "05"],
                                 "tapped_at": [3_600.0 * 14.5, 3_600.0 * 16.5]})
    window = Outage(14 * 3_600.0, 15 * 3_600.0)
    table = record_contacts(support, transactions=transactions, outages=[window, Outage(20 * 3_600.0, 22 * 3_600.0, 1_000.0)])
    outage = table[table["cause"] == "outage"].groupby("hour")["contacts"].sum()
    share = support.contacts.outage.contact_share
    assert outage[14] == pytest.approx(share)
    assert outage[20] == outage[21] == pytest.approx(500 * share)
    assert table[table["cause"] == "declined_tap"].groupby("hour")["contacts"].sum()[16] == pytest.approx(support.contacts.declined_tap.contact_share)
    with pytest.raises(ConfigurationError, match="start_s"):
        Outage(10.0, 5.0)


def test_a_drills_faults_are_outages_of_the_banks_their_targets_name():
    support = SupportSpec()
    faults = pd.DataFrame({"kind": ["host_down", "duplicates", "link", "clearing_late"],
                           "target": ["issuer:AIYL", "switch_issuer", "switch_issuer", "clearing"],
                           "started_at": [3_600.0 * 10, 0.0, 3_600.0 * 20, 0.0], "ended_at": [3_600.0 * 12, 86_400.0, 3_600.0 * 21, 86_400.0]})
    assert outages_of(faults) == [Outage(36_000.0, 43_200.0, banks=("AIYL",)), Outage(72_000.0, 75_600.0)]
    transactions = pd.DataFrame({"channel": ["contactless"] * 4, "outcome": ["declined"] * 4, "response_code": ["05"] * 4,
                                 "issuer": ["AIYL", "RSK", "AIYL", "RSK"], "tapped_at": [3_600.0 * h for h in (10.5, 10.5, 12.5, 20.5)]})
    transfers = pd.DataFrame({"outcome": ["declined", "declined"], "response_code": ["51", "51"], "sender_issuer": ["RSK", "RSK"],
                              "receiver_issuer": ["AIYL", "RSK"], "requested_at": [3_600.0 * 11.5, 3_600.0 * 11.5]})
    table = record_contacts(support, transactions=transactions, transfers=transfers, faults=faults)
    events = table.groupby(["cause", "hour"])["contacts"].sum()
    causes = support.contacts
    # AIYL's tap and the transfer to AIYL in the issuer's window, and every bank's tap in the link's.
    assert events[("outage", 10)] == events[("outage", 11)] == events[("outage", 20)] == pytest.approx(causes.outage.contact_share)
    # RSK's tap while AIYL was down, AIYL's after it came back, the transfer between RSK's customers.
    assert events[("declined_tap", 10)] == events[("declined_tap", 12)] == pytest.approx(causes.declined_tap.contact_share)
    assert events[("transfer_failed", 11)] == pytest.approx(causes.transfer_failed.contact_share)
    assert events.sum() == pytest.approx(3 * causes.outage.contact_share + 2 * causes.declined_tap.contact_share + causes.transfer_failed.contact_share)


def test_a_drill_runs_issuer_outage_brings_its_contacts_without_a_window():
    from elcart_sim import run

    base = load_scenario("national-day", scale=0.001, fidelity="fast")
    drill = base.with_overrides({"faults": [{"kind": "host_down", "target": "issuer:AIYL", "start_s": 36_000, "end_s": 43_200}]})
    results, calm = run(drill), run(base)
    [fault] = outages_of(results.faults)
    assert (fault.start_s, fault.end_s, fault.banks) == (36_000.0, 43_200.0, ("AIYL",))
    taps, transfers = results.transactions, results.transfers
    taps = taps[(taps["channel"] == "contactless") & (taps["outcome"] != "approved")]
    transfers = transfers[transfers["outcome"] != "completed"]
    technical = (taps["response_code"].isin(TECHNICAL_CODES) | (taps["outcome"] == "reversed")).sum() + transfers["response_code"].isin(TECHNICAL_CODES).sum()
    in_window = transfers["requested_at"].between(36_000.0, 43_200.0, inclusive="left")
    of_aiyl = (transfers["sender_issuer"] == "AIYL") | (transfers["receiver_issuer"] == "AIYL")
    tapped = taps["tapped_at"].between(36_000.0, 43_200.0, inclusive="left") & (taps["issuer"] == "AIYL")
    touched = (in_window & of_aiyl & ~transfers["response_code"].isin(TECHNICAL_CODES)).sum() + (tapped & ~taps["response_code"].isin(TECHNICAL_CODES) & (taps["outcome"] != "reversed")).sum()
    # The host down answers nothing: its customers' payments fail 91 or 68, outage contacts even
    # without the window; the window adds the failures of AIYL's customers with another code (at
    # this seed, a transfer to AIYL refused for want of funds while it was down).
    assert technical > 0 and touched > 0
    contacts = day_contacts(drill, results)
    outage = contacts.loc[contacts["cause"] == "outage", "contacts"].sum()
    share = drill.support.contacts.outage.contact_share
    assert outage == pytest.approx((technical + touched) / drill.scale * share)
    recorded = record_contacts(drill.support, transactions=results.transactions, transfers=results.transfers, scale=drill.scale)
    assert outage - recorded.loc[recorded["cause"] == "outage", "contacts"].sum() == pytest.approx(touched / drill.scale * share)
    calm_contacts = day_contacts(base, calm)
    assert outage > calm_contacts.loc[calm_contacts["cause"] == "outage", "contacts"].sum()


def test_the_bundled_drill_gives_its_outage_to_the_contacts():
    from elcart_sim import run

    drill = load_scenario("drill-issuer-outage", scale=0.001, fidelity="fast")
    results = run(drill)
    assert outages_of(results.faults) == [Outage(39_600.0, 41_400.0, banks=("AIYL",))]  # Aiyl Bank's host, 11:00-11:30
    contacts = day_contacts(drill, results)
    by_hour = contacts[contacts["cause"] == "outage"].groupby("hour")["contacts"].sum()
    assert by_hour[11] > 0 and by_hour[11] == by_hour.max()


def test_the_contact_table_adds_its_parts_and_weights_the_handling_time():
    a = ContactCause(1.0, 1.0, DurationSpec("constant", 100.0), DurationSpec("constant", 100.0))
    b = ContactCause(1.0, 1.0, DurationSpec("constant", 400.0), DurationSpec("constant", 400.0))
    table = contact_table(contacts_from_events("general", a, [3.0] * 24), contacts_from_events("general", b, [1.0] * 24))
    phone = table[table["channel"] == "phone"]
    assert phone["contacts"].tolist() == [4.0] * 24
    assert phone["mean_handle_s"].tolist() == [175.0] * 24
    load = hourly_load(table, SupportSpec(), "phone")
    assert load["offered_erlangs"].tolist() == pytest.approx([4.0 * 175.0 / 3600.0] * 24)


# -- staffing on a scenario --------------------------------------------------------------------------


def test_staffing_per_shift_side_by_side():
    scenario = load_scenario("national-day").with_overrides({"onboarding.enabled": True})
    table = expected_contacts(scenario)
    analytic = erlang_staffing(scenario.support, table)
    assert list(analytic["shift"]) == ["night", "day", "evening"] * 2
    assert (analytic["erlang_c_service_level"] >= 0.8).all()
    both = staffing_table(scenario.support, table, replications=3)
    assert (both["simulated_agents"] >= 1).all()
    met = both["simulated_service_level"] >= 0.8
    assert met.all(), both
    by_hour = service_by_hour(simulate_centre(scenario.support, table, seed=2), scenario.support)
    assert set(by_hour["channel"]) == {"phone", "chat"} and np.isfinite(by_hour["service_level"]).all()


# -- the command line ------------------------------------------------------------------------------


def test_size_sizes_the_support_centre_alone(tmp_path, capsys):
    from elcart_sim.cli import main

    args = ["size", "--support-only", "--outage", "14:00-15:00:3000", "--support-replications", "2", "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Erlang C agents" in out and "simulated agents" in out and "outage 300" in out
    table = pd.read_csv(tmp_path / "support.csv")
    assert set(table["shift"]) == {"night", "day", "evening"}
    assert (table["erlang_c_agents"] >= 1).all()


def test_a_bad_outage_is_refused_before_any_work(capsys):
    from elcart_sim.cli import main

    assert main(["size", "--support-only", "--outage", "14:00-1500:3"]) != 0
    assert "--outage must look like 14:00-16:00:20000" in capsys.readouterr().err


def test_the_erlang_staffing_gives_erlang_as_hang_ups_at_its_agents():
    support, table = _stationary(12, patience_s=180.0)
    row = erlang_staffing(support, table).iloc[0]
    assert row["erlang_c_agents"] == 14
    assert row["erlang_a_abandoned"] == pytest.approx(erlang_a(14, A / AHT_S, AHT_S, 180.0).p_abandon)
