"""What the phone's payment applet answers, as its personalisation makes it: the data objects of
each answer, as TLV objects (the bytes are made only when a byte link asks, ``apdu_format.py``).

Physical picture: when the token service provisions ELKART Pay on a phone, the applet is
personalised with the scheme's card profile — AID, label, kernel style, cryptogram version —
and the token's own data (token PAN, expiry, PSN, PAR). Every answer to the terminal is built
from these: the PPSE directory, the FCI of our application with its PDOL, the record with the
token data, and the answer carrying the cryptogram. Layouts of a qVSDC card (EMV Contactless
Book C-3) and an M/Chip card (Book C-2), checked byte for byte against reference traces in
tests/test_applet.py; tags from EMV 4.4 Book 3 Annex A.

Our simplifications: AIP ``0000`` (qVSDC) / ``1880`` (M/Chip);
AFL ``08010100`` (SFI 1, record 1, no ODA); CVR ``03A00000``, not evaluated by the issuer; CID
``80`` (ARQC: always online). The CTQ ``9F6C`` (byte 2 bit 8) tells the terminal the phone
verified its user; the M/Chip style sends it too (a Kernel 2 card would use DF4B, POS cardholder
interaction information: our simplification, so one DE55 serves both styles).

Tag 57 is held as its parts (``track2.Track2``) and the cryptogram as what it is made of
(``cryptogram.ApplicationCryptogram``): their bytes are made only when an answer is encoded.

The answers every applet personalised alike shares (a national day enrols hundreds of thousands,
all with the scheme's one profile) are kept once, in its :class:`Profile`; the token's own
answers are built when asked, so an applet holds no answer of its own.
"""

from __future__ import annotations

import calendar
from functools import cache
from typing import NamedTuple

from elcart_sim.protocol.emv import apdu
from elcart_sim.protocol.emv.apdu import PPSE, ResponseApdu
from elcart_sim.protocol.emv.cryptogram import ApplicationCryptogram, IssuerApplicationData
from elcart_sim.protocol.emv.tlv import Tlv, template
from elcart_sim.protocol.emv.track2 import Track2
from elcart_sim.tokens.credential import TokenCredential

__all__ = [
    "Profile",
    "DEFAULT_AID",
    "DEFAULT_LABEL",
    "DEFAULT_CRYPTOGRAM_VERSION",
    "PDOL",
    "CDOL1",
    "AIP",
    "AIP_MCHIP",
    "AFL",
    "IAD",
    "CVR",
    "PDOL_DATA_LEN",
    "CDOL1_DATA_LEN",
    "TERMINAL_PART",
    "record",
    "gpo_with_cryptogram",
    "generate_ac",
]

DEFAULT_AID = bytes.fromhex("F0000004171010")
"""Proprietary (ISO 7816-5 category F) AID: no public ELKART RID exists."""
DEFAULT_LABEL = "ELKART PAY"
DEFAULT_CRYPTOGRAM_VERSION = 0x12
"""CVN 18: the input layout and session-key method are Visa CVN 18's (pyemv-verified)."""

# TTQ, amount, amount other, country, TVR, currency, date, type, UN. The order after the TTQ is
# the CVN 18 cryptogram input order, so the ARQC input is a slice of the PDOL data.
PDOL = bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")
PDOL_DATA_LEN = 33
# Amount, amount other, country, TVR, currency, date, type, UN, terminal type, CVM results:
# the first 29 bytes of its data are the cryptogram's terminal part.
CDOL1 = bytes.fromhex("9F02069F03069F1A0295055F2A029A039C019F37049F35019F3403")
CDOL1_DATA_LEN = 33
TERMINAL_PART = 29
AIP = bytes.fromhex("0000")
AIP_MCHIP = bytes.fromhex("1880")
AFL = bytes.fromhex("08010100")
CVR = bytes.fromhex("03A00000")
IAD = IssuerApplicationData(1, DEFAULT_CRYPTOGRAM_VERSION, CVR).to_bytes()
"""The IAD of a static-key applet with CVN 18: ``06011203A00000``."""
_LANGUAGES = b"kyruen"  # Kyrgyz, Russian, English (ISO 639-1)
_SW_OK = apdu.SW_OK

_new = tuple.__new__  # a Tlv or an answer from all its fields, without the named tuple's Python-level __new__ (per tap)


def _tlv(tag: int, value: object) -> Tlv:
    return _new(Tlv, (tag, value, None))


def _ok(*objects: Tlv) -> ResponseApdu:
    return _new(ResponseApdu, (objects, _SW_OK))


_CID_ARQC = _tlv(0x9F27, b"\x80")
_CTQ = {True: _tlv(0x9F6C, bytes.fromhex("0080")), False: _tlv(0x9F6C, bytes.fromhex("0000"))}  # CDCVM performed or not
_AFL = _tlv(0x94, AFL)
_PSN = tuple(_tlv(0x5F34, bytes.fromhex(f"{psn:02d}")) for psn in range(100))
_CDOL1 = _tlv(0x8C, CDOL1)
_ISSUER_COUNTRY = _tlv(0x5F28, bytes.fromhex("0417"))  # Kyrgyzstan (ISO 3166 numeric, n3)


@cache
def _expiry_date(expiry: str) -> Tlv:
    """5F24: the token's expiry as YYMMDD, the last day of its month (the few expiries of a run, kept)."""
    yy, mm = int(expiry[:2]), int(expiry[2:])
    return _tlv(0x5F24, bytes.fromhex(f"{expiry}{calendar.monthrange(2000 + yy, mm)[1]:02d}"))


class Profile(NamedTuple):
    """The personalisation an applet shares with every applet personalised alike, and the
    answers that follow from it alone: kept once per profile (:meth:`shared`), not per applet."""

    aid: bytes
    label: str
    kernel: str
    cryptogram_version: int
    cdcvm_required: bool
    aip: bytes
    mchip: bool
    ppse_fci: ResponseApdu  # SELECT PPSE: the directory with our one application
    aid_fci: ResponseApdu  # SELECT AID: the FCI, with the PDOL in the qVSDC style
    gpo_mchip: ResponseApdu  # GPO of the M/Chip style: AIP and AFL, the cryptogram comes later
    aip_object: Tlv
    iad: bytes  # 9F10 without limited-use key data (IssuerApplicationData.with_key adds it)

    @staticmethod
    def shared(aid: bytes, label: str, kernel: str, cryptogram_version: int, cdcvm_required: bool) -> Profile:
        key = (aid, label, kernel, cryptogram_version, cdcvm_required)
        profile = _PROFILES.get(key)
        if profile is None:
            profile = _PROFILES[key] = _profile(*key)
        return profile


_PROFILES: dict[tuple, Profile] = {}


def _profile(aid: bytes, label: str, kernel: str, cryptogram_version: int, cdcvm_required: bool) -> Profile:
    mchip = kernel == "mchip"
    aip = AIP_MCHIP if mchip else AIP
    label_b = label.encode("ascii")
    entry = template(0x61, _tlv(0x4F, aid), _tlv(0x50, label_b), _tlv(0x87, b"\x01"))
    ppse_fci = _ok(template(0x6F, _tlv(0x84, PPSE), template(0xA5, template(0xBF0C, entry))))
    proprietary = [_tlv(0x50, label_b), _tlv(0x87, b"\x01"), _tlv(0x5F2D, _LANGUAGES)]
    if not mchip:
        proprietary.append(_tlv(0x9F38, PDOL))
    aid_fci = _ok(template(0x6F, _tlv(0x84, aid), template(0xA5, *proprietary)))
    aip_object = _tlv(0x82, aip)
    gpo_mchip = _ok(template(0x77, aip_object, _AFL))
    iad = IssuerApplicationData(1, cryptogram_version, CVR).to_bytes()
    return Profile(aid, label, kernel, cryptogram_version, cdcvm_required, aip, mchip, ppse_fci, aid_fci, gpo_mchip, aip_object, iad)


def record(credential: TokenCredential, mchip: bool) -> ResponseApdu:
    """READ RECORD SFI 1 record 1: the token data (57, 5A, 5F24, 5F28, 5F34, 9F24), and the
    CDOL1 (8C) in the M/Chip style."""
    c = credential
    objects = (
        _new(Tlv, (0x57, Track2.of(c.token_pan, c.expiry), None)),
        _new(Tlv, (0x5A, bytes.fromhex(c.token_pan), None)),
        _expiry_date(c.expiry),
        _ISSUER_COUNTRY,
        _PSN[c.psn],
        _new(Tlv, (0x9F24, c.par.encode("ascii"), None)),
    )
    if mchip:
        objects += (_CDOL1,)
    return _new(ResponseApdu, ((_new(Tlv, (0x70, None, objects)),), _SW_OK))


def gpo_with_cryptogram(
    profile: Profile, credential: TokenCredential, iad: bytes, atc: bytes, cryptogram: ApplicationCryptogram, cdcvm: bool
) -> ResponseApdu:
    """GPO of the qVSDC style: 77 | 82 AIP | 94 AFL | 57 | 5F34 | 9F10 IAD | 9F26 | 9F27 | 9F36 | 9F6C."""
    c = credential
    objects = (
        profile.aip_object,
        _AFL,
        _new(Tlv, (0x57, Track2.of(c.token_pan, c.expiry), None)),
        _PSN[c.psn],
        _new(Tlv, (0x9F10, iad, None)),
        _new(Tlv, (0x9F26, cryptogram, None)),
        _CID_ARQC,
        _new(Tlv, (0x9F36, atc, None)),
        _CTQ[cdcvm],
    )
    return _new(ResponseApdu, ((_new(Tlv, (0x77, None, objects)),), _SW_OK))


def generate_ac(iad: bytes, atc: bytes, cryptogram: ApplicationCryptogram, cdcvm: bool) -> ResponseApdu:
    """GENERATE AC of the M/Chip style: 77 | 9F27 | 9F36 | 9F26 | 9F10 IAD | 9F6C."""
    objects = (
        _CID_ARQC,
        _new(Tlv, (0x9F36, atc, None)),
        _new(Tlv, (0x9F26, cryptogram, None)),
        _new(Tlv, (0x9F10, iad, None)),
        _CTQ[cdcvm],
    )
    return _new(ResponseApdu, ((_new(Tlv, (0x77, None, objects)),), _SW_OK))
