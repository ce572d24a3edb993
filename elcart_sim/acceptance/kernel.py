"""The POS terminal's contactless kernel: the card dialogue of one tap, as pure data.

Physical picture: a shopper holds a phone to the reader; the kernel runs the EMV contactless
dialogue - SELECT PPSE (which payment apps are there?), SELECT AID (ours; tell me your PDOL),
GET PROCESSING OPTIONS (here is the amount, date and a fresh unpredictable number; a qVSDC-style
phone answers with its ARQC), READ RECORD per AFL, and - when the GPO answer held no cryptogram
but a record gave a CDOL1 (M/Chip style) - GENERATE AC with the CDOL1 data, whose answer holds
the ARQC. It leaves with what the acquirer needs for an online authorisation: token PAN, expiry,
PSN, track 2 and DE55 ICC data. Flow per EMV Contactless Book B (entry point), Book C-3 (Kernel
3, qVSDC) and Book C-2 (Kernel 2, M/Chip), online only; DOL filling per EMV 4.4 Book 3 §5.4.
Sources: docs/sources.md (Standards).

Two checks of ELKART's security model run here. Relay resistance: the round trip of the command
that produced the cryptogram (GPO or GENERATE AC) must not exceed ``max_cryptogram_rtt_s`` - a
relay between a victim's phone and a distant terminal adds network time to every exchange
(the idea of Mastercard's relay resistance protocol, applied to the cryptogram command; our
model). Consumer device CVM: with ``require_cdcvm`` the card must say (CTQ 9F6C byte 2 bit 8)
that it verified its user; a locked ELKART Pay phone refuses GPO with 6982 before that. Card
answers with tags the kernel does not know are not an error: EMV terminals ignore them (Book 3
§5.3); it is the host that refuses unknown tags in DE55.

The kernel is pure: the link returns each answer with its round-trip duration, and the
outcome sums them into ``nfc_s``; the checkout around it (pos.py) adds the time. A card answer
that is wrong (bad status word, malformed TLV, missing tag) is not an exception but an outcome
``'terminated'`` whose reason names the APDU and the problem. So is a torn tap - the phone
taken away while the terminal waits for an answer (the link raises ``CardRemovedError``): that
is what a shopper does, not a fault, so the outcome is ``'terminated'`` — no security check
stopped it, so ``check`` stays empty — with the exchanges answered before the tear and their time. Other link failures (LinkError: reader
removed, pcscd gone, a broken sampler) are faults and propagate to the caller.

In the fast fidelity (``ContactlessKernel(objects=True)``) a tap over an :class:`ObjectNfcLink`
— the plain simulated link to a phone in this process — runs the same dialogue as method calls
on the card (``protocol/emv_objects.py``): the same commands in the same order, the same state
changes on the phone, one duration drawn per exchange, the same outcome, reason and check; the
exchanges are :class:`ExchangeRecord` (name, status word, duration: no APDU bytes) and the ICC
data a :class:`~elcart_sim.protocol.emv.objects.ChipData` instead of BER-TLV. Any other link
carries bytes.

Records must not store ``exchanges`` responses, ``track2`` or ``token_pan`` unredacted: they
carry the token PAN. Use :func:`elcart_sim.protocol.emv.tags.describe` for traces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from elcart_sim.core.errors import ApduError, CardRemovedError, KernelError, TlvError, Track2Error
from elcart_sim.protocol.emv import apdu, tlv, track2
from elcart_sim.protocol.emv.objects import CardRecord, ChipData, TerminalData
from elcart_sim.protocol.emv.tags import build_dol_data, tag_name
from elcart_sim.acceptance.nfc_link import NfcLink, ObjectNfcLink

__all__ = ["TerminalConfig", "ContactlessKernel", "KernelOutcome", "ApduExchange", "ExchangeRecord", "DE55_TAGS"]

DE55_TAGS: tuple[int, ...] = (
    0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C,
    0x9F02, 0x5F2A, 0x82, 0x9F1A, 0x9F03, 0x9F6C,
)  # fmt: skip
"""ICC data sent online in DE55, in this order (9F6C only if the card gave a CTQ)."""

_REQUIRED: tuple[tuple[int, int | None], ...] = (
    (0x57, None),
    (0x82, 2),
    (0x9F10, None),
    (0x9F26, 8),
    (0x9F27, 1),
    (0x9F36, 2),
)
_TERMINAL_TAGS = frozenset({0x9F37, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x9F1A, 0x9F03})


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    """Static kernel parameters of one POS terminal.

    ``ttq`` 36004000: byte 1 = EMV mode (qVSDC) + contact chip + online PIN + signature
    supported; byte 3 bit 7 = consumer device CVM supported (Book C-3 TTQ table).
    ``terminal_type`` 22 (n2, EMV Book 4 Annex A1): attended, merchant, offline with online capability.
    ``cvm_results`` 1F0302 (9F34, for a CDOL1): no CVM required, successful (the reference M/Chip-style dialogue, docs/sources.md).
    ``max_cryptogram_rtt_s``: relay-resistance limit on the cryptogram command (None: no check).
    ``require_cdcvm``: terminate unless the card says it verified its user (CTQ)."""

    aid: bytes = bytes.fromhex("F0000004171010")
    ttq: bytes = bytes.fromhex("36004000")
    country_code: int = 417
    currency_code: int = 417
    transaction_type: int = 0x00  # purchase
    terminal_type: int = 22
    tvr: bytes = bytes(5)
    cvm_results: bytes = bytes.fromhex("1F0302")
    max_cryptogram_rtt_s: float | None = None
    require_cdcvm: bool = False

    def __post_init__(self) -> None:
        if not 5 <= len(self.aid) <= 16:
            raise ValueError(f"TerminalConfig.aid must be 5-16 bytes, got {len(self.aid)}")
        if len(self.ttq) != 4:
            raise ValueError(f"TerminalConfig.ttq must be 4 bytes, got {len(self.ttq)}")
        if len(self.tvr) != 5:
            raise ValueError(f"TerminalConfig.tvr must be 5 bytes, got {len(self.tvr)}")
        for name in ("country_code", "currency_code"):
            if not 0 <= getattr(self, name) <= 999:
                raise ValueError(f"TerminalConfig.{name} must be 0-999, got {getattr(self, name)}")
        if not 0 <= self.transaction_type <= 99:
            raise ValueError("TerminalConfig.transaction_type must be 0-99 (n2)")
        if not 0 <= self.terminal_type <= 99:
            raise ValueError("TerminalConfig.terminal_type must be 0-99 (n2)")
        if len(self.cvm_results) != 3:
            raise ValueError(f"TerminalConfig.cvm_results must be 3 bytes, got {len(self.cvm_results)}")
        if self.max_cryptogram_rtt_s is not None and not self.max_cryptogram_rtt_s > 0:
            raise ValueError(f"TerminalConfig.max_cryptogram_rtt_s must be > 0 or None, got {self.max_cryptogram_rtt_s}")


@dataclass(frozen=True, slots=True)
class ApduExchange:
    """One command/response pair on the NFC link and its round-trip duration."""

    name: str
    command: bytes
    response: bytes = field(repr=False)
    duration_s: float


class ExchangeRecord(NamedTuple):
    """One exchange of the object dialogue (fast fidelity): its name, no command bytes, the
    status word the card answered with (``response``: 2 bytes) and its round-trip duration."""

    name: str
    command: bytes
    response: bytes
    duration_s: float


class KernelOutcome(NamedTuple):
    """Result of one tap (immutable; a named tuple, so the object dialogue makes one cheaply).

    - ``exchanges``: every APDU sent, in order, with the card's raw answer and its duration
    - ``nfc_s``: sum of the exchanges' durations, seconds
    - ``outcome``: 'online' (go for authorisation) or 'terminated'
    - ``reason``: '' when online; else the APDU (or 'card data') and what was wrong
    - ``token_pan``: PAN from track 2 (57), checked against 5A if present
    - ``expiry``: 'YYMM' from track 2, checked against 5F24 if present
    - ``psn``: PAN sequence number (5F34), None if the card sent none
    - ``track2``: tag 57 value as sent (BCD, 'D' separator, 'F' pad): see de35_from_track2
    - ``par``: Payment Account Reference (9F24), None if absent
    - ``atc``: Application Transaction Counter (9F36)
    - ``icc_data``: DE55: BER-TLV of DE55_TAGS in that order, terminal values for its own tags
      (the object dialogue: the same as a ChipData)
    - ``cdcvm_performed``: CTQ (9F6C) byte 2 bit 8: the phone verified its user
    - ``check``: when terminated by one of the modelled security checks, its name
      ('device_cvm', 'relay_timing', 'limited_use_keys'; see protocol/decline_reasons.CHECKS)

    On 'terminated' only exchanges, nfc_s, outcome, reason and check are set. The repr leaves
    out the exchanges, the token PAN, track 2 and the ICC data."""

    exchanges: tuple[ApduExchange | ExchangeRecord, ...]
    nfc_s: float
    outcome: str
    reason: str = ""
    token_pan: str | None = None
    expiry: str | None = None  # 'YYMM'
    psn: int | None = None
    track2: bytes | None = None  # tag 57 as sent by the card
    par: str | None = None
    atc: int | None = None
    icc_data: bytes | ChipData = b""  # DE55: BER-TLV of DE55_TAGS
    cdcvm_performed: bool = False
    check: str = ""

    def __repr__(self) -> str:
        return (
            f"KernelOutcome(nfc_s={self.nfc_s!r}, outcome={self.outcome!r}, reason={self.reason!r}, expiry={self.expiry!r}, "
            f"psn={self.psn!r}, par={self.par!r}, atc={self.atc!r}, cdcvm_performed={self.cdcvm_performed!r}, check={self.check!r})"
        )


def _bcd(value: int, digits: int) -> bytes:
    return bytes.fromhex(f"{value:0{digits}d}")


def _digits(value: bytes) -> str | None:
    text = value.hex().upper()
    return text if text.isdigit() else None


class _Terminate(KernelError):
    """Ends the dialogue; ``check`` names the security check that ended it, if one did."""

    def __init__(self, reason: str, check: str = ""):
        super().__init__(reason)
        self.check = check


# A refusal of the cryptogram command with these status words is a modelled security check.
_SW_CHECKS = {
    apdu.SW_SECURITY_STATUS_NOT_SATISFIED: "device_cvm",  # the phone is locked
    apdu.SW_REFERENCE_DATA_NOT_USABLE: "limited_use_keys",  # the wallet has no usable key
}
_CRYPTOGRAM_COMMANDS = ("GPO", "GENERATE AC")


def _refusal(name: str, sw: int) -> _Terminate:
    """The card refused command ``name`` with status word ``sw``."""
    check = _SW_CHECKS.get(sw, "") if name in _CRYPTOGRAM_COMMANDS else ""
    return _Terminate(f"{name}: card answered SW {sw:04X} ({apdu.describe_status_word(sw)})", check)


def _afl_records(afl: bytes) -> list[tuple[int, int]]:
    """(SFI, record) of every record the AFL (94) names, in order."""
    if len(afl) % 4:
        raise KernelError(f"GPO: AFL (94) is {len(afl)} bytes, not a multiple of 4")
    out = []
    for i in range(0, len(afl), 4):
        sfi, first, last = afl[i] >> 3, afl[i + 1], afl[i + 2]
        if not (1 <= sfi <= 30 and 1 <= first <= last):
            raise KernelError(f"GPO: AFL entry {afl[i:i + 4].hex().upper()} is invalid")
        out += [(sfi, record) for record in range(first, last + 1)]
    return out


_SW_OK_BYTES = b"\x90\x00"
_new = tuple.__new__  # builds a named tuple from all its fields without its Python-level __new__ (per-tap hot path)
_NO_CDCVM = "card data: the phone did not verify its user (CTQ 9F6C: no consumer device CVM)"


class _Dialogue:
    """The APDUs of one tap; collects exchanges and raises KernelError to terminate."""

    __slots__ = ("link", "exchanges", "step")

    def __init__(self, link: NfcLink) -> None:
        self.link = link
        self.exchanges: list[ApduExchange] = []
        self.step = ""

    def run(self, name: str, command: apdu.CommandApdu, template: int) -> list[tlv.Tlv]:
        self.step = name
        raw = command.to_bytes()
        response, duration_s = self.link.transceive(raw)
        self.exchanges.append(ApduExchange(name, raw, response, duration_s))
        answer = apdu.ResponseApdu.parse(response)
        if answer.sw != apdu.SW_OK:
            raise _refusal(name, answer.sw)
        tlvs = tlv.decode(answer.data)
        if not tlvs or tlvs[0].tag != template:
            found = f"{tlvs[0].tag:X}" if tlvs else "no data"
            raise KernelError(f"{name}: expected template {template:X}, got {found}")
        return tlvs


class ContactlessKernel:
    """Runs the card dialogue of one tap for a terminal configured by ``config``; with
    ``objects`` (the fast fidelity) as objects over an ObjectNfcLink."""

    def __init__(self, config: TerminalConfig | None = None, *, objects: bool = False) -> None:
        self.config = config or TerminalConfig()
        self.objects = objects
        c = self.config
        self._checked_date = ""
        self._records: dict[bytes, tuple[tuple[int, int, str], ...]] = {}  # AFL -> (SFI, record, name)
        self._static_digits = (f"{0:012d}", f"{c.country_code:04d}", c.tvr, f"{c.currency_code:04d}", f"{c.transaction_type:02d}")
        self._static_values = {
            0x9F66: c.ttq,
            0x9F03: bytes(6),
            0x9F1A: _bcd(c.country_code, 4),
            0x95: c.tvr,
            0x5F2A: _bcd(c.currency_code, 4),
            0x9C: _bcd(c.transaction_type, 2),
            0x9F35: _bcd(c.terminal_type, 2),
            0x9F34: c.cvm_results,
        }

    def perform(
        self,
        link: NfcLink,
        amount_tyiyn: int,
        transaction_date: str,
        unpredictable_number: bytes,
    ) -> KernelOutcome:
        """One tap. ``transaction_date`` is 'YYMMDD'; ``unpredictable_number`` 4 fresh bytes."""
        if not 0 <= amount_tyiyn <= 999_999_999_999:
            raise ValueError(f"amount_tyiyn must be 0-999999999999, got {amount_tyiyn}")
        if transaction_date != self._checked_date and not (
            len(transaction_date) == 6
            and transaction_date.isascii()
            and transaction_date.isdigit()
            and 1 <= int(transaction_date[2:4]) <= 12
            and 1 <= int(transaction_date[4:]) <= 31
        ):
            raise ValueError(f"transaction_date must be 'YYMMDD', got {transaction_date!r}")
        self._checked_date = transaction_date  # a day's taps share one date: check it once
        if len(unpredictable_number) != 4:
            raise ValueError(
                f"unpredictable_number must be 4 bytes, got {len(unpredictable_number)}"
            )
        if self.objects and type(link) is ObjectNfcLink:
            return self._perform_objects(link, amount_tyiyn, transaction_date, unpredictable_number)
        terminal = dict(self._static_values)
        terminal[0x9F02] = _bcd(amount_tyiyn, 12)
        terminal[0x9A] = bytes.fromhex(transaction_date)
        terminal[0x9F37] = bytes(unpredictable_number)
        d = _Dialogue(link)
        try:
            return self._dialogue(d, terminal)
        except KernelError as e:
            return self._terminated(d, str(e), getattr(e, "check", ""))
        except (TlvError, ApduError) as e:
            return self._terminated(d, f"{d.step}: malformed answer: {e}")
        except CardRemovedError as e:  # torn: the command d.step got no answer
            return self._terminated(d, f"{d.step}: no answer, the card or phone left the reader (torn): {e}")

    @staticmethod
    def _terminated(d: _Dialogue, reason: str, check: str = "") -> KernelOutcome:
        exchanges = tuple(d.exchanges)
        return KernelOutcome(
            exchanges, sum(x.duration_s for x in exchanges), "terminated", reason, check=check
        )

    def _check_relay(self, d: _Dialogue) -> None:
        self._check_relay_of(d.exchanges[-1])

    def _check_relay_of(self, last: ApduExchange | ExchangeRecord) -> None:
        limit = self.config.max_cryptogram_rtt_s
        if limit is not None and last.duration_s > limit:
            raise _Terminate(
                f"{last.name}: relay resistance: the cryptogram took {last.duration_s * 1000:.1f} ms, "
                f"limit {limit * 1000:.1f} ms",
                "relay_timing",
            )

    def _dialogue(self, d: _Dialogue, terminal: dict[int, bytes]) -> KernelOutcome:
        aid = self.config.aid
        # Entry point: is our application in the phone's PPSE directory?
        ppse = d.run("SELECT PPSE", apdu.select(apdu.PPSE), 0x6F)
        offered = [tlv.flatten(e.children or ()).get(0x4F, b"") for e in tlv.find_all(ppse, 0x61)]
        if aid not in offered:
            listed = ", ".join(a.hex().upper() for a in offered) or "none"
            raise KernelError(f"SELECT PPSE: AID {aid.hex().upper()} not offered ({listed})")

        fci = tlv.flatten(d.run("SELECT AID", apdu.select(aid), 0x6F))
        if fci.get(0x84) != aid:
            raise KernelError("SELECT AID: DF name (84) does not match the selected AID")
        pdol_data = build_dol_data(tlv.parse_dol(fci.get(0x9F38, b"")), terminal)
        if len(pdol_data) > 252:
            raise KernelError(f"SELECT AID: PDOL asks for {len(pdol_data)} bytes; a GPO holds 252")

        gpo = d.run("GPO", apdu.get_processing_options(pdol_data), 0x77)
        card = tlv.flatten(gpo)
        if 0x9F26 in card:
            self._check_relay(d)
        for sfi, record in _afl_records(card.get(0x94, b"")):
            name = f"READ RECORD SFI {sfi} REC {record}"
            tlv.flatten(d.run(name, apdu.read_record(record, sfi), 0x70), card)
        if 0x9F26 not in card and 0x8C in card:
            d.step = "card data"
            cdol1_data = build_dol_data(tlv.parse_dol(card[0x8C]), terminal)
            if len(cdol1_data) > 255:
                raise KernelError(f"card data: CDOL1 asks for {len(cdol1_data)} bytes; GENERATE AC holds 255")
            answer = d.run("GENERATE AC", apdu.generate_ac(apdu.AC_ARQC, cdol1_data), 0x77)
            self._check_relay(d)
            for tag, value in tlv.flatten(answer).items():
                card[tag] = value  # the GENERATE AC answer is the card's last word on these tags
        return self._online(d, terminal, card)

    def _online(
        self, d: _Dialogue, terminal: dict[int, bytes], card: dict[int, bytes]
    ) -> KernelOutcome:
        d.step = "card data"
        for tag, length in _REQUIRED:
            value = card.get(tag)
            if value is None:
                raise KernelError(f"card data: required tag {tag:X} ({tag_name(tag)}) missing")
            if length is not None and len(value) != length:
                raise KernelError(
                    f"card data: tag {tag:X} ({tag_name(tag)}) is {len(value)} bytes, "
                    f"expected {length}"
                )
        cid = card[0x9F27][0] & 0xC0
        if cid == 0x00:
            raise KernelError("card data: card declined offline (CID 00 = AAC)")
        if cid != 0x80:
            raise KernelError(
                f"card data: CID {cid:02X} is not an ARQC; this kernel is online-only"
            )

        track2_data = card[0x57]
        try:
            pan, expiry, _service_code, _discretionary = track2.decode(track2_data)
        except Track2Error as e:
            raise KernelError(f"card data: {e}") from None
        if 0x5A in card and card[0x5A].hex().upper().rstrip("F") != pan:
            raise KernelError("card data: PAN (5A) differs from track 2 (57)")
        if 0x5F24 in card:
            expiry_date = _digits(card[0x5F24])
            if expiry_date is None or len(expiry_date) != 6 or expiry_date[:4] != expiry:
                raise KernelError("card data: expiry (5F24) is malformed or differs from track 2")
        psn = None
        if 0x5F34 in card:
            psn_text = _digits(card[0x5F34])
            if psn_text is None:
                raise KernelError("card data: PAN sequence number (5F34) is not BCD")
            psn = int(psn_text)
        par = None
        if 0x9F24 in card:
            raw_par = card[0x9F24]
            if not all(0x20 <= b < 0x7F for b in raw_par):
                raise KernelError("card data: PAR (9F24) is not printable ASCII")
            par = raw_par.decode("ascii")

        parts = []
        for tag in DE55_TAGS:
            value = terminal[tag] if tag in _TERMINAL_TAGS else card.get(tag)
            if value is not None:
                parts.append(tlv.encode(tag, value))
        ctq = card.get(0x9F6C, b"")
        cdcvm = len(ctq) >= 2 and bool(ctq[1] & 0x80)
        if self.config.require_cdcvm and not cdcvm:
            raise _Terminate(_NO_CDCVM, "device_cvm")
        exchanges = tuple(d.exchanges)
        return KernelOutcome(
            exchanges=exchanges,
            nfc_s=sum(x.duration_s for x in exchanges),
            outcome="online",
            token_pan=pan,
            expiry=expiry,
            psn=psn,
            track2=track2_data,
            par=par,
            atc=int.from_bytes(card[0x9F36], "big"),
            icc_data=b"".join(parts),
            cdcvm_performed=cdcvm,
        )

    # -- the same dialogue as objects (fast fidelity) ---------------------------------------------

    def _perform_objects(
        self, link: ObjectNfcLink, amount_tyiyn: int, transaction_date: str, un: bytes
    ) -> KernelOutcome:
        """The dialogue of ``_dialogue`` as method calls on ``link.card``: same commands, same
        checks in the same order, one duration per exchange."""
        amount_other, country, tvr, currency, transaction_type = self._static_digits
        terminal = _new(
            TerminalData,
            (f"{amount_tyiyn:012d}", amount_other, country, tvr, currency, transaction_date, transaction_type, bytes(un)),
        )
        exchanges: list[ExchangeRecord] = []
        try:
            return self._object_dialogue(link, terminal, exchanges)
        except KernelError as e:
            nfc_s = sum([x.duration_s for x in exchanges])
            return KernelOutcome(tuple(exchanges), nfc_s, "terminated", str(e), check=getattr(e, "check", ""))

    def _object_dialogue(
        self, link: ObjectNfcLink, terminal: TerminalData, exchanges: list[ExchangeRecord]
    ) -> KernelOutcome:
        card, duration_s, aid = link.card, link.duration_s, self.config.aid

        def exchange(name: str, answer):  # type: ignore[no-untyped-def]
            refused = type(answer) is int
            sw = answer.to_bytes(2, "big") if refused else _SW_OK_BYTES
            exchanges.append(_new(ExchangeRecord, (name, b"", sw, duration_s())))
            if refused:
                raise _refusal(name, answer)
            return answer

        offered = exchange("SELECT PPSE", card.select_ppse())
        if aid not in offered:
            listed = ", ".join(a.hex().upper() for a in offered) or "none"
            raise KernelError(f"SELECT PPSE: AID {aid.hex().upper()} not offered ({listed})")
        fci = exchange("SELECT AID", card.select_aid(aid))
        gpo = exchange("GPO", card.get_processing_options(terminal if fci.pdol else None))
        chip = gpo.chip
        if chip is not None:
            self._check_relay_of(exchanges[-1])
        record: CardRecord | None = None
        records = self._records.get(gpo.afl)
        if records is None:
            named = tuple((sfi, n, f"READ RECORD SFI {sfi} REC {n}") for sfi, n in _afl_records(gpo.afl))
            records = self._records[gpo.afl] = named
        for sfi, number, name in records:
            record = exchange(name, card.read_record(sfi, number))
        if chip is None and record is not None and record.cdol1:
            chip = exchange("GENERATE AC", card.generate_ac(terminal))
            self._check_relay_of(exchanges[-1])
        if record is None or chip is None:
            tag = 0x57 if record is None else 0x9F10
            raise KernelError(f"card data: required tag {tag:X} ({tag_name(tag)}) missing")
        if chip.terminal is not terminal:
            chip = chip._replace(terminal=terminal)  # DE55 carries the terminal's own values
        if self.config.require_cdcvm and not chip.cdcvm:
            raise _Terminate(_NO_CDCVM, "device_cvm")
        nfc_s = sum([x.duration_s for x in exchanges])
        # KernelOutcome(exchanges, nfc_s, outcome, reason, token_pan, expiry, psn, track2, par, atc, icc_data, cdcvm_performed,
        # check), every field given
        r = record
        return _new(
            KernelOutcome,
            (tuple(exchanges), nfc_s, "online", "", r.token_pan, r.expiry, r.psn, r.track2, r.par, chip.atc, chip, chip.cdcvm, ""),
        )
