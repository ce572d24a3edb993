"""The population: member banks, cards, cardholders' phones, merchants and POS terminals.

Banks and merchant chains come from files under data/; cards, phones and independent terminals
are drawn from named streams. Each card is one cardholder's, with one phone and one mobile
number (``msisdn``, 996XXXXXXXXX as an integer; world/msisdn.py), distinct across cardholders. A national population is millions of cards, so nothing is built
per card up front: each attribute is one NumPy column indexed by card number, and a card's PAN
is computed from its index when needed (BIN of its bank ‖ 9-digit account ‖ Luhn digit).
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from elcart_sim.core.errors import PopulationError
from elcart_sim.core.streams import RandomStreams
from elcart_sim.protocol.luhn import luhn_check_digit
from elcart_sim.scenario import CARD_STATUSES, Scenario, data_dir
from elcart_sim.scenario.world import MIN_ELKART_PAY_ANDROID, version_code
from elcart_sim.world.msisdn import synthetic_msisdns

__all__ = ["Bank", "Terminal", "Population", "CARD_STATUSES", "version_code", "MIN_ELKART_PAY_ANDROID"]

# Population.card_status holds each card's index into CARD_STATUSES (scenario/choices.py).


@dataclass(frozen=True, slots=True)
class Bank:
    """An ELKART member bank: both an issuer (its cards) and an acquirer (its terminals)."""

    index: int
    code: str
    name: str
    institution_id: str  # ISO 8583 DE32/DE100
    card_bin: str  # first six digits of its card PANs, under the ELKART prefix 9417
    token_bin: str  # first six digits of its ELKART Pay tokens: a range apart from the cards


@dataclass(frozen=True, slots=True)
class Terminal:
    """A contactless POS terminal at a merchant, attached to a fiscal cash register (KKM)."""

    index: int
    terminal_id: str  # DE41, 8 characters
    merchant_id: str  # DE42, 15 characters
    merchant_name: str  # DE43, up to 40 characters
    mcc: str
    acquirer: int  # Bank.index
    chain: str  # merchant chain or independent kind


@dataclass(frozen=True, slots=True)
class _MerchantRow:
    merchant: str
    kind: str
    mcc: str
    stores: int
    terminals_per_store: int
    acquirer: str
    independent_share: float
    tap_weight: float
    city: str


class Population:
    """Column-wise population of one run. Build it with `Population.build(scenario, streams)`."""

    def __init__(
        self,
        banks: tuple[Bank, ...],
        card_starts: np.ndarray,
        card_status: np.ndarray,
        opening_balance_tyiyn: np.ndarray,
        android_version: np.ndarray,
        has_nfc: np.ndarray,
        enrolled: np.ndarray,
        msisdn: np.ndarray,
        terminal_acquirer: np.ndarray,
        terminal_merchant: np.ndarray,
        terminal_store: np.ndarray,
        merchants: tuple[_MerchantRow, ...],
    ):
        self.banks = banks
        self.card_starts = card_starts  # card_starts[k] = first card index of bank k; last = total
        self.card_status = card_status
        self.opening_balance_tyiyn = opening_balance_tyiyn
        self.android_version = android_version  # 0 = not an Android phone
        self.has_nfc = has_nfc
        self.enrolled = enrolled
        self.enrolled_cards = np.flatnonzero(enrolled)
        self.msisdn = msisdn  # int64, the cardholder's mobile number, e.g. 996555123456
        self.terminal_acquirer = terminal_acquirer
        self.terminal_merchant = terminal_merchant
        self.terminal_store = terminal_store
        self.merchants = merchants
        self.terminal_tap_weight = np.array([merchants[m].tap_weight for m in terminal_merchant], dtype=float)
        self._starts = card_starts.tolist()  # the same as Python ints: per-tap lookups stay out of NumPy
        self._bank_by_card_bin = {b.card_bin: b for b in banks}
        self._bank_by_token_bin = {b.token_bin: b for b in banks}
        self._terminals: dict[int, Terminal] = {}

    # -- sizes ------------------------------------------------------------------------------

    @property
    def n_cards(self) -> int:
        return int(self.card_starts[-1])

    @property
    def n_terminals(self) -> int:
        return len(self.terminal_acquirer)

    # -- cards --------------------------------------------------------------------------------

    def bank_of_card(self, card: int) -> Bank:
        return self.banks[bisect_right(self._starts, card) - 1]

    def pan(self, card: int) -> str:
        """The card number of card `card`: BIN ‖ 9-digit account ‖ Luhn check digit."""
        bank = self.bank_of_card(card)
        partial = f"{bank.card_bin}{card - self._starts[bank.index]:09d}"
        return partial + luhn_check_digit(partial)

    def card_of_pan(self, pan: str) -> int | None:
        """The card index of a PAN, or None if no such card exists (unknown BIN or account)."""
        bank = self._bank_by_card_bin.get(pan[:6])
        if bank is None or len(pan) != 16 or not pan.isdigit() or luhn_check_digit(pan[:15]) != pan[15]:
            return None
        card = self._starts[bank.index] + int(pan[6:15])
        return card if card < self._starts[bank.index + 1] else None

    def bank_of_card_bin(self, bin6: str) -> Bank | None:
        return self._bank_by_card_bin.get(bin6)

    def bank_of_token_bin(self, bin6: str) -> Bank | None:
        return self._bank_by_token_bin.get(bin6)

    def issuer_code(self, pan: str) -> str:
        """The code of the bank that issued card or token number ``pan`` (by its BIN); '' if none."""
        bank = self._bank_by_token_bin.get(pan[:6]) or self._bank_by_card_bin.get(pan[:6])
        return bank.code if bank is not None else ""

    # -- terminals ----------------------------------------------------------------------------

    def merchant_id(self, index: int) -> str:
        """DE42 of terminal ``index``: its merchant's id (one per chain store, one per independent)."""
        return f"M{int(self.terminal_merchant[index]):04d}{int(self.terminal_store[index]):010d}"

    def terminal(self, index: int) -> Terminal:
        terminal = self._terminals.get(index)
        if terminal is None:
            row = self.merchants[int(self.terminal_merchant[index])]
            store = int(self.terminal_store[index])
            name = f"{row.merchant} #{store + 1} {row.city or 'Kyrgyzstan'}"[:40]
            terminal = Terminal(
                index=index,
                terminal_id=f"T{index:07d}",
                merchant_id=self.merchant_id(index),
                merchant_name=name,
                mcc=row.mcc,
                acquirer=int(self.terminal_acquirer[index]),
                chain=row.merchant,
            )
            self._terminals[index] = terminal
        return terminal

    # -- summary --------------------------------------------------------------------------------

    def summary(self) -> dict[str, int]:
        return {
            "banks": len(self.banks),
            "cards": self.n_cards,
            "android_phones": int((self.android_version > 0).sum()),
            "elkart_pay_capable_phones": int(((self.android_version >= MIN_ELKART_PAY_ANDROID) & self.has_nfc).sum()),
            "enrolled_wallets": len(self.enrolled_cards),
            "terminals": self.n_terminals,
            "chain_terminals": int(sum((self.terminal_merchant == m).sum() for m, r in enumerate(self.merchants) if r.kind == "chain")),
        }

    # -- construction -----------------------------------------------------------------------------

    @classmethod
    def build(cls, scenario: Scenario, streams: RandomStreams) -> "Population":
        spec = scenario.dated_population()  # grown over the years ahead, enrolled on the adoption curve
        folder = data_dir()
        banks = load_banks(folder / spec.banks_file)
        bank_rows = _read_csv(folder / spec.banks_file)
        merchants = load_merchants(folder / spec.merchants_file, {b.code for b in banks})

        n_cards = max(len(banks), round(spec.cards * scenario.scale))
        shares = np.array([float(r["card_share"]) for r in bank_rows])
        counts = _apportion(n_cards, shares)
        card_starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

        status_names = list(spec.card_status)
        status_p = np.array([spec.card_status[s] for s in status_names], dtype=float)
        status_codes = np.array([CARD_STATUSES.index(s) for s in status_names], dtype=np.int8)
        rng = streams.generator("population.card_status")
        card_status = status_codes[rng.choice(len(status_names), size=n_cards, p=status_p / status_p.sum())]

        rng = streams.generator("population.opening_balance")
        balances = spec.opening_balance.distribution().draw_batch(rng, n_cards)
        opening_balance_tyiyn = np.rint(balances).astype(np.int64)

        phone = spec.phone
        rng = streams.generator("population.phones")
        is_android = rng.random(n_cards) < phone.android_share
        version_names = list(phone.android_versions)
        version_p = np.array([phone.android_versions[v] for v in version_names], dtype=float)
        version_codes = np.array([version_code(v) for v in version_names], dtype=np.int32)
        android_version = np.where(
            is_android, version_codes[rng.choice(len(version_names), size=n_cards, p=version_p / version_p.sum())], 0
        ).astype(np.int32)
        has_nfc = rng.random(n_cards) < phone.nfc_share
        capable = has_nfc & (android_version >= MIN_ELKART_PAY_ANDROID)

        rng = streams.generator("population.enrolment")
        enrolled = capable & (rng.random(n_cards) < spec.enrolment_share)

        msisdn = synthetic_msisdns(n_cards, streams.generator("population.msisdns"))

        terminal_acquirer, terminal_merchant, terminal_store = _build_terminals(
            scenario, banks, bank_rows, merchants, streams.generator("population.terminals")
        )
        return cls(
            banks=banks,
            card_starts=card_starts,
            card_status=card_status,
            opening_balance_tyiyn=opening_balance_tyiyn,
            android_version=android_version,
            has_nfc=has_nfc,
            enrolled=enrolled,
            msisdn=msisdn,
            terminal_acquirer=terminal_acquirer,
            terminal_merchant=terminal_merchant,
            terminal_store=terminal_store,
            merchants=merchants,
        )


# -- data files ---------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise PopulationError(f"data file {path} does not exist")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_banks(path: Path) -> tuple[Bank, ...]:
    rows = _read_csv(path)
    banks = []
    seen_bins: set[str] = set()
    for line, row in enumerate(rows, start=2):
        try:
            card_bin, token_bin = row["card_bin"], row["token_bin"]
            for column in ("card_bin", "token_bin"):
                value = row[column]
                if len(value) != 6 or not value.isdigit() or not value.startswith("9417"):
                    raise PopulationError(f"{path.name} line {line}: {column} must be 6 digits under 9417, got {value!r}")
                if value in seen_bins:
                    raise PopulationError(f"{path.name} line {line}: {column} {value} is used twice")
                seen_bins.add(value)
            for column in ("card_share", "terminal_share"):
                if float(row[column]) < 0:
                    raise PopulationError(f"{path.name} line {line}: {column} must be >= 0, got {row[column]!r}")
            banks.append(Bank(len(banks), row["code"], row["name"], row["institution_id"], card_bin, token_bin))
        except KeyError as exc:
            raise PopulationError(f"{path.name}: missing column {exc.args[0]!r}") from None
        except ValueError as exc:
            raise PopulationError(f"{path.name} line {line}: {exc}") from None
    if not banks:
        raise PopulationError(f"{path.name} lists no banks")
    return tuple(banks)


def load_merchants(path: Path, bank_codes: set[str]) -> tuple[_MerchantRow, ...]:
    rows = []
    for line, row in enumerate(_read_csv(path), start=2):
        try:
            kind = row["kind"]
            if kind not in ("chain", "independent"):
                raise PopulationError(f"{path.name} line {line}: kind must be chain or independent, got {kind!r}")
            if kind == "chain" and row["acquirer"] not in bank_codes:
                raise PopulationError(f"{path.name} line {line}: acquirer {row['acquirer']!r} is not a bank code")
            rows.append(
                _MerchantRow(
                    merchant=row["merchant"],
                    kind=kind,
                    mcc=row["mcc"],
                    stores=int(row["stores"] or 0),
                    terminals_per_store=int(row["terminals_per_store"] or 1),
                    acquirer=row["acquirer"],
                    independent_share=float(row["independent_share"] or 0),
                    tap_weight=float(row["tap_weight"]),
                    city=row["city"],
                )
            )
        except KeyError as exc:
            raise PopulationError(f"{path.name}: missing column {exc.args[0]!r}") from None
        except ValueError as exc:
            raise PopulationError(f"{path.name} line {line}: {exc}") from None
    return tuple(rows)


def _apportion(total: int, shares: np.ndarray) -> np.ndarray:
    """Split `total` into integer parts proportional to `shares` (largest remainder)."""
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = total - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts


def _build_terminals(scenario, banks, bank_rows, merchants, rng):
    """Chain stores first (each scaled, at least one store), then independents to the total."""
    code_to_index = {b.code: b.index for b in banks}
    acquirer, merchant, store = [], [], []
    for m, row in enumerate(merchants):
        if row.kind != "chain":
            continue
        stores = max(1, round(row.stores * scenario.scale))
        for s in range(stores):
            for _ in range(row.terminals_per_store):
                acquirer.append(code_to_index[row.acquirer])
                merchant.append(m)
                store.append(s)
    n_total = max(len(acquirer) + 1, round(scenario.population.terminals * scenario.scale))
    n_independent = n_total - len(acquirer)
    independents = [m for m, row in enumerate(merchants) if row.kind == "independent"]
    if independents:
        kind_p = np.array([merchants[m].independent_share for m in independents])
        kinds = np.array(independents)[rng.choice(len(independents), size=n_independent, p=kind_p / kind_p.sum())]
        bank_p = np.array([float(r["terminal_share"]) for r in bank_rows])
        acquirers = rng.choice(len(banks), size=n_independent, p=bank_p / bank_p.sum())
        acquirer.extend(acquirers.tolist())
        merchant.extend(kinds.tolist())
        store.extend(range(n_independent))
    return (
        np.array(acquirer, dtype=np.int16),
        np.array(merchant, dtype=np.int16),
        np.array(store, dtype=np.int32),
    )
