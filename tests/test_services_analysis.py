"""The day by service: the services table, the summary's transfer figures, the load each service
brings to each host, and `elcart-sim run` on a day with transfers."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.analysis.services import SERVICE_COLUMNS, load_by_service, services_table


@pytest.fixture(scope="module")
def results():
    return Simulation(load_scenario("money-services-day", scale=0.001, fidelity="fast")).run()


def test_the_services_table_counts_every_request_once(results):
    table = services_table(results)
    assert list(table.columns) == SERVICE_COLUMNS
    assert table[["service", "channel"]].values.tolist() == [
        ["tap", "contactless"], ["p2p", "card"], ["p2p", "phone"], ["p2p", "qr"], ["bill", "reference"], ["topup", "phone"], ["account", "account"],
        ["qr_payment", "qr"],
    ]  # fmt: skip
    assert table.requests.sum() == len(results.transactions) + len(results.transfers)
    assert (table.completed + table.declined + table.reversed == table.requests).all()
    transfers = results.transfers
    completed = transfers[transfers.outcome == "completed"]
    assert table.loc[table.service != "tap", "value_tyiyn"].sum() == completed.amount_tyiyn.sum()


def test_the_summary_adds_the_transfers_when_the_day_has_them(results):
    summary = results.summary()
    assert summary["transfers"] == len(results.transfers)
    assert summary["transfers_completed"] + summary["transfers_declined"] + summary["transfers_reversed"] == summary["transfers"]
    assert "transfers" in results.summary_text()
    taps_only = Simulation(load_scenario("national-day", scale=0.0005, fidelity="fast", demand__app_channels={})).run()
    assert "transfers" not in taps_only.summary() and "transfers" not in taps_only.tables()


def test_load_by_service_splits_every_hosts_messages(results):
    load = load_by_service(results)
    assert set(load.columns) == {"tap", "p2p", "bill", "topup", "account", "qr_payment"}
    assert load.loc["directory", "tap"] == 0 and load.loc["directory", "p2p"] == (results.hops.hop == "directory").sum()
    assert load.loc["acquirer"].drop("tap").sum() == 0  # the app's services do not pass an acquirer
    assert int(load.values.sum()) == len(results.hops)
    assert list(load.index[:2]) == ["acquirer", "switch"]


def test_run_prints_and_writes_the_services(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "elcart_sim.cli", "run", "--scenario", "money-services-day", "--scale", "0.001", "--fidelity", "fast",
         "--out", str(out), "--no-progress", "--format", "csv"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "payments in the app over 24 h" in proc.stderr and "by service" in proc.stdout
    services = pd.read_csv(out / "services.csv")
    assert services.service.tolist()[0] == "tap"
    assert (out / "transfers.csv").exists() and (out / "volume_by_service.png").exists()


def test_sizing_loads_the_services_hosts_with_what_they_see(results):
    """The load sizing puts on each app host at the day's tap rate matches the messages the day's
    run sent it, within the noise of a small day."""
    from elcart_sim.capacity.hosts import host_loads

    scenario = results.scenario
    taps_per_s = scenario.transactions_expected / scenario.demand.duration_s  # the day's mean tap rate
    loads = {load.component: load.arrival_rate_per_s for load in host_loads(scenario, rate_per_s=taps_per_s)}
    served = dict(zip(results.components["component"], results.components["served"]))
    for host in ("directory", "switch", "interaction_operator"):
        assert served[host] / scenario.demand.duration_s == pytest.approx(loads[host], rel=0.25), host
