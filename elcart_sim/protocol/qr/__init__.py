"""Payment QR codes: Kyrgyzstan's ELQR links and EMVCo merchant-presented codes, pure.

Physical picture: a code on a sticker, a till's screen or a friend's phone that a banking app
scans to pay or to transfer. ``tlv`` reads and writes the row of two-digit IDs both formats
share; ``elqr`` is the national format (a link, SHA-256 check, amounts in tyiyn; ``p2p_payload``
makes a person-to-person code with an opaque recipient id); ``emvco`` the international
merchant format (decimal amounts, CRC-16); ``kinds`` tells them apart; ``image`` draws a code
as a PNG (segno) and reads one from a picture (zxing-cpp). Nothing here knows about time or
randomness. Faults raise ``QrPayloadError`` naming the ID; a code never carries a full card
number (``tlv.refuse_card_numbers``).
"""

from elcart_sim.protocol.qr import elqr, emvco, image, kinds, tlv
from elcart_sim.protocol.qr.elqr import ElqrPayload, p2p_payload
from elcart_sim.protocol.qr.emvco import EmvcoPayload, merchant_account
from elcart_sim.protocol.qr.image import read_image, to_png
from elcart_sim.protocol.qr.kinds import KINDS, decode_any, kind_of

__all__ = [
    "elqr",
    "emvco",
    "image",
    "kinds",
    "tlv",
    "ElqrPayload",
    "EmvcoPayload",
    "KINDS",
    "decode_any",
    "kind_of",
    "merchant_account",
    "p2p_payload",
    "read_image",
    "to_png",
]
