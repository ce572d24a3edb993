"""`elcart-sim tap` and `elcart-sim phone` end to end through the real PC/SC stack.

Chain: live_tap -> ContactlessKernel -> PcscLink -> pyscard -> pcscd -> vpcd -> TCP 35963 ->
VirtualPhone (a thread, or the `elcart-sim phone` process) -> the wallet's HCE applet; then the
simulated acquirer -> switch -> issuer. Start the stack first: ``bash hardware/pcsc-stack.sh start``.

Each tap costs up to 0.8 s of pcscd polling (the phone is seen, then its removal), so each test
makes one tap.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from elcart_sim import live
from elcart_sim.cli import main
from elcart_sim.live.demo_phone import demo_credential
from elcart_sim.wallet.applet import PaymentApplet

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wallets() -> list[dict[str, object]]:
    """The enrolled wallets of the live tap's default simulated country."""
    return live.wallet_table(live.live_simulation()).to_dict("records")


def wallet_where(wallets, status="active", min_balance_kgs=0.0) -> int:
    return next(w["wallet"] for w in wallets if w["status"] == status and w["balance_kgs"] >= min_balance_kgs)


def serve_wallet(start_phone, wallet: int | None, **options):
    applet, _description = live.phone_applet(wallet)
    return start_phone(lambda: applet, taps=1, **options)


@pytest.mark.hardware
def test_tap_is_approved_by_the_simulated_issuer_and_validates(start_phone, pcsc_stack, wallets, capsys):
    phone = serve_wallet(start_phone, wallet_where(wallets, min_balance_kgs=200))
    code = main(["tap", "--reader", pcsc_stack, "--amount", "123.45", "--timeout", "5"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"reader '{pcsc_stack}'  ATR 3B80800101  phone connected after " in out
    assert "  outcome         APPROVED  DE39 00" in out
    assert "  validation      16 pass, 0 fail, 0 not verifiable" in out
    assert "    pass            ARQC verifies (issuer key)      CVN 18, limited-use key 1" in out
    for name in ("SELECT PPSE", "SELECT AID", "GPO", "READ RECORD SFI 1 REC 1"):
        assert f"  {name:<24} SW 9000 " in out
    assert " ms wall   C-APDU " in out and "tap to result " in out and " ms sim+wall = card dialogue " in out
    assert "57 Track 2 Equivalent Data: 941" in out and "******" in out
    assert [(r.apdus, r.ended_by) for r in phone.join()] == [(4, "powered_off")]


@pytest.mark.hardware
def test_json_report_and_time_accounting(start_phone, pcsc_stack, wallets, capsys):
    serve_wallet(start_phone, wallet_where(wallets, min_balance_kgs=200))
    assert main(["tap", "--reader", "0", "--json", "--timeout", "5"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["outcome"], document["response_code"], document["clock"]) == ("approved", "00", "wall")
    assert document["validation_passed"] is True
    assert {v["status"] for v in document["validation"]} == {"pass"}
    durations = [a["duration_s"] for a in document["apdus"]]
    assert len(durations) == 4 and all(0 < d < 0.5 for d in durations)
    assert document["nfc_s"] == sum(durations)
    # Simulated time advanced by exactly the measured card dialogue, then the simulated legs.
    assert document["tap_to_result_s"] > document["nfc_s"] + document["host_s"]
    hops = [h["hop"] for h in document["hops"]]
    # the chain, and the HSM calls on the way: IPC's for the token's cryptogram, the issuer's
    assert [h for h in hops if h != "hsm"] == ["acquirer", "switch", "issuer"] and hops.count("hsm") == 2
    assert 0 < document["card_wait_s"] < 5


@pytest.mark.hardware
def test_measured_durations_reach_the_records(start_phone, pcsc_stack, wallets):
    serve_wallet(start_phone, wallet_where(wallets, min_balance_kgs=200))
    report = live.live_tap(pcsc_stack, amount_tyiyn=5_000, timeout_s=5)
    assert report.outcome == "approved" and report.measured
    measured = [a.duration_s for a in report.apdus]
    records = report.results
    assert list(records.apdus.duration_s) == measured
    assert list(records.apdus.sw.astype(str)) == ["9000"] * 4
    tx = records.transactions.iloc[0]
    assert tx.nfc_s == sum(measured) == report.nfc_s
    assert tx.apdus == 4 and tx.response_code == "00"
    processing_s = 0.05  # the scenario's constant terminal processing
    assert tx.tap_to_result_s == pytest.approx(tx.nfc_s + processing_s + tx.host_s, abs=1e-9)


@pytest.mark.hardware
def test_amount_above_the_balance_is_declined_51(start_phone, pcsc_stack, wallets, capsys):
    wallet = wallet_where(wallets)
    balance = float(wallets[wallet]["balance_kgs"])
    serve_wallet(start_phone, wallet)
    code = main(["tap", "--reader", pcsc_stack, "--amount", f"{balance + 1:.2f}", "--timeout", "5"])
    out = capsys.readouterr().out
    assert code == 1
    assert "  outcome         DECLINED  DE39 51  Insufficient funds" in out
    assert "16 pass, 0 fail, 0 not verifiable" in out  # the device was fine; the issuer said no


@pytest.mark.hardware
def test_demo_token_is_read_validated_and_declined_14(start_phone, pcsc_stack, capsys):
    start_phone(lambda: PaymentApplet(demo_credential()), taps=1)
    code = main(["tap", "--reader", pcsc_stack, "--timeout", "5"])
    out = capsys.readouterr().out
    assert code == 1
    assert "  outcome         DECLINED  DE39 14  Invalid card number" in out
    assert "  token           999904******0019  ATC 1" in out
    assert "16 pass, 0 fail, 0 not verifiable" in out  # we hold the demo token's test keys


@pytest.mark.hardware
def test_phone_taken_away_mid_tap_is_terminated(start_phone, pcsc_stack, capsys):
    phone = serve_wallet(start_phone, None, tear_after_apdus=2)
    code = main(["tap", "--reader", pcsc_stack, "--timeout", "5"])
    captured = capsys.readouterr()
    assert code == 3, captured.out
    assert captured.err == ""
    assert (
        "  outcome         TERMINATED  GPO: no answer, the card or phone left the reader (torn): "
        "the card or phone left reader 'Virtual PCD 00 00' during GET PROCESSING OPTIONS (80A80000): torn transaction"
    ) in captured.out
    assert "GPO                      no SW" in captured.out and "! no answer: the phone left (torn)" in captured.out
    assert [(r.apdus, r.ended_by) for r in phone.join()] == [(2, "torn")]


@pytest.mark.hardware
def test_answer_that_is_not_tlv_is_terminated(start_phone, pcsc_stack, capsys):
    serve_wallet(start_phone, None, malformed_after_apdus=0)
    assert main(["tap", "--reader", pcsc_stack, "--json", "--timeout", "5"]) == 3
    document = json.loads(capsys.readouterr().out)
    assert document["outcome"] == "terminated" and document["response_code"] == ""
    assert document["reason"].startswith("SELECT PPSE: malformed answer: TLV: value of tag 6F")
    checks = {v["check"]: v["status"] for v in document["validation"]}
    assert checks["BER-TLV"] == "fail" and checks["ARQC verifies (issuer key)"] == "not verifiable"


@pytest.mark.hardware
def test_readers_listed_unknown_reader_and_no_phone(pcsc_stack, capsys):
    assert main(["tap", "--list-readers"]) == 0
    assert capsys.readouterr().out == "[0] Virtual PCD 00 00\n[1] Virtual PCD 00 01\n"
    assert main(["tap", "--reader", "ACR1252"]) == 5
    assert capsys.readouterr().err == (
        "elcart-sim: error: no PC/SC reader matches 'ACR1252'; readers: [0] 'Virtual PCD 00 00', "
        "[1] 'Virtual PCD 00 01'\n"
    )
    assert main(["tap", "--reader", "Virtual PCD 00 01", "--timeout", "0.5"]) == 4
    assert capsys.readouterr().err == "elcart-sim: error: no card or phone on reader 'Virtual PCD 00 01' within 0.5 s\n"


@pytest.mark.hardware
def test_pcscd_not_running_exits_5_with_one_line(pyscard_installed, tmp_path):
    # The client library reads the daemon's socket path from PCSCLITE_CSOCK_NAME: point it at
    # nothing and the client sees no pcscd, whatever this host runs.
    env = dict(os.environ, PCSCLITE_CSOCK_NAME=str(tmp_path / "no-pcscd.comm"))
    done = subprocess.run(
        [sys.executable, "-m", "elcart_sim.cli", "tap", "--timeout", "1"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 5
    assert done.stdout == ""
    assert done.stderr == (
        "elcart-sim: error: pcscd is not running: start it with hardware/pcsc-stack.sh start "
        "[Service not available (0x8010001D)]\n"
    )


@pytest.mark.hardware
def test_phone_command_serves_a_wallet_and_stops_cleanly_on_sigterm(pcsc_stack, wallets, pcsc_link_class):
    wallet = wallet_where(wallets, min_balance_kgs=200)
    phone = subprocess.Popen(
        [sys.executable, "-m", "elcart_sim.cli", "phone", "--wallet", str(wallet)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        report = live.live_tap(pcsc_stack, timeout_s=15)
        assert (report.outcome, report.response_code) == ("approved", "00")
        assert report.validation_passed
        phone.send_signal(signal.SIGTERM)
        stdout, stderr = phone.communicate(timeout=10)
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()
    assert phone.returncode == 0, stderr
    assert stderr == ""
    assert stdout.splitlines()[0].startswith(f"phone: serving wallet {wallet} of national-day seed 20250701 scale 0.001: token 941")
    assert stdout.splitlines()[-1].startswith("phone: ")
    with pcsc_link_class(pcsc_stack, wait=False) as link:
        link.wait_for_removal(10.0)  # a ceiling: returns as soon as pcscd sees the slot empty


@pytest.fixture
def pcsc_link_class():
    from elcart_sim.live.pcsc_link import PcscLink

    return PcscLink
