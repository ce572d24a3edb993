"""Live taps without hardware: validation of a device's answers, the live-device path through the
simulated chain, time accounting with measured APDU durations, the APDU records, the CLI's faults.

The same code runs over a real PC/SC reader in tests/hardware/test_live_tap.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, live, load_scenario
from elcart_sim.acceptance.kernel import ApduExchange, ContactlessKernel
from elcart_sim.acceptance.nfc_link import SimulatedNfcLink
from elcart_sim.cli import live as cli_live
from elcart_sim.cli import main
from elcart_sim.core.errors import CardRemovedError, NoCardError, ReaderNotFoundError, ReaderRemovedError
from elcart_sim.live.demo_phone import DEMO_ISSUER_MASTER_KEY, demo_credential
from elcart_sim.live.vpcd import MALFORMED_RESPONSE
from elcart_sim.protocol.emv import tlv
from elcart_sim.wallet.applet import PaymentApplet

AMOUNT_TYIYN = 12345
DATE = "261126"
UN = bytes.fromhex("9C753B83")
FIXED = FIXED_DELAYS
HOSTS_S = 2 * 0.1 + 0.002 + 2 * 0.004 + 0.001 + 2 * 0.003 + 0.006  # terminal⇄acquirer⇄switch⇄issuer


class MeasuredLink:
    """A link into an in-process applet that reports given durations, as a PcscLink reports
    the wall time it measured."""

    def __init__(self, applet, durations_s, *, tear_at=None):
        self.name = "measured"
        self.applet = applet
        self.durations_s = list(durations_s)
        self.tear_at = tear_at
        self.sent = 0

    def transceive(self, command):
        if self.sent == self.tear_at:
            raise CardRemovedError("the card or phone left reader 'test' during GET PROCESSING OPTIONS: torn transaction")
        response = self.applet.process(command)
        duration = self.durations_s[self.sent]
        self.sent += 1
        return response, duration


def demo_exchanges(durations=(0.001, 0.001, 0.001, 0.001), applet=None) -> tuple[ApduExchange, ...]:
    applet = applet or PaymentApplet(demo_credential())
    outcome = ContactlessKernel().perform(MeasuredLink(applet, durations), AMOUNT_TYIYN, DATE, UN)
    assert outcome.outcome == "online", outcome.reason
    return outcome.exchanges


def statuses(checks) -> dict[str, str]:
    return {c.name: c.status for c in checks}


def replace_tag(exchanges, tag, value) -> tuple[ApduExchange, ...]:
    """The exchanges with ``tag`` replaced by ``value`` wherever a template answer carries it."""
    out = []
    for x in exchanges:
        (template,) = tlv.decode(x.response[:-2])
        children = [tlv.encode(c.tag, value if c.tag == tag else c.value) if c.children is None else c.to_bytes() for c in template.children]
        response = tlv.encode_constructed(template.tag, *children) + x.response[-2:]
        out.append(ApduExchange(x.name, x.command, response, x.duration_s))
    return tuple(out)


# -- validate_live_tap ------------------------------------------------------------------------------


def test_our_applet_passes_every_check():
    checks = live.validate_live_tap(
        demo_exchanges(), reference=demo_credential(), issuer_master_key=DEMO_ISSUER_MASTER_KEY
    )
    assert [c.status for c in checks] == ["pass"] * len(checks), [c for c in checks if c.status != "pass"]
    assert [c.name for c in checks] == [
        "status words", "BER-TLV", "required tags", "57 track 2", "5A PAN", "5F24 expiry", "82 AIP",
        "9F36 ATC", "9F26 cryptogram", "9F27 CID", "9F10 IAD", "9F24 PAR",
        "same answers as our applet", "ARQC identical to our applet's", "ARQC verifies (issuer key)",
        "contactless budget",
    ]  # fmt: skip
    detail = {c.name: c.detail for c in checks}
    assert detail["57 track 2"] == "PAN 999904******0019 (Luhn ok), expiry 3012, service code 201"
    assert detail["ARQC identical to our applet's"] == "F512DDBF502EB823"  # the reference qVSDC dialogue (docs/sources.md)
    assert detail["contactless budget"] == "card dialogue within 500 ms"


def test_a_card_whose_keys_we_do_not_hold_is_read_and_not_verifiable():
    checks = statuses(live.validate_live_tap(demo_exchanges()))
    assert checks.pop("same answers as our applet") == "not verifiable"
    assert checks.pop("ARQC identical to our applet's") == "not verifiable"
    assert checks.pop("ARQC verifies (issuer key)") == "not verifiable"
    assert set(checks.values()) == {"pass"}


def test_a_later_atc_is_compared_from_the_same_counter():
    applet = PaymentApplet(demo_credential(), atc=41)
    checks = statuses(live.validate_live_tap(demo_exchanges(applet=applet), reference=demo_credential(), issuer_master_key=DEMO_ISSUER_MASTER_KEY))
    assert set(checks.values()) == {"pass"}


def wallet_exchanges(wallet=0, taps=1):
    """The exchanges of the ``taps``-th tap of the simulated country's wallet ``wallet``, as its
    phone answers (limited-use keys, bound to the phone's device id), and the keys we hold."""
    applet, _ = live.phone_applet(wallet)
    for _ in range(taps):
        exchanges = demo_exchanges(applet=applet)
    reference, imk = live.known_keys(live.live_simulation(), applet.credential.token_pan)
    return exchanges, reference, imk


def test_a_wallet_paying_with_limited_use_keys_passes_every_check():
    exchanges, reference, imk = wallet_exchanges(taps=2)  # the second tap: ATC 2, key 2
    assert reference.icc_master_key is None  # an HCE wallet holds limited-use keys only
    checks = {c.name: c for c in live.validate_live_tap(exchanges, reference=reference, issuer_master_key=imk)}
    assert {c.status for c in checks.values()} == {"pass"}, [c for c in checks.values() if c.status != "pass"]
    assert checks["ARQC verifies (issuer key)"].detail == "CVN 18, limited-use key 2"
    assert checks["same answers as our applet"].detail == "4 answers byte-identical (ATC 2)"
    assert checks["9F10 IAD"].detail == "15 bytes"


def test_limited_use_keys_need_the_issuer_key_to_be_replayed():
    exchanges, reference, _imk = wallet_exchanges()
    checks = {c.name: c for c in live.validate_live_tap(exchanges, reference=reference)}
    assert (checks["same answers as our applet"].status, checks["same answers as our applet"].detail) == (
        "not verifiable", "limited-use key 1: the issuer master key is unknown",
    )  # fmt: skip
    assert checks["ARQC verifies (issuer key)"].status == "not verifiable"


def test_an_mchip_style_device_is_validated_over_generate_ac():
    applet = PaymentApplet(demo_credential(), kernel="mchip")
    outcome = ContactlessKernel().perform(MeasuredLink(applet, [0.001] * 5), AMOUNT_TYIYN, DATE, UN)
    assert [x.name for x in outcome.exchanges][-1] == "GENERATE AC"
    checks = {c.name: c for c in live.validate_live_tap(outcome.exchanges, reference=demo_credential(), issuer_master_key=DEMO_ISSUER_MASTER_KEY)}
    assert {c.status for c in checks.values()} == {"pass"}, [c for c in checks.values() if c.status != "pass"]
    assert checks["ARQC verifies (issuer key)"].detail == "CVN 18, ICC master key"


def test_a_tampered_cryptogram_fails_the_three_cryptogram_checks():
    exchanges = list(demo_exchanges())
    gpo = exchanges[2]
    arqc_at = gpo.response.index(bytes.fromhex("9F2608")) + 3
    tampered = gpo.response[:arqc_at] + bytes([gpo.response[arqc_at] ^ 0x01]) + gpo.response[arqc_at + 1 :]
    exchanges[2] = ApduExchange(gpo.name, gpo.command, tampered, gpo.duration_s)
    checks = {c.name: c for c in live.validate_live_tap(exchanges, reference=demo_credential(), issuer_master_key=DEMO_ISSUER_MASTER_KEY)}
    assert checks["same answers as our applet"].status == "fail"
    assert checks["same answers as our applet"].detail == "differ at GPO"
    assert checks["ARQC identical to our applet's"].status == "fail"
    assert checks["ARQC verifies (issuer key)"].status == "fail"
    assert checks["9F26 cryptogram"].status == "pass"  # the format is still right


def test_the_wrong_issuer_key_fails_verification_only():
    checks = statuses(live.validate_live_tap(demo_exchanges(), reference=demo_credential(), issuer_master_key=bytes(16)))
    assert checks.pop("ARQC verifies (issuer key)") == "fail"
    assert set(checks.values()) == {"pass"}


@pytest.mark.parametrize(
    ("tag", "value", "check", "detail"),
    [
        (0x5F24, bytes.fromhex("301332"), "5F24 expiry", "301332 is not a date YYMMDD"),
        (0x5F24, bytes.fromhex("310131"), "5F24 expiry", "310131 differs from track 2 expiry 3012"),
        (0x5F24, bytes.fromhex("300231"), "5F24 expiry", "300231 is not a date YYMMDD"),
        (0x5A, bytes.fromhex("9999041700000027"), "5A PAN", "differs from the track 2 PAN"),
        (0x57, bytes.fromhex("9999041700000018D30122010000000000000F"), "57 track 2", "PAN fails the Luhn check"),
        (0x57, bytes.fromhex("9999041700000019D30132010000000000000F"), "57 track 2", "expiry YYMM and service code missing or invalid"),
        (0x57, bytes.fromhex("99990417000000193012201000"), "57 track 2", "no D separator"),
        (0x9F24, b"SHORTPAR", "9F24 PAR", "8 bytes, expected 29 alphanumerics"),
    ],
)
def test_bad_formats_fail_with_what_was_wrong(tag, value, check, detail):
    exchanges = replace_tag(demo_exchanges(), tag, value)
    checks = {c.name: c for c in live.validate_live_tap(exchanges)}
    assert (checks[check].status, checks[check].detail) == ("fail", detail)


def test_wrong_lengths_of_atc_and_cid_fail():
    exchanges = replace_tag(replace_tag(demo_exchanges(), 0x9F36, b"\x00"), 0x9F27, b"\x40")
    checks = {c.name: c for c in live.validate_live_tap(exchanges)}
    assert (checks["9F36 ATC"].status, checks["9F36 ATC"].detail) == ("fail", "00, expected 2 bytes")
    assert (checks["9F27 CID"].status, checks["9F27 CID"].detail) == ("fail", "40, expected 1 byte, ARQC (80)")


def test_answers_that_are_not_tlv_fail_and_name_the_apdu():
    exchanges = list(demo_exchanges())
    exchanges[3] = ApduExchange(exchanges[3].name, exchanges[3].command, MALFORMED_RESPONSE, 0.001)
    checks = {c.name: c for c in live.validate_live_tap(exchanges, reference=demo_credential())}
    assert checks["status words"].status == "pass"  # 9000 with garbage: only parsing catches it
    assert checks["BER-TLV"].status == "fail"
    assert checks["BER-TLV"].detail.startswith("READ RECORD SFI 1 REC 1: TLV: value of tag 6F")
    assert (checks["required tags"].status, checks["required tags"].detail) == ("fail", "missing 5A 5F24 9F24")
    assert checks["same answers as our applet"].detail == "differ at READ RECORD SFI 1 REC 1"


def test_a_bad_status_word_and_no_answer_at_all():
    exchanges = list(demo_exchanges())
    exchanges[3] = ApduExchange(exchanges[3].name, exchanges[3].command, b"\x6a\x83", 0.001)
    checks = {c.name: c for c in live.validate_live_tap(exchanges)}
    assert (checks["status words"].status, checks["status words"].detail) == ("fail", "READ RECORD SFI 1 REC 1 answered 6A83")
    nothing = {c.name: c.status for c in live.validate_live_tap(())}
    assert nothing["status words"] == nothing["BER-TLV"] == nothing["required tags"] == "fail"
    assert nothing["contactless budget"] == "pass"


def test_a_slow_dialogue_breaks_the_500_ms_budget():
    checks = {c.name: c for c in live.validate_live_tap(demo_exchanges(durations=(0.1, 0.1, 0.25, 0.1)))}
    assert (checks["contactless budget"].status, checks["contactless budget"].detail) == ("fail", "card dialogue took 550.0 ms, over 500 ms")


# -- pure helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("00A404000E325041592E5359532E444446303100", "SELECT PPSE"),
        ("00A4040007F000000417101000", "SELECT AID"),
        ("80A8000002830000", "GPO"),
        ("00B2021400", "READ RECORD SFI 2 REC 2"),
        ("80AE8000020000", "GENERATE AC"),
        ("00CA9F3600", "INS CA"),
        ("00A4", "APDU 00A4"),
    ],
)
def test_commands_are_named_as_the_kernel_names_them(command, name):
    assert live.name_command(bytes.fromhex(command)) == name


def test_kernel_and_trace_use_the_same_names():
    assert [x.name for x in demo_exchanges()] == [live.name_command(x.command) for x in demo_exchanges()]


@pytest.mark.parametrize(("text", "tyiyn"), [("123.45", 12345), ("1390", 139000), ("0.01", 1), (" 5.5 ", 550)])
def test_amounts_in_kgs_become_tyiyn(text, tyiyn):
    assert live.parse_amount(text) == tyiyn


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.234", "at most two decimals"),
        ("0", "more than 0"),
        ("-5", "more than 0"),
        ("12,50", "must be a number of KGS"),
        ("nan", "at most two decimals"),
        ("10000000000", "at most 9999999999.99 KGS"),
    ],
)
def test_bad_amounts_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        live.parse_amount(text)


def test_durations_carry_their_clock():
    assert live.format_duration(0.000213, "wall") == "0.213 ms wall"
    assert live.format_duration(2.5, "sim") == "2.500 s sim"
    assert live.format_duration(None, "wall") == "-"


# -- the live-device path through the simulated chain ----------------------------------------------------


@pytest.fixture
def fixed_sim():
    return Simulation(load_scenario("national-day", seed=99).with_overrides(FIXED), record_apdus=True)


def first_wallet(sim, status="active", min_balance_kgs=0.0):
    for row in live.wallet_table(sim).to_dict("records"):
        if row["status"] == status and row["balance_kgs"] >= min_balance_kgs:
            return row["wallet"]
    raise AssertionError(f"no {status} wallet")


def test_simulated_time_advances_by_the_measured_apdu_durations(fixed_sim):
    sim = fixed_sim
    card = live.wallet_card(sim, first_wallet(sim, min_balance_kgs=200))
    measured = (0.0123, 0.0045, 0.0311, 0.0067)  # as a PcscLink reports its wall-clock round trips
    link = MeasuredLink(sim.wallet(card).applet, measured)
    result = sim.tap(None, 0, 5_000, link=link)
    assert (result.outcome, result.response_code) == ("approved", "00")

    tx = sim.records.transactions.to_frame().iloc[0]
    assert tx.nfc_s == sum(measured)
    assert tx.tap_to_result_s == pytest.approx(sum(measured) + 0.05 + HOSTS_S, abs=1e-12)
    assert tx.token_masked == sim.wallet(card).token_masked
    assert tx.issuer == sim.population.bank_of_card(card).code
    apdus = sim.records.apdus.to_frame()
    assert list(apdus.seq) == [0, 1, 2, 3]
    assert list(apdus.command.astype(str)) == ["SELECT PPSE", "SELECT AID", "GPO", "READ RECORD SFI 1 REC 1"]
    assert list(apdus.command_length) == [20, 13, 41, 5]
    assert list(apdus.sw.astype(str)) == ["9000"] * 4
    assert list(apdus.duration_s) == list(measured)
    assert list(apdus.sent_at) == pytest.approx([0.0, 0.0123, 0.0168, 0.0479], abs=1e-12)


def test_apdus_are_recorded_only_when_asked(fixed_sim):
    plain = Simulation(load_scenario("national-day", seed=99).with_overrides(FIXED))
    card = live.wallet_card(plain, first_wallet(plain))
    plain.tap(card, 0, 100)
    assert len(plain.records.apdus) == 0
    fixed_sim.tap(card, 0, 100)
    results = fixed_sim.results()
    assert list(results.apdus.duration_s) == [0.02] * 4  # the simulated link's constant draw
    assert "apdus" in results.tables() and "apdus" not in plain.results().tables()


@pytest.mark.parametrize(("status", "code"), [("blocked", "62"), ("lost", "41")])
def test_a_live_device_of_a_blocked_or_lost_card_is_declined(status, code):
    sim = live.live_simulation()
    applet, _description = live.phone_applet(first_wallet(sim, status))  # the phone, as `elcart-sim phone` builds it
    result = sim.tap(None, 0, 100, link=SimulatedNfcLink(applet.process, lambda: 0.01))
    assert (result.outcome, result.response_code) == ("declined", code)


def test_a_token_the_simulated_tsp_never_issued_is_declined_14():
    sim = Simulation(load_scenario("national-day", scale=0.001))
    result = sim.tap(None, 0, 100, link=SimulatedNfcLink(PaymentApplet(demo_credential()).process, lambda: 0.01))
    assert (result.outcome, result.response_code) == ("declined", "14")
    tx = sim.records.transactions.to_frame().iloc[0]
    assert (tx.token_masked, tx.issuer) == ("999904******0019", "")
    assert sim.card_of_token("9999041700000019") is None


def test_a_live_tap_needs_its_link():
    sim = Simulation(load_scenario("national-day", scale=0.001))
    with pytest.raises(ValueError, match="a live device"):
        sim.start_tap(None, 0, 100)


# -- live_tap over the simulated link and other links -------------------------------------------------------


def test_live_tap_over_the_simulated_link_is_approved_and_fully_reported():
    report = live.live_tap(simulated_wallet=0)
    assert (report.outcome, report.response_code, report.exit_code) == ("approved", "00", 0)
    assert report.validation_passed and {c.status for c in report.checks} == {"pass"}
    assert [a.name for a in report.apdus] == ["SELECT PPSE", "SELECT AID", "GPO", "READ RECORD SFI 1 REC 1"]
    assert report.measured is False and report.card_wait_s is None
    assert [h["hop"] for h in report.hops] == ["acquirer", "switch", "hsm", "issuer", "hsm"]  # IPC's HSM, then the bank's
    assert report.tap_to_result_s > report.nfc_s + report.host_s
    assert list(report.results.apdus.duration_s) == [a.duration_s for a in report.apdus]

    text = live.format_report(report)
    assert "  outcome         APPROVED  DE39 00" in text
    assert text.count(" wall") == 1 and "whole tap" in text  # the only measured time: the computation
    document = json.loads(json.dumps(live.report_json(report)))
    assert document["outcome"] == "approved" and document["clock"] == "sim"
    assert document["apdus"][2]["tags"][0]["name"] == "Response Message Template Format 2"


def report_simulation(report):
    return live.live_simulation(report.scenario, seed=report.seed, scale=report.scale)


def test_reports_never_show_a_full_token_or_card_number():
    report = live.live_tap(simulated_wallet=3)
    sim = report_simulation(report)
    card = live.wallet_card(sim, 3)
    secrets = {sim.token_service.token_pan_for(card), sim.population.pan(card)}
    for text in (live.format_report(report), json.dumps(live.report_json(report)), live.trace_frame(report).to_csv()):
        assert not secrets & set(re.findall(r"\d{16}", text))


def test_a_torn_tap_is_terminated_with_the_apdus_before_the_tear():
    applet = PaymentApplet(demo_credential())
    report = live.live_tap(link=MeasuredLink(applet, [0.001] * 4, tear_at=2))
    assert (report.outcome, report.response_code, report.stopped_by, report.exit_code) == ("terminated", "", "", 3)
    assert report.reason == (
        "GPO: no answer, the card or phone left the reader (torn): "
        "the card or phone left reader 'test' during GET PROCESSING OPTIONS: torn transaction"
    )
    assert [(a.name, a.sw, a.duration_s) for a in report.apdus] == [
        ("SELECT PPSE", "9000", 0.001), ("SELECT AID", "9000", 0.001), ("GPO", "", None),
    ]  # fmt: skip
    assert report.apdus[2].problem == "no answer: the phone left (torn)"
    assert report.hops == () and (report.nfc_s, report.tap_to_result_s, report.host_s) == (0.002, 0.002, 0.0)
    tx = report.results.transactions
    assert len(tx) == 1 and (tx.trace_id.item(), tx.outcome.item(), tx.stopped_by.item()) == (report.trace_id, "terminated", "")
    text = live.format_report(report)
    assert "GPO                      no SW" in text and "! no answer: the phone left (torn)" in text
    assert "  outcome         TERMINATED  GPO: no answer, the card or phone left the reader (torn)" in text
    assert "stopped by" not in text  # a tear is the shopper's doing, not a security check


def test_a_torn_tap_is_recorded_once_frees_the_lane_and_moves_no_money(fixed_sim):
    sim = fixed_sim
    card = live.wallet_card(sim, first_wallet(sim, min_balance_kgs=200))
    applet = sim.wallet(card).applet
    torn = sim.tap(None, 0, 5_000, link=MeasuredLink(applet, [0.0123, 0.0045], tear_at=2))
    assert (torn.outcome, torn.response_code, torn.stopped_by) == ("terminated", "", "")  # a tear is no security check
    assert torn.reason.startswith("GPO: no answer, the card or phone left the reader (torn): ")
    assert [x.name for x in torn.kernel.exchanges] == ["SELECT PPSE", "SELECT AID"]
    assert sim.terminal(0).lane.busy == 0 and len(sim.records.hops) == 0
    assert len(sim.ledger) == 0  # not even an opening balance: no host saw the tap

    tx = sim.records.transactions.to_frame()
    assert len(tx) == 1
    row = tx.iloc[0]
    assert (row.trace_id, row.outcome, row.stopped_by, row.reason) == (torn.trace_id, "terminated", "", torn.reason)
    assert (row.nfc_s, row.host_s, row.tap_to_result_s, row.apdus) == (0.0168, 0.0, 0.0168, 2)
    assert (row.token_masked, row.issuer) == ("", "")  # no token was read
    assert list(sim.records.apdus.to_frame().command.astype(str)) == ["SELECT PPSE", "SELECT AID"]

    # The shopper taps again at the same terminal: the lane is free, the payment goes through once.
    again = sim.tap(None, 0, 5_000, link=MeasuredLink(applet, [0.001] * 4))
    assert (again.outcome, again.trace_id) == ("approved", torn.trace_id + 1)
    tx = sim.records.transactions.to_frame()
    assert list(zip(tx.trace_id, tx.outcome.astype(str))) == [(torn.trace_id, "terminated"), (again.trace_id, "approved")]
    account = sim.issuers[sim.population.bank_of_card(card).index].cardholder_account(card)
    assert sim.ledger.available_tyiyn(account) == int(sim.population.opening_balance_tyiyn[card]) - 5_000
    sim.ledger.prove_balanced()


def test_a_malformed_answer_terminates_the_tap_naming_the_apdu():
    class Malformed:
        def process(self, command):
            return MALFORMED_RESPONSE

    report = live.live_tap(link=MeasuredLink(Malformed(), [0.002]))
    assert (report.outcome, report.exit_code) == ("terminated", 3)
    assert report.reason.startswith("SELECT PPSE: malformed answer: TLV: value of tag 6F")
    assert report.apdus[0].problem.startswith("answer is not BER-TLV (6 data bytes)")
    assert "  outcome         TERMINATED  SELECT PPSE: malformed answer" in live.format_report(report)


def test_frames_put_two_taps_side_by_side():
    simulated = live.live_tap(simulated_wallet=0)
    measured = live.live_tap(link=MeasuredLink(live.phone_applet(0)[0], [0.0002] * 4))
    trace = live.trace_frame(simulated, measured)
    assert list(trace.columns) == [
        "APDU", "C-APDU bytes", "SW (simulated link)", "time (simulated link)", "SW (PC/SC)", "time (PC/SC)",
        "same answer (PC/SC)",
    ]  # fmt: skip
    assert trace["same answer (PC/SC)"].all()
    assert list(trace["time (PC/SC)"]) == ["    0.200 ms wall"] * 4
    assert list(live.validation_frame(simulated, measured)["PC/SC"]) == ["pass"] * 16
    timing = live.timing_frame(simulated, measured)
    assert timing.loc["card dialogue (sum of APDUs)", "PC/SC"] == "    0.800 ms wall"
    assert timing.loc["tap to result", "PC/SC"].endswith(" ms sim+wall")
    assert timing.loc["card detected after", "simulated link"] == "-"
    durations = live.duration_frame(simulated, measured)
    assert list(durations["PC/SC"]) == pytest.approx([0.2] * 4)
    assert list(durations.index) == ["SELECT PPSE", "SELECT AID", "GPO", "READ RECORD SFI 1 REC 1"]


# -- the command line --------------------------------------------------------------------------------------


def test_tap_over_the_simulated_link_prints_and_exits_by_outcome(capsys):
    assert main(["tap", "--simulated-wallet", "0"]) == 0
    out = capsys.readouterr().out
    assert "  outcome         APPROVED  DE39 00" in out
    assert "16 pass, 0 fail, 0 not verifiable" in out
    assert main(["tap", "--simulated-wallet", "0", "--amount", "99999999", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert (document["outcome"], document["response_code"], document["exit_code"]) == ("declined", "51", 1)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ReaderRemovedError("reader 'ACR1252U' went away during SELECT (00A40400)"), 5),
        (ReaderNotFoundError("no PC/SC reader found: plug in a reader"), 5),
        (NoCardError("no card or phone on reader 'X' within 1 s"), 4),
        (KeyboardInterrupt(), 130),
    ],
)
def test_tap_faults_are_one_line_and_a_defined_exit_code(monkeypatch, capsys, error, code):
    def failing_tap(*args, **kwargs):
        raise error

    monkeypatch.setattr(cli_live, "live_tap", failing_tap)  # the name `elcart-sim tap` calls
    assert main(["tap", "--json"]) == code
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith("elcart-sim: error: ")
    if code != 130:
        assert json.loads(captured.out) == {"outcome": "fault", "fault": type(error).__name__, "message": str(error), "exit_code": code}


def test_tap_input_errors_exit_2(capsys):
    assert main(["tap", "--simulated-wallet", "100000"]) == 2
    assert capsys.readouterr().err == "elcart-sim: error: wallet must be 0-369 for this scenario and scale, got 100000\n"
    with pytest.raises(SystemExit) as exit_:
        main(["tap", "--amount", "1.234"])
    assert exit_.value.code == 2


def test_help_explains_every_option_and_the_exit_codes():
    tap = subprocess.run([sys.executable, "-m", "elcart_sim.cli", "tap", "--help"], capture_output=True, text=True)
    assert tap.returncode == 0
    for option in ("--reader", "--list-readers", "--amount", "--timeout", "--json", "--scenario", "--seed", "--scale", "--simulated-wallet"):
        assert option in tap.stdout
    for code in ("0 ", "1 ", "3 ", "4 ", "5 ", "130 "):
        assert f"\n  {code}" in tap.stdout
    phone = subprocess.run([sys.executable, "-m", "elcart_sim.cli", "phone", "--help"], capture_output=True, text=True)
    assert phone.returncode == 0
    for option in ("--port", "--host", "--taps", "--tear-after", "--malformed-after", "--wallet", "--list-wallets"):
        assert option in phone.stdout
    assert "SIGTERM" in phone.stdout


def test_phone_lists_the_wallets_it_can_serve(capsys):
    assert main(["phone", "--list-wallets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "enrolled wallets of national-day seed 20250701 scale 0.001"
    assert len(lines) == 2 + 370
    assert re.fullmatch(r"\s+0  \d{6}\*{6}\d{4}  \w+\s+active\s+[\d,.]+  online\s+10", lines[2])
    assert any(re.search(r"  offline\s+\d+$", line) for line in lines[2:])


def test_a_phone_that_spent_its_keys_cannot_pay():
    sim = live.live_simulation()
    table = live.wallet_table(sim)
    offline = table[(table.phone == "offline") & (table.status == "active") & (table["keys"] > 0)]
    wallet = int(offline.sort_values("keys").wallet.iloc[0])
    applet, description = live.phone_applet(wallet)
    keys = int(table["keys"][wallet])
    assert f"{keys} limited-use keys" in description
    link = MeasuredLink(applet, [0.001] * 4 * (keys + 1))
    for _ in range(keys):
        assert live.live_tap(link=link).outcome == "approved"
    report = live.live_tap(link=link)
    assert (report.outcome, report.stopped_by, report.exit_code) == ("terminated", "limited_use_keys", 3)
    assert report.reason.startswith("GPO: card answered SW 6984")
    assert "(stopped by the limited_use_keys check)" in live.format_report(report)


def test_a_phone_and_a_tap_given_the_same_set_agree_on_a_bigger_key_batch(capsys):
    assert main(["phone", "--list-wallets", "--set", "security.keys.batch_size=12"]) == 0
    assert re.fullmatch(r"\s+0  .*online\s+12", capsys.readouterr().out.splitlines()[2])
    world = load_scenario(live.LIVE_SCENARIO).with_overrides({"security.keys.batch_size": 12})
    applet, description = live.phone_applet(0, scenario=world)
    assert "12 limited-use keys" in description
    link = MeasuredLink(applet, [0.001] * 4 * 11)
    outcomes = [live.live_tap(link=link, scenario=world, amount_tyiyn=100).outcome for _ in range(11)]
    assert outcomes == ["approved"] * 11  # the 11th key is one the default batch (10) never had


def test_phone_refuses_a_wallet_out_of_range(capsys):
    assert main(["phone", "--wallet", "5000"]) == 2
    assert "wallet must be 0-369" in capsys.readouterr().err
