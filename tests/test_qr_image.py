"""QR images: a payload drawn with segno reads back exactly with zxing-cpp, Cyrillic included."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from elcart_sim.core.errors import ConfigurationError, QrPayloadError
from elcart_sim.protocol.qr import elqr, image

OBANK_LINK = (
    "https://api.dengi.o.kg/#00020101021132680012p2p.dengi.kg01048580111255772592582110129965541855191202121302123409"
    "%D0%9A%D0%98%D0%A0%D0%98%D0%9B%D0%9B%20%D0%91.52047399530341754065556005906O%21Bank630485D0"
)


@pytest.mark.parametrize(
    "text",
    [
        OBANK_LINK,
        elqr.carried_payload(OBANK_LINK),  # the bare payload, Cyrillic unescaped
        elqr.link(elqr.p2p_payload("3435fba7738e54e59d8f3e8e664785d9", "9417 **** **** 5269", 139_000)),
    ],
)
def test_a_code_drawn_reads_back_exactly(text, tmp_path):
    path = image.to_png(text, tmp_path / "code.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.read_image(path) == text
    assert elqr.decode(image.read_image(path)) == elqr.decode(text)


@settings(max_examples=15, deadline=None)
@given(st.text(st.characters(categories=["L", "Nd", "Zs", "P"], max_codepoint=0x4FF), min_size=1, max_size=120))
@example("¡")  # Latin-1 bytes were read back as Shift JIS before the code was always UTF-8
def test_any_latin_or_cyrillic_text_reads_back(tmp_path_factory, text):
    path = image.to_png(text, tmp_path_factory.mktemp("qr") / "code.png")
    assert image.read_image(path) == text


def test_a_picture_without_a_code_and_a_file_that_is_no_picture(tmp_path):
    from PIL import Image

    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    with pytest.raises(QrPayloadError, match="no readable QR code in .*blank.png"):
        image.read_image(tmp_path / "blank.png")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(ConfigurationError, match="cannot open .*notes.png as a picture"):
        image.read_image(tmp_path / "notes.png")


def test_text_too_long_for_a_qr_code(tmp_path):
    with pytest.raises(QrPayloadError, match="do not fit in a QR code"):
        image.to_png("я" * 3000, tmp_path / "big.png")
