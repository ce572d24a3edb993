"""EMVCo merchant-presented QR codes: published vectors with their CRCs, every one-character
change caught, Hypothesis round trips, and telling EMVCo from ELQR."""

from __future__ import annotations

import binascii
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elcart_sim.core.errors import QrPayloadError
from elcart_sim.protocol.luhn import luhn_check_digit
from elcart_sim.protocol.qr import emvco, kinds, tlv
from elcart_sim.protocol.qr.emvco import EmvcoPayload

# Published vectors (docs/sources.md): the example of phannaly/emv-qr-code's README (CRC 1FF2), a
# Thai PromptPay code with an amount (tanat44/useful-script, CRC 9B3B) and one for phone 000-000-0000
# (the PromptPay libraries' tests, CRC 8956).
CAMBODIA = (
    "00020101021252044131153137210116372101160123456789ABCDE6016Banteay Meanchey5913Kuntheas Shop5802KH"
    "540510.005303840621201081234567863041FF2"
)
PROMPTPAY_AMOUNT = "00020101021129370016A000000677010111011300669245317755802TH54076000.00530376463049B3B"
PROMPTPAY_STATIC = "00020101021129370016A000000677010111011300660000000005802TH530376463048956"
VECTORS = {"1FF2": CAMBODIA, "9B3B": PROMPTPAY_AMOUNT, "8956": PROMPTPAY_STATIC}


def test_crc_is_ccitt_false_over_the_payload_including_6304():
    assert emvco.crc("123456789") == "29B1"  # the catalogue check value of CRC-16/CCITT-FALSE
    assert emvco.crc(CAMBODIA[:-4]) == "1FF2"
    assert CAMBODIA[-8:-4] == "6304"


@pytest.mark.parametrize("crc", VECTORS)
def test_published_vectors_decode_and_re_encode_exactly(crc):
    text = VECTORS[crc]
    assert emvco.crc(text[:-4]) == crc == f"{binascii.crc_hqx(text[:-4].encode(), 0xFFFF):04X}"
    assert emvco.encode(emvco.decode(text)) == text


def test_the_cambodian_example_fields():
    payload = emvco.decode(CAMBODIA)
    assert payload == EmvcoPayload(
        merchant_accounts=(("15", "37210116372101160123456789ABCDE"),), currency="840", country="KH", mcc="4131",
        merchant_name="Kuntheas Shop", merchant_city="Banteay Meanchey", amount_tyiyn=1000, dynamic=True,
        additional_data=(("01", "12345678"),), id_order=("00", "01", "52", "15", "60", "59", "58", "54", "53", "62"),
    )  # fmt: skip


def test_a_promptpay_code_has_a_template_account_and_no_name():
    payload = emvco.decode(PROMPTPAY_AMOUNT)
    assert payload.merchant_accounts == (("29", "0016A00000067701011101130066924531775"),)
    assert tlv.read_fields(payload.merchant_accounts[0][1], parent="29")[0] == ("00", "A000000677010111")
    assert (payload.amount_tyiyn, payload.mcc, payload.merchant_name, payload.dynamic) == (600_000, None, None, False)


@pytest.mark.parametrize("crc", VECTORS)
def test_changing_any_one_character_is_caught(crc):
    text = VECTORS[crc]
    for index, char in enumerate(text):
        changed = text[:index] + ("7" if char != "7" else "8") + text[index + 1 :]
        with pytest.raises(QrPayloadError):
            emvco.decode(changed)


def test_a_wrong_crc_names_63_and_shows_expected_and_found():
    with pytest.raises(QrPayloadError, match=r"ID 63: CRC fails: expected [0-9A-F]{4} .*found '1FF2'") as caught:
        emvco.decode(CAMBODIA.replace("10.00", "90.00"))
    assert caught.value.qr_id == "63"


def _signed(fields):
    body = tlv.write_fields(fields) + "6304"
    return body + emvco.crc(body)


KG = [("00", "01"), ("26", "0012kg.elcart.qr0105M0042"), ("52", "5411"), ("53", "417"), ("58", "KG"), ("59", "Globus")]


@pytest.mark.parametrize(
    ("fields", "qr_id", "words"),
    [
        ([f for f in KG if f[0] != "58"], "58", r"ID 58 \(country\) is missing"),
        ([f for f in KG if f[0] != "26"], "26", r"no merchant account \(IDs 02 to 51\)"),
        ([f if f[0] != "26" else ("26", "0105M0042") for f in KG], "26/00", "ID 26/00 .the scheme's GUID. is missing"),
        (KG + [("54", "10.005")], "54", "ID 54: the amount must be a decimal like 10.00"),
        (KG + [("54", "0.00")], "54", "ID 54: the amount must be more than 0"),
        (KG + [("01", "13")], "01", "ID 01: must be 11 or 12"),
        (KG[1:2] + KG[:1] + KG[2:], "00", "ID 00: the payload must start with format 01"),
        (KG + [("62", "07041")], "62/07", "ID 62/07 at character"),
    ],
)
def test_malformed_codes_name_the_id(fields, qr_id, words):
    with pytest.raises(QrPayloadError, match=words) as caught:
        emvco.decode(_signed(fields))
    assert caught.value.qr_id == qr_id


def test_the_crc_must_close_the_payload():
    with pytest.raises(QrPayloadError, match="ID 63 .CRC. must be the last field") as caught:
        emvco.decode(tlv.write_fields(KG))
    assert caught.value.qr_id == "63"


def test_a_merchant_pan_is_refused():
    pan = "941710123456789" + luhn_check_digit("941710123456789")
    code = EmvcoPayload(merchant_accounts=(("02", pan),), mcc="5411", merchant_name="Globus", merchant_city="Bishkek")
    with pytest.raises(QrPayloadError, match="full card number") as caught:
        emvco.encode(code)
    assert caught.value.qr_id == "02"
    with pytest.raises(QrPayloadError, match="full card number") as caught:
        emvco.encode(dataclasses.replace(code, merchant_accounts=(emvco.merchant_account("kg.elcart.qr", pan),)))
    assert caught.value.qr_id == "26/01"


@pytest.mark.parametrize(
    ("text", "kind"),
    [(CAMBODIA, "emvco"), (PROMPTPAY_STATIC, "emvco"),
     ("https://pay.payqr.kg#000201010211320f", "elqr"),  # a link is ELQR whatever follows
     (_signed(KG), "emvco"), (_signed(KG)[:-4] + "0000", "emvco")],
)  # fmt: skip
def test_kind_of_tells_the_formats_apart(text, kind):
    assert kinds.kind_of(text) == kind


CHARACTERS = st.characters(categories=["L", "N", "Zs", "P"], max_codepoint=0x4FF)


@st.composite
def codes(draw):
    guid = draw(st.text(st.sampled_from("abcdefgh.kg"), min_size=1, max_size=32))
    return EmvcoPayload(
        merchant_accounts=(emvco.merchant_account(guid, draw(st.text(CHARACTERS, min_size=1, max_size=50))),),
        mcc=draw(st.none() | st.from_regex(r"\A[0-9]{4}\Z")),
        merchant_name=draw(st.none() | st.text(CHARACTERS, min_size=1, max_size=25)),
        merchant_city=draw(st.none() | st.text(CHARACTERS, min_size=1, max_size=15)),
        amount_tyiyn=draw(st.none() | st.integers(1, 10**12 - 1)),  # "9999999999.99": 13 characters
        dynamic=draw(st.none() | st.booleans()),
        additional_data=draw(st.lists(st.tuples(st.sampled_from(["01", "05", "07"]), st.text(CHARACTERS, min_size=1, max_size=25)),
                                      max_size=2, unique_by=lambda f: f[0]).map(tuple)),  # fmt: skip
        other_fields=draw(st.lists(st.tuples(st.just("80"), st.text(CHARACTERS, min_size=90, max_size=99)), max_size=1).map(tuple)),
    )


@settings(max_examples=150, deadline=None)
@given(codes(), st.randoms(use_true_random=False))
def test_encode_decode_round_trip_keeps_fields_and_a_shuffled_order(code, random):
    try:
        text = emvco.encode(code)
    except QrPayloadError as exc:  # only a drawn value that happens to look like a card number
        assert "full card number" in str(exc)
        return
    decoded = emvco.decode(text)
    assert dataclasses.replace(decoded, id_order=()) == code
    assert kinds.kind_of(text) == "emvco"
    order = ["00"] + random.sample(decoded.id_order[1:], len(decoded.id_order) - 1)
    shuffled = emvco.encode(dataclasses.replace(decoded, id_order=tuple(order)))
    assert emvco.decode(shuffled).id_order == tuple(order)
    assert emvco.encode(emvco.decode(shuffled)) == shuffled
