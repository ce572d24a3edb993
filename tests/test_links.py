"""Links with a bandwidth (core/link.py, model/links.py): exact transmission times, a busy line
queues, the fast fidelity's message sizes are the wire's for every message kind, so both give
the same tables; no bandwidth, no link."""

from __future__ import annotations

import pandas as pd
import pytest
import simpy

from elcart_sim import Simulation, load_scenario, run
from elcart_sim.core.clock import after
from elcart_sim.core.errors import ConfigurationError, ScenarioError
from elcart_sim.core.link import BACK, OUT, Link
from elcart_sim.model.links import ACQUIRER_SWITCH, SWITCH_ISSUER, TERMINAL_ACQUIRER
from elcart_sim.protocol.iso8583 import codec, messages
from elcart_sim.protocol.iso8583.spec import MTIS, REQUEST_MTIS

LATENCY_S = 0.004
BPS = 8_000.0  # a byte a millisecond

LINKS = {  # slow enough that sizes and queues show in every timing
    "network.acquirer_switch_bps": 64_000.0,
    "network.switch_issuer_bps": 64_000.0,
    "network.terminal_acquirer_bps": 20_000.0,
}


def _link(env, serial=True):
    return Link(env, "test", lambda: LATENCY_S, BPS, len, serial=serial)


def test_a_message_takes_its_size_over_the_bandwidth_then_the_latency():
    env = simpy.Environment()
    link = _link(env)
    seen = {}

    def entry(message, trace_id, reply):
        seen["request_at"] = env.now
        reply(b"a" * 50)

    link.round_trip(entry, b"r" * 100, 1, lambda answer: seen.setdefault("answer_at", env.now))
    env.run()
    assert seen["request_at"] == pytest.approx(100 * 8 / BPS + LATENCY_S, abs=1e-12)  # 0.104 s
    assert seen["answer_at"] == pytest.approx(seen["request_at"] + 50 * 8 / BPS + LATENCY_S, abs=1e-12)  # 0.158 s
    assert link.messages == [1, 1] and link.bytes == [100, 50]
    assert link.busy_s[OUT] == pytest.approx(0.1) and link.busy_s[BACK] == pytest.approx(0.05)
    assert link.utilisation(1.0) == pytest.approx(0.1)


def test_a_busy_line_queues_its_messages_in_order_and_each_direction_is_its_own():
    env = simpy.Environment()
    link = _link(env)
    arrivals = []
    for i in range(3):  # three requests at once: each waits for the ones before it
        link.round_trip(lambda m, t, reply: (arrivals.append((t, env.now)), reply(b"x" * 100)), b"r" * 100, i, lambda a: None)
    env.run()
    assert [t for t, _ in arrivals] == [0, 1, 2]
    assert [at for _, at in arrivals] == pytest.approx([0.1 + LATENCY_S, 0.2 + LATENCY_S, 0.3 + LATENCY_S], abs=1e-12)
    # the answers went back on the other line, each sent when its request had arrived: no wait
    # behind the requests, and they never overlapped (0.104, 0.204, 0.304 + 0.1 each)
    assert link.busy_s == pytest.approx([0.3, 0.3])
    terminal = _link(simpy.Environment(), serial=False)  # a terminal's own link: no queue
    delays = [terminal.delay_s(OUT, b"r" * 100) for _ in range(3)]
    assert delays == pytest.approx([0.1 + LATENCY_S] * 3)


def test_a_saturated_link_makes_the_chain_wait():
    """Requests every 0.1 s of 0.2 s each on the line: the queue grows without bound."""
    env = simpy.Environment()
    link = _link(env)
    arrived = []

    def send(i):
        link.round_trip(lambda m, t, reply: arrived.append(env.now), b"r" * 200, i, lambda a: None)

    for i in range(10):
        after(env, 0.1 * i, send, i)
    env.run()
    waits = [at - 0.1 * i - 0.2 - LATENCY_S for i, at in enumerate(arrived)]
    assert waits == pytest.approx([0.1 * i for i in range(10)], abs=1e-9)


def test_a_link_needs_a_bandwidth():
    with pytest.raises(ConfigurationError, match="bits_per_s"):
        Link(simpy.Environment(), "test", lambda: 0.0, 0.0, len)
    with pytest.raises(ScenarioError, match="network.acquirer_switch_bps"):
        load_scenario("national-day").with_overrides({"network.acquirer_switch_bps": -1.0})


def test_no_bandwidth_no_link():
    simulation = Simulation(load_scenario("national-day", scale=0.001))
    assert simulation.links == {} and simulation.acquirer.links is None and simulation.switch.links is None
    assert simulation.terminal_services.acquirer_link is None and simulation.atm_services.acquirer_link is None


# -- sizes: the fast fidelity's messages measure what the wire's bytes are ---------------------------


def test_the_size_of_a_message_is_its_encoded_length():
    request = {
        "t": "0100", "2": "9417000000000019", "3": "000000", "4": "000000001000", "7": "0710120000", "11": "000001",
        "22": "071", "37": "000000000001", "55": bytes.fromhex("9F2608") + bytes(8), "123": "TOKEN DATA",
    }  # fmt: skip
    response = messages.response_to(request, "00", authorisation_id="A1B2C3")
    kinds = [request, response, messages.reversal_for(request), *(messages.format_error_response(mti, 7) for mti in REQUEST_MTIS)]
    for message in kinds:
        assert codec.encoded_length(message) == len(codec.encode(message, check=False)), message["t"]
    assert codec.encoded_length(request) == 4 + 8 + 8 + (2 + 16) + 6 + 12 + 10 + 6 + 3 + 12 + (3 + 11) + (3 + 10)
    # DE55 as objects ({tag: value}, the fast fidelity's) measures as its BER-TLV
    as_objects = {**request, "55": {0x9F26: bytes(8), 0x9F10: bytes(200)}}
    as_bytes = {**request, "55": bytes.fromhex("9F2608") + bytes(8) + bytes.fromhex("9F1081C8") + bytes(200)}
    assert codec.encoded_length(as_objects) == codec.encoded_length(as_bytes) == len(codec.encode(as_bytes, check=False))


def _sizes_on_the_links(fidelity: str, overrides: dict) -> list[tuple]:
    """(link, MTI, processing code, size) of every message every link carried, in order."""
    scenario = load_scenario("national-day", scale=0.002, seed=21).with_overrides({**LINKS, **overrides, "fidelity": fidelity})
    simulation = Simulation(scenario)
    carried = []
    for link in simulation.links.values():
        size_of = link.size_of

        def measured(message, size_of=size_of, name=link.name):
            fields = simulation.wire.decode(message) if fidelity == "wire" else message
            size = size_of(message)
            carried.append((name, fields["t"], fields.get("3", "")[:2], size))
            return size

        link.size_of = measured
    simulation.run()
    return carried


def test_fast_and_wire_put_the_same_sizes_on_the_links_for_every_message_kind():
    """Two days with every message the chain sends: purchases (0100/0110), ATM withdrawals and
    the app's 0200s (processing codes 00, 01, 10, 26, 50), and on the second — a switch that
    waits only 50 ms for the issuers — reversals (0400/0410) and reversal advices (0420/0430), and
    on the third, with the switch standing in, its advices (0120/0130). A repeat (0101, 0121, 0401,
    0421) is its original with the MTI's last digit changed: the same size."""
    kinds = set()
    for overrides in ({}, {"switch.timeout_s": 0.05}, {"switch.timeout_s": 0.05, "switch.stand_in.enabled": True}):
        wire = _sizes_on_the_links("wire", overrides)
        fast = _sizes_on_the_links("fast", overrides)
        assert wire == fast
        kinds |= {(mti, code) for _, mti, code, _ in wire}
    assert set(MTIS) - {"0101", "0121", "0401", "0421"} <= {mti for mti, _ in kinds}
    assert {("0200", code) for code in ("00", "01", "10", "26", "50")} <= kinds
    names = {name for name, *_ in wire}
    assert {ACQUIRER_SWITCH, TERMINAL_ACQUIRER, f"{TERMINAL_ACQUIRER}:atm"} <= names
    assert len({name for name in names if name.startswith(f"{SWITCH_ISSUER}:")}) > 10  # a line to each bank


def test_wire_and_fast_give_identical_tables_over_slow_links():
    scenario = load_scenario("national-day", scale=0.002, seed=21).with_overrides(LINKS)
    wire = run(scenario)
    fast = run(scenario.with_overrides({"fidelity": "fast"}))
    for name in ("transactions", "hops", "postings", "receipts", "token_events"):
        pd.testing.assert_frame_equal(getattr(wire, name), getattr(fast, name), check_exact=True)
    unlimited = run(scenario.with_overrides({"fidelity": "fast", **{key: 0.0 for key in LINKS}}))
    # the same payments, each later by its messages' transmission times
    assert len(unlimited.transactions) == len(fast.transactions)
    assert fast.transactions["host_s"].mean() > unlimited.transactions["host_s"].mean() + 0.05  # ~300 bytes out, ~150 back


# -- the lines as capacity ----------------------------------------------------------------------


def test_the_knee_table_names_the_lines_and_their_load_is_the_simulated_one():
    """At 64 kbit/s a message of ~300 bytes holds the acquirer's line ~37 ms: the line is a pool
    of one server at the acquirer's message rate, as busy as the simulated peak makes it (its
    busier direction; 3,000 card transactions: a few per cent of noise)."""
    from elcart_sim.capacity.hosts import host_loads
    from elcart_sim.capacity.knee import knee_table, peak_rate_per_s, simulated_utilisation
    from elcart_sim.capacity.links import message_bytes

    day = load_scenario("salary-day-peak", scale=0.05, seed=4).with_overrides(
        {"network.acquirer_switch_bps": 64_000.0, "network.switch_issuer_bps": 64_000.0}
    )
    table = knee_table(day).set_index("component")
    lines = [c for c in table.index if c.startswith("link:")]
    assert lines[0] == ACQUIRER_SWITCH and len(lines) == 1 + sum(c.startswith("issuer:") for c in table.index)
    acquirer = next(load for load in host_loads(day, rate_per_s=peak_rate_per_s(day)) if load.component == "acquirer")
    out_bytes, back_bytes = message_bytes(day)[ACQUIRER_SWITCH]
    assert 100 < back_bytes < out_bytes < 600  # a request with its chip data, a shorter answer
    line = table.loc[ACQUIRER_SWITCH]
    assert line.servers == 1 and line.utilisation == pytest.approx(acquirer.arrival_rate_per_s * out_bytes * 8 / 64_000.0)
    simulated = simulated_utilisation(day, taps=3_000).set_index("component")["simulated_utilisation"]
    assert simulated[ACQUIRER_SWITCH] == pytest.approx(line.utilisation, rel=0.06)
    issuers = [c for c in lines if c.startswith(SWITCH_ISSUER)]
    assert sum(simulated[c] for c in issuers) == pytest.approx(sum(table.loc[c, "utilisation"] for c in issuers), rel=0.06)
    assert not [c for c in knee_table(load_scenario("national-day", scale=0.01)).component if c.startswith("link:")]
