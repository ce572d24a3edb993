"""The phone's HCE payment applet: what answers the POS terminal when the phone is tapped.

Physical picture: Android routes every APDU for the PPSE and our AID to the wallet's
HostApduService, which hands the bytes to :meth:`PaymentApplet.process` and sends back what it
returns. The applet holds one token credential (token PAN, expiry, PAR), a transaction counter
(ATC) and its keys: either a batch of limited-use keys from the wallet (the HCE model, see
``phone/keys.py``) or — as the prototype behind the reference dialogues (docs/sources.md) — a static ICC master key.

Two kernel styles, chosen by ``kernel`` (ELKART's real kernel is not public):
  - ``"qvsdc"`` (Visa qVSDC semantics, EMV Contactless Book C-3; four APDUs): SELECT PPSE ->
    SELECT AID (FCI with a PDOL) -> GET PROCESSING OPTIONS, whose answer already carries the
    ARQC -> READ RECORD. Bytes as in the §3.1 trace.
  - ``"mchip"`` (M/Chip semantics, Book C-2; five APDUs): SELECT PPSE -> SELECT AID (no PDOL)
    -> GPO (answer: AIP and AFL only) -> READ RECORD (with CDOL1, tag 8C) -> GENERATE AC with
    the CDOL1 data, whose answer carries the ARQC. Bytes as in the §3.2 trace, except the IAD
    and cryptogram, which follow our one layout in both styles.

The cryptogram input is the same in both styles: amount, amount other, country, TVR, currency,
date, type, unpredictable number (from the PDOL or CDOL1 data), AIP, ATC and the whole IAD
(the CVN 18 layout). The IAD is ``cryptogram.IssuerApplicationData``: CVN ``cryptogram_version``
and, with limited-use keys, the key index and the phone's attested ``device_id``.

Consumer device CVM: the wallet sets ``cdcvm_performed`` when the user unlocked the phone
(PIN, biometric) for this tap. With ``cdcvm_required`` (ELKART Pay: the phone must be unlocked
to pay) a locked phone's applet refuses GPO with 6982 (security status not satisfied): it
produces no cryptogram and spends no key or ATC. The CTQ ``9F6C`` (byte 2 bit 8) tells the
terminal the phone verified its user; the M/Chip style sends it too (a Kernel 2 card would use
DF4B, POS cardholder interaction information: our simplification, so one DE55 serves both).

Choices (simplifications flagged in that note, §8.16): AIP ``0000`` (qVSDC) / ``1880`` (M/Chip);
AFL ``08010100`` (SFI 1, record 1, no ODA); CVR ``03A00000``, not evaluated by the issuer; CID
``80`` (ARQC: always online); GENERATE AC accepts P1 80 (ARQC) only, no CDA.

Status words: 6700 wrong length or malformed frame, 6E00 class not supported, 6D00 instruction
not supported, 6A86 bad P1/P2, 6A82 application or file not found, 6A83 record not found,
6A80 GPO data not in template 83, 6982 phone locked (no consumer device CVM), 6984 no usable
key (an offline wallet spent its batch, or a credential without keys), 6985 GPO/READ RECORD
before SELECT AID, a second GPO or GENERATE AC in the same selection, GENERATE AC before GPO, or
an exhausted ATC. After any error the applet keeps answering.

The fast fidelity asks the same applet the same questions as method calls (``select_ppse`` …
``generate_ac``, answers from ``protocol/emv_objects.py``): the checks and state changes are the
APDU handlers' own (``_begin_transaction``, the key taken per cryptogram), only no bytes are
encoded and the cryptogram is an object saying which key made it over what — no key is derived
and nothing is MACed. The BER-TLV answers are built on the first APDU an applet receives.
"""

from __future__ import annotations

import calendar
from typing import NamedTuple

from elcart_sim.wallet.keys import KeySource
from elcart_sim.protocol.emv import apdu, track2
from elcart_sim.protocol.emv.apdu import PPSE
from elcart_sim.protocol.emv.cryptogram import IssuerApplicationData, derive_session_key, generate_arqc
from elcart_sim.protocol.emv.objects import CardRecord, ChipData, Cryptogram, Fci, GpoAnswer, TerminalData
from elcart_sim.protocol.emv.tlv import encode, encode_constructed
from elcart_sim.scenario.choices import KERNEL_STYLES
from elcart_sim.tokens.credential import TokenCredential

__all__ = [
    "PaymentApplet",
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
]


DEFAULT_AID = bytes.fromhex("F0000004171010")
"""Proprietary (ISO 7816-5 category F) AID; no public ELKART RID exists (docs/sources.md)."""
DEFAULT_LABEL = "ELKART PAY"
DEFAULT_CRYPTOGRAM_VERSION = 0x12
"""CVN 18: the input layout and session-key method are Visa CVN 18's (pyemv-verified)."""

# TTQ, amount, amount other, country, TVR, currency, date, type, UN. The order after the TTQ is
# the CVN 18 cryptogram input order, so the ARQC input is a slice of the PDOL data.
PDOL = bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")
_PDOL_DATA_LEN = 33
# Amount, amount other, country, TVR, currency, date, type, UN, terminal type, CVM results
# (the reference M/Chip-style dialogue, docs/sources.md): the first 29 bytes of its data are the cryptogram's terminal part.
CDOL1 = bytes.fromhex("9F02069F03069F1A0295055F2A029A039C019F37049F35019F3403")
_CDOL1_DATA_LEN = 33
_TERMINAL_PART = 29
AIP = bytes.fromhex("0000")
AIP_MCHIP = bytes.fromhex("1880")
AFL = bytes.fromhex("08010100")
CVR = bytes.fromhex("03A00000")
IAD = IssuerApplicationData(1, DEFAULT_CRYPTOGRAM_VERSION, CVR).to_bytes()
"""The IAD of a static-key applet with CVN 18: ``06011203A00000`` (§3.1)."""
_CID_ARQC = b"\x80"
_CTQ_CDCVM = bytes.fromhex("0080")
_CTQ_NO_CVM = bytes.fromhex("0000")
_LANGUAGES = b"kyruen"  # Kyrgyz, Russian, English (ISO 639-1)

_SW_OK = b"\x90\x00"
_SW_WRONG_LENGTH = b"\x67\x00"
_SW_SECURITY_STATUS = b"\x69\x82"
_SW_NO_USABLE_KEY = b"\x69\x84"
_SW_CONDITIONS = b"\x69\x85"
_SW_WRONG_DATA = b"\x6a\x80"
_SW_NOT_FOUND = b"\x6a\x82"
_SW_RECORD_NOT_FOUND = b"\x6a\x83"
_SW_P1P2 = b"\x6a\x86"
_SW_INS = b"\x6d\x00"
_SW_CLA = b"\x6e\x00"

_SW_BYTES = {
    apdu.SW_SECURITY_STATUS_NOT_SATISFIED: _SW_SECURITY_STATUS,
    apdu.SW_REFERENCE_DATA_NOT_USABLE: _SW_NO_USABLE_KEY,
    apdu.SW_CONDITIONS_NOT_SATISFIED: _SW_CONDITIONS,
}

_IDLE, _PPSE_SELECTED, _APP_SELECTED, _GPO_DONE, _AC_DONE = range(5)

# The object dialogue's constant answers (emv_objects; fast fidelity).
_FCI_QVSDC = Fci(pdol=True)
_FCI_MCHIP = Fci(pdol=False)
_GPO_MCHIP = GpoAnswer(AIP_MCHIP, AFL, None)
_new = tuple.__new__  # builds a named tuple from all its fields without its Python-level __new__ (per-tap hot path)


class _ByteAnswers:
    """The applet's constant answers as BER-TLV, built the first time a byte link asks."""

    __slots__ = ("ppse_fci", "aid_fci", "record_1", "gpo_prefix", "gpo_mchip")

    def __init__(self, applet: PaymentApplet) -> None:
        c = applet.credential
        label_b = applet.label.encode("ascii")
        mchip = applet.kernel == "mchip"
        tag_57 = track2.encode(c.token_pan, c.expiry)
        yy, mm = int(c.expiry[:2]), int(c.expiry[2:])
        last_day = calendar.monthrange(2000 + yy, mm)[1]
        psn_b = bytes.fromhex(f"{c.psn:02d}")
        self.ppse_fci = (
            encode_constructed(
                0x6F,
                encode(0x84, PPSE),
                encode_constructed(
                    0xA5,
                    encode_constructed(
                        0xBF0C,
                        encode_constructed(
                            0x61,
                            encode(0x4F, applet.aid),
                            encode(0x50, label_b),
                            encode(0x87, b"\x01"),
                        ),
                    ),
                ),
            )
            + _SW_OK
        )
        proprietary = [encode(0x50, label_b), encode(0x87, b"\x01"), encode(0x5F2D, _LANGUAGES)]
        if not mchip:
            proprietary.append(encode(0x9F38, PDOL))
        self.aid_fci = encode_constructed(0x6F, encode(0x84, applet.aid), encode_constructed(0xA5, *proprietary)) + _SW_OK
        record = [
            encode(0x57, tag_57),
            encode(0x5A, bytes.fromhex(c.token_pan)),
            encode(0x5F24, bytes.fromhex(f"{c.expiry}{last_day:02d}")),
            encode(0x5F28, bytes.fromhex("0417")),
            encode(0x5F34, psn_b),
            encode(0x9F24, c.par.encode("ascii")),
        ]
        if mchip:
            record.append(encode(0x8C, CDOL1))
        self.record_1 = encode_constructed(0x70, *record) + _SW_OK
        # qVSDC GPO answer: 77 L | 82 AIP | 94 AFL | 57 | 5F34 | 9F10 IAD | 9F26 | 9F27 | 9F36 | 9F6C
        self.gpo_prefix = encode(0x82, AIP) + encode(0x94, AFL) + encode(0x57, tag_57) + encode(0x5F34, psn_b)
        self.gpo_mchip = encode_constructed(0x77, encode(0x82, AIP_MCHIP), encode(0x94, AFL)) + _SW_OK
        longest = len(self.gpo_prefix) + 2 + 15 + 11 + 4 + 5 + 5
        if longest > 0x7F:
            raise ValueError("GPO template exceeds one-byte length; shorten the credential")


class _Profile(NamedTuple):
    """The personalisation an applet shares with every applet personalised alike (a national day
    enrols hundreds of thousands, all with the scheme's one profile): kept once, not per applet."""

    aid: bytes
    label: str
    kernel: str
    cryptogram_version: int
    cdcvm_required: bool
    aip: bytes

    @staticmethod
    def shared(aid: bytes, label: str, kernel: str, cryptogram_version: int, cdcvm_required: bool) -> _Profile:
        key = (aid, label, kernel, cryptogram_version, cdcvm_required)
        profile = _PROFILES.get(key)
        if profile is None:
            profile = _PROFILES[key] = _Profile(*key, AIP_MCHIP if kernel == "mchip" else AIP)
        return profile


_PROFILES: dict[tuple, _Profile] = {}


class PaymentApplet:
    """An HCE payment applet: ``process(command APDU bytes) -> response APDU bytes``, or the same
    dialogue as method calls (``select_ppse`` … ``generate_ac``, see ``emv_objects.ObjectCard``)
    with the same state changes — the fast fidelity's card.

    ``atc`` is the counter before the first transaction; each successful GPO increments it
    first, so a fresh applet's first cryptogram has ATC 1. ``cdcvm_performed`` says whether the
    wallet verified the user (unlock, biometric) before this tap; the wallet may change it
    between taps. ``keys`` is the wallet's limited-use key source (None: the credential's static
    ICC master key); ``device_id`` the phone's attested id written into the IAD with each key.
    The BER-TLV answers are built on the first APDU, so an applet that only ever answers objects
    holds a few references and numbers."""

    __slots__ = ("credential", "_profile", "keys", "device_id", "cdcvm_performed", "_atc", "_state", "_answers")

    def __init__(
        self,
        credential: TokenCredential,
        *,
        aid: bytes = DEFAULT_AID,
        label: str = DEFAULT_LABEL,
        atc: int = 0,
        cdcvm_performed: bool = True,
        cdcvm_required: bool = True,
        kernel: str = "qvsdc",
        cryptogram_version: int = DEFAULT_CRYPTOGRAM_VERSION,
        keys: KeySource | None = None,
        device_id: int = 0,
    ) -> None:
        if not 5 <= len(aid) <= 16:
            raise ValueError(f"aid must be 5-16 bytes, got {len(aid)}")
        if not 0 <= atc <= 0xFFFF:
            raise ValueError(f"atc must be 0-65535, got {atc}")
        if kernel not in KERNEL_STYLES:
            raise ValueError(f"kernel must be one of {', '.join(KERNEL_STYLES)}, got {kernel!r}")
        if not 0 <= cryptogram_version <= 0xFF:
            raise ValueError(f"cryptogram_version must be one byte (0-255), got {cryptogram_version}")
        if not 0 <= device_id <= 0xFFFFFFFF:
            raise ValueError(f"device_id must be 4 bytes (0-4294967295), got {device_id}")
        if not label.isascii():
            raise ValueError(f"label must be ASCII, got {label!r}")
        self.credential = credential
        self._profile = _Profile.shared(bytes(aid), label, kernel, cryptogram_version, cdcvm_required)
        self.keys = keys
        self.device_id = device_id
        self.cdcvm_performed = cdcvm_performed
        self._atc = atc
        self._state = _IDLE
        self._answers: _ByteAnswers | None = None

    # What every applet personalised alike shares (one _Profile), read as the applet's own.
    aid = property(lambda self: self._profile.aid, doc="The application identifier it answers SELECT for.")
    label = property(lambda self: self._profile.label, doc="Application label (tag 50).")
    kernel = property(lambda self: self._profile.kernel, doc="'qvsdc' or 'mchip' (KERNEL_STYLES).")
    cryptogram_version = property(lambda self: self._profile.cryptogram_version, doc="CVN written into the IAD.")
    cdcvm_required = property(lambda self: self._profile.cdcvm_required, doc="Whether a locked phone refuses to pay.")
    _aip = property(lambda self: self._profile.aip)

    @property
    def atc(self) -> int:
        """The Application Transaction Counter of the last GPO (or the starting value)."""
        return self._atc

    def _bytes(self) -> _ByteAnswers:
        answers = self._answers
        if answers is None:
            answers = self._answers = _ByteAnswers(self)
        return answers

    # -- what both dialogues share ------------------------------------------------------------------

    def _has_key(self) -> bool:
        return self.keys.has_key() if self.keys is not None else self.credential.icc_master_key is not None

    def _begin_transaction(self) -> int:
        """GPO's checks and state change: 0 with the ATC incremented, or the refusing status word
        (phone locked: 6982; no usable key: 6984; ATC exhausted: 6985) with nothing spent."""
        if self.cdcvm_required and not self.cdcvm_performed:
            return apdu.SW_SECURITY_STATUS_NOT_SATISFIED
        if not self._has_key():
            return apdu.SW_REFERENCE_DATA_NOT_USABLE
        if self._atc >= 0xFFFF:
            return apdu.SW_CONDITIONS_NOT_SATISFIED
        self._atc += 1
        self._state = _GPO_DONE
        return 0

    # -- the dialogue as APDUs ------------------------------------------------------------------------

    def process(self, command: bytes) -> bytes:
        """Answer one command APDU; never raises for malformed input."""
        n = len(command)
        if n < 4:
            return _SW_WRONG_LENGTH
        cla, ins, p1, p2 = command[0], command[1], command[2], command[3]
        if cla != 0x00 and cla != 0x80:
            return _SW_CLA
        if n <= 5:
            data = b""
        else:
            lc = command[4]
            if lc == 0 or (n != 5 + lc and n != 6 + lc):
                return _SW_WRONG_LENGTH
            data = command[5 : 5 + lc]
        if ins == 0xA8:
            return self._gpo(p1, p2, data) if cla == 0x80 else _SW_CLA
        if ins == 0xB2:
            return self._read_record(p1, p2, data) if cla == 0x00 else _SW_CLA
        if ins == 0xA4:
            return self._select(p1, p2, data) if cla == 0x00 else _SW_CLA
        if ins == 0xAE and self.kernel == "mchip":
            return self._generate_ac(p1, p2, data) if cla == 0x80 else _SW_CLA
        return _SW_INS

    def _select(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x04 or p2 != 0x00:
            return _SW_P1P2
        if data == self.aid:
            self._state = _APP_SELECTED
            return self._bytes().aid_fci
        if data == PPSE:
            self._state = _PPSE_SELECTED
            return self._bytes().ppse_fci
        if not data:
            return _SW_WRONG_LENGTH
        return _SW_NOT_FOUND  # selection unchanged (ISO 7816-4 §7.1.1)

    def _gpo(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x00 or p2 != 0x00:
            return _SW_P1P2
        if self._state != _APP_SELECTED:
            return _SW_CONDITIONS
        if len(data) < 2 or data[0] != 0x83 or data[1] != len(data) - 2:
            return _SW_WRONG_DATA
        expected = 0 if self.kernel == "mchip" else _PDOL_DATA_LEN
        if data[1] != expected:
            return _SW_WRONG_LENGTH
        refused = self._begin_transaction()
        if refused:
            return _SW_BYTES[refused]
        if self.kernel == "mchip":
            return self._bytes().gpo_mchip
        cryptogram = self._cryptogram(data[6:])
        if cryptogram is None:
            return _SW_NO_USABLE_KEY
        iad, arqc, atc_b = cryptogram
        body = (
            self._bytes().gpo_prefix
            + encode(0x9F10, iad)
            + b"\x9f\x26\x08" + arqc
            + encode(0x9F27, _CID_ARQC)
            + b"\x9f\x36\x02" + atc_b
            + encode(0x9F6C, _CTQ_CDCVM if self.cdcvm_performed else _CTQ_NO_CVM)
        )  # fmt: skip
        return b"\x77" + bytes((len(body),)) + body + _SW_OK

    def _cryptogram(self, terminal_part: bytes) -> tuple[bytes, bytes, bytes] | None:
        """(IAD, ARQC, ATC bytes) over the terminal's 29 bytes, with the next key; None if none."""
        atc_b = self._atc.to_bytes(2, "big")
        if self.keys is None:
            master = self.credential.icc_master_key
            if master is None:
                return None
            iad = IssuerApplicationData(1, self.cryptogram_version, CVR).to_bytes()
            session_key = derive_session_key(master, self._atc)
        else:
            key = self.keys.take_key()
            if key is None:
                return None
            iad = IssuerApplicationData(1, self.cryptogram_version, CVR, key.key_index, self.device_id).to_bytes()
            session_key = derive_session_key(key.key, self._atc)
        arqc = generate_arqc(session_key, terminal_part + self._aip + atc_b + iad)
        return iad, arqc, atc_b

    def _generate_ac(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x80 or p2 != 0x00:
            return _SW_P1P2  # ARQC only: this applet always goes online and does no CDA
        if self._state != _GPO_DONE:
            return _SW_CONDITIONS
        if len(data) != _CDOL1_DATA_LEN:
            return _SW_WRONG_LENGTH
        cryptogram = self._cryptogram(data[:_TERMINAL_PART])
        if cryptogram is None:
            return _SW_NO_USABLE_KEY
        self._state = _AC_DONE
        iad, arqc, atc_b = cryptogram
        return (
            encode_constructed(
                0x77,
                encode(0x9F27, _CID_ARQC),
                encode(0x9F36, atc_b),
                encode(0x9F26, arqc),
                encode(0x9F10, iad),
                encode(0x9F6C, _CTQ_CDCVM if self.cdcvm_performed else _CTQ_NO_CVM),
            )
            + _SW_OK
        )

    def _read_record(self, p1: int, p2: int, data: bytes) -> bytes:
        if data:
            return _SW_WRONG_LENGTH
        if p2 & 0x07 != 0x04:
            return _SW_P1P2
        if self._state < _APP_SELECTED:
            return _SW_CONDITIONS
        if p2 >> 3 != 1:
            return _SW_NOT_FOUND
        if p1 != 1:
            return _SW_RECORD_NOT_FOUND
        return self._bytes().record_1

    # -- the same dialogue as objects (emv_objects.ObjectCard; the fast fidelity) --------------------

    def select_ppse(self) -> tuple[bytes, ...]:
        """SELECT PPSE: the AIDs in the directory."""
        self._state = _PPSE_SELECTED
        return (self.aid,)

    def select_aid(self, aid: bytes) -> Fci | int:
        if aid == self.aid:
            self._state = _APP_SELECTED
            return _FCI_MCHIP if self.kernel == "mchip" else _FCI_QVSDC
        return apdu.SW_WRONG_LENGTH if not aid else apdu.SW_FILE_NOT_FOUND

    def get_processing_options(self, terminal: TerminalData | None) -> GpoAnswer | int:
        """GPO with the PDOL data (``terminal``; None: no PDOL, as the M/Chip style asks)."""
        if self._state != _APP_SELECTED:
            return apdu.SW_CONDITIONS_NOT_SATISFIED
        mchip = self.kernel == "mchip"
        if (terminal is None) is not mchip:
            return apdu.SW_WRONG_LENGTH
        refused = self._begin_transaction()
        if refused:
            return refused
        if mchip:
            return _GPO_MCHIP
        chip = self._chip_data(terminal)  # type: ignore[arg-type]
        if chip is None:
            return apdu.SW_REFERENCE_DATA_NOT_USABLE
        return _new(GpoAnswer, (AIP, AFL, chip))

    def read_record(self, sfi: int, record: int) -> CardRecord | int:
        if self._state < _APP_SELECTED:
            return apdu.SW_CONDITIONS_NOT_SATISFIED
        if sfi != 1:
            return apdu.SW_FILE_NOT_FOUND
        if record != 1:
            return apdu.SW_RECORD_NOT_FOUND
        c = self.credential
        return _new(CardRecord, (track2.encode(c.token_pan, c.expiry), c.token_pan, c.expiry, c.psn, c.par, self.kernel == "mchip"))

    def generate_ac(self, terminal: TerminalData) -> ChipData | int:
        """GENERATE AC (ARQC) with the CDOL1 data: the M/Chip style's cryptogram."""
        if self.kernel != "mchip":
            return apdu.SW_INS_NOT_SUPPORTED
        if self._state != _GPO_DONE:
            return apdu.SW_CONDITIONS_NOT_SATISFIED
        chip = self._chip_data(terminal)
        if chip is None:
            return apdu.SW_REFERENCE_DATA_NOT_USABLE
        self._state = _AC_DONE
        return chip

    def _chip_data(self, terminal: TerminalData) -> ChipData | None:
        """The chip data of this transaction with the next key (``_cryptogram`` as an object: the
        key is taken, but no key bytes are derived and nothing is MACed); None if no key."""
        if self.keys is None:
            if self.credential.icc_master_key is None:
                return None
            key_token = key_index = device_id = None
        else:
            key = self.keys.take_key()
            if key is None:
                return None
            key_token, key_index, device_id = key.token_pan, key.key_index, self.device_id
        atc, version = self._atc, self.cryptogram_version
        over = (terminal, self._aip, atc, version, key_index, device_id)
        cryptogram = _new(Cryptogram, (key_token, key_index, over))
        return _new(ChipData, (terminal, self._aip, atc, version, key_index, device_id, self.cdcvm_performed, cryptogram))
