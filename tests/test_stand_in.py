"""Stand-in processing at the switch (hosts/switch/stand_in.py), every delay fixed: which taps the
switch approves in an issuer's stead, the advices it stores and forwards, the issuer's postings
of them, the money at risk, and clearing.

Times: a tap started at 0 reaches the switch's decision after its card dialogue (4 APDUs ×
0.02 s + 0.05 s processing), the terminal's link (0.1 s), the acquirer (0.002 s), the
acquirer's link (0.004 s) and the switch's service (0.001 s): at 0.237 s. An advice then takes
the switch's link (0.003 s) and the issuer's service (0.006 s) to be posted, and the link back
(0.003 s) to be acknowledged.
"""

from __future__ import annotations

import math

import pytest
from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, load_scenario
from elcart_sim.core.clock import after
from elcart_sim.core.errors import ScenarioError
from elcart_sim.world.population import CARD_STATUSES

DECIDED_AT = 4 * 0.02 + 0.05 + 0.1 + 0.002 + 0.004 + 0.001  # 0.237 s
TO_ISSUER_S = 0.003 + 0.006  # the advice posted
ROUND_TRIP_S = 0.003 + 0.006 + 0.003  # the advice acknowledged


def simulation(**overrides) -> Simulation:
    settings = dict(
        FIXED_DELAYS,
        **{
            "switch.stand_in.enabled": True,
            "switch.stand_in.advice": {"first_try_delay_s": 30.0, "retry_interval_s": 60.0, "expiry_s": 3600.0},
        },
    )
    settings.update(overrides)
    return Simulation(load_scenario("national-day", seed=99).with_overrides(settings))


def cards_of_one_bank(sim: Simulation, n: int, balance_at_least: int = 0, balance_below: int | None = None) -> list[int]:
    pop = sim.population
    bank = pop.bank_of_card(int(pop.enrolled_cards[0]))
    found = []
    for card in pop.enrolled_cards:
        card = int(card)
        balance = int(pop.opening_balance_tyiyn[card])
        if (
            CARD_STATUSES[pop.card_status[card]] == "active"
            and pop.bank_of_card(card) is bank
            and balance >= balance_at_least
            and (balance_below is None or balance < balance_below)
        ):
            found.append(card)
            if len(found) == n:
                return found
    raise AssertionError("not enough such cards")


def issuer_of(sim: Simulation, card: int):
    return sim.issuers[sim.population.bank_of_card(card).index]


def take_down(issuer, until_s: float | None = None) -> list[str]:
    """The issuer's link down (the switch sees it: ``down``) and every advice to it lost, until
    ``until_s``; returns the MTIs of the advices that reached it."""
    issuer.down = True
    arrived: list[str] = []
    entries = {"advise": issuer.advise, "advise_repeat": issuer.advise_repeat}

    def lossy(name: str, mti: str):
        def entry(payload, trace_id, reply):
            if not issuer.down:
                arrived.append(mti)
                entries[name](payload, trace_id, reply)

        return entry

    issuer.advise = lossy("advise", "0120")
    issuer.advise_repeat = lossy("advise_repeat", "0121")
    if until_s is not None:
        after(issuer.env, until_s, setattr, issuer, "down", False)
    return arrived


def tap_at(sim: Simulation, results: dict, key, card: int, terminal: int, amount_tyiyn: int, at_s: float = 0.0) -> None:
    after(sim.env, at_s, lambda: sim.start_tap(card, terminal, amount_tyiyn, then=lambda result: results.__setitem__(key, result)))


def stand_in_rows(sim: Simulation):
    sim.switch.stand_in.close()
    return sim.records.stand_in.to_frame().sort_values("trace_id").reset_index(drop=True)


def purchases(sim: Simulation) -> int:
    return sum(1 for kind in sim.ledger.kind if kind == 1)


# -- decisions --------------------------------------------------------------------------------------


def test_issuer_down_taps_approved_within_the_limits_and_declined_beyond():
    sim = simulation()
    small, large = cards_of_one_bank(sim, 2, balance_at_least=600_000)
    take_down(issuer_of(sim, small))
    results: dict = {}
    tap_at(sim, results, "small", small, 0, 1_000)
    tap_at(sim, results, "large", large, 1, 500_001)  # 5,000.01 KGS: 1 tyiyn over the per-transaction limit
    sim.env.run(until=10)

    approved, declined = results["small"], results["large"]
    assert (approved.outcome, approved.response_code) == ("approved", "00")
    assert approved.response["44"] == "STAND-IN 1003" and approved.response["38"] == "S00001"
    assert (declined.outcome, declined.response_code, declined.stopped_by) == ("declined", "91", "stand_in_limits")
    assert purchases(sim) == 0  # nothing posted while the issuer is down

    rows = stand_in_rows(sim)
    assert list(rows.response_code) == ["00", "91"]
    assert list(rows.reason) == ["issuer_unavailable"] * 2
    assert list(rows.amount_tyiyn) == [1_000, 500_001]
    assert rows.decided_at.tolist() == pytest.approx([DECIDED_AT] * 2, abs=1e-9)
    hops = sim.records.hops.to_frame()
    assert set(hops.hop) == {"acquirer", "switch"}  # the switch forwarded nothing to a down issuer


def test_per_card_daily_limit():
    sim = simulation()
    (card,) = cards_of_one_bank(sim, 1)
    take_down(issuer_of(sim, card))
    results: dict = {}
    # 4,000 + 4,000 approved; 2,000.01 would make 10,000.01 > 10,000: declined; 2,000 makes exactly 10,000
    for i, amount in enumerate((400_000, 400_000, 200_001, 200_000)):
        tap_at(sim, results, i, card, i, amount, at_s=10.0 * i)
    sim.env.run(until=29.0 + 10.0)
    assert [results[i].response_code for i in range(4)] == ["00", "00", "91", "00"]
    assert results[2].stopped_by == "stand_in_limits"
    # the next day the card may again: its count starts over at midnight
    tap_at(sim, results, "tomorrow", card, 5, 400_000, at_s=86_400.0 - sim.env.now)
    sim.env.run(until=86_400.0 + 10.0)
    assert results["tomorrow"].response_code == "00"


def test_bank_limits_override_the_default_and_unknown_banks_are_refused():
    sim = simulation()
    (card,) = cards_of_one_bank(sim, 1)
    bank = sim.population.bank_of_card(card).code
    limited = simulation(**{"switch.stand_in.limits_by_bank": {bank: {"per_transaction_kgs": 10.0, "per_card_per_day_kgs": 10.0}}})
    take_down(issuer_of(limited, card))
    results: dict = {}
    tap_at(limited, results, "in", card, 0, 1_000)
    tap_at(limited, results, "over", card, 1, 1_001, at_s=5.0)  # 10.00 + 10.01 KGS > the bank's 10 KGS a day
    limited.env.run(until=10)
    assert (results["in"].response_code, results["over"].response_code) == ("00", "91")
    with pytest.raises(ScenarioError, match=r"switch\.stand_in\.limits_by_bank\.NOBANK"):
        simulation(**{"switch.stand_in.limits_by_bank": {"NOBANK": {}}})


@pytest.mark.parametrize(
    ("key", "value", "path"),
    [
        ("switch.stand_in.limits.per_transaction_kgs", -1, "switch.stand_in.limits.per_transaction_kgs"),
        ("switch.stand_in.sign_off_after_timeouts", 0, "switch.stand_in.sign_off_after_timeouts"),
        ("switch.stand_in.advice.retry_interval_s", 0, "switch.stand_in.advice.retry_interval_s"),
        ("switch.stand_in.on_timeout", "yes", "switch.stand_in.on_timeout"),
    ],
)
def test_the_section_is_validated_and_errors_name_the_key(key, value, path):
    with pytest.raises(ScenarioError) as info:
        load_scenario("national-day").with_overrides({key: value})
    assert info.value.path == path
    with pytest.raises(ScenarioError) as info:
        load_scenario("national-day").with_overrides({"switch.stand_in": {"limit": {}}})
    assert info.value.path == "switch.stand_in.limit"


def test_plastic_cards_are_not_stood_in_for():
    sim = simulation()
    (card,) = cards_of_one_bank(sim, 1, balance_at_least=10_000)
    take_down(issuer_of(sim, card))
    results: dict = {}
    after(sim.env, 0.0, lambda: sim.start_card_payment(card, 0, 1_000, "card_chip", then=lambda r: results.__setitem__("chip", r)))
    sim.env.run(until=20)
    assert (results["chip"].outcome, results["chip"].response_code) == ("declined", "91")
    assert len(sim.records.stand_in) == 0


# -- timeouts and sign-off -------------------------------------------------------------------------


def test_a_timed_out_tap_is_approved_and_advised_not_reversed_and_posted_once():
    # The issuer takes 20 s, the switch waits 15 s: approved in stand-in at 0.237 + 15 s; the
    # issuer's own approval (posted at 0.237 + 0.003 + 20 s) is the same transaction as the
    # advice sent 30 s after the decision, which it acknowledges without posting again.
    sim = simulation(**{"issuer.service_time": {"dist": "constant", "mean_s": 20.0}})
    (card,) = cards_of_one_bank(sim, 1, balance_at_least=10_000)
    results: dict = {}
    tap_at(sim, results, 0, card, 0, 1_000)
    sim.env.run()
    assert (results[0].outcome, results[0].response_code) == ("approved", "00")
    assert results[0].response["44"] == "STAND-IN 1002"
    hops = sim.records.hops.to_frame()
    assert sorted(hops.loc[hops.hop == "issuer", "mti"]) == ["0100", "0120"]  # no 0400
    assert purchases(sim) == 1
    account = issuer_of(sim, card).cardholder_account(card)
    assert sim.ledger.available_tyiyn(account) == int(sim.population.opening_balance_tyiyn[card]) - 1_000
    row = stand_in_rows(sim).iloc[0]
    decided = DECIDED_AT + 15.0
    assert (row.reason, row.attempts, row.expired, row.exposure_tyiyn) == ("issuer_timed_out", 1, 0, 0)
    assert row.decided_at == pytest.approx(decided, abs=1e-9)
    assert row.advice_sent_at == pytest.approx(decided + 30.0, abs=1e-9)
    assert row.advice_posted_at == pytest.approx(decided + 30.0 + 0.003 + 20.0, abs=1e-9)


def test_signed_off_after_timeouts_in_a_row_and_back_after_a_probe():
    # Two timeouts in a row sign the issuer off (at 0.237 + 15 s and 1.237 + 15 s); a tap at 20 s
    # is then stood in for at once; the probe interval (100 s) lets the tap at 120 s through,
    # and the issuer (fast again from 50 s) answers it: signed on.
    sim = simulation(**{
        "issuer.service_time": {"dist": "constant", "mean_s": 20.0},
        "switch.stand_in.sign_off_after_timeouts": 2,
        "switch.stand_in.probe_interval_s": 100.0,
    })  # fmt: skip
    cards = cards_of_one_bank(sim, 5, balance_at_least=10_000)
    issuer = issuer_of(sim, cards[0])
    results: dict = {}
    for i, at_s in enumerate((0.0, 1.0, 20.0, 120.0, 121.0)):
        tap_at(sim, results, i, cards[i], i, 1_000, at_s=at_s)
    after(sim.env, 50.0, lambda: setattr(issuer, "service_time_s", lambda: 0.006))
    sim.env.run(until=200)
    assert [results[i].response_code for i in range(5)] == ["00"] * 5
    assert [results[i].response.get("44", "") for i in range(5)] == ["STAND-IN 1002", "STAND-IN 1002", "STAND-IN 1003", "", ""]
    rows = stand_in_rows(sim)
    assert rows.decided_at.tolist() == pytest.approx([DECIDED_AT + 15.0, 1.0 + DECIDED_AT + 15.0, 20.0 + DECIDED_AT], abs=1e-9)


# -- store and forward -----------------------------------------------------------------------------


def test_advices_forwarded_when_the_issuer_returns_one_in_flight_repeats_marked_0121():
    # Three approvals at 0.237 s while the issuer is down until 100 s. The head's first try
    # (0120) at 30.237 and its repeat (0121) at 90.237 are lost; its second repeat at 150.237
    # is posted; then the next two go at once, one after the other's acknowledgement.
    sim = simulation()
    cards = cards_of_one_bank(sim, 3, balance_at_least=10_000)
    arrived = take_down(issuer_of(sim, cards[0]), until_s=100.0)
    results: dict = {}
    for i, card in enumerate(cards):
        tap_at(sim, results, i, card, i, 1_000 * (i + 1))
    sim.env.run(until=1_000)
    assert [results[i].response_code for i in range(3)] == ["00"] * 3
    assert arrived == ["0121", "0120", "0120"]
    rows = stand_in_rows(sim)
    head_acknowledged = DECIDED_AT + 150.0 + ROUND_TRIP_S
    assert list(rows.attempts) == [3, 1, 1]
    assert list(rows.expired) == [0, 0, 0]
    assert rows.advice_sent_at.tolist() == pytest.approx(
        [DECIDED_AT + 30.0, head_acknowledged, head_acknowledged + ROUND_TRIP_S], abs=1e-9
    )
    assert rows.advice_posted_at.tolist() == pytest.approx(
        [DECIDED_AT + 150.0 + TO_ISSUER_S, head_acknowledged + TO_ISSUER_S, head_acknowledged + ROUND_TRIP_S + TO_ISSUER_S], abs=1e-9
    )
    assert purchases(sim) == 3
    for i, card in enumerate(cards):
        account = issuer_of(sim, card).cardholder_account(card)
        assert sim.ledger.available_tyiyn(account) == int(sim.population.opening_balance_tyiyn[card]) - 1_000 * (i + 1)
    sim.ledger.prove_balanced()


def test_advices_unanswered_past_their_expiry_are_recorded_expired():
    # expiry 100 s, the issuer never back: the head is tried at 30.237 and 90.237, found past
    # its expiry at 150.237; the two behind it, never tried, expire at once after it.
    sim = simulation(**{"switch.stand_in.advice.expiry_s": 100.0})
    cards = cards_of_one_bank(sim, 3, balance_at_least=10_000)
    take_down(issuer_of(sim, cards[0]))
    results: dict = {}
    for i, card in enumerate(cards):
        tap_at(sim, results, i, card, i, 1_000)
    sim.env.run()
    rows = stand_in_rows(sim)
    assert list(rows.expired) == [1, 1, 1]
    assert list(rows.attempts) == [2, 0, 0]
    assert rows.advice_sent_at.iloc[0] == pytest.approx(DECIDED_AT + 30.0, abs=1e-9)
    assert all(math.isnan(x) for x in rows.advice_sent_at.iloc[1:]) and all(math.isnan(x) for x in rows.advice_posted_at)
    assert purchases(sim) == 0
    assert sim.env.now == pytest.approx(DECIDED_AT + 150.0, abs=1e-9)  # nothing left to do
    summary = sim.results().summary()
    assert {k: summary[k] for k in ("stand_in_approved", "advices_sent", "advices_posted", "advices_expired")} == {
        "stand_in_approved": 3, "advices_sent": 1, "advices_posted": 0, "advices_expired": 3,
    }  # fmt: skip


def test_the_issuer_posts_an_advice_once_even_beyond_the_balance_and_the_exposure_is_exact():
    sim = simulation()
    (card,) = cards_of_one_bank(sim, 1, balance_at_least=10_000, balance_below=400_000)
    balance = int(sim.population.opening_balance_tyiyn[card])
    amount = balance + 50_000  # 500 KGS beyond the balance, within the 5,000 KGS limit
    issuer = issuer_of(sim, card)
    take_down(issuer, until_s=10.0)
    results: dict = {}
    tap_at(sim, results, 0, card, 0, amount)
    sim.env.run()
    assert results[0].response_code == "00"
    row = stand_in_rows(sim).iloc[0]
    assert (row.attempts, row.exposure_tyiyn) == (1, 50_000)
    account = issuer.cardholder_account(card)
    assert sim.ledger.available_tyiyn(account) == -50_000

    # the same advice again, as a repeat: acknowledged, not posted again
    from elcart_sim.protocol.iso8583.repeats import advice_for, as_repeat

    forwarded = {**results[0].request, "2": sim.population.pan(card)}
    answers: list = []
    issuer.advise_repeat(sim.wire.encode(as_repeat(advice_for(forwarded, "S00001", "issuer_unavailable"))), 99, answers.append)
    sim.env.run()
    assert sim.wire.decode(answers[0])["t"] == "0130" and sim.wire.decode(answers[0])["39"] == "00"
    assert purchases(sim) == 1 and sim.ledger.available_tyiyn(account) == -50_000

    results = sim.results()
    summary = results.summary()
    assert {k: v for k, v in summary.items() if k.startswith(("stand_in", "advices"))} == {
        "stand_in_approved": 1, "stand_in_declined": 0, "stand_in_approved_tyiyn": amount,
        "advices_sent": 1, "advices_posted": 1, "advices_expired": 0, "stand_in_exposure_tyiyn": 50_000,
    }  # fmt: skip
    assert "exposure 500.00 KGS" in results.summary_text()
    assert "stand_in" in results.tables()


def test_clearing_totals_include_stand_in_approvals():
    sim = simulation(**{"clearing.enabled": True})
    cards = cards_of_one_bank(sim, 2, balance_at_least=10_000)
    take_down(issuer_of(sim, cards[0]), until_s=60.0)
    results: dict = {}
    tap_at(sim, results, 0, cards[0], 0, 12_345)
    tap_at(sim, results, 1, cards[1], 1, 67_800)
    sim.env.run(until=1_000)
    clearing = sim.records.clearing.to_frame()
    purchases_cleared = clearing[clearing.kind == "purchase"]
    assert sorted(purchases_cleared.amount_tyiyn) == [12_345, 67_800]
    assert set(purchases_cleared.issuer_bank) == {sim.population.bank_of_card(cards[0]).code}
    # and the issuer, back at 60 s, posted both advices
    assert purchases(sim) == 2
    for card, amount in zip(cards, (12_345, 67_800)):
        account = issuer_of(sim, card).cardholder_account(card)
        assert sim.ledger.available_tyiyn(account) == int(sim.population.opening_balance_tyiyn[card]) - amount


def test_with_the_faults_host_down_the_advices_are_repeated_until_the_issuer_is_back_and_posted_once():
    # The drill's `host_down` (Host.down, faults/injection.py): the issuer takes no message from
    # 0 to 100 s, and its sender repeats an advice until it is taken. The 0120 (30.237 s) and its
    # repeat, the 0121 of 90.237 s (retry_interval_s 60 s), came while it was down and were lost;
    # the next 0121, at 150.237 s, is served and posts the purchase (TO_ISSUER_S later).
    probe = simulation()
    (card,) = cards_of_one_bank(probe, 1, balance_at_least=10_000)
    bank = probe.population.bank_of_card(card).code
    sim = simulation(faults=[{"kind": "host_down", "target": f"issuer:{bank}", "start_s": 0, "end_s": 100}])
    results: dict = {}
    tap_at(sim, results, 0, card, 0, 1_000)
    sim.env.run(until=1_000)
    assert (results[0].response_code, results[0].response["44"]) == ("00", "STAND-IN 1003")
    hops = sim.records.hops.to_frame()
    issuer = hops[hops.hop == "issuer"]
    assert issuer.mti.tolist() == ["0121"]
    assert issuer.arrived_at.tolist() == pytest.approx([DECIDED_AT + 30.0 + 2 * 60.0 + 0.003], abs=1e-9)
    row = stand_in_rows(sim).iloc[0]
    assert (row.attempts, row.expired, row.exposure_tyiyn) == (3, 0, 0)
    assert row.advice_sent_at == pytest.approx(DECIDED_AT + 30.0, abs=1e-9)
    assert row.advice_posted_at == pytest.approx(DECIDED_AT + 30.0 + 2 * 60.0 + TO_ISSUER_S, abs=1e-9)
    assert purchases(sim) == 1
