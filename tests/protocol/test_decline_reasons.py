"""The DE44 decline reasons: valid ISO 8583 text, documented, each tied to a known check."""

from __future__ import annotations

from pathlib import Path

import pytest

from elcart_sim.core.errors import IsoMessageError
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.iso8583.decline_reasons import CHECKS, DeclineReason, decline_for_code


def test_every_reason_fits_de44_and_names_a_known_check_and_response_code() -> None:
    codes = [r.code for r in DeclineReason]
    assert len(set(codes)) == len(codes)
    for reason in DeclineReason:
        assert 1 <= len(reason.code) <= 25 and reason.code.isascii() and reason.code.isprintable()
        assert reason.check in CHECKS
        assert iso8583.ResponseCode(reason.response_code).description
        assert decline_for_code(reason.code) is reason


def test_the_chosen_response_codes() -> None:
    by_code = {r.name: r.response_code for r in DeclineReason}
    assert by_code["TOKEN_SUSPENDED"] == "62" and by_code["TOKEN_DELETED"] == "14"
    assert by_code["DOMAIN_CHANNEL"] == by_code["DOMAIN_DEVICE"] == "57"
    assert by_code["ICC_DATA_MALFORMED"] == "30"
    assert {by_code[n] for n in ("ARQC", "ATC_REPLAYED", "ATC_BEHIND", "ATC_JUMP", "KEY_EXPIRED", "CRYPTOGRAM_VERSION")} == {"63"}


def test_host_spec_documents_every_reason() -> None:
    doc = (Path(iso8583.__file__).parent / "host_spec.md").read_text(encoding="utf-8")
    for reason in DeclineReason:
        assert f"| `{reason.code}` | {reason.response_code} | {reason.check} |" in doc


def test_an_unknown_reason_is_an_iso_message_error_on_field_44() -> None:
    with pytest.raises(IsoMessageError) as info:
        decline_for_code("BECAUSE")
    assert (info.value.field, str(info.value)) == ("44", "DE44: 'BECAUSE' is not an ELKART decline reason code")
