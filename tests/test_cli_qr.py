"""`elcart-sim qr make` and `qr read`: a round trip through text and PNG, the exit codes of a
tampered and of a malformed code, the output place checked first, no card number written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from elcart_sim.cli import main
from elcart_sim.cli.qr import EXIT_CHECK_FAILS
from elcart_sim.core.redact import card_number_pattern
from elcart_sim.protocol.qr import elqr, read_image

ROOT = Path(__file__).resolve().parents[1]
RECIPIENT = "3435fba7738e54e59d8f3e8e664785d9"
ELKART_P2P = (
    "https://pay.payqr.kg#00020101021132700013p2p.elcart.kg0101110323435fba7738e54e59d8f3e8e664785d9120211130212"
    "53034175204482259199417%20****%20****%20526963049EE1"
)


def test_make_prints_the_real_elkart_shape_and_read_checks_it(capsys):
    assert main(["qr", "make", "--p2p", RECIPIENT, "--name", "9417 **** **** 5269"]) == 0
    assert capsys.readouterr().out == ELKART_P2P + "\n"
    assert main(["qr", "read", ELKART_P2P]) == 0
    out = capsys.readouterr().out
    assert "recipient_id        3435fba7738e54e59d8f3e8e664785d9" in out
    assert "checksum (SHA-256, ID 63) holds" in out


def test_make_and_read_round_trip_through_a_png(tmp_path, capsys):
    png = tmp_path / "codes" / "globus.png"  # a missing folder is made
    args = ["qr", "make", "--merchant-guid", "qr.finik.kg", "--merchant-id", "M0042", "--name", "Глобус",
            "--amount", "1390", "--comment", "чек 42", "--png", str(png)]  # fmt: skip
    assert main(args) == 0
    link = capsys.readouterr().out.strip()
    assert read_image(png) == link
    payload = elqr.decode(link)
    assert (payload.provider_name, payload.amount_tyiyn, payload.comment, payload.dynamic) == ("Глобус", 139_000, "чек 42", True)
    assert main(["qr", "read", str(png)]) == 0
    out = capsys.readouterr().out
    assert "139000 (1,390.00 KGS)" in out and "holds" in out


def test_an_emvco_code_round_trip(capsys):
    args = ["qr", "make", "--kind", "emvco", "--merchant-guid", "kg.elcart.qr", "--name", "Globus", "--amount", "12.5"]
    assert main(args) == 0
    payload = capsys.readouterr().out.strip()
    assert payload.startswith("000201010212") and "540512.50" in payload
    assert main(["qr", "read", payload]) == 0
    assert "CRC (CRC-16/CCITT-FALSE, ID 63) holds" in capsys.readouterr().out


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "elcart_sim.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_a_tampered_code_fails_with_one_line():
    tampered = ELKART_P2P.replace("5269", "5268")
    done = _cli("qr", "read", tampered)
    assert done.returncode == EXIT_CHECK_FAILS == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "elcart-sim: the elqr code reads but its check fails: ID 63: checksum fails: expected "
        f"{elqr.checksum(elqr.carried_payload(tampered)[:-8])} (SHA-256 of the other IDs), found '9EE1'"
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["qr", "read", "0002010102115204"], "ID 52 at character 12: length 4 runs past the end"),
        (["qr", "read", "missing.png"], "cannot open missing.png as a picture"),
        (["qr", "read", "1.png"], "cannot open 1.png as a picture"),
        (["qr", "read", "00020101021" + "1" * 300], "ID 11 at character 297: length 11 runs past the end"),
        (["qr", "make", "--name", "x"], "give --p2p RECIPIENT_ID for a transfer code or --merchant-guid GUID"),
        (["qr", "make", "--p2p", "996554185519", "--name", "x"], "32 hex digits"),
    ],
)
def test_bad_input_ends_in_one_line_and_exit_2(args, words, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err


def test_the_png_place_is_checked_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["qr", "make", "--p2p", RECIPIENT, "--name", "x", "--png", str(blocker / "code.png")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "cannot write to --png" in captured.err


def test_no_full_card_number_reaches_the_text_or_the_image(tmp_path, capsys):
    """The codes the command writes are outputs too: scanned as the run's files are (core/redact)."""
    pan = "9417101234567893"  # passes the Luhn check
    assert main(["qr", "make", "--p2p", RECIPIENT, "--name", pan, "--png", str(tmp_path / "leak.png")]) == 2
    assert not (tmp_path / "leak.png").exists() and pan not in capsys.readouterr().err
    assert main(["qr", "make", "--p2p", RECIPIENT, "--name", "9417 **** **** 5269", "--png", str(tmp_path / "ok.png")]) == 0
    written = capsys.readouterr().out + read_image(tmp_path / "ok.png")
    every_elkart_bin = [f"9417{n:02d}" for n in range(100)]
    assert card_number_pattern(every_elkart_bin).search(written.replace(" ", "")) is None
    assert card_number_pattern(every_elkart_bin).search(pan)  # the scan would see one


def test_help_gives_examples():
    done = _cli("qr", "make", "--help")
    assert done.returncode == 0 and "examples:" in done.stdout and "--p2p" in done.stdout
    done = _cli("qr", "read", "--help")
    assert done.returncode == 0 and "exit codes:" in done.stdout
