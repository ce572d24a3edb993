"""The run's invariants (core/invariants.py): silent on a sound day however stressed, loud on a
planted defect — one reversal never posted, one approval posted twice — naming its trace id;
off by default, and then the run is the same."""

from __future__ import annotations

import json
import shlex
import types

import pandas as pd
import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.cli.main import main
from elcart_sim.core.invariants import INVARIANTS, Invariants, InvariantViolation
from elcart_sim.hosts.issuer import Issuer
from elcart_sim.money import accounts
from elcart_sim.money.ledger import POSTING_KINDS, Ledger

HEAVY_TAIL = {"dist": "lognormal", "mean_s": 0.01, "cv": 4.0}
FAILURES = {  # timeouts on every leg, so that reversals happen (tests/test_clearing_day.py)
    "issuer.service_time": HEAVY_TAIL,
    "switch.timeout_s": 0.03,
    "services.qr_payments.timeout_s": 0.045,
    "services.account_transfers.operator.service_time": HEAVY_TAIL,
}


def _scenario(clearing: bool = True):
    scenario = load_scenario("money-services-day", scale=0.001, seed=3, fidelity="fast")
    return scenario.with_overrides({**FAILURES, "clearing.enabled": clearing})


def skip_one_reversal(monkeypatch) -> list:
    """Plant a defect: in each run, the issuer forgets the first approval a reversal names, so
    that reversal is never posted (the card stays debited). Returns the trace ids it hit, one
    per run, in order."""
    hits: list = []
    current: dict = {}
    reverse, take = Issuer._reverse, Issuer._take_approval

    def reverse_noting(self, times, request, trace_id, reply):
        current["trace_id"] = trace_id
        reverse(self, times, request, trace_id, reply)

    def take_but_skip_one(self, key):
        entry = take(self, key)
        if entry is not None and not getattr(self.ledger, "planted_defect_done", False):
            self.ledger.planted_defect_done = True  # once per run: the run's ledger remembers
            hits.append(current["trace_id"])
            return None
        return entry

    monkeypatch.setattr(Issuer, "_reverse", reverse_noting)
    monkeypatch.setattr(Issuer, "_take_approval", take_but_skip_one)
    return hits


def post_one_twice(monkeypatch) -> dict:
    """Plant a defect: the issuer posts its first approved purchase twice."""
    hit: dict = {"trace_id": None}
    debit = Issuer._debit

    def debit_twice(self, request, trace_id, kind):
        answer = debit(self, request, trace_id, kind)
        if answer == "00" and kind == "purchase" and hit["trace_id"] is None:
            hit["trace_id"] = trace_id
            card = self.population.card_of_pan(request["2"])
            self.ledger.post(self.cardholder_account(card), self.settlement_account, int(request["4"]), kind=kind, trace_id=trace_id, at=self.env.now)
        return answer

    monkeypatch.setattr(Issuer, "_debit", debit_twice)
    return hit


# -- a sound day ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stressed_day():
    simulation = Simulation(_scenario(), check_invariants=True)
    return simulation, simulation.run()


def test_a_sound_day_with_timeouts_on_every_leg_breaks_no_invariant(stressed_day):
    simulation, results = stressed_day
    assert (results.transactions.outcome == "reversed").any() or (results.transfers.outcome == "reversed").any()
    assert len(results.clearing) and len(results.positions)  # the end-of-run checks had something to read
    assert list(results.violations.columns) == ["invariant", "trace_id", "at", "detail"]
    assert results.violations.empty
    assert simulation.invariants.postings_checked == len(results.postings)
    assert "violations" in results.tables()


def test_the_invariants_are_off_by_default_and_change_nothing():
    scenario = _scenario(clearing=False)
    plain = Simulation(scenario)
    assert plain.invariants is None and plain.ledger.on_posting is None
    unchecked = plain.run()
    checked = Simulation(scenario.with_overrides({"invariants": True})).run()
    assert unchecked.violations is None and "violations" not in unchecked.tables()
    assert checked.violations is not None and checked.violations.empty
    pd.testing.assert_frame_equal(unchecked.transactions, checked.transactions)
    pd.testing.assert_frame_equal(unchecked.postings, checked.postings)


# -- planted defects --------------------------------------------------------------------------------


def test_a_reversal_never_posted_is_caught_with_its_trace_id(monkeypatch):
    hits = skip_one_reversal(monkeypatch)
    results = Simulation(_scenario(), check_invariants=True).run()
    assert len(hits) == 1
    found = results.violations
    assert set(found.invariant) <= set(INVARIANTS)
    mine = found[found.trace_id == hits[0]]
    assert "outcome_matches_money" in set(mine.invariant)  # the card stayed debited
    assert "cleared_totals" in set(mine.invariant)  # the switch cleared the reversal, the issuer did not post it
    assert set(found.trace_id) - {-1} == set(hits)


def test_an_approval_posted_twice_is_caught_when_it_is_posted(monkeypatch):
    hit = post_one_twice(monkeypatch)
    simulation = Simulation(_scenario(clearing=False), check_invariants=True)
    results = simulation.run()
    twice = results.violations[results.violations.invariant == "posted_twice"]
    assert list(twice.trace_id) == [hit["trace_id"]]
    postings = results.postings[(results.postings.trace_id == hit["trace_id"]) & (results.postings.kind == "purchase")]
    assert list(twice["at"]) == [postings.posted_at.iloc[1]]
    assert "purchase" in twice.detail.iloc[0]


def test_strict_mode_raises_at_the_first_violation(monkeypatch):
    hit = post_one_twice(monkeypatch)
    simulation = Simulation(_scenario(clearing=False))
    simulation.invariants = Invariants(strict=True)
    simulation.invariants.watch(simulation.ledger, POSTING_KINDS)
    with pytest.raises(InvariantViolation, match=r"posted_twice at t=[\d.]+ s, trace \d+: purchase debiting \('\w+', 'cardholder', \d+\), crediting .* posted again while the first stands") as caught:
        simulation.run()
    assert caught.value.violation.trace_id == hit["trace_id"] and str(caught.value).endswith(f"trace {hit['trace_id']}: " + caught.value.violation.detail)


# -- each check on its own ----------------------------------------------------------------------------


def test_a_balance_moved_behind_the_ledgers_back_shows_at_its_next_posting():
    ledger = Ledger()
    checker = Invariants()
    checker.watch(ledger, POSTING_KINDS)
    card, bank = accounts.cardholder("AIYL", 7), accounts.elkart_settlement("AIYL")
    ledger.post(card, bank, 500, kind="purchase", trace_id=1, at=1.0)
    ledger._balances[ledger.account_ids[card]] += 3  # the defect: no posting
    assert not checker.violations
    ledger.post(card, bank, 200, kind="purchase", trace_id=2, at=2.0)
    assert [(v.invariant, v.trace_id, v.at) for v in checker.violations] == [("entry_balances", 2, 2.0)]
    assert "holds 703 tyiyn, its postings sum to 700" in checker.violations[0].detail
    checker.close_books(ledger, 3.0)
    assert checker.violations[-1].invariant == "ledger_balances"


def test_the_same_original_reversed_twice_is_posted_twice_but_a_fee_reversed_beside_it_or_a_post_after_a_reversal_is_not():
    ledger = Ledger()
    checker = Invariants()
    checker.watch(ledger, POSTING_KINDS)
    card = accounts.cardholder("AIYL", 7)
    debit = ledger.post(card, accounts.elkart_settlement("AIYL"), 500, kind="transfer_debit", trace_id=4, at=1.0)
    fee = ledger.post(card, accounts.fee_income("AIYL"), 10, kind="fee", trace_id=4, at=1.0)
    ledger.reverse(debit, at=2.0)
    ledger.reverse(fee, at=2.0)
    assert not checker.violations
    again = ledger.post(card, accounts.elkart_settlement("AIYL"), 500, kind="transfer_debit", trace_id=4, at=2.5)  # e.g. an advice after a reversal
    assert not checker.violations
    ledger.reverse(again, at=3.0)
    ledger.reverse(debit, at=3.5)
    assert [(v.invariant, v.trace_id, v.at) for v in checker.violations] == [("posted_twice", 4, 3.5)]
    assert "reversed twice" in checker.violations[0].detail


def test_a_trace_given_out_with_no_final_state_is_lost():
    simulation = Simulation(_scenario(clearing=False), check_invariants=True)
    lost = simulation.next_trace_id()  # given out, never used
    results = simulation.run()
    assert [(v.invariant, v.trace_id) for v in results.violations.itertuples()] == [("one_final_state", lost)]


def test_net_positions_that_do_not_sum_to_zero_and_stand_in_advices_not_posted():
    frame = pd.DataFrame
    results = types.SimpleNamespace(
        transactions=frame({"trace_id": [1], "outcome": ["approved"], "amount_tyiyn": [0]}),
        transfers=frame({"trace_id": pd.Series([], dtype=int), "outcome": pd.Series([], dtype=str)}),
        postings=frame({"trace_id": pd.Series([], dtype=int), "kind": pd.Series([], dtype=str), "amount_tyiyn": pd.Series([], dtype=int),
                        "debit_account": pd.Categorical([]), "credit_account": pd.Categorical([])}),  # fmt: skip
        positions=frame({"batch_id": ["B1", "B1", "B2", "B2"], "net_tyiyn": [5, -5, 7, -6]}),
        stand_in=frame({"trace_id": [1], "response_code": ["00"]}),
    )
    checker = Invariants()
    checker.check_results(results, 1, 99.0)
    assert [(v.invariant, v.trace_id) for v in checker.violations] == [("advice_posted", 1), ("positions_net_zero", -1)]
    assert "batch B2: net positions sum to 1 tyiyn" in checker.violations[-1].detail


# -- a drill finds the planted defect and replays it ------------------------------------------------


def _drill_args(out, *more: str) -> list[str]:
    sets = [f"--set={path}={json.dumps(value)}" for path, value in {**FAILURES, "clearing.enabled": True}.items()]
    return ["drill", "--scenario", "money-services-day", "--scale", "0.001", "--seed", "3", "--faults", "none",
            *sets, "--no-progress", "--out", str(out), *more]  # fmt: skip


def test_a_drill_with_a_planted_defect_prints_the_replay_that_finds_it_again(monkeypatch, tmp_path, capsys):
    hits = skip_one_reversal(monkeypatch)
    assert main(_drill_args(tmp_path / "drill", "--runs", "2")) == 1
    out = capsys.readouterr().out
    found = pd.read_csv(tmp_path / "drill" / "violations.csv")
    assert set(found.run) == {0, 1} and set(found.invariant) >= {"outcome_matches_money", "cleared_totals"}
    assert set(found.trace_id) - {-1} == {hits[-1]}  # the same day in every run, the same reversal skipped
    replays = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("  replay run ")]
    assert len(replays) == 2 and replays[1].startswith("elcart-sim drill --runs 1 --run 1 --seed 3 --faults none ")
    again = shlex.split(replays[1])[1:] + ["--no-progress", "--out", str(tmp_path / "replay")]
    assert main(again) == 1
    replayed = pd.read_csv(tmp_path / "replay" / "violations.csv")
    pd.testing.assert_frame_equal(replayed, found[found.run == 1].reset_index(drop=True))


def test_a_drill_without_the_defect_finds_nothing_and_exits_0(tmp_path, capsys):
    assert main(_drill_args(tmp_path / "drill", "--runs", "1")) == 0
    assert "violations: none in 1 run" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "drill" / "violations.csv").empty


def test_a_drill_refuses_a_plan_it_cannot_read_or_no_runs_before_anything_runs(tmp_path, capsys):
    assert main(["drill", "--faults", str(tmp_path / "nothing.yaml"), "--out", str(tmp_path / "a")]) == 2
    assert "--faults must be random, none or a YAML file with a faults: section" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("faults:\n  - {kind: host_down, target: 'issuer:NOBANK', start_s: 10, end_s: 20}\n")
    assert main(["drill", "--faults", str(bad), "--out", str(tmp_path / "a")]) == 2
    assert "faults[0].target" in capsys.readouterr().err
    assert main(["drill", "--runs", "0", "--out", str(tmp_path / "a")]) == 2
    assert "--runs must be >= 1" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
