"""The server pool: FIFO, c servers, exact simulated times and exact time integrals."""

from __future__ import annotations

import simpy

from elcart_sim.core.server_pool import ServerPool


def customer(env, pool, service_s, log, name):
    def start():
        log.append((name, "start", env.now))
        env.timeout(service_s).callbacks.append(end)

    def end(_event):
        pool.release()
        log.append((name, "end", env.now))

    pool.request(start)


def test_two_servers_serve_in_arrival_order_with_exact_times():
    env = simpy.Environment()
    pool = ServerPool(env, "switch", 2)
    log = []
    for i, service in enumerate([4.0, 4.0, 1.0, 1.0]):
        customer(env, pool, service, log, f"c{i}")
    env.run()
    starts = {name: t for name, what, t in log if what == "start"}
    assert starts == {"c0": 0.0, "c1": 0.0, "c2": 4.0, "c3": 4.0}
    stats = pool.statistics(duration_s=5.0)
    # busy: 2 servers × 5 s = 10 server-seconds; queue: 2 waiting for 4 s = 8.
    assert stats["utilisation"] == 1.0
    assert stats["mean_queue"] == 8.0 / 5.0
    assert stats["max_queue"] == 2
    assert stats["served"] == 4


def test_idle_pool_reports_zero():
    env = simpy.Environment()
    pool = ServerPool(env, "issuer", 3)
    env.run(until=10)
    assert pool.statistics(10.0)["utilisation"] == 0.0
