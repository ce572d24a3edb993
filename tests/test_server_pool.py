"""Servers and queues: a host's FIFO servers give each message its start and end on arrival;
a checkout lane serves one customer at a time; the occupancy read from the hop records is
exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import simpy

from elcart_sim.analysis.occupancy import components_table, samples_table
from elcart_sim.core.errors import ConfigurationError
from elcart_sim.core.registry import Component, Registry
from elcart_sim.core.server_pool import Lane, ServerPool


def test_two_servers_serve_in_arrival_order_with_exact_times():
    pool = ServerPool("switch", 2)
    times = [pool.schedule(0.0, service) for service in (4.0, 4.0, 1.0, 1.0)]
    assert times == [(0.0, 4.0), (0.0, 4.0), (4.0, 5.0), (4.0, 5.0)]
    assert pool.schedule(6.0, 1.0) == (6.0, 7.0)  # idle servers: no wait
    assert pool.served == 5


def test_a_pool_needs_a_whole_number_of_servers():
    with pytest.raises(ConfigurationError, match="switch: capacity must be a whole number > 0, got 0"):
        ServerPool("switch", 0)


def test_a_lane_serves_one_customer_at_a_time_in_order():
    lane, served = Lane("T0000001"), []
    for name in ("a", "b", "c"):
        lane.request(lambda name=name: served.append(name))
    assert served == ["a"] and lane.queue_length == 2
    lane.release()
    assert served == ["a", "b"]
    lane.release()
    lane.release()
    assert served == ["a", "b", "c"] and not lane.busy


def _hops(rows):
    return pd.DataFrame(rows, columns=["hop", "issuer", "arrived_at", "started_at", "finished_at"])


REGISTRY = Registry((Component("switch", "switch", "switch", 2), Component("issuer:AIYL", "issuer", "issuer", 1, "AIYL")))


def test_occupancy_is_read_exactly_from_the_hop_records():
    # Four messages at the switch as above (two servers): busy 0-4 ×2, 4-5 ×2; two wait 0-4.
    hops = _hops([("switch", "AIYL", 0.0, s, f) for s, f in ((0.0, 4.0), (0.0, 4.0), (4.0, 5.0), (4.0, 5.0))])
    components = components_table(hops, REGISTRY, duration_s=5.0).set_index("component")
    assert components.loc["switch"].to_dict() == {
        "servers": 2, "served": 4, "utilisation": 1.0, "mean_busy": 2.0, "mean_queue": 8.0 / 5.0, "max_queue": 2,
    }  # fmt: skip
    assert components.loc["issuer:AIYL", "served"] == 0
    samples = samples_table(hops, REGISTRY, duration_s=5.0, interval_s=3.0)
    switch = samples[samples.component == "switch"]
    assert switch["at"].tolist() == [3.0, 5.0]  # the last interval is shorter
    assert switch["queue_length"].tolist() == [2, 0] and switch["busy"].tolist() == [2, 0]
    assert switch["mean_queue"].tolist() == [2.0, 1.0]  # 2 waiting all 3 s; then 2 waiting for 1 s of 2
    assert switch["mean_busy"].tolist() == [2.0, 2.0]
    assert list(samples.component.cat.categories) == ["switch", "issuer:AIYL"]


def test_a_message_that_does_not_wait_is_never_counted_in_the_queue():
    hops = _hops([("switch", "", 1.0, 1.0, 2.0), ("switch", "", 2.0, 2.0, 3.0)])
    components = components_table(hops, REGISTRY, duration_s=4.0).set_index("component")
    assert components.loc["switch", "max_queue"] == 0 and components.loc["switch", "mean_queue"] == 0.0


def test_per_bank_hosts_are_told_apart_by_the_issuer_column():
    hops = _hops([("issuer", "AIYL", 0.0, 0.0, 1.0), ("switch", "AIYL", 0.0, 0.0, 1.0)])
    components = components_table(hops, REGISTRY, duration_s=1.0).set_index("component")
    assert components["served"].to_dict() == {"switch": 1, "issuer:AIYL": 1}
    assert np.isclose(components.loc["issuer:AIYL", "utilisation"], 1.0)


def test_a_message_served_in_a_simulation_ends_at_its_finish_instant():
    from elcart_sim.core.clock import after

    env, pool, log = simpy.Environment(), ServerPool("issuer", 1), []

    def arrive():
        started, finished = pool.schedule(env.now, 2.0)
        after(env, finished - env.now, lambda: log.append((started, finished, env.now)))

    for arrival in (0.0, 0.5):
        after(env, arrival, arrive)
    env.run()
    assert log == [(0.0, 2.0, 2.0), (2.0, 4.0, 4.0)]
