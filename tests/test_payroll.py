"""Salary and pension credits end to end: a credit posted at the cardholder's bank by its batch
run, its push through the notification gateway (delivered, late or lost), and the fresh money
spent and sent on — with exact times (every delay fixed), the postings, and one notification
per credit."""

from __future__ import annotations

import math

import pytest
from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, load_scenario
from elcart_sim.core.errors import ScenarioError
from elcart_sim.hosts.batch_posting import CreditFile
from elcart_sim.money import accounts
from elcart_sim.scenario import CARD_STATUSES

SERVICES_FIXED = {
    "services.app_directory": {"dist": "constant", "mean_s": 0.002},
    "services.app_switch": {"dist": "constant", "mean_s": 0.004},
    "services.directory.service_time": {"dist": "constant", "mean_s": 0.001},
}
POSTING_S, GATEWAY_S, LATENCY_S, OFFLINE_S = 0.005, 0.001, 1.5, 600.0
PAYROLL_FIXED = {
    "services.payroll.posting.service_time": {"dist": "constant", "mean_s": POSTING_S},
    "services.notifications.service_time": {"dist": "constant", "mean_s": GATEWAY_S},
    "services.push.latency": {"dist": "constant", "mean_s": LATENCY_S},
    "services.push.offline_delay": {"dist": "constant", "mean_s": OFFLINE_S},
    "services.push.loss_share": 0.0,
    "services.push.offline_share": 0.0,
    "services.payroll.echo.spend_share": 0.0,
    "services.payroll.echo.send_share": 0.0,
}
SEEN_AT = POSTING_S + GATEWAY_S + LATENCY_S  # a credit made at 0: posted, pushed, on the phone
# one transfer leg: app→switch 0.004, switch 0.001, switch→issuer 0.003, issuer 0.006, back 0.003 + 0.004
LEG_S = 0.004 + 0.001 + 0.003 + 0.006 + 0.003 + 0.004
LOOKUP_S = 0.002 + 0.001 + 0.002

CREDITS_DAY = {
    "demand.day_kind": "salary",
    "demand.salary_day_factor": 1.0,
    "services.payroll.batches": [
        {"payer": "employer", "hour": 9.0, "share": 0.2},
        {"payer": "social_fund", "hour": 10.0, "share": 0.15, "amount": {"dist": "lognormal", "mean_kgs": 10200, "cv": 0.4}},
    ],
    "services.payroll.echo.spend_share": 0.5,
    "services.payroll.echo.send_share": 0.3,
    "services.push.loss_share": 0.05,  # enough lost pushes to see at this size
}


def _sim(fidelity: str = "wire", **overrides) -> Simulation:
    scenario = load_scenario("national-day", seed=5, fidelity=fidelity)
    return Simulation(scenario.with_overrides({**FIXED_DELAYS, **SERVICES_FIXED, **PAYROLL_FIXED, **overrides}))


def _credits_day(seed: int, fidelity: str = "fast"):
    simulation = Simulation(load_scenario("national-day", scale=0.002, seed=seed, fidelity=fidelity).with_overrides(CREDITS_DAY))
    return simulation, simulation.run()


def _wallet_card(sim) -> int:
    """An active card with an ELKART Pay wallet (so also linked in the app)."""
    population = sim.population
    return next(int(c) for c in population.enrolled_cards if CARD_STATUSES[population.card_status[c]] == "active")


def _balance(sim, card) -> int:
    return sim.ledger.available_tyiyn(accounts.cardholder(sim.population.bank_of_card(card).code, card))


def test_a_credit_is_posted_at_the_cardholders_bank_and_its_push_delivered_exactly():
    sim = _sim()
    card = _wallet_card(sim)
    bank = sim.population.bank_of_card(card).code
    before = _balance(sim, card)
    delivery = sim.credit("employer:0", card, 2_000_000)
    assert (delivery.outcome, delivery.kind) == ("delivered", "payroll_credit")
    assert delivery.sent_at == pytest.approx(POSTING_S, abs=1e-12)
    assert delivery.delivered_at == pytest.approx(SEEN_AT, abs=1e-12)
    assert _balance(sim, card) == before + 2_000_000

    results = sim.results()
    [row] = results.notifications.itertuples()
    assert (row.trace_id, row.kind, row.channel, row.outcome) == (delivery.trace_id, "payroll_credit", "push", "delivered")
    assert (row.sent_at, row.delivered_at) == pytest.approx((POSTING_S, SEEN_AT), abs=1e-12)
    assert row.delay_s == pytest.approx(GATEWAY_S + LATENCY_S, abs=1e-12)
    postings = results.postings[results.postings.trace_id == delivery.trace_id]
    assert postings[["kind", "debit_account", "credit_account", "amount_tyiyn"]].values.tolist() == [
        ["payroll_credit", f"{bank}/payroll_funding/employer:0", f"{bank}/cardholder/{card}", 2_000_000]
    ]
    hops = results.hops[["hop", "mti", "issuer", "arrived_at", "finished_at"]].values.tolist()
    assert hops == [["payroll", "", bank, 0.0, POSTING_S], ["notifications", "", bank, POSTING_S, POSTING_S + GATEWAY_S]]
    assert {"payroll:" + bank, "notifications"} <= set(results.components.component)
    assert results.trial_balance_tyiyn == 0


def test_a_lost_push_is_recorded_lost_and_the_money_is_still_credited():
    sim = _sim(**{"services.push.loss_share": 1.0, "services.payroll.echo.spend_share": 1.0, "services.payroll.echo.send_share": 1.0})
    card = _wallet_card(sim)
    before = _balance(sim, card)
    delivery = sim.credit("social_fund:0", card, 1_020_000)
    assert delivery.outcome == "lost" and math.isnan(delivery.delivered_at)
    assert _balance(sim, card) == before + 1_020_000
    results = sim.results()
    [row] = results.notifications.itertuples()
    assert row.outcome == "lost" and math.isnan(row.delivered_at) and math.isnan(row.delay_s)
    assert row.sent_at == pytest.approx(POSTING_S, abs=1e-12)
    assert len(results.transactions) == len(results.transfers) == 0  # nobody saw it: no echo


@pytest.mark.parametrize(
    ("overrides", "delay_s", "outcome"),
    [
        ({"services.push.offline_share": 1.0}, GATEWAY_S + LATENCY_S + OFFLINE_S, "late"),  # held until the phone is back
        ({"services.push.latency": {"dist": "constant", "mean_s": 90.0}}, GATEWAY_S + 90.0, "late"),  # a slow network
        ({"services.push.latency": {"dist": "constant", "mean_s": 59.0}}, GATEWAY_S + 59.0, "delivered"),  # within the minute
    ],
)
def test_a_push_after_the_threshold_is_late(overrides, delay_s, outcome):
    sim = _sim(**overrides)
    delivery = sim.credit("employer:0", _wallet_card(sim), 500_000)
    assert delivery.outcome == outcome
    assert delivery.delivered_at - delivery.sent_at == pytest.approx(delay_s, abs=1e-9)
    [row] = sim.results().notifications.itertuples()
    assert (row.outcome, row.delay_s) == (outcome, pytest.approx(delay_s, abs=1e-9))


@pytest.mark.parametrize("fidelity", ["wire", "fast"])
def test_the_credited_cardholder_taps_and_sends_at_the_echo_delays_after_seeing_it(fidelity):
    sim = _sim(
        fidelity,
        **{
            "services.payroll.echo.spend_share": 1.0,
            "services.payroll.echo.spend_delay": {"dist": "constant", "mean_s": 3600.0},
            "services.payroll.echo.send_share": 1.0,
            "services.payroll.echo.send_delay": {"dist": "constant", "mean_s": 1800.0},
        },
    )
    card = _wallet_card(sim)
    delivery = sim.credit("employer:0", card, 3_000_000)
    assert delivery.outcome == "delivered"
    results = sim.results()
    [tap] = results.transactions.itertuples()
    assert tap.tapped_at == pytest.approx(SEEN_AT + 3600.0, abs=1e-9)
    assert tap.outcome == "approved" and tap.issuer == sim.population.bank_of_card(card).code
    [transfer] = results.transfers.itertuples()
    assert transfer.requested_at == pytest.approx(SEEN_AT + 1800.0, abs=1e-9)
    assert (transfer.channel, transfer.sender_issuer) == ("phone", sim.population.bank_of_card(card).code)
    assert transfer.outcome == "completed"
    assert transfer.result_at == pytest.approx(SEEN_AT + 1800.0 + LOOKUP_S + 2 * LEG_S, abs=1e-9)
    assert results.trial_balance_tyiyn == 0


def test_a_bank_posts_a_file_credit_by_credit_on_its_servers_in_order():
    sim = _sim()
    bank = sim.population.banks[0]
    first = int(sim.population.card_starts[0])
    posted = []
    credits = CreditFile("employer:7", list(range(first, first + 5)), [100_000 * (i + 1) for i in range(5)], lambda *credit: posted.append(credit))
    sim.payroll.posting[bank.index].receive_file(credits)
    sim.env.run()
    assert [card for _, card, _ in posted] == list(range(first, first + 5))  # two servers, FIFO
    hops = sim.results().hops
    payroll = hops[hops.hop == "payroll"]
    assert payroll.arrived_at.tolist() == [0.0] * 5  # the whole file arrived at once
    assert payroll.finished_at.tolist() == pytest.approx([0.005, 0.005, 0.010, 0.010, 0.015], abs=1e-12)
    assert payroll.wait_s.tolist() == pytest.approx([0.0, 0.0, 0.005, 0.005, 0.010], abs=1e-12)


def test_echo_taps_and_transfers_of_a_credits_day_come_after_the_cardholder_saw_the_credit():
    # the app's own payments off: the day's only transfers are then the echo's
    scenario = load_scenario("national-day", scale=0.002, seed=7).with_overrides({**CREDITS_DAY, "demand.app_channels": {}})
    simulation = Simulation(scenario)
    echo, env = simulation.payroll.echo, simulation.env
    taps: list[tuple[int, float]] = []
    sends: list[tuple[int, float]] = []
    start_tap, start_transfer = echo.start_tap, echo.start_transfer
    echo.start_tap = lambda card, terminal, amount: (taps.append((card, env.now)), start_tap(card, terminal, amount))
    echo.start_transfer = lambda channel, card, to, amount: (sends.append((card, env.now)), start_transfer(channel, card, to, amount))
    results = simulation.run()
    credits = results.postings[results.postings.kind == "payroll_credit"]
    card_of = dict(zip(credits.trace_id, credits.credit_account.astype(str).str.rsplit("/", n=1).str[1].astype(int)))
    seen = results.notifications[results.notifications.outcome != "lost"]
    first_seen: dict[int, float] = {}
    for trace_id, at in zip(seen.trace_id, seen.delivered_at):
        first_seen[card_of[trace_id]] = min(at, first_seen.get(card_of[trace_id], math.inf))
    assert len(taps) > 20 and len(sends) > 20
    for card, at in taps + sends:
        assert card in first_seen and at > first_seen[card], (card, at)
    assert all(simulation.population.enrolled[card] for card, _ in taps)  # only a wallet taps
    assert len(results.transfers) == len(sends)  # the day has no other transfers
    # The echo draws from streams of its own: the day's own taps are the same without it.
    quiet = Simulation(scenario.with_overrides({"services.payroll.echo.spend_share": 0.0, "services.payroll.echo.send_share": 0.0})).run()
    assert len(results.transactions) == len(quiet.transactions) + len(taps)


@pytest.mark.parametrize("seed", range(3))
def test_a_credits_day_conserves_money_and_credits_every_card_exactly_once(seed):
    simulation, results = _credits_day(seed)
    assert results.trial_balance_tyiyn == 0
    credits = results.postings[results.postings.kind == "payroll_credit"]
    assert len(credits) == simulation.payroll.credits_sent == round(0.2 * simulation.population.n_cards) + round(0.15 * simulation.population.n_cards)
    assert credits.trace_id.is_unique
    for payer in ("employer:0", "social_fund:1"):  # a batch credits no card twice
        of_payer = credits[credits.debit_account.astype(str).str.endswith("/payroll_funding/" + payer)]
        assert of_payer.credit_account.is_unique and len(of_payer) > 0
    notifications = results.notifications
    assert sorted(notifications.trace_id) == sorted(credits.trace_id)  # one push per credit
    assert set(notifications.outcome) <= {"delivered", "late", "lost"} and (notifications.outcome == "lost").any()
    funding = results.postings[results.postings.debit_account.astype(str).str.contains("/payroll_funding/")]
    assert funding.amount_tyiyn.sum() == credits.amount_tyiyn.sum()


def test_the_same_seed_gives_the_same_credits_day():
    _, first = _credits_day(4)
    _, second = _credits_day(4)
    for table in ("notifications", "transactions", "transfers", "postings", "hops"):
        assert getattr(first, table).equals(getattr(second, table)), table


def test_fast_and_wire_give_the_same_credits_day():
    _, fast = _credits_day(3, "fast")
    _, wire = _credits_day(3, "wire")
    for table in ("notifications", "transactions", "transfers", "postings"):
        assert getattr(fast, table).equals(getattr(wire, table)), table


def test_credits_are_opt_in():
    for name in ("national-day", "growth-5y", "money-services-day"):
        simulation = Simulation(load_scenario(name, scale=0.0005))
        assert not simulation.crediting_day and not any(c.hop in ("payroll", "notifications") for c in simulation.registry)
    batches = {"services.payroll.batches": [{"payer": "employer", "hour": 9.0, "share": 0.1}]}
    ordinary = Simulation(load_scenario("national-day", scale=0.0005).with_overrides(batches))
    assert not ordinary.crediting_day  # files listed, but not a crediting day
    assert Simulation(load_scenario("national-day", scale=0.0005).with_overrides({**batches, "demand.day_kind": "salary"})).crediting_day


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"services.payroll.batches": [{"payer": "bank"}]}, "services.payroll.batches[0].payer must be one of employer, social_fund"),
        ({"services.payroll.batches": [{"hour": 24}]}, "services.payroll.batches[0].hour must be a local hour"),
        ({"services.payroll.batches": [{"share": 1.5}]}, "services.payroll.batches[0].share must be between 0 and 1"),
        ({"services.push.loss_share": 0.6, "services.push.offline_share": 0.5}, "services.push.offline_share must leave room"),
        ({"services.push.late_after_s": 0}, "services.push.late_after_s must be > 0"),
        ({"services.payroll.echo.spend_share": -0.1}, "services.payroll.echo.spend_share must be between 0 and 1"),
    ],
)
def test_broken_payroll_fields_name_path_and_value(overrides, message):
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_scenario("national-day").with_overrides(overrides)


def test_the_bundled_credits_day_is_national_day_with_credits_and_no_flat_multiplier():
    def flat(d, prefix=""):
        out = {}
        for key, value in d.items():
            path = f"{prefix}{key}"
            out.update(flat(value, f"{path}.") if isinstance(value, dict) and key not in ("channels",) else {path: value})
        return out

    national, credits = load_scenario("national-day"), load_scenario("salary-day-credits")
    base, variant = flat(national.to_dict()), flat(credits.to_dict())
    differing = {k for k in base.keys() | variant.keys() if base.get(k) != variant.get(k)}
    assert differing == {
        "name", "description", "seed", "date", "demand.day_kind", "demand.salary_day_factor", "services.payroll.batches",
        "services.payroll.echo.withdraw_share",
        # the crediting days, which capacity planning sizes, carry their lines' bandwidth (E1s)
        "network.acquirer_switch_bps", "network.switch_issuer_bps",
    }
    assert credits.transactions_per_day_effective == national.transactions_per_day_effective
    assert [(b.payer, b.hour) for b in credits.services.payroll.batches] == [("employer", 9.0), ("social_fund", 10.0), ("employer", 14.0)]


def test_the_salary_day_peak_puts_two_to_three_times_the_card_transactions_on_the_hosts():
    """Issue 11 item 6: the salary day's peak built from its credits — national-day's card side
    plus the credits' echo, ATM withdrawals above all — not a flat multiplier."""
    import numpy as np

    days = {name: Simulation(load_scenario(name, scale=0.003, fidelity="fast")).run().transactions for name in ("national-day", "salary-day-peak")}
    normal, peak = days["national-day"], days["salary-day-peak"]
    assert 2.0 <= len(peak) / len(normal) <= 3.2
    per_hour = np.bincount((peak.tapped_at // 3600).astype(int), minlength=24)
    assert 10 <= int(per_hour.argmax()) <= 13  # the echo of the 09:00 and 10:00 files
    assert per_hour.max() / len(peak) > np.bincount((normal.tapped_at // 3600).astype(int), minlength=24).max() / len(normal)
    atm = peak[peak.channel == "atm"]
    assert len(atm) / len(peak) > 0.65 and (atm.outcome == "approved").mean() > 0.9
