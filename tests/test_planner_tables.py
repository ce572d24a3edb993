"""The planner's tables (hour by hour, host by host) on hand-made records with known answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from elcart_sim import load_scenario
from elcart_sim.analysis.planner_tables import HOST_COLUMNS, HOURLY_COLUMNS, hop_hosts, hosts_table, hourly_table
from elcart_sim.analysis.results import Results

# Four taps: three in hour 0 (two of them in minute 1), one in hour 1.
TRANSACTIONS = pd.DataFrame(
    {
        "trace_id": [1, 2, 3, 4],
        "tapped_at": [10.0, 70.0, 80.0, 3605.0],
        "tap_to_result_s": [0.5, 1.5, 1.0, 2.0],
        "outcome": ["approved", "declined", "approved", "approved"],
        "issuer": ["AIYL", "RSK", "AIYL", "RSK"],
    }
)
# Each tap's authorisation at the acquirer, the switch and its issuer; tap 2 also a reversal (0400).
HOPS = pd.DataFrame(
    {
        "trace_id": [1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4],
        "hop": ["acquirer", "switch", "issuer", "acquirer", "switch", "issuer", "acquirer",
                "acquirer", "switch", "issuer", "acquirer", "switch", "issuer"],
        "mti": ["0100"] * 6 + ["0400"] + ["0100"] * 6,
        "arrived_at": [10.2, 10.3, 10.4, 70.2, 70.3, 70.4, 100.0, 80.2, 80.3, 80.4, 3605.2, 3605.3, 3605.4],
        "residence_s": [0.30, 0.20, 0.10, 0.32, 0.22, 0.12, 0.05, 0.34, 0.24, 0.14, 0.36, 0.26, 0.16],
    }
)  # fmt: skip
COMPONENTS = pd.DataFrame({"component": ["acquirer", "switch", "issuer:AIYL", "issuer:RSK", "issuer:MBANK"]})


def _results(hops: pd.DataFrame = HOPS) -> Results:
    empty = pd.DataFrame()
    return Results(scenario=load_scenario("national-day"), transactions=TRANSACTIONS, hops=hops, postings=empty,
                   receipts=empty, samples=empty, components=COMPONENTS, population={}, trial_balance_tyiyn=0)  # fmt: skip


def test_hour_by_hour():
    table = hourly_table(_results())
    assert list(table.columns) == HOURLY_COLUMNS and list(table["hour"]) == list(range(24))
    first, second = table.iloc[0], table.iloc[1]
    assert (first["taps"], first["approvals"]) == (3, 2)
    assert first["latency_p50_s"] == 1.0
    assert first["latency_p99_s"] == pytest.approx(1.0 + 0.98 * 0.5)  # linear between 1.0 and 1.5
    assert first["peak_tps"] == 2 / 60  # minute 1 holds taps 2 and 3
    assert (second["taps"], second["approvals"], second["latency_p50_s"], second["latency_p99_s"]) == (1, 1, 2.0, 2.0)
    assert second["peak_tps"] == 1 / 60
    quiet = table.iloc[2:]
    assert (quiet["taps"] == 0).all() and (quiet["peak_tps"] == 0).all() and quiet["latency_p99_s"].isna().all()
    assert table["taps"].sum() == len(TRANSACTIONS)


def test_host_by_host():
    table = hosts_table(_results()).set_index("host")
    assert list(table.reset_index().columns) == HOST_COLUMNS
    assert list(table.index) == ["acquirer", "switch", "issuer:AIYL", "issuer:RSK", "issuer:MBANK"]
    assert list(table["messages"]) == [5, 4, 2, 2, 0]
    acquirer = table.loc["acquirer"]
    assert acquirer["peak_arrivals_per_s"] == 3 / 60  # 70.2, 80.2 and the reversal at 100.0
    assert acquirer["busiest_minute_at"] == 60.0
    assert acquirer["residence_p99_s"] == pytest.approx(0.34 + 0.96 * (0.36 - 0.34))  # of 0.05 0.30 0.32 0.34 0.36
    aiyl = table.loc["issuer:AIYL"]  # taps 1 and 3: minutes 0 and 1 hold one each, the earlier wins
    assert (aiyl["peak_arrivals_per_s"], aiyl["busiest_minute_at"]) == (1 / 60, 0.0)
    assert aiyl["residence_p99_s"] == pytest.approx(0.10 + 0.99 * 0.04)
    idle = table.loc["issuer:MBANK"]
    assert idle["peak_arrivals_per_s"] == 0 and math.isnan(idle["busiest_minute_at"]) and math.isnan(idle["residence_p99_s"])


def test_the_issuer_of_a_hop_comes_from_the_hops_when_they_carry_it():
    assert list(hop_hosts(_results())[HOPS["hop"] == "issuer"]) == ["issuer:AIYL", "issuer:RSK", "issuer:AIYL", "issuer:RSK"]
    carried = HOPS.assign(issuer=["AIYL", "AIYL", "AIYL", "RSK", "RSK", "RSK", "RSK",
                                  "KICB", "KICB", "KICB", "RSK", "RSK", "RSK"])  # fmt: skip
    table = hosts_table(_results(carried)).set_index("host")
    assert table.loc["issuer:KICB", "messages"] == 1 and table.loc["issuer:AIYL", "messages"] == 1  # not joined
    assert list(table.index)[-1] == "issuer:KICB"  # a host the components table does not name comes last


def test_a_real_run_adds_up(small_results):
    hourly = hourly_table(small_results)
    assert hourly["taps"].sum() == len(small_results.transactions)
    assert hourly["approvals"].sum() == (small_results.transactions["outcome"] == "approved").sum()
    assert hourly["peak_tps"].max() == pytest.approx(small_results.summary()["peak_tps_minute"])
    hosts = hosts_table(small_results)
    assert list(hosts["host"]) == list(small_results.components["component"])
    assert hosts["messages"].sum() == len(small_results.hops)
