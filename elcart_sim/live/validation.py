"""What a payment device answered in one tap, checked against the standards and our own applet.

Physical picture: a phone or card on a real reader answered the terminal's four commands. Before
trusting a testbed figure taken with it, an engineer wants to know that the device answered as an
ELKART Pay phone must: every status word 9000, every answer BER-TLV, the data objects a
qVSDC-style kernel needs (EMV Contactless Book C-3; ``9F24`` from the EMVCo tokenisation
framework) in their formats, the same answers as our applet gives to the same commands (same
amount, date and unpredictable number: for a device holding our keys the ARQC is identical), a
cryptogram the issuer accepts (CVN 18, :mod:`elcart_sim.protocol.emv.arqc_verify`), and the card
dialogue within the contactless budget (500 ms).

Pure: exchanges in (:class:`~elcart_sim.acceptance.outcome.ApduExchange`, raw bytes), checks out.
Each :class:`Check` passes, fails, or is "not verifiable" - a real card whose keys we do not hold
is read and reported, with the cryptogram checks not verifiable. Details never show a full PAN.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from elcart_sim.acceptance.outcome import ApduExchange
from elcart_sim.core.errors import ApduError, CryptogramError, ProtocolError, Track2Error
from elcart_sim.core.redact import mask_pan
from elcart_sim.protocol.emv import tlv, track2
from elcart_sim.protocol.emv.apdu import PPSE
from elcart_sim.protocol.emv.arqc_verify import verify_arqc
from elcart_sim.protocol.emv.cryptogram import (
    IssuerApplicationData,
    arqc_input,
    derive_icc_master_key,
    derive_limited_use_key,
)
from elcart_sim.protocol.luhn import is_luhn_valid
from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.tokens.keys import LimitedUseKey
from elcart_sim.wallet.applet import PaymentApplet
from elcart_sim.wallet.keys import KeyStore

__all__ = [
    "Check",
    "PASS",
    "FAIL",
    "NOT_VERIFIABLE",
    "REQUIRED_TAGS",
    "TAP_BUDGET_S",
    "validate_live_tap",
    "split_answer",
    "card_tags",
]

PASS, FAIL, NOT_VERIFIABLE = "pass", "fail", "not verifiable"
TAP_BUDGET_S = 0.5
"""Contactless transaction budget: the card dialogue should end within 500 ms (EMV Book A)."""

# Tags a qVSDC-style answer must carry (EMV Book C-3; the token data of EMVCo tokenisation).
REQUIRED_TAGS: tuple[int, ...] = (0x57, 0x5A, 0x5F24, 0x82, 0x94, 0x9F10, 0x9F24, 0x9F26, 0x9F27, 0x9F36)
_CID_ARQC = 0x80
_GPO = b"\x80\xa8"
_GENERATE_AC = b"\x80\xae"


@dataclass(frozen=True, slots=True)
class Check:
    """One validation check: ``status`` is 'pass', 'fail' or 'not verifiable'."""

    name: str
    status: str
    detail: str


def split_answer(response: bytes) -> tuple[str, bytes]:
    """(SW as hex, data) of a response APDU; SW '' when the answer is too short to carry one."""
    if len(response) < 2:
        return "", b""
    return response[-2:].hex().upper(), response[:-2]


def card_tags(exchanges: Sequence[ApduExchange]) -> dict[int, bytes]:
    """Every primitive tag the card sent in answers that parse (the first occurrence wins)."""
    tags: dict[int, bytes] = {}
    for exchange in exchanges:
        _sw, data = split_answer(exchange.response)
        try:
            tlv.flatten(tlv.decode(data), tags)
        except ProtocolError:
            continue
    return tags


def validate_live_tap(
    exchanges: Sequence[ApduExchange],
    *,
    reference: TokenCredential | None = None,
    issuer_master_key: bytes | None = None,
    budget_s: float = TAP_BUDGET_S,
) -> tuple[Check, ...]:
    """Check what a device answered in one tap (the answered exchanges, in order).

    ``reference`` is the credential our applet would hold for this token: the device's
    answers are compared with our applet's answers to the same commands (so the same amount,
    date and unpredictable number), starting from the ATC before the device's. With
    ``issuer_master_key`` the ARQC is verified as the issuer would. Without them those checks
    are 'not verifiable'. No check raises on bad device data; each says what it found."""
    card = card_tags(exchanges)
    checks = _check_answers(exchanges, card)
    track2 = _check_track2(card.get(0x57))
    checks.append(track2)
    pan, expiry = _pan_and_expiry(card.get(0x57)) if track2.status == PASS else (None, None)
    checks += _check_formats(card, pan, expiry)
    checks += _check_against_our_applet(exchanges, card, reference, issuer_master_key)
    checks.append(_check_cryptogram(exchanges, card, pan, issuer_master_key))
    nfc_s = sum(x.duration_s for x in exchanges)
    budget = f"{budget_s * 1000:.0f} ms"
    if nfc_s <= budget_s:
        checks.append(Check("contactless budget", PASS, f"card dialogue within {budget}"))
    else:
        checks.append(Check("contactless budget", FAIL, f"card dialogue took {nfc_s * 1000:.1f} ms, over {budget}"))
    return tuple(checks)


def _check_answers(exchanges: Sequence[ApduExchange], card: dict[int, bytes]) -> list[Check]:
    """Status words, BER-TLV, and the tags a qVSDC kernel needs."""
    if not exchanges:
        checks = [Check("status words", FAIL, "the device answered no command"), Check("BER-TLV", FAIL, "no answer")]
    else:
        bad_sw = []
        bad_tlv = []
        for x in exchanges:
            sw, data = split_answer(x.response)
            if sw != "9000":
                bad_sw.append(f"{x.name} answered {sw or 'no status word'}")
            try:
                tlv.decode(data)
            except ProtocolError as exc:
                bad_tlv.append(f"{x.name}: {exc}")
        checks = [
            Check("status words", FAIL, "; ".join(bad_sw)) if bad_sw else Check("status words", PASS, f"{len(exchanges)} answers, all 9000"),
            Check("BER-TLV", FAIL, "; ".join(bad_tlv)) if bad_tlv else Check("BER-TLV", PASS, "every answer parses"),
        ]
    missing = [f"{t:X}" for t in REQUIRED_TAGS if t not in card]
    if missing:
        checks.append(Check("required tags", FAIL, f"missing {' '.join(missing)}"))
    else:
        checks.append(Check("required tags", PASS, " ".join(f"{t:X}" for t in REQUIRED_TAGS) + " present"))
    return checks


def _pan_and_expiry(track2_data: bytes) -> tuple[str, str]:
    read = track2.decode(track2_data)
    return read.pan, read.expiry


def _check_track2(track2_data: bytes | None) -> Check:
    """Track 2 equivalent data (57): PAN D YYMM service-code discretionary, F padded (Book 3)."""
    name = "57 track 2"
    if track2_data is None:
        return Check(name, NOT_VERIFIABLE, "tag missing")
    try:
        pan, expiry, service_code, _discretionary = track2.decode(track2_data)
    except Track2Error as e:
        return Check(name, FAIL, str(e).removeprefix("track 2 (57): "))
    if not is_luhn_valid(pan):
        return Check(name, FAIL, "PAN fails the Luhn check")
    return Check(name, PASS, f"PAN {mask_pan(pan)} (Luhn ok), expiry {expiry}, service code {service_code}")


# (tag, check name, is the value well formed, what was expected); EMV Book 3 Annex A, Book C-3.
_FORMATS = (
    (0x82, "82 AIP", lambda v: len(v) == 2, "2 bytes"),
    (0x9F36, "9F36 ATC", lambda v: len(v) == 2, "2 bytes"),
    (0x9F26, "9F26 cryptogram", lambda v: len(v) == 8, "8 bytes"),
    (0x9F27, "9F27 CID", lambda v: len(v) == 1 and v[0] & 0xC0 == _CID_ARQC, "1 byte, ARQC (80)"),
    (0x9F10, "9F10 IAD", lambda v: 1 <= len(v) <= 32, "1-32 bytes"),
    (0x9F24, "9F24 PAR", lambda v: len(v) == 29 and v.isascii() and v.decode("ascii").isalnum(), "29 alphanumerics"),
)
_SHOWN_AS_LENGTH = frozenset({0x9F26, 0x9F10, 0x9F24})


def _check_formats(card: dict[int, bytes], pan: str | None, expiry: str | None) -> list[Check]:
    checks = []
    if 0x5A not in card:
        checks.append(Check("5A PAN", NOT_VERIFIABLE, "tag missing"))
    elif pan is None:
        checks.append(Check("5A PAN", NOT_VERIFIABLE, "no valid track 2 to compare with"))
    elif card[0x5A].hex().upper().rstrip("F") == pan:
        checks.append(Check("5A PAN", PASS, "equals the track 2 PAN"))
    else:
        checks.append(Check("5A PAN", FAIL, "differs from the track 2 PAN"))

    date = card.get(0x5F24)
    if date is None:
        checks.append(Check("5F24 expiry", NOT_VERIFIABLE, "tag missing"))
    else:
        text = date.hex().upper()
        valid = len(text) == 6 and text.isdigit() and 1 <= int(text[2:4]) <= 12
        valid = valid and 1 <= int(text[4:]) <= calendar.monthrange(2000 + int(text[:2]), int(text[2:4]))[1]
        if not valid:
            checks.append(Check("5F24 expiry", FAIL, f"{text} is not a date YYMMDD"))
        elif expiry is not None and text[:4] != expiry:
            checks.append(Check("5F24 expiry", FAIL, f"{text} differs from track 2 expiry {expiry}"))
        else:
            checks.append(Check("5F24 expiry", PASS, f"{text} (YYMMDD)"))

    for tag, name, well_formed, expected in _FORMATS:
        value = card.get(tag)
        if value is None:
            checks.append(Check(name, NOT_VERIFIABLE, "tag missing"))
            continue
        shown = f"{len(value)} bytes" if tag in _SHOWN_AS_LENGTH else value.hex().upper()
        if well_formed(value):
            checks.append(Check(name, PASS, shown))
        else:
            checks.append(Check(name, FAIL, f"{shown}, expected {expected}"))
    return checks


def _atc(card: dict[int, bytes]) -> int | None:
    value = card.get(0x9F36, b"")
    return int.from_bytes(value, "big") if len(value) == 2 else None


def _iad(card: dict[int, bytes]) -> IssuerApplicationData | None:
    """The device's IAD in our layout (key index and device id for a limited-use key), or None."""
    try:
        return IssuerApplicationData.parse(card.get(0x9F10, b""))
    except CryptogramError:
        return None


def _reference_applet(
    exchanges: Sequence[ApduExchange],
    card: dict[int, bytes],
    reference: TokenCredential,
    issuer_master_key: bytes | None,
    atc: int,
) -> PaymentApplet | str:
    """Our applet as the device should have been just before the tap, or why it cannot be built:
    the same credential, kernel style, ATC and - for a limited-use key - the same key and device."""
    aid = next((x.command[5 : 5 + x.command[4]] for x in exchanges if x.command[1:2] == b"\xa4" and PPSE not in x.command), b"")
    ctq = card.get(0x9F6C, b"")
    options: dict = {
        "atc": atc - 1,
        "cdcvm_performed": len(ctq) >= 2 and bool(ctq[1] & 0x80),
        "kernel": "mchip" if any(x.command[:2] == _GENERATE_AC for x in exchanges) else "qvsdc",
    }
    if 5 <= len(aid) <= 16:
        options["aid"] = aid
    iad = _iad(card)
    if iad is not None:
        options["cryptogram_version"] = iad.cryptogram_version
    if iad is not None and iad.key_index is not None:
        if issuer_master_key is None:
            return f"limited-use key {iad.key_index}: the issuer master key is unknown"
        icc_mk = derive_icc_master_key(issuer_master_key, reference.token_pan, reference.psn)
        key = LimitedUseKey(iad.key_index, math.inf, partial(derive_limited_use_key, icc_mk))
        options.update(keys=KeyStore([key]), device_id=iad.device_id or 0)
    elif reference.icc_master_key is None:
        return "the device used no limited-use key and we hold no static key for this token"
    return PaymentApplet(reference, **options)


def _check_against_our_applet(
    exchanges: Sequence[ApduExchange],
    card: dict[int, bytes],
    reference: TokenCredential | None,
    issuer_master_key: bytes | None,
) -> list[Check]:
    """Replay the device's commands on our applet in the device's state before the tap."""
    same, arqc = "same answers as our applet", "ARQC identical to our applet's"
    atc = _atc(card)
    if reference is None:
        return [Check(same, NOT_VERIFIABLE, "we hold no credential for this token"), Check(arqc, NOT_VERIFIABLE, "no reference cryptogram")]
    if not atc:
        return [Check(same, NOT_VERIFIABLE, "the device sent no usable ATC"), Check(arqc, NOT_VERIFIABLE, "no reference cryptogram")]
    applet = _reference_applet(exchanges, card, reference, issuer_master_key, atc)
    if isinstance(applet, str):
        return [Check(same, NOT_VERIFIABLE, applet), Check(arqc, NOT_VERIFIABLE, "no reference cryptogram")]
    differing = []
    ours_arqc = None
    for x in exchanges:
        ours = applet.process(x.command)
        ours_arqc = ours_arqc or tlv.flatten(_decoded(ours)).get(0x9F26)
        if ours != x.response:
            differing.append(x.name)
    if differing:
        checks = [Check(same, FAIL, f"differ at {', '.join(differing)}")]
    else:
        checks = [Check(same, PASS, f"{len(exchanges)} answers byte-identical (ATC {atc})")]
    device_arqc = card.get(0x9F26)
    if device_arqc is None or ours_arqc is None:
        checks.append(Check(arqc, NOT_VERIFIABLE, "no cryptogram" if device_arqc is None else "no reference cryptogram"))
    elif device_arqc == ours_arqc:
        checks.append(Check(arqc, PASS, device_arqc.hex().upper()))
    else:
        checks.append(Check(arqc, FAIL, f"device {device_arqc.hex().upper()}, ours {ours_arqc.hex().upper()}"))
    return checks


def _decoded(response: bytes) -> list[tlv.Tlv]:
    try:
        return tlv.decode(split_answer(response)[1])
    except ProtocolError:
        return []


def _check_cryptogram(
    exchanges: Sequence[ApduExchange], card: dict[int, bytes], pan: str | None, issuer_master_key: bytes | None
) -> Check:
    """The ARQC as the issuer checks it: CVN 18 over the terminal's data (GPO or GENERATE AC)
    and the card's, under the ICC master key or the limited-use key the IAD names."""
    name = "ARQC verifies (issuer key)"
    atc, arqc = _atc(card), card.get(0x9F26)
    if issuer_master_key is None:
        return Check(name, NOT_VERIFIABLE, "issuer master key unknown")
    if arqc is None or pan is None or atc is None:
        return Check(name, NOT_VERIFIABLE, "cryptogram, PAN or ATC missing")
    iad = _iad(card)
    key_index = iad.key_index if iad is not None else None
    try:
        data = arqc_input({**_terminal_data(exchanges, card), **card})
        psn_text = card.get(0x5F34, b"\x00").hex()
        ok = verify_arqc(issuer_master_key, pan, int(psn_text) if psn_text.isdigit() else 0, atc, data, arqc, key_index)
    except (ProtocolError, ValueError) as exc:
        return Check(name, NOT_VERIFIABLE, f"cannot rebuild the cryptogram input: {exc}")
    key = "ICC master key" if key_index is None else f"limited-use key {key_index}"
    return Check(name, PASS, f"CVN 18, {key}") if ok else Check(name, FAIL, f"does not match the issuer's ({key})")


def _terminal_data(exchanges: Sequence[ApduExchange], card: dict[int, bytes]) -> dict[int, bytes]:
    """The terminal's values the cryptogram covers: the GENERATE AC data split along the card's
    CDOL1 (8C, M/Chip style), else the GPO data split along its PDOL (9F38, qVSDC style)."""
    generate_ac = next((x.command for x in exchanges if x.command[:2] == _GENERATE_AC), None)
    if generate_ac is not None:
        data, dol = generate_ac[5 : 5 + generate_ac[4]], card.get(0x8C, b"")
    else:
        gpo = next((x.command for x in exchanges if x.command[:2] == _GPO), None)
        if gpo is None or len(gpo) < 7:
            raise ApduError("the tap has no GPO command to take the terminal's data from")
        template = gpo[5 : 5 + gpo[4]]
        if len(template) < 2 or template[0] != 0x83 or template[1] != len(template) - 2:
            raise ApduError("GPO: the command data is not a command template (83)")
        data, dol = template[2:], card.get(0x9F38, b"")
    values, at = {}, 0
    for tag, length in tlv.parse_dol(dol):
        values[tag] = data[at : at + length]
        at += length
    if at != len(data):
        raise ApduError("the terminal's data in the cryptogram command does not match the card's data object list")
    return values
