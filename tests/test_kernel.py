"""The contactless kernel end to end over a simulated NFC link, with fixed latencies."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elcart_sim.acceptance import (
    ContactlessKernel,
    KernelOutcome,
    NfcLink,
    SimulatedNfcLink,
    TerminalConfig,
)
from elcart_sim.core.errors import CardRemovedError, ConfigurationError, LinkError, PcscServiceError, ReaderRemovedError
from elcart_sim.protocol.emv import tlv, track2
from elcart_sim.protocol.emv.arqc_verify import verify_arqc
from elcart_sim.protocol.emv.cryptogram import arqc_input, derive_icc_master_key
from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.wallet.applet import PaymentApplet

H = bytes.fromhex
IMK = H("0123456789ABCDEFFEDCBA9876543210")
PAN = "9999041700000019"
PAR = "Q1KG0417TESTPAR00000000000001"
UN = H("9C753B83")
LATENCY_S = 0.0078125  # 2**-7: sums of it are exact in binary floating point

EXPECTED_COMMANDS = [
    ("SELECT PPSE", "00A404000E325041592E5359532E444446303100"),
    ("SELECT AID", "00A4040007F000000417101000"),
    ("GPO", "80A80000238321" "36004000" "000000012345" "000000000000" "0417" "0000000000"
            "0417" "261126" "00" "9C753B83" "00"),
    ("READ RECORD SFI 1 REC 1", "00B2010C00"),
]  # fmt: skip
EXPECTED_DE55 = (
    "9F2608F512DDBF502EB823" "9F270180" "9F100706011203A00000" "9F37049C753B83" "9F36020001"
    "95050000000000" "9A03261126" "9C0100" "9F0206000000012345" "5F2A020417" "82020000"
    "9F1A020417" "9F0306000000000000" "9F6C020080"
)  # fmt: skip


def _applet(**kwargs: object) -> PaymentApplet:
    credential = TokenCredential(PAN, "3012", 0, PAR, derive_icc_master_key(IMK, PAN, 0))
    return PaymentApplet(credential, **kwargs)  # type: ignore[arg-type]


def _link(card: Callable[[bytes], bytes], latency_s: float = LATENCY_S) -> SimulatedNfcLink:
    return SimulatedNfcLink(card, lambda: latency_s)


def _perform(card: Callable[[bytes], bytes], config: TerminalConfig | None = None) -> KernelOutcome:
    return ContactlessKernel(config).perform(_link(card), 12345, "261126", UN)


def test_end_to_end_exact_apdus_timing_and_de55() -> None:
    out = _perform(_applet().process)
    assert out.outcome == "online" and out.reason == ""
    assert [(x.name, x.command.hex().upper()) for x in out.exchanges] == EXPECTED_COMMANDS
    assert [x.duration_s for x in out.exchanges] == [LATENCY_S] * 4
    assert out.nfc_s == 0.03125
    assert (out.token_pan, out.expiry, out.psn, out.par, out.atc) == (PAN, "3012", 0, PAR, 1)
    assert out.track2 == H("9999041700000019D30122010000000000000F")
    assert out.cdcvm_performed is True
    assert out.icc_data.hex().upper() == EXPECTED_DE55
    assert [t.tag for t in tlv.decode(out.icc_data)] == [
        0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C,
        0x9F02, 0x5F2A, 0x82, 0x9F1A, 0x9F03, 0x9F6C,
    ]  # fmt: skip


def test_issuer_can_verify_the_arqc_from_de55_alone() -> None:
    out = _perform(_applet(atc=9).process)
    de55 = tlv.flatten(tlv.decode(out.icc_data))
    assert verify_arqc(IMK, out.token_pan, out.psn, out.atc, arqc_input(de55), de55[0x9F26])
    assert track2.to_de35(out.track2) == "9999041700000019=30122010000000000000"


def test_durations_come_from_the_sampler_in_order() -> None:
    samples: Iterator[float] = iter([0.25, 0.125, 0.5, 0.0625])
    link = SimulatedNfcLink(_applet().process, lambda: next(samples), name="bench")
    out = ContactlessKernel().perform(link, 1, "260101", UN)
    assert [x.duration_s for x in out.exchanges] == [0.25, 0.125, 0.5, 0.0625]
    assert out.nfc_s == 0.9375
    assert isinstance(link, NfcLink) and link.name == "bench"


def test_successive_taps_advance_the_atc() -> None:
    applet = _applet()
    kernel = ContactlessKernel()
    atcs = [kernel.perform(_link(applet.process), 100, "260101", UN).atc for _ in range(3)]
    assert atcs == [1, 2, 3]


def test_no_consumer_device_cvm() -> None:
    out = _perform(_applet(cdcvm_performed=False, cdcvm_required=False).process)
    assert out.outcome == "online" and out.cdcvm_performed is False


def _corrupting(step: int, mutate: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """A card that answers normally except that answer number ``step`` is mutated."""
    applet = _applet()
    count = [0]

    def process(command: bytes) -> bytes:
        response = applet.process(command)
        count[0] += 1
        return mutate(response) if count[0] == step else response

    return process


def _gpo_without(tag: int) -> Callable[[bytes], bytes]:
    def mutate(response: bytes) -> bytes:
        (template,) = tlv.decode(response[:-2])
        kept = [c.to_bytes() for c in template.children if c.tag != tag]
        return tlv.encode_constructed(0x77, *kept) + response[-2:]

    return mutate


def _gpo_with(tag: int, value: bytes) -> Callable[[bytes], bytes]:
    def mutate(response: bytes) -> bytes:
        (template,) = tlv.decode(response[:-2])
        kids = [tlv.encode(c.tag, value if c.tag == tag else c.value) for c in template.children]
        return tlv.encode_constructed(0x77, *kids) + response[-2:]

    return mutate


@pytest.mark.parametrize(
    ("card_step", "mutate", "n_exchanges", "reason"),
    [
        (3, lambda r: r[:20] + r[-2:], 3,
         "GPO: malformed answer: TLV: value of tag 77 at offset 0 runs past the end: "
         "length 70, only 18 byte(s) left"),
        (1, lambda r: b"\x90", 1,
         "SELECT PPSE: malformed answer: response APDU needs at least the 2 status word bytes, "
         "got 1: 90"),
        (1, lambda r: b"\x6a\x82", 1, "SELECT PPSE: card answered SW 6A82 (file or application not found)"),
        (2, lambda r: r[:-2] + b"\x69\x85", 2, "SELECT AID: card answered SW 6985 (conditions of use not satisfied)"),
        (4, lambda r: b"\x6a\x83", 4, "READ RECORD SFI 1 REC 1: card answered SW 6A83 (record not found)"),
        (4, lambda r: H("77009000"), 4, "READ RECORD SFI 1 REC 1: expected template 70, got 77"),
        (3, lambda r: H("800400000801") + r[-2:], 3, "GPO: expected template 77, got 80"),
        (3, lambda r: b"\x90\x00", 3, "GPO: expected template 77, got no data"),
        (3, _gpo_without(0x9F26), 4,
         "card data: required tag 9F26 (Application Cryptogram) missing"),
        (3, _gpo_without(0x9F10), 4,
         "card data: required tag 9F10 (Issuer Application Data) missing"),
        (3, _gpo_with(0x9F27, b"\x00"), 4, "card data: card declined offline (CID 00 = AAC)"),
        (3, _gpo_with(0x9F27, b"\x40"), 4,
         "card data: CID 40 is not an ARQC; this kernel is online-only"),
        (3, _gpo_with(0x9F36, b"\x01"), 4,
         "card data: tag 9F36 (Application Transaction Counter (ATC)) is 1 bytes, expected 2"),
        (3, _gpo_with(0x94, H("080101")), 3, "GPO: AFL (94) is 3 bytes, not a multiple of 4"),
        (3, _gpo_with(0x94, H("08020100")), 3, "GPO: AFL entry 08020100 is invalid"),
        (3, _gpo_with(0x57, H("9999041700000019")), 4,
         "card data: track 2 (57): no D separator"),
        (3, _gpo_with(0x57, H("9999041700000027D30122010000000000000F")), 4,
         "card data: PAN (5A) differs from track 2 (57)"),
        (2, lambda r: r.replace(H("9F3818"), H("9F3819")), 2,
         "SELECT AID: malformed answer: TLV: value of tag 9F38 at offset 37 runs past the end: "
         "length 25, only 24 byte(s) left"),
        (2, lambda r: H("6F0584035A5A5A9000"), 2,
         "SELECT AID: DF name (84) does not match the selected AID"),
    ],
)  # fmt: skip
def test_bad_card_answers_terminate_with_a_reason(
    card_step: int, mutate: Callable[[bytes], bytes], n_exchanges: int, reason: str
) -> None:
    out = _perform(_corrupting(card_step, mutate))
    assert out.outcome == "terminated"
    assert out.reason == reason
    assert len(out.exchanges) == n_exchanges
    assert out.nfc_s == n_exchanges * LATENCY_S
    assert out.icc_data == b"" and out.token_pan is None and out.track2 is None


def test_track_2_from_records_is_enough_and_no_afl_means_no_read_record() -> None:
    out = _perform(_corrupting(3, _gpo_without(0x94)))
    assert out.outcome == "online"
    assert [x.name for x in out.exchanges] == ["SELECT PPSE", "SELECT AID", "GPO"]
    assert out.par is None and out.token_pan == PAN
    assert _perform(_corrupting(3, _gpo_without(0x57))).outcome == "online"


def test_aid_not_in_ppse_directory() -> None:
    config = TerminalConfig(aid=H("A0000006581010"))
    out = _perform(_applet().process, config)
    assert (out.outcome, out.reason) == (
        "terminated", "SELECT PPSE: AID A0000006581010 not offered (F0000004171010)"
    )


def test_card_without_pdol_gets_empty_gpo_template() -> None:
    fci_without_pdol = tlv.encode_constructed(
        0x6F, tlv.encode(0x84, H("F0000004171010")),
        tlv.encode_constructed(0xA5, tlv.encode(0x50, b"ELKART PAY")),
    ) + H("9000")  # fmt: skip
    out = _perform(_corrupting(2, lambda r: fci_without_pdol))
    # The real applet needs its PDOL data, so it refuses the empty template: 6700.
    assert out.exchanges[2].command.hex().upper() == "80A800000283" "0000"
    assert out.reason == "GPO: card answered SW 6700 (wrong length)"


class TearingLink:
    """The simulated link, until the phone leaves: command ``tear_at`` (0-based) gets no answer."""

    def __init__(self, card: Callable[[bytes], bytes], tear_at: int, error: type[LinkError] = CardRemovedError):
        self.name = "tearing"
        self.link = _link(card)
        self.tear_at = tear_at
        self.error = error
        self.sent = 0

    def transceive(self, command: bytes) -> tuple[bytes, float]:
        if self.sent == self.tear_at:
            raise self.error(f"link 'test' failed during {command[:4].hex().upper()}")
        self.sent += 1
        return self.link.transceive(command)


@pytest.mark.parametrize(
    ("tear_at", "name"),
    [(0, "SELECT PPSE"), (1, "SELECT AID"), (2, "GPO"), (3, "READ RECORD SFI 1 REC 1")],
)
def test_a_torn_dialogue_is_terminated_with_what_was_answered_before(tear_at: int, name: str) -> None:
    out = ContactlessKernel().perform(TearingLink(_applet().process, tear_at), 12345, "261126", UN)
    assert (out.outcome, out.check) == ("terminated", "")  # a tear is no security check
    assert out.reason.startswith(f"{name}: no answer, the card or phone left the reader (torn): link 'test' failed during ")
    assert [x.name for x in out.exchanges] == [n for n, _ in EXPECTED_COMMANDS[:tear_at]]
    assert out.nfc_s == tear_at * LATENCY_S
    assert out.token_pan is None and out.icc_data == b""


def test_a_torn_mchip_dialogue_names_generate_ac() -> None:
    link = TearingLink(_applet(kernel="mchip").process, 4)
    out = ContactlessKernel().perform(link, 12345, "261126", UN)
    assert (out.outcome, out.check, len(out.exchanges)) == ("terminated", "", 4)
    assert out.reason.startswith("GENERATE AC: no answer, the card or phone left the reader (torn)")


@pytest.mark.parametrize("error", [LinkError, ReaderRemovedError, PcscServiceError])
def test_link_errors_other_than_a_tear_propagate(error: type[LinkError]) -> None:
    with pytest.raises(error, match="link 'test' failed during 80A80000"):
        ContactlessKernel().perform(TearingLink(_applet().process, 2, error), 100, "260101", UN)


def test_negative_latency_is_a_link_error() -> None:
    link = SimulatedNfcLink(_applet().process, lambda: -0.001)
    with pytest.raises(LinkError, match=r"simulated: APDU latency sampler returned -0.001 s"):
        ContactlessKernel().perform(link, 100, "260101", UN)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, "260101", UN), "ContactlessKernel.perform: amount_tyiyn must be 0-999999999999, got -1"),
        ((10**12, "260101", UN), "ContactlessKernel.perform: amount_tyiyn must be 0-999999999999, got 1000000000000"),
        ((1, "261301", UN), "ContactlessKernel.perform: transaction_date must be 'YYMMDD', got '261301'"),
        ((1, "2601", UN), "ContactlessKernel.perform: transaction_date must be 'YYMMDD', got '2601'"),
        ((1, "260101", b"\x00"), "ContactlessKernel.perform: unpredictable_number must be 4 bytes, got 1"),
    ],
)
def test_perform_argument_validation(args: tuple, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ContactlessKernel().perform(_link(_applet().process), *args)
    assert str(info.value) == message


def test_terminal_config_validation() -> None:
    with pytest.raises(ConfigurationError, match=r"^TerminalConfig.ttq must be 4 bytes, got 3$"):
        TerminalConfig(ttq=H("360040"))


def test_outcome_repr_does_not_show_the_token_pan() -> None:
    out = _perform(_applet().process)
    assert PAN not in repr(out)
    assert all(PAN not in repr(x) for x in out.exchanges)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4),
    st.one_of(
        st.binary(max_size=80),
        st.tuples(st.integers(0, 200), st.integers(0, 255)),  # flip one byte of the real answer
    ),
)
def test_fuzz_any_card_answer_gives_an_outcome(step: int, corruption: object) -> None:
    def mutate(response: bytes) -> bytes:
        if isinstance(corruption, bytes):
            return corruption
        i, b = corruption  # type: ignore[misc]
        raw = bytearray(response)
        raw[i % len(raw)] = b
        return bytes(raw)

    out = _perform(_corrupting(step, mutate))
    assert out.outcome in ("online", "terminated")
    assert (out.reason == "") == (out.outcome == "online")


# -- M/Chip style, relay resistance, consumer device CVM -----------------------------------------------

MCHIP_COMMANDS = [
    ("SELECT PPSE", "00A404000E325041592E5359532E444446303100"),
    ("SELECT AID", "00A4040007F000000417101000"),
    ("GPO", "80A8000002830000"),
    ("READ RECORD SFI 1 REC 1", "00B2010C00"),
    # The reference M/Chip-style dialogue (docs/sources.md): CDOL1 data = amount | other | country | TVR | currency | date | type | UN
    # | terminal type 22 | CVM results 1F0302
    ("GENERATE AC", "80AE800021" "000000012345" "000000000000" "0417" "0000000000" "0417" "261126" "00"
                    "9C753B83" "22" "1F0302" "00"),
]  # fmt: skip


def test_mchip_style_dialogue_exact_commands_and_verifiable_de55() -> None:
    out = _perform(_applet(kernel="mchip").process)
    assert out.outcome == "online", out.reason
    assert [(x.name, x.command.hex().upper()) for x in out.exchanges] == MCHIP_COMMANDS
    assert out.nfc_s == 5 * LATENCY_S and out.atc == 1 and out.cdcvm_performed
    de55 = tlv.flatten(tlv.decode(out.icc_data))
    assert de55[0x82] == H("1880") and de55[0x9F37] == UN
    assert verify_arqc(IMK, PAN, 0, 1, arqc_input(de55), de55[0x9F26])


@pytest.mark.parametrize("kernel", ["qvsdc", "mchip"])
def test_a_slow_cryptogram_command_is_taken_for_a_relay(kernel: str) -> None:
    cryptogram_command = "GPO" if kernel == "qvsdc" else "GENERATE AC"
    applet = _applet(kernel=kernel)

    class Relay:
        name = "relay"

        def transceive(self, command: bytes) -> tuple[bytes, float]:
            return applet.process(command), 0.125 if command[1] in (0xA8, 0xAE) else 0.0078125

    out = ContactlessKernel(TerminalConfig(max_cryptogram_rtt_s=0.1)).perform(Relay(), 12345, "261126", UN)
    assert (out.outcome, out.check) == ("terminated", "relay_timing")
    assert out.reason == f"{cryptogram_command}: relay resistance: the cryptogram took 125.0 ms, limit 100.0 ms"
    fast = ContactlessKernel(TerminalConfig(max_cryptogram_rtt_s=0.1)).perform(_link(_applet(kernel=kernel).process), 12345, "261126", UN)
    assert fast.outcome == "online"


def test_a_locked_phone_ends_the_dialogue_at_gpo_with_a_named_check() -> None:
    out = _perform(_applet(cdcvm_performed=False).process)
    assert (out.outcome, out.check) == ("terminated", "device_cvm")
    assert out.reason == "GPO: card answered SW 6982 (security status not satisfied)"
    assert [x.name for x in out.exchanges] == ["SELECT PPSE", "SELECT AID", "GPO"]


def test_no_usable_key_ends_the_dialogue_at_gpo_with_a_named_check() -> None:
    out = _perform(PaymentApplet(TokenCredential(PAN, "3012", 0, PAR)).process)
    assert (out.outcome, out.check, out.reason) == (
        "terminated", "limited_use_keys", "GPO: card answered SW 6984 (reference data not usable)"
    )


def test_the_kernel_can_insist_on_consumer_device_cvm() -> None:
    config = TerminalConfig(require_cdcvm=True)
    out = _perform(_applet(cdcvm_performed=False, cdcvm_required=False).process, config)
    assert (out.outcome, out.check) == ("terminated", "device_cvm")
    assert out.reason == "card data: the phone did not verify its user (CTQ 9F6C: no consumer device CVM)"
    assert _perform(_applet().process, config).outcome == "online"


def test_a_status_word_error_elsewhere_names_no_check() -> None:
    out = _perform(_corrupting(2, lambda r: b"\x69\x82"))
    assert (out.reason, out.check) == ("SELECT AID: card answered SW 6982 (security status not satisfied)", "")


def test_unknown_tags_in_a_card_answer_are_ignored() -> None:
    def with_proprietary_tag(response: bytes) -> bytes:
        (template,) = tlv.decode(response[:-2])
        kids = [c.to_bytes() for c in template.children] + [tlv.encode(0xDF7F, b"\x01\x02")]
        return tlv.encode_constructed(0x77, *kids) + response[-2:]

    out = _perform(_corrupting(3, with_proprietary_tag))
    assert out.outcome == "online" and 0xDF7F not in {t.tag for t in tlv.decode(out.icc_data)}


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5), st.tuples(st.integers(0, 200), st.integers(0, 255)))
def test_fuzz_mchip_card_answers_give_an_outcome(step: int, corruption: tuple[int, int]) -> None:
    applet = _applet(kernel="mchip")
    count = [0]

    def process(command: bytes) -> bytes:
        response = applet.process(command)
        count[0] += 1
        if count[0] != step:
            return response
        raw = bytearray(response)
        raw[corruption[0] % len(raw)] = corruption[1]
        return bytes(raw)

    out = _perform(process)
    assert out.outcome in ("online", "terminated")
    assert (out.reason == "") == (out.outcome == "online")
