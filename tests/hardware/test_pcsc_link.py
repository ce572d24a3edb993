"""The kernel and the HCE applet through the real PC/SC stack.

Chain: ContactlessKernel -> PcscLink -> pyscard -> pcscd -> vpcd -> TCP 35963 -> VirtualPhone
-> PaymentApplet. Start the stack first: ``bash hardware/pcsc-stack.sh start``.

pcscd polls the virtual reader every 400 ms, so each new tap costs 0.4-0.8 s of waiting; the
tests keep re-taps few and use one connection where a tap count does not matter.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from elcart_sim.acceptance.kernel import ContactlessKernel, KernelOutcome, TerminalConfig
from elcart_sim.acceptance.nfc_link import NfcLink, SimulatedNfcLink
from elcart_sim.core.errors import (
    CardRemovedError,
    LinkError,
    NoCardError,
    PcscServiceError,
    ReaderNotFoundError,
)
from elcart_sim.live.demo_phone import DEMO_ISSUER_MASTER_KEY, demo_credential, run_phone
from elcart_sim.live.vpcd import PSEUDO_ATR
from elcart_sim.protocol.emv import tlv
from elcart_sim.protocol.emv.arqc_verify import verify_arqc
from elcart_sim.protocol.emv.cryptogram import arqc_input
from elcart_sim.wallet.applet import PaymentApplet

REPO = Path(__file__).resolve().parents[2]
AMOUNT_TYIYN = 12345  # 123.45 KGS
DATE = "261126"
UN = bytes.fromhex("9C753B83")

# The reference qVSDC dialogue (docs/sources.md), byte for byte.
EXPECTED_COMMANDS = [
    ("SELECT PPSE", "00A404000E325041592E5359532E444446303100"),
    ("SELECT AID", "00A4040007F000000417101000"),
    (
        "GPO",
        "80A8000023832136004000000000012345000000000000041700000000000417261126009C753B8300",
    ),
    ("READ RECORD SFI 1 REC 1", "00B2010C00"),
]


def demo_applet() -> PaymentApplet:
    return PaymentApplet(demo_credential())


def one_applet() -> tuple[PaymentApplet, Callable[[], PaymentApplet]]:
    """An applet and a factory that hands out that same applet on every tap."""
    applet = demo_applet()
    return applet, lambda: applet


def perform(link: NfcLink, un: bytes = UN) -> KernelOutcome:
    return ContactlessKernel(TerminalConfig()).perform(link, AMOUNT_TYIYN, DATE, un)


def assert_arqc_verifies(outcome: KernelOutcome) -> None:
    icc = tlv.flatten(tlv.decode(outcome.icc_data))
    data = arqc_input(icc)
    assert verify_arqc(
        DEMO_ISSUER_MASTER_KEY, outcome.token_pan, outcome.psn, outcome.atc, data, icc[0x9F26]
    ), "issuer-side ARQC check failed"


@pytest.fixture
def pcsc_link_class():
    from elcart_sim.live.pcsc_link import PcscLink

    return PcscLink


# -- a full tap ---------------------------------------------------------------------------------


@pytest.mark.hardware
def test_full_kernel_dialogue_is_byte_identical_to_the_in_process_link(
    start_phone, pcsc_stack, pcsc_link_class
):
    _, factory = one_applet()
    phone = start_phone(factory, taps=1)
    with pcsc_link_class(pcsc_stack, card_timeout_s=5) as link:
        assert isinstance(link, NfcLink)
        assert link.name == f"pcsc:{pcsc_stack}"
        assert link.atr == PSEUDO_ATR
        outcome = perform(link)

    assert outcome.outcome == "online", outcome.reason
    assert outcome.reason == ""
    assert [(x.name, x.command.hex().upper()) for x in outcome.exchanges] == EXPECTED_COMMANDS
    for exchange in outcome.exchanges:
        assert exchange.response[-2:] == b"\x90\x00", exchange.name
        tlv.decode(exchange.response[:-2])  # every answer parses as BER-TLV
        assert 0 < exchange.duration_s < 1.0
    assert outcome.nfc_s == pytest.approx(sum(x.duration_s for x in outcome.exchanges))
    assert outcome.token_pan == "9999041700000019"
    assert (outcome.expiry, outcome.psn, outcome.atc) == ("3012", 0, 1)
    assert outcome.par == "Q1KG0417TESTPAR00000000000001"
    assert outcome.cdcvm_performed is True
    assert_arqc_verifies(outcome)

    # The same applet state in-process gives the same bytes: PC/SC adds time, nothing else.
    reference = perform(SimulatedNfcLink(demo_applet().process, lambda: 0.0))
    assert [(x.command, x.response) for x in outcome.exchanges] == [
        (x.command, x.response) for x in reference.exchanges
    ]

    (record,) = phone.join()
    assert (record.apdus, record.ended_by) == (4, "powered_off")


@pytest.mark.hardware
def test_twenty_taps_in_a_row(start_phone, pcsc_stack, pcsc_link_class):
    applet, factory = one_applet()
    phone = start_phone(factory, taps=20)
    arqcs = set()
    with pcsc_link_class(pcsc_stack, card_timeout_s=5) as link:
        for tap in range(1, 21):
            if tap > 1:
                link.next_tap()
            outcome = perform(link, un=tap.to_bytes(4, "big"))
            assert outcome.outcome == "online", f"tap {tap}: {outcome.reason}"
            assert outcome.atc == tap
            assert_arqc_verifies(outcome)
            arqcs.add(tlv.flatten(tlv.decode(outcome.icc_data))[0x9F26])

    assert len(arqcs) == 20
    assert applet.atc == 20
    records = phone.join()
    assert [(r.apdus, r.ended_by) for r in records] == [(4, "powered_off")] * 20


@pytest.mark.hardware
def test_one_connection_carries_many_transactions(start_phone, pcsc_stack, pcsc_link_class):
    applet, factory = one_applet()
    start_phone(factory, taps=1)
    with pcsc_link_class(pcsc_stack) as link:
        outcomes = [perform(link, un=i.to_bytes(4, "big")) for i in range(200)]
    assert {o.outcome for o in outcomes} == {"online"}
    assert [o.atc for o in outcomes] == list(range(1, 201))


# -- faults ------------------------------------------------------------------------------------


class KeepLinkError:
    """Passes APDUs to ``link`` and keeps the LinkError it raised, if one was raised."""

    def __init__(self, link: NfcLink):
        self.link = link
        self.name = link.name
        self.error: LinkError | None = None

    def transceive(self, command: bytes) -> tuple[bytes, float]:
        try:
            return self.link.transceive(command)
        except LinkError as exc:
            self.error = exc
            raise


@pytest.mark.hardware
def test_torn_tap_raises_card_removed_the_kernel_terminates_then_the_next_tap_works(
    start_phone, pcsc_stack, pcsc_link_class
):
    torn = start_phone(lambda: demo_applet(), taps=1, tear_after_apdus=2)
    with pcsc_link_class(pcsc_stack, card_timeout_s=5) as link:
        started = time.perf_counter()
        keeping = KeepLinkError(link)
        outcome = perform(keeping)
        assert time.perf_counter() - started < 2.0, "a tear must fail fast, not hang"
        # The link raises the tear as a typed error; the kernel makes it an outcome (a shopper's doing).
        assert isinstance(keeping.error, CardRemovedError)
        message = str(keeping.error)
        assert "during GET PROCESSING OPTIONS (80A80000)" in message
        assert "torn transaction" in message
        assert keeping.error.__cause__ is None and keeping.error.__context__ is None
        assert (outcome.outcome, outcome.check) == ("terminated", "")
        assert outcome.reason == f"GPO: no answer, the card or phone left the reader (torn): {message}"
        assert [x.name for x in outcome.exchanges] == ["SELECT PPSE", "SELECT AID"]
        assert outcome.nfc_s == sum(x.duration_s for x in outcome.exchanges) > 0
        rendered = "".join(traceback.format_exception(keeping.error))
        assert "smartcard" not in rendered  # no pyscard internals in what the user sees
        assert [(r.apdus, r.ended_by) for r in torn.join()] == [(2, "torn")]

        with pytest.raises(NoCardError, match="call wait_for_card"):
            link.transceive(bytes.fromhex(EXPECTED_COMMANDS[0][1]))

        # "Remove phone", then the shopper taps again with a phone that stays.
        link.wait_for_removal(10.0)  # a ceiling: returns as soon as pcscd sees the slot empty
        start_phone(lambda: demo_applet(), taps=1)
        link.wait_for_card(5.0)
        outcome = perform(link)
    assert outcome.outcome == "online", outcome.reason


@pytest.mark.hardware
@pytest.mark.parametrize(
    ("answered_well", "step"), [(0, "SELECT PPSE"), (2, "GPO")], ids=["first-apdu", "gpo"]
)
def test_malformed_answer_terminates_naming_the_apdu(
    start_phone, pcsc_stack, pcsc_link_class, answered_well, step
):
    start_phone(lambda: demo_applet(), taps=1, malformed_after_apdus=answered_well)
    with pcsc_link_class(pcsc_stack) as link:
        outcome = perform(link)
    assert outcome.outcome == "terminated"
    assert outcome.reason.startswith(f"{step}: malformed answer:"), outcome.reason
    assert len(outcome.exchanges) == answered_well + 1


@pytest.mark.hardware
def test_get_response_61xx_is_followed(start_phone, pcsc_stack, pcsc_link_class):
    class ChainedCard:
        """Answers every command with 61 05, then the data on GET RESPONSE (ISO 7816-4)."""

        def process(self, command: bytes) -> bytes:
            if command[1] == 0xC0:
                return bytes.fromhex("0102030405") + b"\x90\x00"
            return b"\x61\x05"

    start_phone(ChainedCard, taps=1)
    with pcsc_link_class(pcsc_stack) as link:
        response, duration_s = link.transceive(bytes.fromhex("00CA9F3600"))
    assert response == bytes.fromhex("01020304059000")
    assert duration_s > 0


@pytest.mark.hardware
def test_unknown_reader_name_lists_the_readers(pcsc_stack, pcsc_link_class):
    with pytest.raises(ReaderNotFoundError) as caught:
        pcsc_link_class("ACR1252", card_timeout_s=0.5)
    message = str(caught.value)
    assert "no PC/SC reader matches 'ACR1252'" in message
    assert "[0] 'Virtual PCD 00 00'" in message and "[1] 'Virtual PCD 00 01'" in message

    with pytest.raises(ReaderNotFoundError, match=r"no PC/SC reader with index 7; readers: \[0\]"):
        pcsc_link_class(7)


@pytest.mark.hardware
def test_no_phone_times_out_with_no_card_error(pcsc_stack, pcsc_link_class):
    started = time.perf_counter()
    with pytest.raises(
        NoCardError, match=r"no card or phone on reader 'Virtual PCD 00 01' within 0.5 s"
    ):
        pcsc_link_class("Virtual PCD 00 01", card_timeout_s=0.5)
    assert 0.45 < time.perf_counter() - started < 1.5


@pytest.mark.hardware
def test_pcscd_not_running_gives_a_clear_message(pyscard_installed, tmp_path):
    # pcsc-lite reads the socket path from PCSCLITE_CSOCK_NAME on the client side: point it
    # at nothing and the client behaves as if pcscd were not running, whatever this host runs.
    code = (
        "from elcart_sim.live.pcsc_link import PcscLink\n"
        "from elcart_sim.core.errors import LinkError\n"
        "try:\n"
        "    PcscLink()\n"
        "except LinkError as exc:\n"
        "    print(type(exc).__name__, '|', exc)\n"
    )
    env = dict(os.environ, PCSCLITE_CSOCK_NAME=str(tmp_path / "no-pcscd.comm"))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    kind, message = done.stdout.strip().split(" | ", 1)
    assert kind == PcscServiceError.__name__
    assert message.startswith("pcscd is not running: start it with hardware/pcsc-stack.sh start")
    assert "0x8010001D" in message


# -- the phone as a process ----------------------------------------------------------------------


@pytest.mark.hardware
def test_phone_process_serves_the_demo_token_and_stops_on_sigterm(pcsc_stack, pcsc_link_class):
    phone = subprocess.Popen(
        [sys.executable, "-m", "elcart_sim.live.demo_phone", "--port", "35963"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with pcsc_link_class(pcsc_stack, card_timeout_s=5) as link:
            outcome = perform(link)
        assert outcome.outcome == "online", outcome.reason
        assert_arqc_verifies(outcome)
        phone.send_signal(signal.SIGTERM)
        stdout, stderr = phone.communicate(timeout=5)
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()
    assert phone.returncode == 0, stderr
    assert "phone: presenting to vpcd at 127.0.0.1:35963" in stdout
    with pcsc_link_class(pcsc_stack, wait=False) as link:
        link.wait_for_removal(10.0)  # a ceiling: returns as soon as pcscd sees the slot empty


def test_run_phone_without_vpcd_exits_2(capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = run_phone(port, connect_timeout_s=0.2, applet_factory=demo_applet)
    assert code == 2
    out = capsys.readouterr().out
    assert f"vpcd is not listening on 127.0.0.1:{port}" in out
    assert "hardware/pcsc-stack.sh start" in out


def test_link_errors_share_one_family():
    for error in (PcscServiceError, ReaderNotFoundError, NoCardError, CardRemovedError):
        assert issubclass(error, LinkError)
