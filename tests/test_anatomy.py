"""The tables of notebooks/02_tap_anatomy: one tap byte by byte, both verifications agreeing."""

from __future__ import annotations

import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.analysis import anatomy


@pytest.fixture(scope="module")
def tap():
    sim = Simulation(load_scenario("national-day", seed=2025, scale=0.001))
    return anatomy.tap_anatomy(sim, anatomy.payable_card(sim, 12_345), 0, 12_345)


def test_the_apdus_and_their_decoded_answers(tap):
    apdus = tap.apdus()
    assert list(apdus.command) == ["SELECT PPSE", "SELECT AID", "GPO", "READ RECORD SFI 1 REC 1"]
    assert list(apdus.SW) == ["9000"] * 4 and apdus.loc[2, "C-APDU"] == "00A4040007F000000417101000"
    gpo = tap.answer(3)
    assert list(gpo.tag.str.strip()) == ["77", "82", "94", "57", "5F34", "9F10", "9F26", "9F27", "9F36", "9F6C"]
    assert gpo.tag.iloc[1] == "  82"  # nested under the template
    assert gpo.set_index(gpo.tag.str.strip()).loc["9F6C", "value"] == "0080"


def test_no_table_shows_a_whole_token_number(tap):
    token = tap.result.request["2"]
    tables = [tap.apdus(), tap.message("request"), tap.message("response"), tap.icc_data("request"), tap.verification()]
    tables += [tap.answer(step) for step in range(1, 5)]
    for table in tables:
        assert token not in table.to_csv()
    assert tap.message("request").loc["2", "value"] == token[:6] + "******" + token[-4:]
    assert tap.message("request").loc["35", "value"].endswith("=…")


def test_both_verifications_agree(tap):
    table = tap.verification()
    assert table.loc["ARQC sent by the phone (9F26)", "check"] == "recomputed by pyemv: equal"
    assert table.loc["ARQC from the phone's own key path", "check"] == "equal"
    assert table.loc["ARPC recomputed by the phone", "check"] == "equal"
    assert table.loc["ARQC sent by the phone (9F26)", "value"] == table.loc["ARQC from the phone's own key path", "value"]
    assert table.loc["limited-use key index (IAD)", "value"] == "1"
    assert table.loc["ATC", "check"] == "highest accepted for this token: 1"
    assert list(tap.icc_data("response").tag) == ["91"]


def test_no_payable_card():
    sim = Simulation(load_scenario("national-day", seed=2025, scale=0.001))
    with pytest.raises(ValueError, match="no enrolled, active card with 100000000000 tyiyn"):
        anatomy.payable_card(sim, 10**11)
