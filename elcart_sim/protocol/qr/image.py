"""QR code images: a payload drawn as a PNG, and the text read back from a picture.

Physical picture: what a shop prints on its sticker or a phone shows on its screen is a square
of black and white modules; a banking app's camera finds it and reads back the text, here a
link or a TLV row (``elqr.py``, ``emvco.py``). ``to_png`` draws the code with segno (a version
and error level just big enough, byte mode; no imaging library needed), ``read_image`` finds and
reads one QR code in any picture Pillow can open (a PNG we drew, a screenshot, a photo) with
zxing-cpp, the reader many Android apps embed. Neither checks the payload: that is the codecs'
work.

Where it is defined: ISO/IEC 18004 (QR Code bar code symbology), listed in docs/sources.md.
Text that ISO 8859-1 cannot hold (Cyrillic) is written as UTF-8 bytes, which readers recognise.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = to_png("https://pay.payqr.kg#000201", pathlib.Path(folder) / "code.png")
    ...     read_image(path)
    'https://pay.payqr.kg#000201'
"""

from __future__ import annotations

import os
from pathlib import Path

from elcart_sim.core.errors import ConfigurationError, OutputError, QrPayloadError

__all__ = ["to_png", "read_image", "PNG_SCALE"]

PNG_SCALE = 4
"""Pixels per module in the PNGs we write: a 53-module code (version 9) becomes 244 pixels
square with its 4-module quiet zone, readable on a screen and by zxing-cpp."""


def to_png(text: str, path: str | os.PathLike, *, scale: int = PNG_SCALE) -> Path:
    """Draw ``text`` as a QR code (never a Micro QR) into the PNG file ``path``; returns it.
    The bytes are always UTF-8, as banking apps read them: left to choose, segno writes text
    that fits ISO 8859-1 in that encoding, and a reader then guesses another ('¡' came back as
    the Shift JIS '｡')."""
    import segno

    path = Path(path)
    try:
        segno.make(text, micro=False, encoding="utf-8").save(path, kind="png", scale=scale)
    except segno.DataOverflowError:
        raise QrPayloadError(f"{len(text)} characters do not fit in a QR code") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def read_image(path: str | os.PathLike) -> str:
    """The text of the QR code in the picture at ``path``. Raises ConfigurationError when the
    file cannot be opened as a picture, QrPayloadError when it holds no readable QR code."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            grey = picture.convert("L")
    except (OSError, UnidentifiedImageError) as exc:
        raise ConfigurationError(f"cannot open {path} as a picture: {exc.strerror or exc}") from None
    found = zxingcpp.read_barcode(grey, formats=zxingcpp.BarcodeFormat.QRCode)
    if found is None or not found.valid:
        raise QrPayloadError(f"no readable QR code in {path}")
    return found.text
