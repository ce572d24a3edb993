"""The clock's steps and deadlines: exact instants, one outcome per expectation, few events."""

from __future__ import annotations

import simpy

from elcart_sim.core.clock import Deadlines, after, round_trip


def test_a_step_runs_its_function_at_the_instant():
    env, log = simpy.Environment(), []
    after(env, 2.5, lambda a, b: log.append((env.now, a, b)), "x", 1)
    after(env, 1.0, lambda: log.append((env.now,)))
    env.run()
    assert log == [(1.0,), (2.5, "x", 1)]


def test_a_round_trip_crosses_the_link_twice():
    env, log = simpy.Environment(), []
    latencies = iter([0.1, 0.2])

    def entry(message, trace_id, reply):
        log.append(("served", env.now, message, trace_id))
        after(env, 1.0, reply, message.upper())

    round_trip(env, lambda: next(latencies), entry, "ping", 7, lambda answer: log.append(("back", env.now, answer)))
    env.run()
    assert log == [("served", 0.1, "ping", 7), ("back", 1.3, "PING")]


def test_an_answer_in_time_passes_and_its_deadline_never_fires():
    env, log = simpy.Environment(), []
    deadlines = Deadlines(env, 10.0)
    reply = deadlines.expect(lambda answer: log.append(("answer", env.now, answer)), lambda: log.append(("timeout", env.now)))
    after(env, 3.0, reply, "00")
    env.run()
    assert log == [("answer", 3.0, "00")]


def test_no_answer_in_time_fires_the_timeout_at_the_deadline_and_drops_the_late_answer():
    env, log = simpy.Environment(), []
    deadlines = Deadlines(env, 10.0)
    reply = deadlines.expect(lambda answer: log.append(("answer", env.now)), lambda: log.append(("timeout", env.now)))
    after(env, 12.0, reply, "00")
    env.run()
    assert log == [("timeout", 10.0)]


def test_at_the_deadline_itself_the_timeout_wins():
    env, log = simpy.Environment(), []
    deadlines = Deadlines(env, 10.0)
    reply = deadlines.expect(lambda answer: log.append("answer"), lambda: log.append("timeout"))
    after(env, 10.0, reply, "00")
    env.run()
    assert log == ["timeout"]


def test_each_expectation_ends_once_in_order_of_its_own_deadline():
    env, log = simpy.Environment(), []
    deadlines = Deadlines(env, 5.0)

    def ask(name, answer_after_s):
        reply = deadlines.expect(lambda answer: log.append((name, "answer", env.now)), lambda: log.append((name, "timeout", env.now)))
        if answer_after_s is not None:
            after(env, answer_after_s, reply, name)

    ask("a", 1.0)
    after(env, 1.0, ask, "b", None)  # never answered: times out at 6
    after(env, 2.0, ask, "c", 9.0)  # answered at 11, after its deadline at 7
    after(env, 3.0, ask, "d", 0.5)
    env.run()
    assert log == [("a", "answer", 1.0), ("d", "answer", 3.5), ("b", "timeout", 6.0), ("c", "timeout", 7.0)]


def test_a_party_waiting_on_many_quick_answers_wakes_about_once_per_timeout():
    env = simpy.Environment()
    deadlines = Deadlines(env, 15.0)
    answered = []

    def ask():
        reply = deadlines.expect(answered.append, lambda: answered.append("timeout"))
        after(env, 0.05, reply, "00")

    for i in range(3000):  # one request every 0.01 s for 30 s, each answered in 50 ms
        after(env, i * 0.01, ask)
    env.run()
    assert answered == ["00"] * 3000
    events = next(env._eid)  # SimPy numbers every scheduled event
    assert events - 2 * 3000 <= 4  # the requests and answers, and a wake-up or two per 15 s
