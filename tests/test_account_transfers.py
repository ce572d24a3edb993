"""Transfers from an ELKART card to a bank account end to end: the account number read before
anything is sent, the debit leg (0200, DE3 100000, DE48 ACCT <account>) at the sender's issuer,
the interaction operator's credit to the account at the receiving bank — and, when the operator
does not answer, the credit cancelled and the debit reversed. Exact times, both fidelities."""

from __future__ import annotations

import pytest
from app_services import LEG_S, OPERATOR_S, app_simulation, balance

from elcart_sim.money import accounts
from elcart_sim.scenario import CARD_STATUSES
from elcart_sim.world.bank_accounts import account_number, read_account_number

TIMEOUT_S = 30.0  # services.account_transfers.timeout_s


@pytest.fixture(params=["wire", "fast"])
def sim(request):
    return app_simulation(request.param)


def _sender(sim):
    """A cardholder linked in the app, with an active card and 10,000 som or more."""
    population = sim.population
    linked = sim.app_directory.linked.nonzero()[0]
    return next(int(c) for c in linked if CARD_STATUSES[population.card_status[c]] == "active" and balance(sim, int(c)) >= 1_000_000)


def test_account_numbers_carry_the_banks_code_and_a_check_digit(sim):
    banks = sim.population.banks
    number = account_number(banks[2], 1234567890)
    assert len(number) == 16 and number.startswith(banks[2].institution_id[-3:])
    assert read_account_number(number, banks) == (banks[2], "")
    assert read_account_number(number[:4] + " " + number[4:], banks) == (banks[2], "")
    mistyped = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    assert "check digit" in read_account_number(mistyped, banks)[1]
    assert "16 digits" in read_account_number(number[:-1], banks)[1]


def test_a_transfer_to_a_bank_account_debits_the_card_and_credits_the_account_exactly(sim):
    sender = _sender(sim)
    bank = sim.population.banks[3]
    number = account_number(bank, 42)
    sent = []
    transfer = sim.switch.transfer
    sim.switch.transfer = lambda payload, trace_id, reply: (sent.append(dict(sim.wire.decode(payload))), transfer(payload, trace_id, reply))
    before = balance(sim, sender)
    result = sim.account_transfer(sender, number, 500_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("completed", "00", "credit")
    assert balance(sim, sender) == before - 500_000
    assert -sim.ledger.balance_tyiyn(accounts.customer_account(bank.code, number)) == 500_000
    [debit] = sent
    assert (debit["3"], debit["4"], debit["48"]) == ("100000", "000000500000", f"ACCT {number}")
    results = sim.results()
    [row] = results.transfers.itertuples()
    assert (row.service, row.channel, row.receiver_issuer, row.fee_tyiyn) == ("account", "account", bank.code, 0)
    assert row.result_at == pytest.approx(LEG_S + OPERATOR_S, abs=1e-12)
    assert results.hops.hop.tolist() == ["switch", "issuer", "interaction_operator"]
    postings = results.postings[results.postings.trace_id == result.trace_id]
    assert postings.kind.tolist() == ["transfer_debit", "transfer_credit"]
    assert results.trial_balance_tyiyn == 0


@pytest.mark.parametrize("typed", ["0040000000000421", "004000000000042", "9990000000000421", "00400000000004A1"])
def test_a_malformed_account_is_declined_before_any_money_moves(sim, typed):
    sender = _sender(sim)
    before = len(sim.ledger)
    result = sim.account_transfer(sender, typed, 500_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("declined", "14", "reference")
    assert len(sim.ledger) == before and len(sim.results().hops) == 0


def test_an_operator_that_does_not_answer_gets_the_debit_reversed_and_the_money_back(sim):
    sender = _sender(sim)
    sim.account_transfers.operator.down = True
    before = balance(sim, sender)
    result = sim.account_transfer(sender, account_number(sim.population.banks[3], 42), 500_000)
    assert (result.outcome, result.response_code, result.decided_by) == ("reversed", "68", "credit")
    assert result.reason == "interaction operator did not answer in time; debit reversed"
    assert balance(sim, sender) == before
    [row] = sim.results().transfers.itertuples()
    assert row.result_at == pytest.approx(LEG_S + TIMEOUT_S + LEG_S, abs=1e-9)


def test_a_credit_posted_after_the_service_gave_up_is_undone_by_the_cancellation(sim):
    sender = _sender(sim)
    bank = sim.population.banks[3]
    number = account_number(bank, 42)
    sim.account_transfers.operator.service_time_s = lambda: 40.0  # past the service's 30 s
    before = balance(sim, sender)
    result = sim.account_transfer(sender, number, 500_000)
    assert (result.outcome, result.response_code) == ("reversed", "68")
    sim.env.run()
    assert balance(sim, sender) == before
    assert sim.ledger.balance_tyiyn(accounts.customer_account(bank.code, number)) == 0
    assert sim.ledger.trial_balance() == 0
