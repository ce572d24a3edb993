"""Write data/billers.csv: the synthetic catalogue of services payable in ELKART Mobile.

Run from the repository root:  python data/tools/make_billers.py
It draws nothing at random: the same code writes the same file (tests/test_billers.py checks that
the committed file is what this script writes). Every name except the three mobile operators and
the member banks (data/banks.csv) is synthetic; every weight and reference format is our estimate
(data/README.md documents the columns).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from elcart_sim.world.billers import CATEGORIES, COLUMNS, GATEWAYS  # noqa: E402
from elcart_sim.world.msisdn import mobile_operators  # noqa: E402

OUTPUT = ROOT / "data" / "billers.csv"

# Share of bill payments per category [estimate]; spread over the category's billers by rank
# (the first named gets most: weight 1/rank, normalised); top-ups by the operators' subscriber
# shares (data/mobile_operators.csv).
CATEGORY_SHARE = {
    "mobile_topup": 0.40, "electricity": 0.11, "internet_tv": 0.09, "loan_repayment": 0.11, "gas": 0.04,
    "water": 0.04, "heating": 0.03, "waste": 0.02, "housing": 0.02, "state_fees": 0.05, "education": 0.03,
    "insurance": 0.01, "transport": 0.02, "charity": 0.01, "online_services": 0.02,
}  # fmt: skip

# Public place names: the regions and two cities of republican status, then towns by size.
REGIONS = ["Bishkek", "Osh city", "Chui", "Issyk-Kul", "Naryn", "Talas", "Jalal-Abad", "Osh region", "Batken"]
TOWNS = [
    "Bishkek", "Osh", "Jalal-Abad", "Karakol", "Tokmok", "Uzgen", "Kara-Balta", "Balykchy", "Kara-Suu", "Naryn",
    "Talas", "Batken", "Kant", "Kyzyl-Kiya", "Mailuu-Suu", "Tash-Kumyr", "Kerben", "Nookat", "Cholpon-Ata",
    "Toktogul", "Kochkor-Ata", "Isfana", "Sulukta", "Kadamjay", "Kemin", "Kaindy", "Shopokov", "Belovodskoye",
    "At-Bashy", "Aravan",
]  # fmt: skip
SYNTHETIC_BRANDS = ["Tengri", "Ordo", "Aruu", "Kench", "Baiterek", "Bulut", "Zhyldyz", "Kairat", "Arstan", "Tulpar Line"]
TOPUP_OPERATORS = ["MegaCom", "O!", "Beeline"]  # data/mobile_operators.csv, largest share first


def _banks() -> list[str]:
    with (ROOT / "data" / "banks.csv").open(encoding="utf-8", newline="") as handle:
        return [row["name"] for row in csv.DictReader(handle)]


def _rows() -> list[dict[str, str]]:
    """(category, name, gateway, operator, reference kind, pattern, label) for every biller."""
    billers: list[tuple[str, str, str, str, str, str, str]] = []

    def add(category, name, gateway, pattern, label, kind="pattern", operator=""):
        billers.append((category, name, gateway, operator, kind, pattern, label))

    for op in TOPUP_OPERATORS:
        add("mobile_topup", f"{op} mobile top-up", "GW-TELECOM", "", "mobile number of the operator", "msisdn", op)
    for region in REGIONS:
        add("electricity", f"Electricity supply, {region}", "GW-UTILITIES", r"\d{10}", "personal account, 10 digits")
        add("gas", f"Gas supply, {region}", "GW-UTILITIES", r"\d{9}", "subscriber number, 9 digits")
    for i, town in enumerate(TOWNS):
        digits = 6 + i % 3
        add("water", f"Water and sewerage, {town}", "GW-UTILITIES", rf"\d{{{digits}}}", f"personal account, {digits} digits")
        add("waste", f"Waste collection, {town}", "GW-UTILITIES", r"\d{6}", "personal account, 6 digits")
    for town in TOWNS[:12]:
        add("heating", f"Heating and hot water, {town}", "GW-UTILITIES", r"\d{8}", "personal account, 8 digits")
    for n in range(1, 51):
        add("housing", f"Homeowners' association No. {n}, {TOWNS[n % 5]}", "GW-UTILITIES", r"\d{1,4}", "apartment number")
    for brand in SYNTHETIC_BRANDS:
        add("internet_tv", f"{brand} Net", "GW-TELECOM", r"[A-Z]{2}\d{6}", "contract: 2 letters and 6 digits")
        add("internet_tv", f"{brand} Cable TV", "GW-TELECOM", r"\d{5,8}", "subscriber number, 5 to 8 digits")
        add("internet_tv", f"{brand} Fiber", "GW-TELECOM", r"\d{8}", "contract number, 8 digits")
        add("internet_tv", f"{brand} IPTV", "GW-TELECOM", r"[a-z0-9_]{4,16}", "login, 4 to 16 lower-case letters, digits or _")
    for bank in _banks():
        add("loan_repayment", f"{bank} loan repayment", "GW-BANKS", r"\d{10,14}", "loan contract number, 10 to 14 digits")
    for n in range(1, 31):
        add("loan_repayment", f"Microcredit company No. {n}", "GW-BANKS", r"\d{8}", "loan contract number, 8 digits")
    pin = (r"[12]\d{13}", "personal identification number (PIN), 14 digits")
    for region in REGIONS:
        add("state_fees", f"Property tax, {region}", "GW-STATE", *pin)
        add("state_fees", f"Land tax, {region}", "GW-STATE", *pin)
        add("state_fees", f"Patent for sole traders, {region}", "GW-STATE", *pin)
    add("state_fees", "Traffic fine", "GW-STATE", r"\d{10}", "fine decision number, 10 digits")
    add("state_fees", "Vehicle registration fee", "GW-STATE", r"\d{2}KG\d{3}[A-Z]{3}", "licence plate, e.g. 01KG123ABC")
    add("state_fees", "Vehicle tax", "GW-STATE", r"\d{2}KG\d{3}[A-Z]{3}", "licence plate, e.g. 01KG123ABC")
    for fee in ("Passport fee", "ID card fee", "Driving licence fee", "Civil registry fee", "Notary fee", "Court fee",
                "Social fund contributions", "Mandatory health insurance", "Customs duty", "Education certificate fee"):  # fmt: skip
        add("state_fees", fee, "GW-STATE", *pin)
    for n in range(1, 16):
        add("education", f"University No. {n}", "GW-GENERAL", r"\d{6}", "student number, 6 digits")
    for n in range(1, 41):
        add("education", f"School No. {n}, {TOWNS[n % 10]}", "GW-GENERAL", r"\d{5}", "pupil number, 5 digits")
    for n in range(1, 26):
        add("education", f"Kindergarten No. {n}, {TOWNS[n % 6]}", "GW-GENERAL", r"\d{5}", "child number, 5 digits")
    for n in range(1, 13):
        add("insurance", f"Insurance company No. {n}", "GW-BANKS", r"[A-Z]{3}\d{7}", "policy: 3 letters and 7 digits")
    for town in TOWNS[:5]:
        add("transport", f"City transport card, {town}", "GW-GENERAL", r"\d{10}", "transport card number, 10 digits")
    for n in range(1, 11):
        add("charity", f"Charitable foundation No. {n}", "GW-GENERAL", r"[^\n]{1,40}", "donor's name or note, up to 40 characters")
    for brand in SYNTHETIC_BRANDS:
        add("online_services", f"{brand} Games", "GW-GENERAL", r"[A-Za-z0-9_]{3,20}", "account login, 3 to 20 letters, digits or _")
        add("online_services", f"{brand} Market", "GW-GENERAL", r"\d{7,9}", "order number, 7 to 9 digits")

    assert set(CATEGORY_SHARE) == set(CATEGORIES) and {b[2] for b in billers} <= set(GATEWAYS)
    subscriber_share = {op.operator: op.subscriber_share for op in mobile_operators()}
    rank_weights: dict[str, list[float]] = {}
    for category, _, _, operator, *_ in billers:
        rank = len(rank_weights.get(category, [])) + 1
        rank_weights.setdefault(category, []).append(subscriber_share[operator] if operator else 1.0 / rank)
    rows, seen = [], {c: 0 for c in CATEGORIES}
    for n, (category, name, gateway, operator, kind, pattern, label) in enumerate(billers, start=1):
        weights = rank_weights[category]
        weight = CATEGORY_SHARE[category] * weights[seen[category]] / sum(weights)
        seen[category] += 1
        rows.append(dict(zip(COLUMNS, (f"BL{n:04d}", name, category, gateway, operator, kind, pattern, label, f"{weight:.6f}"))))
    return rows


def render() -> str:
    """The file's text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows())
    return out.getvalue()


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {render().count(chr(10)) - 1} billers")
