"""The member banks' ATMs: how many, whose, and what they send in their messages.

Physical picture: about 2,500 ATMs across the country in 2024 [E] (1,813 in September 2020 [V],
grown with the card base; data/README.md), each owned by one member bank, which acquires its
withdrawals: an ELKART card of any bank can take cash at any of them, the request routed
through IPC to the card's bank. Each bank has ATMs in proportion to its cards [E]. An ATM is
known in its messages by its terminal id (DE41, ``A`` and seven digits), its bank's institution
id (DE32) and its location (DE43); its merchant category is 6011 (automated cash disbursement).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from elcart_sim.scenario import Scenario
from elcart_sim.world.population import Population

__all__ = ["Atm", "AtmFleet", "ATM_MCC", "withdrawal_amount_tyiyn"]

ATM_MCC = "6011"  # automated cash disbursement (ISO 18245)
_NOTE_TYIYN = 100_00  # ATMs pay out whole hundreds of som [E]


class Atm(NamedTuple):
    """One ATM."""

    index: int
    terminal_id: str  # DE41, 8 characters
    name: str  # DE43, up to 40 characters
    acquirer: int  # Bank.index of its owner


class AtmFleet:
    """The ATMs of the run (scaled with it), each bank's in proportion to its cards."""

    def __init__(self, owners: np.ndarray, population: Population):
        self.owners = owners
        self.population = population

    @classmethod
    def build(cls, scenario: Scenario, population: Population) -> AtmFleet:
        n = max(1, round(scenario.population.atms * scenario.scale))
        cards = np.diff(np.asarray(population.card_starts, dtype=float))
        exact = n * cards / cards.sum()
        counts = np.floor(exact).astype(np.int64)
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[: n - int(counts.sum())]] += 1
        return cls(np.repeat(np.arange(len(counts), dtype=np.int16), counts), population)

    def __len__(self) -> int:
        return len(self.owners)

    def atm(self, index: int) -> Atm:
        bank = self.population.banks[int(self.owners[index])]
        return Atm(index, f"A{index:07d}", f"ATM {bank.code} #{index + 1} Kyrgyzstan"[:40], bank.index)


def withdrawal_amount_tyiyn(desired_tyiyn: float, available_tyiyn: int, knows_balance: bool) -> int:
    """What a cardholder asks the ATM for: the amount desired in whole hundreds of som (at least
    one note), and — for one who knows the balance [E] — no more than the balance allows,
    rounded down to 100 som; 0 when that leaves nothing to ask for (the holder does not try)."""
    amount = max(_NOTE_TYIYN, int(round(desired_tyiyn / _NOTE_TYIYN)) * _NOTE_TYIYN)
    if knows_balance:
        amount = min(amount, max(0, available_tyiyn) // _NOTE_TYIYN * _NOTE_TYIYN)
    return amount
