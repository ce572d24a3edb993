"""The phone's HCE payment applet: the reference trace byte for byte, status words, recovery."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elcart_sim.core.errors import ConfigurationError
from elcart_sim.protocol.emv import apdu, tlv
from elcart_sim.protocol.emv.apdu import CommandApdu, ResponseApdu
from elcart_sim.protocol.emv.arqc_verify import verify_arqc
from elcart_sim.protocol.emv.cryptogram import ApplicationCryptogram, arqc_input, derive_icc_master_key, derive_limited_use_key
from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.tokens.keys import LimitedUseKey
from elcart_sim.wallet.applet import PaymentApplet
from elcart_sim.wallet.keys import KeyStore

IMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
PAN = "9999041700000019"
PAR = "Q1KG0417TESTPAR00000000000001"


def _credential(**changes: object) -> TokenCredential:
    fields: dict[str, object] = dict(
        token_pan=PAN, expiry="3012", psn=0, par=PAR,
        icc_master_key=derive_icc_master_key(IMK, PAN, 0),
    )  # fmt: skip
    fields.update(changes)
    return TokenCredential(**fields)  # type: ignore[arg-type]


H = bytes.fromhex
SELECT_PPSE = H("00A404000E325041592E5359532E444446303100")
SELECT_AID = H("00A4040007F000000417101000")
PDOL_DATA = H(
    "36004000" "000000012345" "000000000000" "0417" "0000000000" "0417" "261126" "00" "9C753B83"
)  # fmt: skip
GPO = H("80A80000" "23" "8321") + PDOL_DATA + b"\x00"
READ_RECORD = H("00B2010C00")
TERMINAL_TAGS = {
    0x9F02: H("000000012345"), 0x9F03: H("000000000000"), 0x9F1A: H("0417"),
    0x95: H("0000000000"), 0x5F2A: H("0417"), 0x9A: H("261126"), 0x9C: H("00"),
    0x9F37: H("9C753B83"),
}  # fmt: skip

# The reference qVSDC dialogue (docs/sources.md), byte for byte.
TRACE = [
    (SELECT_PPSE, "6F2F840E325041592E5359532E4444463031A51DBF0C1A61184F07F0000004171010"
                  "500A454C4B41525420504159870101" "9000"),
    (SELECT_AID, "6F3E8407F0000004171010A533500A454C4B415254205041598701015F2D066B797275656E"
                 "9F38189F66049F02069F03069F1A0295055F2A029A039C019F3704" "9000"),
    (GPO, "7746820200009404080101005713" "9999041700000019D30122010000000000000F" "5F340100"
          "9F100706011203A00000" "9F2608F512DDBF502EB823" "9F270180" "9F36020001" "9F6C020080"
          "9000"),
    (READ_RECORD, "704E5713" "9999041700000019D30122010000000000000F" "5A089999041700000019"
                  "5F2403301231" "5F28020417" "5F340100"
                  "9F241D51314B4730343137544553545041523030303030303030303030303031" "9000"),
]  # fmt: skip


def _sw(response: bytes) -> int:
    return int.from_bytes(response[-2:], "big")


def _transact(applet: PaymentApplet) -> bytes:
    """A full good transaction; returns the GPO answer."""
    assert _sw(applet.process(SELECT_PPSE)) == 0x9000
    assert _sw(applet.process(SELECT_AID)) == 0x9000
    gpo = applet.process(GPO)
    assert _sw(gpo) == 0x9000
    assert _sw(applet.process(READ_RECORD)) == 0x9000
    return gpo


def test_reference_trace_byte_for_byte() -> None:
    applet = PaymentApplet(_credential())
    for command, expected in TRACE:
        assert applet.process(command).hex().upper() == expected
    assert applet.atc == 1


def test_one_handler_answers_objects_and_process_is_its_answers_encoded() -> None:
    on_the_wire, as_objects = PaymentApplet(_credential()), PaymentApplet(_credential(), label="ELKART PAY")
    for command, expected in TRACE:
        answer = as_objects.handle(CommandApdu.parse(command))
        assert isinstance(answer, ResponseApdu)
        assert answer.to_bytes().hex().upper() == expected == on_the_wire.process(command).hex().upper()
    assert on_the_wire.atc == as_objects.atc == 1
    select_ppse = CommandApdu.parse(SELECT_PPSE)
    assert on_the_wire.handle(select_ppse) is as_objects.handle(select_ppse)  # one profile, its answers kept once


def test_the_cryptogram_is_computed_only_when_the_answer_is_encoded() -> None:
    applet = PaymentApplet(_credential())
    applet.handle(CommandApdu.parse(SELECT_AID))
    (template,) = applet.handle(CommandApdu.parse(GPO)).data
    cryptogram = tlv.flatten([template])[0x9F26]
    assert isinstance(cryptogram, ApplicationCryptogram) and len(cryptogram) == 8
    assert (cryptogram.key, cryptogram.atc) == (_credential().icc_master_key, 1)
    assert bytes(cryptogram).hex().upper() == "F512DDBF502EB823"  # §3.1


def test_atc_increments_and_each_arqc_verifies() -> None:
    applet = PaymentApplet(_credential(), atc=41)
    seen = set()
    for atc in (42, 43, 44):
        flat = tlv.flatten(tlv.decode(_transact(applet)[:-2]))
        assert flat[0x9F36] == atc.to_bytes(2, "big")
        seen.add(flat[0x9F26])
        data = PDOL_DATA[4:] + flat[0x82] + flat[0x9F36] + flat[0x9F10]  # CVN 18 layout
        assert data == arqc_input({**flat, **TERMINAL_TAGS})
        assert verify_arqc(IMK, PAN, 0, atc, data, flat[0x9F26])
    assert len(seen) == 3
    assert applet.atc == 44


def test_ctq_without_consumer_device_cvm() -> None:
    applet = PaymentApplet(_credential(), cdcvm_performed=False, cdcvm_required=False)
    flat = tlv.flatten(tlv.decode(_transact(applet)[:-2]))
    assert flat[0x9F6C] == b"\x00\x00"
    applet.cdcvm_performed = True
    assert tlv.flatten(tlv.decode(_transact(applet)[:-2]))[0x9F6C] == b"\x00\x80"


def _after_select_aid(applet: PaymentApplet) -> None:
    applet.process(SELECT_AID)


def _after_gpo(applet: PaymentApplet) -> None:
    applet.process(SELECT_AID)
    applet.process(GPO)


def _after_ppse(applet: PaymentApplet) -> None:
    applet.process(SELECT_PPSE)


def _fresh(applet: PaymentApplet) -> None:
    pass


@pytest.mark.parametrize(
    ("setup", "command_hex", "sw"),
    [
        (_fresh, "", apdu.SW_WRONG_LENGTH),
        (_fresh, "00A404", apdu.SW_WRONG_LENGTH),
        (_fresh, "00A4040000000E325041592E5359532E4444463031", apdu.SW_WRONG_LENGTH),  # extended
        (_fresh, "00A404000E3250", apdu.SW_WRONG_LENGTH),  # Lc says 14, 2 follow
        (_fresh, "00A4040007F000000417101000FF", apdu.SW_WRONG_LENGTH),  # bytes after Le
        (_fresh, "90A4040007F000000417101000", apdu.SW_CLA_NOT_SUPPORTED),
        (_fresh, "80A4040007F000000417101000", apdu.SW_CLA_NOT_SUPPORTED),  # SELECT needs CLA 00
        (_after_select_aid, "00A80000238321" + PDOL_DATA.hex() + "00", apdu.SW_CLA_NOT_SUPPORTED),
        (_fresh, "80B2010C00", apdu.SW_CLA_NOT_SUPPORTED),
        (_fresh, "00CA9F3600", apdu.SW_INS_NOT_SUPPORTED),  # GET DATA
        (_after_select_aid, "80AE800000", apdu.SW_INS_NOT_SUPPORTED),  # GENERATE AC
        (_fresh, "00A4040007A000000658101000", apdu.SW_FILE_NOT_FOUND),  # someone else's AID
        (_fresh, "00A4000007F000000417101000", apdu.SW_INCORRECT_P1P2),
        (_fresh, "00A4040200", apdu.SW_INCORRECT_P1P2),
        (_fresh, "00A4040000", apdu.SW_WRONG_LENGTH),  # no DF name
        (_fresh, GPO.hex(), apdu.SW_CONDITIONS_NOT_SATISFIED),  # GPO before SELECT AID
        (_after_ppse, GPO.hex(), apdu.SW_CONDITIONS_NOT_SATISFIED),
        (_after_gpo, GPO.hex(), apdu.SW_CONDITIONS_NOT_SATISFIED),  # second GPO
        (_after_select_aid, "80A80100238321" + PDOL_DATA.hex() + "00", apdu.SW_INCORRECT_P1P2),
        (_after_select_aid, "80A8000023" + "8421" + PDOL_DATA.hex() + "00", apdu.SW_WRONG_DATA),
        (_after_select_aid, "80A8000023" + "8322" + PDOL_DATA.hex() + "00", apdu.SW_WRONG_DATA),
        (_after_select_aid, "80A8000002830000", apdu.SW_WRONG_LENGTH),  # empty PDOL data
        (_after_select_aid, "80A8000000", apdu.SW_WRONG_DATA),  # no template at all
        (_fresh, "00B2010C00", apdu.SW_CONDITIONS_NOT_SATISFIED),  # READ RECORD before SELECT
        (_after_ppse, "00B2010C00", apdu.SW_CONDITIONS_NOT_SATISFIED),
        (_after_select_aid, "00B2010800", apdu.SW_INCORRECT_P1P2),  # P2 low bits not 100
        (_after_select_aid, "00B2011400", apdu.SW_FILE_NOT_FOUND),  # SFI 2
        (_after_gpo, "00B2020C00", apdu.SW_RECORD_NOT_FOUND),  # record 2
        (_after_gpo, "00B2010C0100", apdu.SW_WRONG_LENGTH),  # READ RECORD with data
    ],
)
def test_bad_commands_get_proper_status_words_and_applet_keeps_working(
    setup, command_hex: str, sw: int  # type: ignore[no-untyped-def]
) -> None:
    applet = PaymentApplet(_credential())
    setup(applet)
    response = applet.process(bytes.fromhex(command_hex))
    assert response == sw.to_bytes(2, "big")
    _transact(applet)


def test_unknown_select_keeps_current_selection() -> None:
    applet = PaymentApplet(_credential())
    applet.process(SELECT_AID)
    assert _sw(applet.process(H("00A4040007A000000658101000"))) == apdu.SW_FILE_NOT_FOUND
    assert _sw(applet.process(GPO)) == apdu.SW_OK


def test_exhausted_atc_refuses_gpo() -> None:
    applet = PaymentApplet(_credential(), atc=0xFFFE)
    _transact(applet)
    assert applet.atc == 0xFFFF
    applet.process(SELECT_AID)
    assert _sw(applet.process(GPO)) == apdu.SW_CONDITIONS_NOT_SATISFIED
    assert applet.atc == 0xFFFF


def test_other_aid_and_label() -> None:
    applet = PaymentApplet(_credential(), aid=H("F0000004172020"), label="ELKART TEST")
    ppse = tlv.flatten(tlv.decode(applet.process(SELECT_PPSE)[:-2]))
    assert (ppse[0x4F], ppse[0x50]) == (H("F0000004172020"), b"ELKART TEST")
    assert _sw(applet.process(SELECT_AID)) == apdu.SW_FILE_NOT_FOUND
    assert _sw(applet.process(H("00A4040007F000000417202000"))) == apdu.SW_OK


def test_expiry_is_last_day_of_month() -> None:
    applet = PaymentApplet(_credential(expiry="2802"))
    applet.process(SELECT_AID)
    record = tlv.flatten(tlv.decode(applet.process(READ_RECORD)[:-2]))
    assert record[0x5F24] == H("280229")  # 2028 is a leap year
    assert record[0x57].hex().upper() == "9999041700000019D28022010000000000000F"


def test_credential_repr_hides_pan_and_key() -> None:
    text = repr(_credential())
    assert PAN not in text and "2513" not in text.upper()
    assert "999904******0019" in text and "<hidden>" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"token_pan": "999904170000001"}, "TokenCredential.token_pan must be 16 digits"),
        ({"token_pan": "9999041700000018"}, "TokenCredential.token_pan 999904******0018 fails the Luhn check"),
        ({"expiry": "3013"}, "TokenCredential.expiry must be 'YYMM', got '3013'"),
        ({"psn": 100}, "TokenCredential.psn must be 0-99, got 100"),
        ({"par": "SHORT"}, "TokenCredential.par must be 29 alphanumeric characters, got 5"),
        ({"icc_master_key": b"\x00" * 8}, "TokenCredential.icc_master_key must be 16 bytes, got 8"),
    ],
)
def test_credential_validation(changes: dict, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        _credential(**changes)
    assert str(info.value) == message


_commands = st.one_of(
    st.binary(max_size=40),
    st.builds(
        lambda head, rest: head + rest,
        st.sampled_from([SELECT_AID, SELECT_PPSE, GPO[:6], H("00A404"), H("80A8"), H("00B2")]),
        st.binary(max_size=40),
    ),
    st.sampled_from([SELECT_PPSE, SELECT_AID, GPO, READ_RECORD]),
)


@settings(max_examples=300)
@given(st.lists(_commands, max_size=8))
def test_fuzz_never_raises_and_recovers(commands: list[bytes]) -> None:
    applet = PaymentApplet(_credential())
    for command in commands:
        response = applet.process(command)
        assert len(response) >= 2
    _transact(applet)


# -- the M/Chip-style profile (the reference dialogue, docs/sources.md) --------------------------------------

CDOL1_DATA = H("000000012345" "000000000000" "0417" "0000000000" "0417" "261126" "00" "FEF0CF80" "22" "1F0302")
GENERATE_AC = H("80AE8000" "21") + CDOL1_DATA + b"\x00"
MCHIP_TRACE = [
    (SELECT_AID, "6F238407F0000004171010A518500A454C4B415254205041598701015F2D066B797275656E" "9000"),
    (H("80A8000002830000"), "770A82021880940408010100" "9000"),
    (READ_RECORD, "706B5713" "9999041700000019D30122010000000000000F" "5A089999041700000019"
                  "5F2403301231" "5F28020417" "5F340100"
                  "9F241D51314B4730343137544553545041523030303030303030303030303031"
                  "8C1B9F02069F03069F1A0295055F2A029A039C019F37049F35019F3403" "9000"),
]  # fmt: skip


def _pyemv_ac(session_key: bytes, data: bytes) -> bytes:
    """The cryptogram as pyemv computes it: an independent check of the applet's."""
    import warnings

    from cryptography.utils import CryptographyDeprecationWarning
    from pyemv import ac

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return ac.generate_ac(session_key, data, ac.PaddingType.EMV, 8)


def test_mchip_profile_answers_as_in_the_reference_trace() -> None:
    applet, as_objects = PaymentApplet(_credential(), kernel="mchip"), PaymentApplet(_credential(), kernel="mchip")
    for command, expected in MCHIP_TRACE:
        assert applet.process(command).hex().upper() == expected == as_objects.handle(CommandApdu.parse(command)).to_bytes().hex().upper()
    assert as_objects.handle(CommandApdu.parse(GENERATE_AC)).to_bytes() == applet.process(GENERATE_AC)
    applet = PaymentApplet(_credential(), kernel="mchip")
    for command, _ in MCHIP_TRACE:
        applet.process(command)
    answer = applet.process(GENERATE_AC)
    assert _sw(answer) == 0x9000
    (template,) = tlv.decode(answer[:-2])
    assert template.tag == 0x77
    assert [c.tag for c in template.children] == [0x9F27, 0x9F36, 0x9F26, 0x9F10, 0x9F6C]
    flat = tlv.flatten([template])
    assert (flat[0x9F27], flat[0x9F36], flat[0x9F10], flat[0x9F6C]) == (b"\x80", b"\x00\x01", H("06011203A00000"), H("0080"))
    from pyemv import kd

    session_key = kd.derive_common_sk(derive_icc_master_key(IMK, PAN, 0), H("0001000000000000"))
    assert flat[0x9F26] == _pyemv_ac(session_key, CDOL1_DATA[:29] + H("1880") + H("0001") + H("06011203A00000"))
    assert verify_arqc(IMK, PAN, 0, 1, CDOL1_DATA[:29] + H("1880") + H("0001") + flat[0x9F10], flat[0x9F26])


@pytest.mark.parametrize(
    ("setup", "command_hex", "sw"),
    [
        (lambda a: a.process(SELECT_AID), GENERATE_AC.hex(), apdu.SW_CONDITIONS_NOT_SATISFIED),  # before GPO
        (lambda a: (a.process(SELECT_AID), a.process(H("80A8000002830000"))), "80AE4000" "21" + CDOL1_DATA.hex() + "00",
         apdu.SW_INCORRECT_P1P2),  # TC asked: this applet only goes online
        (lambda a: (a.process(SELECT_AID), a.process(H("80A8000002830000"))), "80AE9000" "21" + CDOL1_DATA.hex() + "00",
         apdu.SW_INCORRECT_P1P2),  # CDA: not supported
        (lambda a: (a.process(SELECT_AID), a.process(H("80A8000002830000"))), "80AE8000" "20" + CDOL1_DATA[:-1].hex() + "00",
         apdu.SW_WRONG_LENGTH),
        (lambda a: (a.process(SELECT_AID), a.process(H("80A8000002830000"))), "00AE8000" "21" + CDOL1_DATA.hex() + "00",
         apdu.SW_CLA_NOT_SUPPORTED),
        (lambda a: (a.process(SELECT_AID), a.process(H("80A8000002830000")), a.process(GENERATE_AC)), GENERATE_AC.hex(),
         apdu.SW_CONDITIONS_NOT_SATISFIED),  # a second GENERATE AC
        (lambda a: a.process(SELECT_AID), GPO.hex(), apdu.SW_WRONG_LENGTH),  # PDOL data to a card without PDOL
    ],
)  # fmt: skip
def test_mchip_bad_commands_get_proper_status_words(setup, command_hex: str, sw: int) -> None:  # type: ignore[no-untyped-def]
    applet = PaymentApplet(_credential(), kernel="mchip")
    setup(applet)
    assert applet.process(bytes.fromhex(command_hex)) == sw.to_bytes(2, "big")
    for command, _ in MCHIP_TRACE:
        assert _sw(applet.process(command)) == 0x9000
    assert _sw(applet.process(GENERATE_AC)) == 0x9000


# -- limited-use keys, the locked phone -------------------------------------------------------------------

LUK_DEVICE = 0xDEADBEEF


def _luk_applet(*key_indexes: int, expires_at: float = 1e9, **kwargs) -> tuple[PaymentApplet, KeyStore]:  # type: ignore[no-untyped-def]
    icc_mk = derive_icc_master_key(IMK, PAN, 0)
    keys = KeyStore(LimitedUseKey(k, expires_at, lambda i: derive_limited_use_key(icc_mk, i)) for k in key_indexes)
    credential = TokenCredential(PAN, "3012", 0, PAR)  # no ICC master key on the phone
    return PaymentApplet(credential, keys=keys, device_id=LUK_DEVICE, **kwargs), keys


def test_each_tap_spends_one_limited_use_key_and_names_it_in_the_iad() -> None:
    applet, keys = _luk_applet(1, 2, 3)
    for atc, key_index in ((1, 1), (2, 2)):
        flat = tlv.flatten(tlv.decode(_transact(applet)[:-2]))
        assert flat[0x9F10] == H("06011203A00000074C") + key_index.to_bytes(2, "big") + H("DEADBEEF")
        data = PDOL_DATA[4:] + flat[0x82] + flat[0x9F36] + flat[0x9F10]
        assert verify_arqc(IMK, PAN, 0, atc, data, flat[0x9F26], key_index=key_index)
        assert not verify_arqc(IMK, PAN, 0, atc, data, flat[0x9F26])
    assert keys.key_indexes() == [3]
    # §3.1's published vector, recomputed: key 1, ATC 1 over the §3.1 data is 6BDB8432028CC233.
    applet, _ = _luk_applet(1)
    assert tlv.flatten(tlv.decode(_transact(applet)[:-2]))[0x9F26] == H("6BDB8432028CC233")


def test_without_a_usable_key_gpo_answers_6984_and_spends_nothing() -> None:
    applet, keys = _luk_applet(7)
    _transact(applet)
    applet.process(SELECT_AID)
    assert applet.process(GPO) == H("6984")
    assert applet.atc == 1 and len(keys) == 0
    keys.add([LimitedUseKey(8, 1e9, lambda i: bytes(16))])
    applet.process(SELECT_AID)
    assert _sw(applet.process(GPO)) == 0x9000 and applet.atc == 2
    static_without_key = PaymentApplet(TokenCredential(PAN, "3012", 0, PAR))
    static_without_key.process(SELECT_AID)
    assert static_without_key.process(GPO) == H("6984")


@pytest.mark.parametrize("kernel", ["qvsdc", "mchip"])
def test_a_locked_phone_refuses_gpo_with_6982_and_spends_nothing(kernel: str) -> None:
    applet, keys = _luk_applet(1, 2, kernel=kernel, cdcvm_performed=False)
    applet.process(SELECT_AID)
    gpo = GPO if kernel == "qvsdc" else H("80A8000002830000")
    assert applet.process(gpo) == H("6982")
    assert applet.atc == 0 and len(keys) == 2
    applet.cdcvm_performed = True
    applet.process(SELECT_AID)
    assert _sw(applet.process(gpo)) == 0x9000


def test_other_cryptogram_version() -> None:
    applet = PaymentApplet(_credential(), cryptogram_version=0x2B)
    assert tlv.flatten(tlv.decode(_transact(applet)[:-2]))[0x9F10] == H("06012B03A00000")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel": "k9"}, "PaymentApplet: kernel must be one of qvsdc, mchip, got 'k9'"),
        ({"cryptogram_version": 256}, "PaymentApplet: cryptogram_version must be one byte (0-255), got 256"),
        ({"device_id": -1}, "PaymentApplet: device_id must be 4 bytes (0-4294967295), got -1"),
    ],
)
def test_profile_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        PaymentApplet(_credential(), **kwargs)
    assert str(info.value) == message


@settings(max_examples=200)
@given(st.lists(st.one_of(_commands, st.sampled_from([GENERATE_AC, H("80A8000002830000")])), max_size=8))
def test_fuzz_mchip_never_raises_and_recovers(commands: list[bytes]) -> None:
    applet = PaymentApplet(_credential(), kernel="mchip")
    for command in commands:
        assert len(applet.process(command)) >= 2
    for command, _ in MCHIP_TRACE:
        assert _sw(applet.process(command)) == 0x9000
    assert _sw(applet.process(GENERATE_AC)) == 0x9000
