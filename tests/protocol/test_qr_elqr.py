"""ELQR (Kyrgyzstan's national QR) and the TLV reader it shares with EMVCo: three real bank
links as golden vectors, every one-character change caught, Hypothesis round trips."""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elcart_sim.core.errors import QrPayloadError
from elcart_sim.protocol.luhn import luhn_check_digit
from elcart_sim.protocol.qr import elqr, tlv
from elcart_sim.protocol.qr.elqr import ElqrPayload

# Real links published as test vectors by qr-kg/elqr-js (MIT), see docs/sources.md.
ELKART_P2P = (
    "https://pay.payqr.kg#00020101021132700013p2p.elcart.kg0101110323435fba7738e54e59d8f3e8e664785d9120211130212"
    "53034175204482259199417%20****%20****%20526963049EE1"
)
MBANK_C2C = (
    "https://app.mbank.kg/qr/#00020101021132440012c2c.mbank.kg0102021012996554185519130212520499995303417"
    "5909KIRILL%20B.63047129"
)
OBANK_P2P = (
    "https://api.dengi.o.kg/#00020101021132680012p2p.dengi.kg01048580111255772592582110129965541855191202121302123409"
    "%D0%9A%D0%98%D0%A0%D0%98%D0%9B%D0%9B%20%D0%91.52047399530341754065556005906O%21Bank630485D0"
)
LINKS = {"elkart": ELKART_P2P, "mbank": MBANK_C2C, "obank": OBANK_P2P}
RECIPIENT = "3435fba7738e54e59d8f3e8e664785d9"


def _fragment(link: str) -> str:
    return unquote(link.split("#", 1)[1])


# -- the shared TLV reader ------------------------------------------------------------------------


def test_the_reader_keeps_order_and_counts_characters_not_bytes():
    assert tlv.read_fields("5303417520448223409КИРИЛЛ Б.") == (("53", "417"), ("52", "4822"), ("34", "КИРИЛЛ Б."))
    assert tlv.write_fields([("34", "КИРИЛЛ Б.")]) == "3409КИРИЛЛ Б."


@pytest.mark.parametrize(
    ("text", "qr_id", "words"),
    [
        ("0002010x", None, "character 6: an ID must be two digits"),
        ("00020152x4", "52", "ID 52 at character 6: its length must be two digits"),
        ("0002015204482", "52", r"ID 52 at character 6: length 4 runs past the end \(3 characters left\)"),
    ],
)
def test_reader_errors_name_the_id_and_the_offset(text, qr_id, words):
    with pytest.raises(QrPayloadError, match=words) as caught:
        tlv.read_fields(text)
    assert caught.value.qr_id == qr_id


def test_a_template_error_names_the_sub_id_and_the_offset_in_the_whole_payload():
    broken = "000201010211" + "32070012c2c" + "5204999953034175901A6304ABCD"
    with pytest.raises(QrPayloadError, match=r"ID 32/00 at character 16: length 12 runs past the end \(3 characters left in ID 32\)") as caught:
        elqr.decode(broken, verify=False)
    assert caught.value.qr_id == "32/00"


def test_a_value_of_100_characters_cannot_be_written():
    assert tlv.field_text("34", "я" * 99) == "3499" + "я" * 99
    with pytest.raises(QrPayloadError, match="ID 34: a value must be 1 to 99 characters, got 100"):
        tlv.field_text("34", "я" * 100)


# -- golden vectors ---------------------------------------------------------------------------------


def test_the_elkart_p2p_link():
    payload = elqr.decode(ELKART_P2P)
    assert payload == ElqrPayload(
        provider_guid="p2p.elcart.kg", provider_name="9417 **** **** 5269", mcc="4822", currency="417",
        amount_tyiyn=None, dynamic=False, service_code="1", recipient_id=RECIPIENT, amount_editable=True,
        recipient_editable=False, id_order=("00", "01", "32", "53", "52", "59"),
        service_id_order=("00", "01", "10", "12", "13"),
    )  # fmt: skip


def test_the_mbank_link_carries_the_payees_phone():
    payload = elqr.decode(MBANK_C2C)
    assert (payload.provider_guid, payload.service_code, payload.recipient_id) == ("c2c.mbank.kg", "02", "996554185519")
    assert (payload.mcc, payload.provider_name, payload.amount_tyiyn, payload.recipient_editable) == ("9999", "KIRILL B.", None, False)
    assert payload.amount_editable is None


def test_the_obank_link_has_an_amount_in_tyiyn_and_a_cyrillic_comment():
    payload = elqr.decode(OBANK_P2P)
    assert payload.amount_tyiyn == 555_600  # KGS 5,556.00
    assert (payload.comment, payload.provider_name, payload.transaction_id) == ("КИРИЛЛ Б.", "O!Bank", "557725925821")
    assert payload.service_id_order == ("00", "01", "11", "10", "12", "13")  # 11 before 10, as written


@pytest.mark.parametrize("name", LINKS)
def test_a_real_link_re_encodes_to_its_fragment_exactly(name):
    link = LINKS[name]
    assert elqr.checksum(_fragment(link)[:-8]) == _fragment(link)[-4:]
    assert elqr.encode(elqr.decode(link)) == _fragment(link)
    assert elqr.decode(_fragment(link)) == elqr.decode(link)  # a bare payload reads the same


def test_the_checksum_is_compared_case_insensitively():
    lower = _fragment(ELKART_P2P)[:-4] + "9ee1"
    assert elqr.decode(lower) == elqr.decode(ELKART_P2P)


def test_a_link_with_an_empty_query_before_the_fragment():
    assert elqr.decode("https://megapay.kg/get?=#" + ELKART_P2P.split("#")[1]) == elqr.decode(ELKART_P2P)


def test_p2p_payload_mirrors_the_real_elkart_link():
    assert elqr.link(elqr.p2p_payload(RECIPIENT, "9417 **** **** 5269", None)) == ELKART_P2P
    fixed = elqr.p2p_payload(RECIPIENT, "9417 **** **** 5269", 139_000)
    decoded = elqr.decode(elqr.encode(fixed))
    assert (decoded.amount_tyiyn, decoded.dynamic, decoded.amount_editable) == (139_000, True, False)


def test_a_static_code_with_amount_zero_means_no_amount_and_keeps_its_zero():
    body = tlv.write_fields([("00", "01"), ("01", "11"), ("32", "0012c2c.mbank.kg"), ("52", "9999"), ("53", "417"),
                             ("54", "0"), ("59", "KIRILL B.")])  # fmt: skip
    text = body + "6304" + elqr.checksum(body)
    payload = elqr.decode(text)
    assert payload.amount_tyiyn is None
    assert elqr.encode(payload) == text


# -- tampering and malformed payloads ---------------------------------------------------------------


@pytest.mark.parametrize("name", LINKS)
def test_changing_any_one_character_is_caught(name):
    text = _fragment(LINKS[name])
    for index, char in enumerate(text):
        changed = text[:index] + ("1" if char != "1" else "2") + text[index + 1 :]
        with pytest.raises(QrPayloadError) as caught:
            elqr.decode(changed)
        assert caught.value.qr_id is None or len(caught.value.qr_id) in (2, 5), (index, caught.value)


def test_a_wrong_checksum_names_id_63_and_shows_expected_and_found():
    tampered = _fragment(MBANK_C2C).replace("KIRILL B.", "KIRILL C.")
    with pytest.raises(QrPayloadError, match=r"ID 63: checksum fails: expected [0-9A-F]{4} .*found '7129'") as caught:
        elqr.decode(tampered)
    assert caught.value.qr_id == "63"


def _signed(fields):
    body = tlv.write_fields(fields)
    return body + "6304" + elqr.checksum(body)


MINIMAL = [("00", "01"), ("01", "11"), ("32", "0012c2c.mbank.kg"), ("52", "9999"), ("53", "417"), ("59", "K")]


@pytest.mark.parametrize(
    ("change", "qr_id", "words"),
    [
        (lambda f: [x for x in f if x[0] != "32"], "32", "ID 32 .service. is missing"),
        (lambda f: [x for x in f if x[0] != "59"], "59", r"ID 59 \(provider name\) is missing"),
        (lambda f: [x if x[0] != "32" else ("32", "01011") for x in f], "32/00", "ID 32/00 .provider GUID. is missing"),
        (lambda f: f + [("54", "12a")], "54", "ID 54: the amount must be 1 to 13 digits"),
        (lambda f: f + [("54", "1" * 14)], "54", "ID 54: the amount must be 1 to 13 digits"),
        (lambda f: f + [("34", "я" * 33)], "34", "ID 34: at most 32 characters, found 33"),
        (lambda f: [x if x[0] != "59" else ("59", "x" * 26) for x in f], "59", "ID 59: at most 25 characters"),
        (lambda f: [x if x[0] != "01" else ("01", "13") for x in f], "01", "ID 01: must be 11 or 12, found '13'"),
        (lambda f: [x if x[0] != "52" else ("52", "48a2") for x in f], "52", "ID 52: must be 4 digits"),
        (lambda f: [x if x[0] != "00" else ("00", "02") for x in f], "00", "ID 00: version must be 01"),
        (lambda f: f + [("52", "4822")], "52", "ID 52 appears twice"),
    ],
)
def test_malformed_payloads_name_the_id(change, qr_id, words):
    with pytest.raises(QrPayloadError, match=words) as caught:
        elqr.decode(_signed(change(MINIMAL)))
    assert caught.value.qr_id == qr_id


def test_a_missing_checksum_names_63():
    with pytest.raises(QrPayloadError, match="ID 63 .checksum. is missing") as caught:
        elqr.decode(tlv.write_fields(MINIMAL))
    assert caught.value.qr_id == "63"


def test_unknown_ids_are_kept_and_written_back():
    text = _signed(MINIMAL[:3] + [("80", "x"), ("35", "0010a:b:c:d:11")] + MINIMAL[3:])
    payload = elqr.decode(text)
    assert payload.other_fields == (("80", "x"),)
    assert elqr.encode(payload) == text


# -- no card number in a code -----------------------------------------------------------------------

PAN = "941710123456789" + luhn_check_digit("941710123456789")


@pytest.mark.parametrize("shown", [PAN, " ".join(PAN[i : i + 4] for i in range(0, 16, 4)), f"to {PAN}"])
def test_a_full_card_number_is_refused_in_any_field(shown):
    with pytest.raises(QrPayloadError, match="refusing to write a full card number") as caught:
        elqr.p2p_payload(RECIPIENT, shown, None)
    assert caught.value.qr_id == "59" and PAN not in str(caught.value)
    base = elqr.p2p_payload(RECIPIENT, "9417 **** **** 5269", None)
    for field, qr_id in (("recipient_id", "32/10"), ("transaction_id", "32/11"), ("comment", "34")):
        with pytest.raises(QrPayloadError, match="full card number") as caught:
            elqr.encode(dataclasses.replace(base, **{field: shown[:32]}))
        assert caught.value.qr_id == qr_id


def test_p2p_recipient_must_be_an_opaque_32_hex_id():
    with pytest.raises(QrPayloadError, match="32 hex digits") as caught:
        elqr.p2p_payload("996554185519", "K", None)
    assert caught.value.qr_id == "32/10"


# -- round trips ------------------------------------------------------------------------------------

CHARACTERS = st.characters(categories=["L", "N", "Zs", "P"], max_codepoint=0x4FF)  # Latin and Cyrillic, '#' and '%' too


def text(most: int, least: int = 1):
    return st.text(CHARACTERS, min_size=least, max_size=most)


@st.composite
def payloads(draw):
    return ElqrPayload(
        provider_guid=draw(st.text(st.sampled_from("abcdefgh.kg"), min_size=1, max_size=32)),
        provider_name=draw(text(25)),
        mcc=draw(st.from_regex(r"\A[0-9]{4}\Z")),
        amount_tyiyn=draw(st.none() | st.integers(1, 10**13 - 1)),
        dynamic=draw(st.booleans()),
        service_code=draw(st.none() | st.from_regex(r"\A[0-9]{1,14}\Z")),
        recipient_id=draw(st.none() | st.from_regex(r"\A[0-9a-f]{32}\Z")),
        transaction_id=draw(st.none() | text(12)),
        amount_editable=draw(st.none() | st.booleans()),
        recipient_editable=draw(st.none() | st.booleans()),
        comment=draw(st.none() | text(32)),
        other_fields=draw(st.lists(st.tuples(st.sampled_from(["80", "81", "99"]), text(99, 90)),
                                   max_size=1, unique_by=lambda f: f[0]).map(tuple)),  # fmt: skip
    )


@settings(max_examples=150, deadline=None)
@given(payloads(), st.randoms(use_true_random=False))
def test_encode_decode_round_trip_keeps_fields_and_a_shuffled_order(payload, random):
    try:
        text = elqr.encode(payload)
    except QrPayloadError as exc:  # only a drawn value that happens to look like a card number
        assert "full card number" in str(exc)
        return
    decoded = elqr.decode(text)
    assert dataclasses.replace(decoded, id_order=(), service_id_order=()) == payload
    order = list(decoded.id_order)
    random.shuffle(order)
    shuffled = elqr.encode(dataclasses.replace(decoded, id_order=tuple(order)))
    assert elqr.decode(shuffled).id_order == tuple(order)
    assert elqr.encode(elqr.decode(shuffled)) == shuffled
    assert elqr.decode(elqr.link(decoded, "https://app.mbank.kg/qr/")) == decoded
