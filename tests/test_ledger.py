"""The double-entry ledger: integer tyiyn only, balanced by construction, provably."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elcart_sim.core.errors import UnknownAccountError
from elcart_sim.money.ledger import Ledger, LedgerError

ALICE = ("AIYL", "cardholder", 1)
BOB = ("MBANK", "cardholder", 2)
AIYL_SETTLEMENT = ("AIYL", "elkart_settlement", "")


def test_purchase_moves_money_and_sums_to_zero():
    ledger = Ledger(opening_balance=lambda account: 50_000 if account[1] == "cardholder" else 0)
    assert ledger.available_tyiyn(ALICE) == 50_000  # opening entry brought in on first touch
    ledger.post(ALICE, AIYL_SETTLEMENT, 12_345, kind="purchase", trace_id=7, at=1.5)
    assert ledger.available_tyiyn(ALICE) == 37_655
    assert ledger.balance_tyiyn(AIYL_SETTLEMENT) == -12_345  # owed to the scheme at clearing
    assert ledger.balance_tyiyn(("AIYL", "own_funds", "")) == 50_000
    assert ledger.trial_balance() == 0
    ledger.prove_balanced()
    assert list(ledger.kind) == [0, 1]  # opening, purchase


@pytest.mark.parametrize("amount", [0, -1, 1.5, 100.0, True, "100"])
def test_only_positive_integer_tyiyn(amount):
    ledger = Ledger()
    with pytest.raises(LedgerError, match="amount_tyiyn must be a positive integer"):
        ledger.post(ALICE, BOB, amount, kind="purchase", trace_id=1, at=0.0)
    assert len(ledger) == 0


def test_prove_balanced_detects_tampering():
    ledger = Ledger()
    ledger.post(ALICE, BOB, 10, kind="purchase", trace_id=1, at=0.0)
    ledger._balances[ledger.account_ids[ALICE]] += 1  # simulate a bug that bypasses post()
    with pytest.raises(LedgerError, match="trial balance is 1 tyiyn"):
        ledger.prove_balanced()


def test_an_account_never_held_is_a_missing_key():
    ledger = Ledger()
    ledger.post(ALICE, BOB, 10, kind="purchase", trace_id=1, at=0.0)
    assert ALICE in ledger.account_ids and AIYL_SETTLEMENT not in ledger.account_ids
    assert ledger.account_ids.get(AIYL_SETTLEMENT) is None
    with pytest.raises(UnknownAccountError) as info:
        ledger.account_ids[AIYL_SETTLEMENT]
    assert str(info.value) == "account ('AIYL', 'elkart_settlement', '') is not on the ledger's books"
    assert isinstance(info.value, KeyError) and isinstance(info.value, LedgerError)


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 10**9)), max_size=60))
def test_any_sequence_of_postings_balances(moves):
    ledger = Ledger(opening_balance=lambda account: 1_000)
    accounts = [("B", "cardholder", i) for i in range(6)]
    for debit, credit, amount in moves:
        if debit != credit:
            ledger.post(accounts[debit], accounts[credit], amount, kind="purchase", trace_id=1, at=0.0)
    ledger.prove_balanced()


def test_the_chart_of_accounts_carries_p2p_bill_payment_and_clearing():
    """The postings accounts.py describes for later services balance and net to zero at clearing."""
    from elcart_sim.money import accounts

    ledger = Ledger(opening_balance=lambda account: 100_000 if account[1] == "cardholder" else 0)
    alice, bob = accounts.cardholder("AIYL", 1), accounts.cardholder("MBANK", 2)
    # P2P 250 som from an Aiyl card to an MBank card.
    ledger.post(alice, accounts.elkart_settlement("AIYL"), 25_000, kind="purchase", trace_id=1, at=0.0)
    ledger.post(accounts.elkart_settlement("MBANK"), bob, 25_000, kind="purchase", trace_id=1, at=0.0)
    # Bill payment of 40 som to a utility banked at MBank.
    ledger.post(alice, accounts.elkart_settlement("AIYL"), 4_000, kind="purchase", trace_id=2, at=1.0)
    ledger.post(accounts.elkart_settlement("MBANK"), accounts.biller("MBANK", "water"), 4_000, kind="purchase", trace_id=2, at=1.0)
    # End-of-day clearing: each bank's net position moves to its NBKR correspondent account.
    positions = {code: ledger.balance_tyiyn(accounts.elkart_settlement(code)) for code in ("AIYL", "MBANK")}
    assert positions == {"AIYL": -29_000, "MBANK": 29_000} and sum(positions.values()) == 0
    ledger.post(accounts.elkart_settlement("AIYL"), accounts.nbkr_correspondent("AIYL"), 29_000, kind="purchase", trace_id=-2, at=2.0)
    ledger.post(accounts.nbkr_correspondent("MBANK"), accounts.elkart_settlement("MBANK"), 29_000, kind="purchase", trace_id=-2, at=2.0)
    assert ledger.balance_tyiyn(accounts.elkart_settlement("AIYL")) == ledger.balance_tyiyn(accounts.elkart_settlement("MBANK")) == 0
    assert ledger.available_tyiyn(bob) == 125_000
    ledger.prove_balanced()


def test_an_unknown_kind_or_an_absurd_amount_is_refused_before_any_balance_moves():
    ledger = Ledger()
    with pytest.raises(LedgerError, match="kind must be one of opening, purchase, reversal, transfer_debit, transfer_credit, fee, payroll_credit, bill_payment, bill_credit, qr_payment, merchant_credit, settlement, interchange, cash_withdrawal, cash_dispensed, got 'refund'"):
        ledger.post(ALICE, BOB, 10, kind="refund", trace_id=1, at=0.0)
    with pytest.raises(LedgerError, match="amount_tyiyn must be a positive integer up to"):
        ledger.post(ALICE, BOB, 10**16, kind="purchase", trace_id=1, at=0.0)
    assert len(ledger) == 0 and ledger.trial_balance() == 0 and all(b == 0 for b in ledger.accounts.values())


def test_each_account_is_numbered_once_and_the_journal_holds_numbers():
    ledger = Ledger(opening_balance=lambda account: 500 if account[1] == "cardholder" else 0)
    assert ledger.post(ALICE, AIYL_SETTLEMENT, 100, kind="purchase", trace_id=3, at=1.0) == 1  # after ALICE's opening entry
    assert ledger.post(("AIYL", "cardholder", 1), AIYL_SETTLEMENT, 50, kind="purchase", trace_id=4, at=2.0) == 2
    assert ledger.account_names == [ALICE, ("AIYL", "own_funds", ""), AIYL_SETTLEMENT]
    assert ledger.account_ids[ALICE] == 0
    assert (list(ledger.debit), list(ledger.credit), list(ledger.trace_id)) == ([1, 0, 0], [0, 2, 2], [-1, 3, 4])
    assert ledger.accounts == {ALICE: -350, ("AIYL", "own_funds", ""): 500, AIYL_SETTLEMENT: -150}


def test_prove_balanced_detects_a_journal_that_does_not_replay_to_the_balances():
    ledger = Ledger()
    ledger.post(ALICE, BOB, 10, kind="purchase", trace_id=1, at=0.0)
    ledger.amount_tyiyn[0] = 11  # balances still sum to zero, but the journal says otherwise
    with pytest.raises(LedgerError, match=r"account \('AIYL', 'cardholder', 1\) holds 10 but its postings sum to 11"):
        ledger.prove_balanced()


def test_the_postings_table_names_the_accounts_it_mentions_once_each():
    from elcart_sim.analysis.results import _postings_frame

    ledger = Ledger()
    ledger.balance_tyiyn(("AIYL", "biller", "gas"))  # touched, never posted: not a category
    ledger.post(ALICE, AIYL_SETTLEMENT, 100, kind="purchase", trace_id=3, at=1.0)
    ledger.post(("AIYL", "customer_account", 7), ("AIYL", "customer_account", "7"), 5, kind="purchase", trace_id=4, at=2.0)
    frame = _postings_frame(ledger)
    assert frame.debit_account.tolist() == ["AIYL/cardholder/1", "AIYL/customer_account/7"]
    assert frame.credit_account.tolist() == ["AIYL/elkart_settlement/", "AIYL/customer_account/7"]  # two keys, one name
    assert list(frame.debit_account.cat.categories) == ["AIYL/cardholder/1", "AIYL/elkart_settlement/", "AIYL/customer_account/7"]
    assert frame.debit_account.dtype == frame.credit_account.dtype
    assert (frame.entry_id.tolist(), frame.trace_id.tolist(), frame.kind.tolist()) == ([0, 1], [3, 4], ["purchase", "purchase"])
    assert len(ledger) == 0  # the journal was handed to the frame
    assert ledger.post(ALICE, BOB, 1, kind="purchase", trace_id=5, at=3.0) == 2  # the ledger goes on
    assert len(frame) == 2 and len(ledger) == 1 and frame.amount_tyiyn.tolist() == [100, 5]


def test_a_closed_journal_is_handed_over_and_the_books_go_on_from_the_closing_balances():
    ledger = Ledger(opening_balance=lambda account: 1_000 if account[1] == "cardholder" else 0)
    ledger.post(ALICE, BOB, 300, kind="purchase", trace_id=1, at=0.0)
    first, journal = ledger.close_journal()
    assert first == 0 and list(journal["amount_tyiyn"]) == [1_000, 1_000, 300] and len(ledger) == 0
    assert ledger.available_tyiyn(ALICE) == 700 and ledger.available_tyiyn(BOB) == 1_300
    assert ledger.post(BOB, AIYL_SETTLEMENT, 50, kind="purchase", trace_id=2, at=1.0) == 3
    ledger.prove_balanced()  # replays the new journal from the closing balances
    ledger._balances[ledger.account_ids[BOB]] -= 1
    ledger._balances[ledger.account_ids[ALICE]] += 1
    with pytest.raises(LedgerError, match=r"account \('AIYL', 'cardholder', 1\) holds -699 but its postings sum to -700"):
        ledger.prove_balanced()


def test_an_entry_is_reversed_by_its_id():
    ledger = Ledger(opening_balance=lambda account: 1_000 if account[1] == "cardholder" else 0)
    entry = ledger.post(ALICE, AIYL_SETTLEMENT, 250, kind="purchase", trace_id=9, at=1.0)
    assert ledger.reverse(entry, at=2.0) == entry + 1
    assert ledger.available_tyiyn(ALICE) == 1_000 and ledger.balance_tyiyn(AIYL_SETTLEMENT) == 0
    assert (ledger.debit[-1], ledger.credit[-1], ledger.trace_id[-1], ledger.kind[-1]) == (2, 0, 9, 2)
    ledger.prove_balanced()
    ledger.close_journal()
    with pytest.raises(LedgerError, match=r"entry 1 is not in the open journal"):
        ledger.reverse(entry, at=3.0)
