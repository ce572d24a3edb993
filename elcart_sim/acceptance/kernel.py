"""The POS terminal's contactless kernel: the card dialogue of one tap, as pure data.

Physical picture: a shopper holds a phone to the reader; the kernel runs the EMV contactless
dialogue - SELECT PPSE (which payment apps are there?), SELECT AID (ours; tell me your PDOL),
GET PROCESSING OPTIONS (here is the amount, date and a fresh unpredictable number; a qVSDC-style
phone answers with its ARQC), READ RECORD per AFL, and - when the GPO answer held no cryptogram
but a record gave a CDOL1 (M/Chip style) - GENERATE AC with the CDOL1 data, whose answer holds
the ARQC. It leaves with what the acquirer needs for an online authorisation: token PAN, expiry,
PSN, track 2 and DE55 ICC data (``card_data.py``). Flow per EMV Contactless Book B (entry
point), Book C-3 (Kernel 3, qVSDC) and Book C-2 (Kernel 2, M/Chip), online only; DOL filling per
EMV 4.4 Book 3 §5.4.

The kernel sends command APDU objects and reads response APDU objects (their data as TLV
objects); the link's ``apdu_format`` says what crosses it (``protocol/emv/apdu_format.py``):
bytes, encoded and decoded at the link — a real reader, a relay, a replay — or the objects
themselves, the fast fidelity's simulated link, where nothing is encoded. One dialogue either way.

Two checks of ELKART's security model run here. Relay resistance: the round trip of the command
that produced the cryptogram (GPO or GENERATE AC) must not exceed ``max_cryptogram_rtt_s`` - a
relay between a victim's phone and a distant terminal adds network time to every exchange
(the idea of Mastercard's relay resistance protocol, applied to the cryptogram command; our
model). Consumer device CVM: with ``require_cdcvm`` the card must say (CTQ 9F6C byte 2 bit 8)
that it verified its user; a locked ELKART Pay phone refuses GPO with 6982 before that.

The kernel is pure: the link returns each answer with its round-trip duration, and the
outcome sums them into ``nfc_s``; the checkout around it (terminal.py) adds the time. A card
answer that is wrong (bad status word, malformed TLV, missing tag) is not an exception but an
outcome ``'terminated'`` whose reason names the APDU and the problem. So is a torn tap - the
phone taken away while the terminal waits for an answer (the link raises ``CardRemovedError``):
that is what a shopper does, not a fault, so the outcome is ``'terminated'`` — no security check
stopped it, so ``check`` stays empty — with the exchanges answered before the tear and their
time. Other link failures (LinkError: reader removed, pcscd gone, a broken sampler) are faults
and propagate to the caller.
"""

from __future__ import annotations

from typing import Any

from elcart_sim.acceptance.card_data import DE55_TAGS, icc_data, read_card_data
from elcart_sim.acceptance.nfc_link import NfcLink
from elcart_sim.acceptance.outcome import ApduExchange, KernelOutcome
from elcart_sim.acceptance.terminal_config import TerminalConfig
from elcart_sim.core.errors import ApduError, CardRemovedError, ConfigurationError, KernelError, TlvError
from elcart_sim.protocol.emv import apdu, tlv
from elcart_sim.protocol.emv.apdu_format import APDU_BYTES, ApduFormat
from elcart_sim.protocol.emv.tags import build_dol_data

__all__ = ["TerminalConfig", "ContactlessKernel", "KernelOutcome", "ApduExchange", "DE55_TAGS"]


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
_NO_CDCVM = "card data: the phone did not verify its user (CTQ 9F6C: no consumer device CVM)"
_SW_OK = apdu.SW_OK
_KEPT = 64  # distinct DOLs and AFLs a kernel keeps read (a run sees one or two of each)
_new = tuple.__new__  # a named tuple from all its fields, without its Python-level __new__ (per tap)


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


def _offered(ppse: tuple[tlv.Tlv, ...]) -> list[bytes]:
    """The AIDs (4F) of the directory entries (61) of a PPSE answer, in order (Book B)."""
    return [tlv.flatten(entry.children or ()).get(0x4F, b"") for entry in tlv.find_all(ppse, 0x61)]


class _Dialogue:
    """The APDUs of one tap over ``link`` in ``apdu_format``; collects the exchanges and raises
    KernelError to terminate."""

    __slots__ = ("transceive", "apdu_format", "encode", "decode", "exchanges", "step")

    def __init__(self, link: NfcLink, apdu_format: ApduFormat) -> None:
        self.transceive = link.transceive
        self.apdu_format = apdu_format
        self.encode = apdu_format.encode_command
        self.decode = apdu_format.decode_response
        self.exchanges: list[ApduExchange] = []
        self.step = ""

    def run(self, name: str, command: apdu.CommandApdu, template: int) -> tuple[tlv.Tlv, ...]:
        """Send ``command``; the objects of its answer, which must be template ``template``."""
        self.step = name
        sent = self.encode(command)
        response, duration_s = self.transceive(sent)
        self.exchanges.append(_new(ApduExchange, (name, sent, response, duration_s)))
        objects, sw = self.decode(response)
        if sw != _SW_OK:
            raise _refusal(name, sw)
        if not objects or objects[0].tag != template:
            found = f"{objects[0].tag:X}" if objects else "no data"
            raise KernelError(f"{name}: expected template {template:X}, got {found}")
        return objects

    def terminated(self, reason: str, check: str = "") -> KernelOutcome:
        exchanges = tuple(self.exchanges)
        return KernelOutcome(exchanges, sum([x.duration_s for x in exchanges]), "terminated", reason, check=check)


class ContactlessKernel:
    """Runs the card dialogue of one tap for a terminal configured by ``config``, over any link."""

    def __init__(self, config: TerminalConfig | None = None) -> None:
        self.config = config or TerminalConfig()
        c = self.config
        self._aid, self._max_cryptogram_rtt_s, self._require_cdcvm = c.aid, c.max_cryptogram_rtt_s, c.require_cdcvm
        self._checked_date = ("", b"")  # a day's taps share one date: checked once
        self._select_ppse = apdu.select(apdu.PPSE)
        self._select_aid = apdu.select(c.aid)
        self._ppse: tuple[Any, bool] = ((), False)  # the last PPSE answer read, and whether it offers our AID
        self._fci: tuple[Any, list[tuple[int, int]]] = ((), [])  # the last FCI read, and its PDOL
        self._dols: dict[bytes, list[tuple[int, int]]] = {}
        self._records: dict[bytes, tuple[tuple[str, apdu.CommandApdu], ...]] = {}  # AFL -> (name, READ RECORD)
        self._static_values = {
            0x9F66: c.ttq,
            0x9F03: bytes(6),
            0x9F1A: bytes.fromhex(f"{c.country_code:04d}"),
            0x95: c.tvr,
            0x5F2A: bytes.fromhex(f"{c.currency_code:04d}"),
            0x9C: bytes.fromhex(f"{c.transaction_type:02d}"),
            0x9F35: bytes.fromhex(f"{c.terminal_type:02d}"),
            0x9F34: c.cvm_results,
        }

    def perform(self, link: NfcLink, amount_tyiyn: int, transaction_date: str, unpredictable_number: bytes) -> KernelOutcome:
        """One tap. ``transaction_date`` is 'YYMMDD'; ``unpredictable_number`` 4 fresh bytes."""
        if not 0 <= amount_tyiyn <= 999_999_999_999:
            raise ConfigurationError(f"ContactlessKernel.perform: amount_tyiyn must be 0-999999999999, got {amount_tyiyn}")
        checked_date, date = self._checked_date
        if transaction_date != checked_date:
            if not (
                len(transaction_date) == 6
                and transaction_date.isascii()
                and transaction_date.isdigit()
                and 1 <= int(transaction_date[2:4]) <= 12
                and 1 <= int(transaction_date[4:]) <= 31
            ):
                raise ConfigurationError(f"ContactlessKernel.perform: transaction_date must be 'YYMMDD', got {transaction_date!r}")
            date = bytes.fromhex(transaction_date)
            self._checked_date = (transaction_date, date)
        if len(unpredictable_number) != 4:
            raise ConfigurationError(
                f"ContactlessKernel.perform: unpredictable_number must be 4 bytes, got {len(unpredictable_number)}"
            )
        terminal = self._static_values.copy()
        terminal[0x9F02] = bytes.fromhex(f"{amount_tyiyn:012d}")
        terminal[0x9A] = date
        terminal[0x9F37] = bytes(unpredictable_number)
        d = _Dialogue(link, getattr(link, "apdu_format", APDU_BYTES))
        try:
            return self._dialogue(d, terminal)
        except KernelError as e:
            return d.terminated(str(e), getattr(e, "check", ""))
        except (TlvError, ApduError) as e:
            return d.terminated(f"{d.step}: malformed answer: {e}")
        except CardRemovedError as e:  # torn: the command d.step got no answer
            return d.terminated(f"{d.step}: no answer, the card or phone left the reader (torn): {e}")

    def _check_relay(self, d: _Dialogue) -> None:
        last = d.exchanges[-1]
        limit = self._max_cryptogram_rtt_s
        if limit is not None and last.duration_s > limit:
            raise _Terminate(
                f"{last.name}: relay resistance: the cryptogram took {last.duration_s * 1000:.1f} ms, limit {limit * 1000:.1f} ms",
                "relay_timing",
            )

    def _dol(self, dol: bytes) -> list[tuple[int, int]]:
        """``dol`` read (a card sends the same PDOL or CDOL1 tap after tap: read once)."""
        read = self._dols.get(dol)
        if read is None:
            read = tlv.parse_dol(dol)
            if len(self._dols) < _KEPT:
                self._dols[dol] = read
        return read

    def _read_records(self, afl: bytes) -> tuple[tuple[str, apdu.CommandApdu], ...]:
        """The READ RECORD commands, named, of the records the AFL names (kept per AFL)."""
        records = self._records.get(afl)
        if records is None:
            records = tuple((f"READ RECORD SFI {sfi} REC {n}", apdu.read_record(n, sfi)) for sfi, n in _afl_records(afl))
            if len(self._records) < _KEPT:
                self._records[afl] = records
        return records

    def _dialogue(self, d: _Dialogue, terminal: dict[int, bytes]) -> KernelOutcome:
        aid = self._aid
        # Entry point: is our application in the phone's PPSE directory? (An answer read last
        # time, the same object, is not read again.)
        ppse = d.run("SELECT PPSE", self._select_ppse, 0x6F)
        if ppse is not self._ppse[0]:
            self._ppse = (ppse, aid in _offered(ppse))
        if not self._ppse[1]:
            listed = ", ".join(a.hex().upper() for a in _offered(ppse)) or "none"
            raise KernelError(f"SELECT PPSE: AID {aid.hex().upper()} not offered ({listed})")

        fci = d.run("SELECT AID", self._select_aid, 0x6F)
        if fci is not self._fci[0]:
            fields = tlv.flatten(fci)
            if fields.get(0x84) != aid:
                raise KernelError("SELECT AID: DF name (84) does not match the selected AID")
            self._fci = (fci, self._dol(fields.get(0x9F38, b"")))
        pdol_data = build_dol_data(self._fci[1], terminal)
        if len(pdol_data) > 252:
            raise KernelError(f"SELECT AID: PDOL asks for {len(pdol_data)} bytes; a GPO holds 252")

        card = tlv.flatten(d.run("GPO", apdu.get_processing_options(pdol_data), 0x77))
        if 0x9F26 in card:
            self._check_relay(d)
        for name, command in self._read_records(card.get(0x94, b"")):
            tlv.flatten(d.run(name, command, 0x70), card)
        if 0x9F26 not in card and 0x8C in card:
            d.step = "card data"
            cdol1_data = build_dol_data(self._dol(card[0x8C]), terminal)
            if len(cdol1_data) > 255:
                raise KernelError(f"card data: CDOL1 asks for {len(cdol1_data)} bytes; GENERATE AC holds 255")
            answer = d.run("GENERATE AC", apdu.generate_ac(apdu.AC_ARQC, cdol1_data), 0x77)
            self._check_relay(d)
            card.update(tlv.flatten(answer))  # the GENERATE AC answer is the card's last word on these tags

        d.step = "card data"
        data = read_card_data(card)
        if self._require_cdcvm and not data.cdcvm_performed:
            raise _Terminate(_NO_CDCVM, "device_cvm")
        exchanges = tuple(d.exchanges)
        return _new(
            KernelOutcome,
            (
                exchanges,
                sum([x.duration_s for x in exchanges]),
                "online",
                "",
                data.token_pan,
                data.expiry,
                data.psn,
                data.track2,
                data.par,
                data.atc,
                d.apdu_format.encode_icc_data(icc_data(card, terminal)),
                data.cdcvm_performed,
                "",
            ),
        )
