"""Pure protocol code: BER-TLV, APDUs, EMV tags, cryptograms and ISO 8583 host messages.

Nothing here knows about time or randomness: callers pass data in and get data out, so the
same code serves the SimPy model, a vpcd virtual card and a real reader. Modules:
``tlv`` (EMV Book 3 Annex B), ``emv_tags`` (Book 3 Annex A), ``apdu`` (ISO/IEC 7816-4),
``luhn`` (ISO/IEC 7812), ``cryptogram`` (card side, Book 2 A1, and our limited-use keys),
``arqc_verify`` (issuer side, via pyemv), ``iso8583`` (the ELKART host spec, ``host_spec.md``),
``icc_data`` (DE55 read strictly), ``decline_reasons`` (DE44) and ``qr`` (payment QR codes:
ELQR and EMVCo merchant-presented, over one TLV reader).
"""

from elcart_sim.protocol import iso8583, luhn, qr
from elcart_sim.protocol.emv import apdu, arqc_verify, cryptogram, icc_data, tlv
from elcart_sim.protocol.emv import tags as emv_tags
from elcart_sim.protocol.emv.apdu import PPSE, CommandApdu, ResponseApdu
from elcart_sim.protocol.emv.arqc_verify import generate_arpc, verify_arqc
from elcart_sim.protocol.emv.cryptogram import (
    arqc_input,
    derive_icc_master_key,
    derive_session_key,
    generate_arqc,
)
from elcart_sim.protocol.emv.tags import describe
from elcart_sim.protocol.emv.tlv import Tlv
from elcart_sim.protocol.iso8583 import ResponseCode, TokenData, decline_reasons
from elcart_sim.protocol.luhn import is_luhn_valid, luhn_check_digit

__all__ = [
    "apdu",
    "arqc_verify",
    "cryptogram",
    "decline_reasons",
    "emv_tags",
    "icc_data",
    "iso8583",
    "luhn",
    "qr",
    "tlv",
    "PPSE",
    "CommandApdu",
    "ResponseApdu",
    "Tlv",
    "describe",
    "derive_icc_master_key",
    "derive_session_key",
    "generate_arqc",
    "arqc_input",
    "verify_arqc",
    "generate_arpc",
    "ResponseCode",
    "TokenData",
    "luhn_check_digit",
    "is_luhn_valid",
]
