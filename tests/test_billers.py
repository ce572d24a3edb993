"""The biller catalogue: 400-odd services in every category, written reproducibly by its script,
references checked per biller (top-ups by the number's operator), malformed files refused with
the line and column named, and billers drawn by weight."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from elcart_sim.core.errors import PopulationError
from elcart_sim.scenario import data_dir
from elcart_sim.world.billers import CATEGORIES, COLUMNS, GATEWAYS, load_billers, validate_reference

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def catalogue():
    return load_billers()


def _biller(catalogue, **match):
    return next(b for b in catalogue.billers if all(getattr(b, k) == v for k, v in match.items()))


def test_at_least_400_billers_in_every_category_through_every_gateway(catalogue):
    assert len(catalogue) >= 400
    assert {b.category for b in catalogue.billers} == set(CATEGORIES)
    assert {b.gateway for b in catalogue.billers} == set(GATEWAYS)
    assert {b.operator for b in catalogue.in_category("mobile_topup")} == {"O!", "Beeline", "MegaCom"}
    banks = (data_dir() / "banks.csv").read_text(encoding="utf-8")
    loans = [b.name.removesuffix(" loan repayment") for b in catalogue.in_category("loan_repayment") if "loan repayment" in b.name]
    assert len(loans) == 21 and all(name in banks for name in loans)
    assert abs(sum(b.weight for b in catalogue.billers) - 1.0) < 1e-4


def test_the_committed_file_is_what_the_script_writes():
    spec = importlib.util.spec_from_file_location("make_billers", ROOT / "data" / "tools" / "make_billers.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert (ROOT / "data" / "billers.csv").read_text(encoding="utf-8") == script.render()


@pytest.mark.parametrize(
    ("operator", "number", "refusal"),
    [
        ("MegaCom", "0555 123 456", None),
        ("O!", "+996 700 123 456", None),
        ("Beeline", "996770123456", None),
        ("Beeline", "0700 123 456", "Beeline mobile top-up tops up Beeline numbers; +996700123456 is an O! number"),
        ("O!", "0555 123 456", "O! mobile top-up tops up O! numbers; +996555123456 is an MegaCom number"),
        ("MegaCom", "+996 312 123 456", "'+996 312 123 456' is not a Kyrgyz mobile number: it is a fixed line"),
        ("MegaCom", "+7 701 123 4567", "not Kyrgyz"),
    ],
)
def test_a_top_up_goes_to_a_number_of_its_operator(catalogue, operator, number, refusal):
    answer = validate_reference(_biller(catalogue, category="mobile_topup", operator=operator), number)
    assert answer is None if refusal is None else refusal in answer


def test_utility_references_follow_the_billers_format(catalogue):
    electricity = catalogue.in_category("electricity")[0]
    assert validate_reference(electricity, "0123456789") is None
    assert validate_reference(electricity, "012345678") == f"{electricity.name} expects personal account, 10 digits, got '012345678'"
    assert validate_reference(electricity, "01234567890") is not None
    assert validate_reference(electricity, "01234S6789") is not None
    tax = _biller(catalogue, category="state_fees", name="Property tax, Bishkek")
    assert validate_reference(tax, "21505199012345") is None and validate_reference(tax, "31505199012345") is not None
    plate = _biller(catalogue, name="Vehicle registration fee")
    assert validate_reference(plate, "01KG123ABC") is None and validate_reference(plate, "01 KG 123 ABC") is not None
    for biller in catalogue.billers:
        assert validate_reference(biller, "") is not None, biller.name


def test_billers_are_drawn_by_weight(catalogue):
    picks = catalogue.draw(np.random.default_rng(2), 200_000)
    assert picks.min() >= 0 and picks.max() < len(catalogue)
    by_category = Counter(catalogue.billers[i].category for i in picks.tolist())
    topups = sum(b.weight for b in catalogue.in_category("mobile_topup"))
    assert abs(by_category["mobile_topup"] / len(picks) - topups) < 0.005
    assert np.array_equal(picks, catalogue.draw(np.random.default_rng(2), 200_000))
    assert catalogue.by_id("BL0001") is catalogue.billers[0] and catalogue.by_id("BL9999") is None


def _write(tmp_path, rows, header=",".join(COLUMNS)):
    path = tmp_path / "billers.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


GOOD = r'BL0001,Water,water,GW-UTILITIES,,pattern,\d{6},"account, 6 digits",0.5'


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (r"BL0002,Water,plumbing,GW-UTILITIES,,pattern,\d{6},account,0.5", "billers.csv line 3, column category: must be one of"),
        (r"BL0002,Water,water,GW-NOWHERE,,pattern,\d{6},account,0.5", "line 3, column gateway: must be one of"),
        (r"BL0002,Water,water,GW-UTILITIES,,pattern,[0-9,account,0.5", "line 3, column reference_pattern: is not a regular expression"),
        (r"BL0002,Water,water,GW-UTILITIES,,pattern,\d{6},account,lots", "line 3, column weight: must be a number, got 'lots'"),
        (r"BL0002,Water,water,GW-UTILITIES,,pattern,\d{6},account,-1", "line 3, column weight: must be >= 0"),
        (r"BL0001,Water,water,GW-UTILITIES,,pattern,\d{6},account,0.5", "line 3, column biller_id: must be BL and 4 digits, once"),
        (r"BL0002,Top-up,mobile_topup,GW-TELECOM,Tele2,msisdn,,number,0.5", "line 3, column operator: must name a mobile operator"),
        (r"BL0002,Top-up,mobile_topup,GW-TELECOM,,pattern,\d{9},number,0.5", "line 3, column reference_kind: must be msisdn exactly"),
        (r"BL0002,,water,GW-UTILITIES,,pattern,\d{6},account,0.5", "line 3, column name: must not be empty"),
        ("BL0002,Water,water", "line 3, column gateway: must be one of"),
    ],
)
def test_a_malformed_file_names_the_line_and_the_column(tmp_path, row, message):
    with pytest.raises(PopulationError, match=message.replace("(", r"\(")):
        load_billers(_write(tmp_path, [GOOD, row]))


def test_a_missing_column_or_file_is_named(tmp_path):
    with pytest.raises(PopulationError, match="missing column 'weight'"):
        load_billers(_write(tmp_path, [GOOD.rsplit(",", 1)[0]], header=",".join(COLUMNS[:-1])))
    with pytest.raises(PopulationError, match="does not exist"):
        load_billers(tmp_path / "nowhere.csv")
