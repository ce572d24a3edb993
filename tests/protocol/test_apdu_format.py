"""The two ways the card dialogue crosses the contactless link: APDUs as bytes, or as objects."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from elcart_sim.core.errors import ApduError
from elcart_sim.protocol.emv import apdu, tlv
from elcart_sim.protocol.emv.apdu import CommandApdu, ResponseApdu
from elcart_sim.protocol.emv.apdu_format import APDU_BYTES, APDU_OBJECTS, ApduCard
from elcart_sim.protocol.emv.tlv import Tlv

ANSWER = ResponseApdu((tlv.template(0x77, Tlv(0x82, b"\x18\x80"), Tlv(0x94, bytes.fromhex("08010100"))),), 0x9000)


class Echo(ApduCard):
    """A card that answers every command with ANSWER, and remembers the commands it handled."""

    def __init__(self) -> None:
        self.handled: list[CommandApdu] = []

    def handle(self, command: CommandApdu) -> ResponseApdu:
        self.handled.append(command)
        return ANSWER


def test_bytes_are_encoded_and_decoded_at_the_link_and_objects_cross_as_they_are() -> None:
    command = apdu.get_processing_options(bytes(2))
    assert APDU_BYTES.encode_command(command) == bytes.fromhex("80A80000048302000000")
    assert APDU_BYTES.decode_response(bytes.fromhex("770A82021880940408010100" "9000")).to_bytes() == ANSWER.to_bytes()
    assert APDU_OBJECTS.encode_command(command) is command and APDU_OBJECTS.decode_response(ANSWER) is ANSWER
    card = Echo()
    assert APDU_BYTES.answerer(card)(command.to_bytes()) == ANSWER.to_bytes()
    assert APDU_OBJECTS.answerer(card)(command) is ANSWER
    assert card.handled == [command, command]


def test_chip_data_come_in_the_form_the_dialogue_came_in() -> None:
    icc = {0x9F36: b"\x00\x01", 0x82: b"\x00\x00"}
    assert APDU_BYTES.encode_icc_data(icc) == bytes.fromhex("9F3602000182020000")
    assert APDU_OBJECTS.encode_icc_data(icc) is icc


@given(st.binary(max_size=12))
def test_a_card_answers_a_malformed_frame_6700_and_never_raises(raw: bytes) -> None:
    card = Echo()
    answer = card.process(raw)
    try:
        command = CommandApdu.parse(raw)
    except ApduError:
        assert answer == bytes.fromhex("6700") and card.handled == []
        return
    assert answer == ANSWER.to_bytes() and card.handled == [command]
