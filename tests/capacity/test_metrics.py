"""Metrics of one replication: warm-up removal, time averages from samples, waits from hops."""

from __future__ import annotations

import numpy as np
import pytest

from elcart_sim import load_scenario, run
from elcart_sim.capacity.metrics import (
    COMPONENT_MEASURES,
    component_metrics,
    observation_window,
    per_component,
    replication_metrics,
)
from elcart_sim.core.errors import CapacityError


@pytest.fixture(scope="module")
def busy_results():
    """A short, busy stretch with a slow switch: ~830 taps in 20 minutes, ρ ≈ 0.6 at the switch."""
    scenario = load_scenario("national-day", scale=0.02, seed=9, fidelity="fast", demand__app_channels={}).with_overrides(
        {
            "demand.hourly_profile": [1.0] * 24,
            "demand.transactions_per_day": 3_000_000.0,  # 0.69 taps/s at this scale
            "demand.duration_s": 1200.0,
            "monitor_interval_s": 100.0,
            "switch.servers": 1,
            "switch.service_time": {"dist": "exponential", "mean_s": 0.9},
        }
    )
    return run(scenario)


@pytest.fixture(scope="module")
def timeout_results():
    """An issuer so slow that the switch times out (15 s) and reversals follow."""
    scenario = load_scenario("national-day", scale=0.001, seed=5, fidelity="fast", demand__app_channels={}).with_overrides(
        {"issuer.service_time": {"dist": "exponential", "mean_s": 12.0}, "issuer.servers": 1}
    )
    return run(scenario)


def test_warmup_drops_the_early_taps(busy_results):
    tx = busy_results.transactions
    kept = tx[tx.tapped_at >= 300.0]
    m = replication_metrics(busy_results, warmup_s=300.0)
    assert m["transactions"] == len(kept) < len(tx)
    assert m["approved"] + m["declined"] + m["reversed"] + m["terminated"] == len(kept)
    assert m["approval_rate"] == (kept.outcome == "approved").mean()
    assert m["latency_p99_s"] == np.percentile(kept.tap_to_result_s, 99)
    assert m["latency_p50_s"] == np.percentile(kept.tap_to_result_s, 50)
    assert m["throughput_tps"] == len(kept) / 900.0


def test_observation_window_starts_on_a_monitor_boundary(busy_results):
    assert observation_window(busy_results, 0.0) == (0.0, 1200.0)
    assert observation_window(busy_results, 300.0) == (300.0, 1200.0)
    assert observation_window(busy_results, 250.0) == (300.0, 1200.0)
    with pytest.raises(CapacityError, match="leaves nothing"):
        observation_window(busy_results, 1200.0)


def _overlap(start, end, low, high):
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    return float(np.clip(np.minimum(end, high) - np.maximum(start, low), 0.0, None).sum())


def test_time_averages_from_samples_match_the_hop_records(busy_results):
    """The pool's accounting (samples) and the hop records are two records of one queue."""
    ours = component_metrics(busy_results, 300.0).set_index("component")
    hops = busy_results.hops
    for host in ("acquirer", "switch"):
        rows = hops[hops.hop == host]
        busy = _overlap(rows.started_at, rows.finished_at, 300.0, 1200.0)
        waiting = _overlap(rows.arrived_at, rows.started_at, 300.0, 1200.0)
        servers = ours.loc[host, "servers"]
        assert ours.loc[host, "utilisation"] == pytest.approx(busy / (servers * 900.0), rel=1e-9)
        assert ours.loc[host, "mean_queue"] == pytest.approx(waiting / 900.0, rel=1e-9)
    assert ours.loc["switch", "mean_queue"] > 0.3  # the slow switch queues


def test_waits_come_from_the_hops_after_warmup(busy_results):
    hops = busy_results.hops
    switch = hops[(hops.hop == "switch") & (hops.arrived_at >= 300.0) & (hops.arrived_at < 1200.0)]
    row = component_metrics(busy_results, 300.0).set_index("component").loc["switch"]
    authorisations = switch[~switch.mti.isin(["0400", "0420"])]  # the taps' 0100s and the ATMs' 0200s
    assert row["mean_wait_s"] == pytest.approx(authorisations.wait_s.mean())
    assert row["p99_wait_s"] == pytest.approx(np.quantile(authorisations.wait_s, 0.99))
    assert row["arrival_rate_per_s"] == len(switch) / 900.0
    assert row["mean_sojourn_s"] == pytest.approx((switch.wait_s + switch.service_s).mean())


def test_littles_law_holds_per_host(busy_results):
    table = component_metrics(busy_results, 300.0)
    served = table[table.arrival_rate_per_s > 0]
    assert len(served) > 10  # acquirer, switch and most issuer banks
    littles = served.arrival_rate_per_s * served.mean_sojourn_s
    assert served.mean_in_system.to_numpy() == pytest.approx(littles.to_numpy(), rel=0.02)


def test_issuers_are_per_bank_and_aggregated(busy_results):
    m = replication_metrics(busy_results)
    banks = [k[: -len("_utilisation")] for k in m if k.startswith("issuer:") and k.endswith("_utilisation")]
    assert len(banks) == 21
    assert m["issuers_max_utilisation"] == max(m[f"{b}_utilisation"] for b in banks)
    for measure in COMPONENT_MEASURES:
        assert f"switch_{measure}" in m and f"issuers_max_{measure}" in m


def test_timeouts_and_reversals_are_counted(timeout_results):
    m = replication_metrics(timeout_results)
    hops = timeout_results.hops
    assert m["timeouts"] == int(hops.timed_out.sum()) > 0
    assert m["reversals"] == hops.loc[hops.mti.isin(["0400", "0420"]), "trace_id"].nunique() > 0
    late = replication_metrics(timeout_results, warmup_s=43_200.0)
    assert late["timeouts"] < m["timeouts"]


def test_per_component_reshapes_a_replications_frame(busy_results):
    import pandas as pd

    frame = pd.DataFrame([{"switch.servers": 1, "replication": 0, **replication_metrics(busy_results)}])
    long = per_component(frame)
    assert list(long.columns) == ["switch.servers", "replication", "component", *COMPONENT_MEASURES]
    assert len(long) == 45  # acquirer, switch, 21 issuer banks, IPC's HSM, 21 banks' HSMs
    switch = long.set_index("component").loc["switch"]
    assert switch["utilisation"] == frame.loc[0, "switch_utilisation"]
