"""The biller catalogue: the services a cardholder pays from ELKART Mobile, and their references.

Physical picture: in the app's "Payments" screen a cardholder picks a service — a MegaCom top-up,
the electricity bill of Chui region, a loan instalment at Aiyl Bank, a traffic fine — types the
reference the service knows them by (the phone number to top up, a personal account, a contract
number, the 14-digit personal identification number) and pays. The app checks the reference's
form before anything is sent; the payment then travels to the biller through the *gateway* that
aggregates it (a handful of gateways serve all billers). ``data/billers.csv`` holds the catalogue
(written by ``data/tools/make_billers.py``; columns documented in data/README.md): 400-odd
services in real categories with synthetic names and our estimates of how often each is paid.

A top-up reference is a phone number read with world/msisdn.py, and the number's operator must be
the biller's: a Beeline top-up to an O! number is refused. Other references must match the
biller's pattern (a regular expression over the whole reference).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from elcart_sim.core.errors import PhoneNumberError, PopulationError
from elcart_sim.scenario import data_dir
from elcart_sim.world.msisdn import mobile_operators, parse_msisdn

__all__ = ["Biller", "BillerCatalogue", "load_billers", "validate_reference", "CATEGORIES", "GATEWAYS", "COLUMNS"]

CATEGORIES: dict[str, str] = {
    "mobile_topup": "mobile top-up (O!, Beeline, MegaCom)",
    "electricity": "electricity",
    "gas": "gas",
    "water": "water and sewerage",
    "heating": "heating and hot water",
    "waste": "waste collection",
    "housing": "homeowners' associations",
    "internet_tv": "internet and TV",
    "loan_repayment": "loan repayments to banks and microcredit companies",
    "state_fees": "taxes, state fees and fines",
    "education": "universities, schools and kindergartens",
    "insurance": "insurance premiums",
    "transport": "city transport cards",
    "charity": "charitable foundations",
    "online_services": "games and online shops",
}
"""Every biller category, with the words a report uses."""

GATEWAYS: dict[str, str] = {
    "GW-TELECOM": "telecom gateway: mobile top-ups, internet and TV",
    "GW-UTILITIES": "utilities gateway: electricity, gas, water, heating, waste, homeowners' associations",
    "GW-BANKS": "banks' gateway: loan repayments and insurance",
    "GW-STATE": "state payments gateway: taxes, fees and fines",
    "GW-GENERAL": "general gateway: education, transport, charity, online services",
}
"""The biller gateways (synthetic [estimate]): each biller is reached through one."""

COLUMNS = ("biller_id", "name", "category", "gateway", "operator", "reference_kind", "reference_pattern", "reference_label", "weight")
"""The columns of data/billers.csv, in order."""

REFERENCE_KINDS = ("msisdn", "pattern")

_FILE = "billers.csv"


@dataclass(frozen=True, slots=True)
class Biller:
    """One service of the catalogue."""

    index: int
    biller_id: str  # "BL0001"
    name: str
    category: str  # a key of CATEGORIES
    gateway: str  # a key of GATEWAYS
    operator: str  # for top-ups: the brand whose numbers it tops up; '' otherwise
    reference_kind: str  # "msisdn" (a phone number) or "pattern" (matches reference_pattern)
    reference_pattern: str  # a regular expression the whole reference must match ('' for msisdn)
    reference_label: str  # what the app asks for ("personal account, 10 digits")
    weight: float  # relative share of bill payments [estimate]


def validate_reference(biller: Biller, reference: str) -> str | None:
    """None when ``reference`` is one ``biller`` accepts; otherwise why not, in words.

    >>> catalogue = load_billers()
    >>> beeline = next(b for b in catalogue.billers if b.operator == "Beeline")
    >>> validate_reference(beeline, "0770 123 456") is None
    True
    >>> validate_reference(beeline, "0700 123 456")
    'Beeline mobile top-up tops up Beeline numbers; +996700123456 is an O! number'
    """
    if biller.reference_kind == "msisdn":
        try:
            number = parse_msisdn(reference)
        except PhoneNumberError as exc:
            return str(exc)
        if number.operator != biller.operator:
            return f"{biller.name} tops up {biller.operator} numbers; {number.e164} is an {number.operator or 'unnamed operator'} number"
        return None
    if re.fullmatch(biller.reference_pattern, reference) is None:
        return f"{biller.name} expects {biller.reference_label}, got {reference!r}"
    return None


class BillerCatalogue:
    """The billers, with a draw by weight for synthetic bill payments."""

    def __init__(self, billers: tuple[Biller, ...]):
        self.billers = billers
        self._by_id = {b.biller_id: b for b in billers}
        weights = np.array([b.weight for b in billers], dtype=float)
        self._cumulative = np.cumsum(weights) / weights.sum()

    def __len__(self) -> int:
        return len(self.billers)

    def by_id(self, biller_id: str) -> Biller | None:
        return self._by_id.get(biller_id)

    def in_category(self, category: str) -> tuple[Biller, ...]:
        return tuple(b for b in self.billers if b.category == category)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` biller indexes drawn by weight (int32)."""
        picks = np.searchsorted(self._cumulative, rng.random(size), side="right")
        return np.minimum(picks, len(self.billers) - 1).astype(np.int32)


def load_billers(path: Path | None = None) -> BillerCatalogue:
    """Read and check the catalogue (data/billers.csv by default); PopulationError names the line
    and the column of the first fault."""
    path = path or data_dir() / _FILE
    if not path.exists():
        raise PopulationError(f"data file {path} does not exist")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise PopulationError(f"{path.name}: missing column {missing[0]!r}")
        rows = list(reader)
    brands = {op.operator for op in mobile_operators()}
    billers: list[Biller] = []
    seen: set[str] = set()
    for line, raw in enumerate(rows, start=2):
        row = {column: raw.get(column) or "" for column in COLUMNS}  # a short row's missing cells read as empty
        billers.append(_checked_row(row, f"{path.name} line {line}", len(billers), seen, brands))
        seen.add(row["biller_id"])
    if not billers or sum(b.weight for b in billers) <= 0:
        raise PopulationError(f"{path.name}: lists no biller with a weight above 0")
    return BillerCatalogue(tuple(billers))


def _fault(row: dict[str, str], where: str, column: str, problem: str) -> PopulationError:
    return PopulationError(f"{where}, column {column}: {problem}, got {row[column]!r}")


def _checked_row(row: dict[str, str], where: str, index: int, seen: set[str], brands: set[str]) -> Biller:
    """One row of the catalogue as a Biller; PopulationError at ``where`` names the first bad column."""
    if not re.fullmatch(r"BL\d{4}", row["biller_id"]) or row["biller_id"] in seen:
        raise _fault(row, where, "biller_id", "must be BL and 4 digits, once in the file")
    if not row["name"]:
        raise _fault(row, where, "name", "must not be empty")
    if row["category"] not in CATEGORIES:
        raise _fault(row, where, "category", f"must be one of {', '.join(CATEGORIES)}")
    if row["gateway"] not in GATEWAYS:
        raise _fault(row, where, "gateway", f"must be one of {', '.join(GATEWAYS)}")
    if row["reference_kind"] not in REFERENCE_KINDS:
        raise _fault(row, where, "reference_kind", "must be msisdn or pattern")
    is_topup = row["reference_kind"] == "msisdn"
    if is_topup != (row["category"] == "mobile_topup"):
        raise _fault(row, where, "reference_kind", "must be msisdn exactly for mobile_topup billers")
    if is_topup and row["operator"] not in brands:
        problem = f"must name a mobile operator of data/mobile_operators.csv for a top-up ({', '.join(sorted(brands))})"
        raise _fault(row, where, "operator", problem)
    if not is_topup and row["operator"]:
        raise _fault(row, where, "operator", "must be empty unless the reference is a phone number")
    if not is_topup:
        if not row["reference_pattern"]:
            raise _fault(row, where, "reference_pattern", "must not be empty")
        try:
            re.compile(row["reference_pattern"])
        except re.error as exc:
            raise _fault(row, where, "reference_pattern", f"is not a regular expression ({exc})") from None
    try:
        weight = float(row["weight"])
    except ValueError:
        raise _fault(row, where, "weight", "must be a number") from None
    if not weight >= 0.0:
        raise _fault(row, where, "weight", "must be >= 0")
    return Biller(
        index=index,
        biller_id=row["biller_id"],
        name=row["name"],
        category=row["category"],
        gateway=row["gateway"],
        operator=row["operator"],
        reference_kind=row["reference_kind"],
        reference_pattern=row["reference_pattern"],
        reference_label=row["reference_label"],
        weight=weight,
    )
