"""Benchmark: the byte-level protocol code of one tap, in microseconds per operation.

    .venv/bin/python benchmarks/bench_protocol.py [--number 2000] [--repeat 5]

What a tap costs in 'wire' fidelity, piece by piece: the ISO 8583 codec on the messages every
host encodes and decodes (the acquirer's 0100 with DE55, the switch's 0100 toward the issuer with
DE100 and DE123, the 0110 with tag 91), the BER-TLV and APDU work of the card dialogue, one
whole dialogue (``ContactlessKernel.perform`` against an in-process applet, APDU bytes), the
phone's ARQC and the switch's verification and ARPC. The card side of a tap in both fidelities:
``bench_card_dialogue.py``. The "pyiso8583 alone" lines are the library's own share
of an ISO 8583 encode or decode, without our checks. Each figure is the best of ``--repeat`` runs of
``--number`` calls, in process CPU time (best, and CPU time, because the cores are shared and
other processes only ever add time). Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import platform
import time
import timeit
from collections.abc import Callable

from elcart_sim.acceptance import ContactlessKernel, SimulatedNfcLink
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.emv import apdu, arqc_verify, cryptogram, tlv
from elcart_sim.protocol.emv.cryptogram import IssuerApplicationData
from elcart_sim.protocol.emv.icc_data import RESPONSE_TAGS, parse_icc_data
from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.wallet.answers import CVR
from elcart_sim.wallet.applet import PaymentApplet

H = bytes.fromhex
IMK = H("0123456789ABCDEFFEDCBA9876543210")
TOKEN_PAN = "9999041700000019"
FUNDING_PAN = "9417000000000001"
PAR = "Q1KG0417TESTPAR00000000000001"
UN = H("9C753B83")
ICC_MK = cryptogram.derive_icc_master_key(IMK, TOKEN_PAN, 0)
KEY_INDEX = 7
LUK = cryptogram.derive_limited_use_key(ICC_MK, KEY_INDEX)
ATC = 1

# The DE55 a phone with limited-use keys sends (IAD with key index and device id), as the kernel builds it.
IAD = IssuerApplicationData(1, 0x12, CVR, KEY_INDEX, 0x01020304).to_bytes()
TERMINAL_PART = H("000000012345" "000000000000" "0417" "0000000000" "0417" "261126" "00") + UN
ARQC_INPUT = TERMINAL_PART + H("0000") + ATC.to_bytes(2, "big") + IAD
ARQC = cryptogram.generate_arqc(cryptogram.derive_session_key(LUK, ATC), ARQC_INPUT)
DE55 = b"".join(
    tlv.encode(tag, value)
    for tag, value in (
        (0x9F26, ARQC), (0x9F27, b"\x80"), (0x9F10, IAD), (0x9F37, UN), (0x9F36, H("0001")),
        (0x95, bytes(5)), (0x9A, H("261126")), (0x9C, b"\x00"), (0x9F02, H("000000012345")),
        (0x5F2A, H("0417")), (0x82, H("0000")), (0x9F1A, H("0417")), (0x9F03, bytes(6)),
        (0x9F6C, H("0080")),
    )
)  # fmt: skip

AUTH_REQUEST = {
    "t": "0100", "2": TOKEN_PAN, "3": "000000", "4": "000000012345", "7": "1126101500",
    "11": "000001", "12": "161500", "13": "1126", "14": "3012", "18": "5411", "22": "071",
    "23": "000", "25": "00", "32": "417001", "35": "9999041700000019=30122010000000000000",
    "37": "000000000001", "41": "TERM0001", "42": "MERCHANT0000001",
    "43": "ELKART TEST SHOP         BISHKEK      KG", "49": "417", "55": DE55,
}  # fmt: skip
TOKEN_DATA = iso8583.TokenData(TOKEN_PAN, "3012", "41700000001", PAR, "01").to_de123()
FORWARDED_REQUEST = {k: v for k, v in AUTH_REQUEST.items() if k != "35"}
FORWARDED_REQUEST.update({"2": FUNDING_PAN, "14": "2911", "100": "417002", "123": TOKEN_DATA})
SESSION_KEY = arqc_verify.session_key(arqc_verify.icc_master_key(IMK, TOKEN_PAN, 0), ATC, KEY_INDEX)
TAG_91 = tlv.encode(0x91, arqc_verify.arpc(SESSION_KEY, ARQC) + arqc_verify.CSU_APPROVED)
AUTH_RESPONSE = {
    "t": "0110", "2": TOKEN_PAN, "3": "000000", "4": "000000012345", "7": "1126101500",
    "11": "000001", "12": "161500", "13": "1126", "32": "417001", "37": "000000000001",
    "38": "A1B2C3", "39": "00", "41": "TERM0001", "42": "MERCHANT0000001", "49": "417",
    "55": TAG_91,
}  # fmt: skip

AUTH_REQUEST_BYTES = iso8583.encode(AUTH_REQUEST)
FORWARDED_REQUEST_BYTES = iso8583.encode(FORWARDED_REQUEST)
AUTH_RESPONSE_BYTES = iso8583.encode(AUTH_RESPONSE)
LIB_AUTH_REQUEST = {**AUTH_REQUEST, "55": DE55.hex()}  # as pyiso8583 itself takes it: the codec's floor


def _applet(atc: int = 0) -> PaymentApplet:
    return PaymentApplet(TokenCredential(TOKEN_PAN, "3012", 0, PAR, ICC_MK), atc=atc)


def _gpo_answer() -> bytes:
    card = _applet()
    card.process(apdu.select(card.aid).to_bytes())
    pdol_data = H("36004000") + TERMINAL_PART
    return card.process(apdu.get_processing_options(pdol_data).to_bytes())


GPO_RESPONSE = _gpo_answer()
GPO_DATA = GPO_RESPONSE[:-2]
KERNEL = ContactlessKernel()
DE55_ITEMS = tuple(parse_icc_data(DE55).items())


def _dialogue() -> Callable[[], object]:
    state = {"card": _applet(), "taps": 0}

    def perform() -> object:
        if state["taps"] == 60_000:  # the ATC stops at 65535
            state["card"], state["taps"] = _applet(), 0
        state["taps"] += 1
        link = SimulatedNfcLink(state["card"].process, lambda: 0.0078125)
        return KERNEL.perform(link, 12345, "261126", UN)

    return perform


def phone_arqc() -> bytes:
    """What the applet does per tap: session key from its limited-use key, then the ARQC."""
    return cryptogram.generate_arqc(cryptogram.derive_session_key(LUK, ATC), ARQC_INPUT)


ICC_MK_ISSUER = arqc_verify.icc_master_key(IMK, TOKEN_PAN, 0)


def switch_verify_and_arpc() -> bytes:
    """What card authentication does per tap once it holds the token's ICC master key."""
    sk = arqc_verify.session_key(ICC_MK_ISSUER, ATC, KEY_INDEX)
    if not arqc_verify.cryptogram_matches(sk, ARQC_INPUT, ARQC):
        raise SystemExit("benchmark vectors are wrong: the ARQC does not verify")
    return arqc_verify.arpc(sk, ARQC, arqc_verify.CSU_APPROVED)


def switch_icc_data() -> bytes:
    """The switch's strict DE55 read and the CVN 18 input taken from it."""
    return cryptogram.arqc_input(parse_icc_data(DE55))


CASES: tuple[tuple[str, Callable[[], object]], ...] = (
    ("ISO 8583 encode 0100 (acquirer, DE55)", lambda: iso8583.encode(AUTH_REQUEST)),
    ("ISO 8583 decode 0100 (acquirer, DE55)", lambda: iso8583.decode(AUTH_REQUEST_BYTES)),
    ("ISO 8583 encode 0100' (switch, DE100 DE123)", lambda: iso8583.encode(FORWARDED_REQUEST)),
    ("ISO 8583 decode 0100' (switch, DE100 DE123)", lambda: iso8583.decode(FORWARDED_REQUEST_BYTES)),
    ("ISO 8583 encode 0110 (tag 91)", lambda: iso8583.encode(AUTH_RESPONSE)),
    ("ISO 8583 decode 0110 (tag 91)", lambda: iso8583.decode(AUTH_RESPONSE_BYTES)),
    ("  pyiso8583 alone: encode 0100", lambda: iso8583.codec._iso.encode(dict(LIB_AUTH_REQUEST), iso8583.ELKART_SPEC)),
    ("  pyiso8583 alone: decode 0100", lambda: iso8583.codec._iso.decode(AUTH_REQUEST_BYTES, iso8583.ELKART_SPEC)),
    ("TLV decode GPO answer", lambda: tlv.decode(GPO_DATA)),
    ("TLV decode + flatten GPO answer", lambda: tlv.flatten(tlv.decode(GPO_DATA))),
    ("TLV encode DE55 (14 objects)", lambda: b"".join([tlv.encode(t, v) for t, v in DE55_ITEMS])),
    ("APDU GPO command to_bytes", lambda: apdu.get_processing_options(TERMINAL_PART).to_bytes()),
    ("APDU ResponseApdu.parse GPO answer (SW + TLV)", lambda: apdu.ResponseApdu.parse(GPO_RESPONSE)),
    ("DE55 strict read + ARQC input (switch)", switch_icc_data),
    ("DE55 tag 91 read (acquirer/POS)", lambda: parse_icc_data(TAG_91, RESPONSE_TAGS)),
    ("kernel.perform, in-process applet (4 APDUs)", _dialogue()),
    ("phone ARQC (session key + MAC)", phone_arqc),
    ("switch verify ARQC + ARPC (pyemv)", switch_verify_and_arpc),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--number", type=int, default=1000, help="calls per run")
    parser.add_argument("--repeat", type=int, default=9, help="runs; the best is printed")
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, best of {args.repeat} x {args.number} calls")
    print(f"0100 {len(AUTH_REQUEST_BYTES)} B, 0100' {len(FORWARDED_REQUEST_BYTES)} B, 0110 {len(AUTH_RESPONSE_BYTES)} B")
    for name, call in CASES:
        if args.only.lower() not in name.lower():
            continue
        call()
        best = min(timeit.repeat(call, number=args.number, repeat=args.repeat, timer=time.process_time))
        print(f"{name:<46} {best / args.number * 1e6:8.2f} µs")


if __name__ == "__main__":
    main()
