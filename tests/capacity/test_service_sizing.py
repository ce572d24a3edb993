"""Sizing a day with the app's services: every host the model registers is sized, its load at the
peak comes from visit ratios measured on the model, and a simulation sees that load."""

from __future__ import annotations

import pytest

from elcart_sim import load_scenario
from elcart_sim.capacity import component_metrics, host_loads, peak_window, size
from elcart_sim.capacity.hosts import host_spec, sized_hosts, with_servers
from elcart_sim.capacity.visits import channel_visits
from elcart_sim.core.errors import CapacityError
from elcart_sim.model.simulation import Simulation

APP_HOSTS = ("services.directory", "services.bills.gateway", "services.account_transfers.operator")


@pytest.fixture(scope="module")
def services_day():
    """money-services-day at 1 %, every biller answering (a biller that does not answer keeps a
    top-up 20 s, a tail no server count shortens), the directory slowed to 2 s and ELKART's share
    of the app payments doubled so that the directory's servers matter."""
    return load_scenario("money-services-day", scale=0.01, seed=11).with_overrides(
        {"services.bills.biller_availability": 1.0, "services.directory.service_time": {"dist": "constant", "mean_s": 2.0},
         "demand.elkart_app_share": 0.6}
    )  # fmt: skip


def _observed_rates(window, replication: int = 0) -> dict[str, float]:
    results = Simulation(window.scenario, replication=replication).run()
    metrics = component_metrics(results, window.warmup_s)
    return dict(zip(metrics["component"], metrics["arrival_rate_per_s"]))


def test_the_hosts_sized_are_the_registry_s_specs(services_day):
    one_issuer_spec = {"issuers": {}, "hsm.enabled": False}  # every bank on `issuer`, no HSM
    assert sized_hosts(load_scenario("national-day", scale=0.001, demand__app_channels={}).with_overrides(one_issuer_spec)) == ("acquirer", "switch", "issuer")
    assert sized_hosts(services_day.with_overrides(one_issuer_spec)) == ("acquirer", "switch", "issuer", *APP_HOSTS)
    hosts_as_they_are = sized_hosts(services_day)
    assert hosts_as_they_are[:3] == ("acquirer", "switch", "issuers.AIYL") and "issuer" in hosts_as_they_are
    assert {"hsm.switch", "hsm.issuers.AIYL", "hsm.issuer", *APP_HOSTS} <= set(hosts_as_they_are)
    assert host_spec(services_day, "services.directory").service_time.mean_s == 2.0
    fewer = with_servers(services_day, {"services.bills.gateway": 3})
    assert host_spec(fewer, "services.bills.gateway").servers == 3
    with pytest.raises(CapacityError, match="services.push is not a host spec"):
        host_spec(services_day, "services.push")


def test_a_transfer_day_s_loads_match_a_simulation_s_hop_counts():
    day = load_scenario("money-services-day", scale=0.1, seed=3)
    window = peak_window(day, taps=3_000)
    loads = {load.component: load for load in host_loads(window.scenario, rate_per_s=window.rate_per_s)}
    # A transfer between cards asks the directory once and sends at most two legs through the
    # switch (fewer when the directory, a limit or the debit declines it).
    p2p = channel_visits(day, "p2p_phone", sized_hosts(day))
    assert p2p["directory"] == pytest.approx(1.0, abs=0.02)
    assert 1.7 < p2p["switch"] <= 2.0
    taps = window.rate_per_s
    assert loads["acquirer"].arrival_rate_per_s == pytest.approx(taps)
    assert loads["switch"].arrival_rate_per_s > 2 * taps  # taps + ~2 legs per transfer + a leg per bill and per payment
    observed = _observed_rates(window)
    for component in ("switch", "directory", "interaction_operator", "biller_gateway:GW-TELECOM", "issuer:MBANK"):
        assert observed[component] == pytest.approx(loads[component].arrival_rate_per_s, rel=0.1), component
    # The tap's visits are structural (every tap's 0100 at the acquirer): the few taps whose card
    # dialogue ends first make the simulation see a little less, never more.
    assert 0.85 * taps < observed["acquirer"] <= 1.05 * taps


def test_size_gives_every_host_servers_that_meet_the_target(services_day):
    report = size(services_day, 4.0, taps=300, replications=2, growth=False)
    assert set(report.sized_servers) == set(sized_hosts(services_day))  # each bank's host and HSM too
    assert {"acquirer", "switch", "issuer", "issuers.AIYL", "hsm.switch", "hsm.issuer", *APP_HOSTS} <= set(report.sized_servers)
    assert report.sized.meets and set(report.sized.p99_by_service) == {"tap", "p2p", "bill", "topup", "account", "qr_payment"}
    assert all(p99 <= 4.0 for p99 in report.sized.p99_by_service.values())
    assert report.sized_servers["services.directory"] >= 2  # one 2-second server queues the transfers
    assert report.bottleneck == "directory"
    hosts = report.hosts.set_index("host")
    assert "services.bills.gateway (busiest: GW-TELECOM)" in hosts.index
    assert "messages/s at peak" in hosts.columns
    # The arrival rate sizing assumed at each new host is what the recommended configuration sees.
    sized = with_servers(services_day, report.sized_servers)
    window = peak_window(sized, taps=300)
    loads = {load.component: load.arrival_rate_per_s for load in host_loads(window.scenario, rate_per_s=window.rate_per_s)}
    observed = [_observed_rates(window, k) for k in range(2)]
    for component in ("directory", "interaction_operator", "biller_gateway:GW-TELECOM"):
        seen = sum(rates[component] for rates in observed) / len(observed)
        assert seen == pytest.approx(loads[component], rel=0.25), component
    text = report.table()
    assert "every service's p99" in text and "p99 by service: tap" in text
