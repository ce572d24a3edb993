"""Live taps: a real phone or card on a PC/SC reader, paid through the simulated chain.

Physical picture: a contactless reader is plugged into this machine (or vsmartcard's virtual
reader, with our virtual phone behind it). A phone is held to it; the terminal's kernel runs
its APDU dialogue over a :class:`~elcart_sim.terminal.pcsc_link.PcscLink`, timing each round
trip on the wall clock; the authorisation then travels the *simulated* acquirer -> IPC switch ->
issuer of a small-scale :class:`~elcart_sim.simulation.Simulation`, and the terminal shows the
outcome with its ISO 8583 response code (DE39).

Who pays. A live device is identified as the network identifies any phone: by the token it
presents (tag 57). :meth:`Simulation.identify_token` looks it up among the tokens the simulated
token service issues to enrolled wallets; the wallet found is enrolled (its token enters the
vault) and the switch detokenises it like any other. The virtual phone can carry such a wallet:
``elcart-sim phone --wallet K`` builds the same scenario, seed and scale and serves wallet K's
applet. Token numbers, device ids and limited-use keys are deterministic, so both processes
agree on the token, the phone it is bound to and its keys; the stand-alone phone fetches no new
keys, so it pays as many times as it had keys (10 for a phone online at the start of the day).
A token the simulated token service never issues (the virtual phone's demo token, a real bank
card) reaches the switch and is declined 14 (invalid card number), as a network declines a
foreign token; it is still read, traced and validated.

Time. On a PcscLink each APDU's duration is measured wall time; the POS process yields
``env.timeout(kernel.nfc_s)``, so simulated time advances by exactly the measured card dialogue,
and the simulated host legs follow. The run records every APDU (the ``apdus`` table, with the
measured durations). Printed durations say which clock they come from: ``wall`` (measured),
``sim`` (drawn by the simulation) or ``sim+wall`` (a simulated span that contains measured time).

Validation. :func:`~elcart_sim.terminal.validation.validate_live_tap` (re-exported here) checks
what the device answered: formats, the same answers as our own applet gives to the same commands,
the cryptogram with the issuer key when we hold it, the 500 ms budget; each check passes, fails or
is "not verifiable". :func:`known_keys` says which credential and issuer key we hold for a token.

The functions here are pure except :func:`live_tap` (the one entry point that opens a reader)
and :func:`start_virtual_phone`; :func:`add_commands` adds ``elcart-sim phone`` and
``elcart-sim tap`` to the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from elcart_sim.errors import ElcartSimError, LinkError, NoCardError, ProtocolError
from elcart_sim.phone.applet import PaymentApplet, TokenCredential
from elcart_sim.phone.vpcd import (
    DEMO_ISSUER_MASTER_KEY,
    VPCD_PORT,
    TapRecord,
    VirtualPhone,
    demo_credential,
    run_phone,
)
from elcart_sim.protocol.apdu import PPSE
from elcart_sim.protocol.emv_tags import describe
from elcart_sim.redact import mask_pan
from elcart_sim.terminal.kernel import TORN, ApduExchange
from elcart_sim.terminal.nfc_link import NfcLink, SimulatedNfcLink
from elcart_sim.terminal.pos import TapResult
from elcart_sim.terminal.validation import (
    FAIL,
    NOT_VERIFIABLE,
    PASS,
    TAP_BUDGET_S,
    Check,
    card_tags,
    split_answer,
    validate_live_tap,
)

if TYPE_CHECKING:
    import pandas as pd

    from elcart_sim.results import Results
    from elcart_sim.simulation import Simulation

__all__ = [
    "LIVE_SCENARIO",
    "LIVE_SCALE",
    "TAP_BUDGET_S",
    "EXIT_CODES",
    "Check",
    "TracedApdu",
    "LiveTapReport",
    "TracingLink",
    "VirtualPhoneThread",
    "parse_amount",
    "name_command",
    "live_simulation",
    "wallet_card",
    "wallet_table",
    "phone_applet",
    "known_keys",
    "validate_live_tap",
    "live_tap",
    "start_virtual_phone",
    "format_duration",
    "format_report",
    "report_json",
    "trace_frame",
    "duration_frame",
    "validation_frame",
    "timing_frame",
    "add_commands",
]

LIVE_SCENARIO = "national-day"
LIVE_SCALE = 0.001
"""Scale of the simulated country behind a live tap: 0.1 % (about 370 enrolled wallets)."""
DEFAULT_AMOUNT = "123.45"
DEFAULT_TIMEOUT_S = 10.0

EXIT_APPROVED, EXIT_DECLINED, EXIT_USAGE, EXIT_TERMINATED, EXIT_NO_CARD, EXIT_PCSC = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED, EXIT_TERMINATED_BY_SIGNAL = 130, 143
EXIT_CODES: dict[int, str] = {
    EXIT_APPROVED: "approved (DE39 00)",
    EXIT_DECLINED: "declined or reversed by the simulated hosts (DE39 other than 00)",
    EXIT_USAGE: "bad option or input (unknown scenario, wallet out of range, bad amount)",
    EXIT_TERMINATED: "terminated: the card dialogue failed (an answer that is not BER-TLV,\n"
    "missing or malformed data, the phone taken away mid-tap, a locked phone or one\nwithout keys)",
    EXIT_NO_CARD: "no card or phone on the reader within --timeout",
    EXIT_PCSC: "PC/SC unusable: pcscd not running, no reader or no such reader,\nreader unplugged",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); the reader is released",
    EXIT_TERMINATED_BY_SIGNAL: "stopped by SIGTERM; the reader is released",
}


# -- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TracedApdu:
    """One APDU of a tap as reported: named, its answer decoded into tags with PANs masked.

    ``duration_s`` and ``sw`` are None and '' for a command left unanswered (a tear).
    ``problem`` says why the answer could not be decoded, '' when it could. The raw answer is
    not kept (it carries the token PAN)."""

    seq: int
    name: str
    command: bytes
    sw: str
    duration_s: float | None
    tags: tuple[dict[str, object], ...]
    problem: str = ""


@dataclass
class LiveTapReport:
    """What a live tap showed: the trace, its times, the outcome and the validation."""

    reader: str
    atr: str
    measured: bool  # True: wall-clock APDU times (a real link); False: the simulated link
    scenario: str
    seed: int
    scale: float
    terminal_id: str
    amount_tyiyn: int
    trace_id: int
    outcome: str  # approved | declined | reversed | terminated
    response_code: str
    reason: str
    stopped_by: str  # the security check that stopped it (locked phone, no key, relay...), if one did
    token_masked: str
    atc: int | None
    card_wait_s: float | None  # reader: from opening it to the phone being connected
    nfc_s: float  # the card dialogue: sum of the answered APDUs' durations
    tap_wall_s: float  # wall time of the whole tap through the simulation
    tap_to_result_s: float | None  # simulated: card dialogue + processing + host legs
    host_s: float | None  # simulated
    apdus: tuple[TracedApdu, ...]
    hops: tuple[dict[str, object], ...]
    checks: tuple[Check, ...]
    results: Results | None = field(default=None, repr=False)

    @property
    def exit_code(self) -> int:
        if self.outcome == "approved":
            return EXIT_APPROVED
        if self.outcome == "terminated":
            return EXIT_TERMINATED
        return EXIT_DECLINED

    @property
    def terminal_s(self) -> float | None:
        """Simulated terminal processing: tap to result less the card dialogue and the hosts."""
        if self.tap_to_result_s is None:
            return None
        return self.tap_to_result_s - self.nfc_s - (self.host_s or 0.0)

    @property
    def validation_passed(self) -> bool:
        return all(c.status != FAIL for c in self.checks)


# -- small pure helpers --------------------------------------------------------------------------


def parse_amount(text: str) -> int:
    """'123.45' (KGS) -> 12345 tyiyn; at most two decimals, more than 0.

    >>> parse_amount("1390"), parse_amount("0.5")
    (139000, 50)
    """
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"amount must be a number of KGS like 123.45, got {text!r}") from None
    tyiyn = value * 100
    if not value.is_finite() or tyiyn != tyiyn.to_integral_value():
        raise ValueError(f"amount must have at most two decimals (tyiyn), got {text!r}")
    if not 0 < tyiyn <= 999_999_999_999:
        raise ValueError(f"amount must be more than 0 and at most 9999999999.99 KGS, got {text!r}")
    return int(tyiyn)


def name_command(command: bytes) -> str:
    """The kernel's name for a command APDU (SELECT PPSE, SELECT AID, GPO, READ RECORD ...).

    >>> name_command(bytes.fromhex("00B2010C00"))
    'READ RECORD SFI 1 REC 1'
    """
    if len(command) < 4:
        return f"APDU {command.hex().upper()}"
    ins, p1, p2 = command[1], command[2], command[3]
    if ins == 0xA4:
        data = command[5 : 5 + command[4]] if len(command) > 5 else b""
        return "SELECT PPSE" if data == PPSE else "SELECT AID"
    if ins == 0xA8:
        return "GPO"
    if ins == 0xB2:
        return f"READ RECORD SFI {p2 >> 3} REC {p1}"
    if ins == 0xAE:
        return "GENERATE AC"
    return f"INS {ins:02X}"


def format_duration(seconds: float | None, clock: str, width: int | None = None) -> str:
    """'0.213 ms wall': durations carry the clock they come from (wall, sim or sim+wall).

    With ``width`` the figure is in ms, right-aligned in that many characters, so table
    columns keep their width whatever was measured.

    >>> format_duration(0.015, "sim"), format_duration(1.25, "sim+wall"), format_duration(0.0002, "wall", 8)
    ('15.000 ms sim', '1.250 s sim+wall', '   0.200 ms wall')
    """
    if seconds is None:
        return "-"
    if width is not None:
        return f"{seconds * 1000:{width}.3f} ms {clock}"
    if seconds < 1.0:
        return f"{seconds * 1000:.3f} ms {clock}"
    return f"{seconds:.3f} s {clock}"


def _kgs(tyiyn: int) -> str:
    return f"{tyiyn / 100:,.2f} KGS"


def _track2_pan(track2: bytes) -> str | None:
    pan = track2.hex().upper().split("D", 1)[0]
    return pan if pan.isdigit() and 12 <= len(pan) <= 19 else None


def _trace(exchanges: Sequence[ApduExchange], unanswered: bytes | None) -> tuple[TracedApdu, ...]:
    traced = []
    for seq, exchange in enumerate(exchanges):
        sw, data = split_answer(exchange.response)
        tags: tuple[dict[str, object], ...] = ()
        problem = "" if sw else f"answer of {len(exchange.response)} bytes has no status word"
        if data:
            try:
                tags = tuple(describe(data))
            except ProtocolError as exc:
                problem = f"answer is not BER-TLV ({len(data)} data bytes): {exc}"
        traced.append(TracedApdu(seq, exchange.name, exchange.command, sw, exchange.duration_s, tags, problem))
    if unanswered is not None:
        traced.append(
            TracedApdu(len(traced), name_command(unanswered), unanswered, "", None, (), "no answer: the phone left (torn)")
        )
    return tuple(traced)


# -- the link between kernel and device ------------------------------------------------------------


class TracingLink:
    """An :class:`NfcLink` that keeps every exchange of the link it wraps, and the command
    left unanswered when the link fails (a tear), so a torn tap still shows its trace."""

    def __init__(self, link: NfcLink):
        self.link = link
        self.name = link.name
        self.exchanges: list[ApduExchange] = []
        self.unanswered: bytes | None = None

    def transceive(self, command: bytes) -> tuple[bytes, float]:
        try:
            response, duration_s = self.link.transceive(command)
        except LinkError:
            self.unanswered = bytes(command)
            raise
        self.exchanges.append(ApduExchange(name_command(command), bytes(command), response, duration_s))
        return response, duration_s


# -- the simulated country behind the reader --------------------------------------------------------


def live_simulation(scenario: str = LIVE_SCENARIO, *, seed: int | None = None, scale: float = LIVE_SCALE) -> Simulation:
    """The small simulated country a live tap pays in; it records every APDU."""
    from elcart_sim.scenario import load_scenario
    from elcart_sim.simulation import Simulation

    overrides: dict[str, Any] = {"scale": scale}
    if seed is not None:
        overrides["seed"] = seed
    return Simulation(load_scenario(scenario, **overrides), record_apdus=True)


def wallet_card(sim: Simulation, wallet: int) -> int:
    """The card behind wallet number ``wallet`` (0 = the first enrolled wallet of the run)."""
    enrolled = sim.population.enrolled_cards
    if not 0 <= wallet < len(enrolled):
        raise ValueError(f"wallet must be 0-{len(enrolled) - 1} for this scenario and scale, got {wallet}")
    return int(enrolled[wallet])


def wallet_table(sim: Simulation, limit: int | None = None) -> pd.DataFrame:
    """Enrolled wallets: number, masked token, issuer, card status, opening balance (KGS), and
    whether the phone is online with a full batch of limited-use keys or offline with what it has
    left (a phone with no key cannot pay: its applet answers 6984)."""
    import pandas as pd

    from elcart_sim.population import CARD_STATUSES

    population = sim.population
    batch = sim.wallet_services.batch_size
    rows = []
    for wallet, card in enumerate(population.enrolled_cards[:limit].tolist()):
        offline = sim.offline_phones.get(card)
        rows.append(
            {
                "wallet": wallet,
                "token": mask_pan(sim.token_service.token_pan_for(card)),
                "issuer": population.bank_of_card(card).code,
                "status": CARD_STATUSES[int(population.card_status[card])],
                "balance_kgs": int(population.opening_balance_tyiyn[card]) / 100,
                "phone": "offline" if offline else "online",
                "keys": offline[0] if offline else batch,
            }
        )
    return pd.DataFrame(rows, columns=["wallet", "token", "issuer", "status", "balance_kgs", "phone", "keys"])


def phone_applet(
    wallet: int | None = None, *, scenario: str = LIVE_SCENARIO, seed: int | None = None, scale: float = LIVE_SCALE
) -> tuple[PaymentApplet, str]:
    """The applet a virtual phone serves, and one line saying whose it is.

    ``wallet=None``: the demo token (known test keys, but not issued by the simulated token
    service, so the simulated switch declines it 14). Otherwise wallet ``wallet`` of the
    scenario at ``seed`` and ``scale``, as ``elcart-sim tap`` with the same options builds it."""
    if wallet is None:
        credential = demo_credential()
        return PaymentApplet(credential), (
            f"the demo token {mask_pan(credential.token_pan)} (test keys; not issued by the "
            "simulated token service, so taps are declined 14: use --wallet K)"
        )
    sim = live_simulation(scenario, seed=seed, scale=scale)
    card = wallet_card(sim, wallet)
    enrolled = sim.wallet(card)
    if enrolled.applet is None:
        raise ValueError(f"wallet {wallet}: the phone holds no token")
    row = wallet_table(sim, wallet + 1).iloc[wallet]
    return enrolled.applet, (
        f"wallet {wallet} of {sim.scenario.name} seed {sim.scenario.seed} scale {sim.scenario.scale:g}: "
        f"token {enrolled.token_masked}, issuer {row['issuer']}, card {row['status']}, "
        f"balance {row['balance_kgs']:,.2f} KGS, {row['keys']} limited-use keys (one per tap; "
        "a stand-alone phone fetches no more)"
    )


def known_keys(sim: Simulation, token_pan: str | None) -> tuple[TokenCredential | None, bytes | None]:
    """The credential our applet would carry for ``token_pan`` and its issuer master key, when
    we hold them: the demo token, or a token the simulated token service issues."""
    if not token_pan:
        return None, None
    demo = demo_credential()
    if token_pan == demo.token_pan:
        return demo, DEMO_ISSUER_MASTER_KEY
    card = sim.card_of_token(token_pan)
    if card is None:
        return None, None
    return sim.wallet(card).applet.credential, sim.token_service.issuer_master_key(token_pan[:6])


# -- the live tap -----------------------------------------------------------------------------------


def live_tap(
    reader: str | int | None = None,
    *,
    amount_tyiyn: int = 12345,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    scenario: str = LIVE_SCENARIO,
    seed: int | None = None,
    scale: float = LIVE_SCALE,
    terminal: int = 0,
    simulated_wallet: int | None = None,
    link: NfcLink | None = None,
) -> LiveTapReport:
    """One tap of a live device, authorised by the simulated hosts, traced and validated.

    The device is on PC/SC ``reader`` (name substring, index, or None for the first); the
    call waits up to ``timeout_s`` for it. ``simulated_wallet=K`` taps wallet K's in-process
    applet over the simulated NFC link instead (no reader: the reference to compare with), and
    ``link`` taps any other :class:`NfcLink` (the caller keeps it open).

    Raises the PC/SC faults as typed :class:`LinkError` (no pcscd, no reader, reader removed,
    no card within the timeout). A phone taken away mid-tap is not raised: the kernel ends the
    dialogue 'terminated' (stopped by 'torn') with the APDUs answered before the tear, the
    terminal records it, and the report's trace ends with the command left unanswered.
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout must be > 0 s, got {timeout_s}")
    sim = live_simulation(scenario, seed=seed, scale=scale)
    own_link = None
    card_wait_s = None
    if link is None and simulated_wallet is not None:
        card = wallet_card(sim, simulated_wallet)
        link = SimulatedNfcLink(sim.wallet(card).applet.process, sim.apdu_latency_s)
    elif link is None:
        started = time.perf_counter()
        link = own_link = _open_reader(reader, timeout_s)
        card_wait_s = time.perf_counter() - started
    tracing = TracingLink(link)
    started = time.perf_counter()
    try:
        result = sim.tap(None, terminal, amount_tyiyn, link=tracing)  # a tear ends it 'terminated', recorded
    finally:
        tap_wall_s = time.perf_counter() - started
        if own_link is not None:
            own_link.close()  # field off: the phone's tap ends
    return _report(sim, link, tracing, result, amount_tyiyn, terminal, card_wait_s, tap_wall_s)


_WAIT_SLICE_S = 0.25  # waits for a card in slices, so Ctrl-C is seen at once


def _open_reader(reader: str | int | None, timeout_s: float):
    """A PcscLink connected to the card or phone on ``reader``; NoCardError after ``timeout_s``."""
    from elcart_sim.terminal.pcsc_link import PcscLink

    link = PcscLink(reader, card_timeout_s=timeout_s, wait=False)
    deadline = time.perf_counter() + timeout_s
    try:
        while True:
            try:
                link.wait_for_card(max(min(_WAIT_SLICE_S, deadline - time.perf_counter()), 0.001))
                return link
            except NoCardError:
                if time.perf_counter() >= deadline:
                    raise NoCardError(f"no card or phone on reader '{link.reader}' within {timeout_s:g} s") from None
    except BaseException:
        link.close()
        raise


def _report(
    sim: Simulation,
    link: NfcLink,
    tracing: TracingLink,
    result: TapResult,
    amount_tyiyn: int,
    terminal: int,
    card_wait_s: float | None,
    tap_wall_s: float,
) -> LiveTapReport:
    from elcart_sim.results import Results

    exchanges = tracing.exchanges
    card = card_tags(exchanges)
    track2 = card.get(0x57)
    token_pan = _track2_pan(track2) if track2 else None
    reference, imk = known_keys(sim, token_pan)
    checks = validate_live_tap(exchanges, reference=reference, issuer_master_key=imk)
    results = Results.collect(sim)
    tx = results.transactions[results.transactions.trace_id == result.trace_id]
    row = tx.iloc[0] if len(tx) else None
    hops = results.hops[results.hops.trace_id == result.trace_id]
    atc_b = card.get(0x9F36, b"")
    return LiveTapReport(
        reader=getattr(link, "reader", link.name),
        atr=getattr(link, "atr", b"").hex().upper(),
        measured=not isinstance(link, SimulatedNfcLink),
        scenario=sim.scenario.name,
        seed=sim.scenario.seed,
        scale=sim.scenario.scale,
        terminal_id=sim.population.terminal(terminal).terminal_id,
        amount_tyiyn=amount_tyiyn,
        trace_id=result.trace_id,
        outcome=result.outcome,
        response_code=result.response_code,
        reason=result.reason,
        stopped_by=result.stopped_by,
        token_masked=mask_pan(token_pan) if token_pan else "",
        atc=int.from_bytes(atc_b, "big") if len(atc_b) == 2 else None,
        card_wait_s=card_wait_s,
        nfc_s=sum(x.duration_s for x in exchanges),
        tap_wall_s=tap_wall_s,
        tap_to_result_s=float(row.tap_to_result_s) if row is not None else None,
        host_s=float(row.host_s) if row is not None else None,
        apdus=_trace(exchanges, tracing.unanswered),
        hops=tuple(
            {"hop": str(h.hop), "mti": str(h.mti), "response_code": str(h.response_code), "residence_s": float(h.residence_s)}
            for h in hops.itertuples()
        ),
        checks=checks,
        results=results,
    )


# -- presenting a report ----------------------------------------------------------------------------


def _clocks(report: LiveTapReport) -> tuple[str, str]:
    """(clock of APDU durations, clock of simulated spans that contain them)."""
    return ("wall", "sim+wall") if report.measured else ("sim", "sim")


def format_report(report: LiveTapReport) -> str:
    """The report as text: the trace with decoded tags, the times, the outcome, the checks."""
    apdu_clock, span_clock = _clocks(report)
    lines = [f"elcart-sim tap  reader '{report.reader}'" + (f"  ATR {report.atr}" if report.atr else "")]
    if report.card_wait_s is not None:
        lines[0] += f"  phone connected after {format_duration(report.card_wait_s, 'wall')}"
    lines.append(
        f"  scenario {report.scenario} seed {report.seed} scale {report.scale:g}  terminal {report.terminal_id}  "
        f"amount {_kgs(report.amount_tyiyn)}  trace {report.trace_id}"
    )
    lines.append("")
    for apdu in report.apdus:
        sw = f"SW {apdu.sw}" if apdu.sw else "no SW"
        lines.append(
            f"  {apdu.seq:>2}  {apdu.name:<24} {sw:<8} {format_duration(apdu.duration_s, apdu_clock):>16}   C-APDU {apdu.command.hex().upper()}"
        )
        for tag in apdu.tags:
            indent = "      " + "  " * int(tag["depth"])  # type: ignore[call-overload]
            value = f": {tag['value']}" if tag["value"] != "" else ""
            lines.append(f"{indent}{tag['tag']} {tag['name']}{value}")
        if apdu.problem:
            lines.append(f"      ! {apdu.problem}")
    answered = sum(1 for a in report.apdus if a.duration_s is not None)
    lines += [
        "",
        f"  card dialogue   {answered} APDUs in {format_duration(report.nfc_s, apdu_clock)} "
        f"(budget {TAP_BUDGET_S * 1000:.0f} ms); whole tap {format_duration(report.tap_wall_s, 'wall')}",
        f"  token           {report.token_masked or '-'}" + (f"  ATC {report.atc}" if report.atc is not None else ""),
        f"  outcome         {report.outcome.upper()}"
        + (f"  DE39 {report.response_code}" if report.response_code else "")
        + (f"  {report.reason}" if report.reason else "")
        + (f"  (stopped by the {report.stopped_by} check)" if report.stopped_by not in ("", TORN) else ""),
    ]
    if report.tap_to_result_s is not None and report.hops:
        lines.append(
            f"  simulated       tap to result {format_duration(report.tap_to_result_s, span_clock)} = card dialogue "
            f"{format_duration(report.nfc_s, apdu_clock)} + terminal {format_duration(report.terminal_s, 'sim')} "
            f"+ hosts {format_duration(report.host_s, 'sim')}"
        )
    if report.hops:
        lines.append(
            "  hosts           "
            + ", ".join(f"{h['hop']} {h['mti']}->{h['response_code']} {format_duration(h['residence_s'], 'sim')}" for h in report.hops)  # type: ignore[arg-type]
        )
    counts = {s: sum(1 for c in report.checks if c.status == s) for s in (PASS, FAIL, NOT_VERIFIABLE)}
    lines += ["", f"  validation      {counts[PASS]} pass, {counts[FAIL]} fail, {counts[NOT_VERIFIABLE]} not verifiable"]
    for check in report.checks:
        lines.append(f"    {check.status:<15} {check.name:<31} {check.detail}")
    return "\n".join(lines)


def report_json(report: LiveTapReport) -> dict[str, object]:
    """The report as one JSON-ready object (no raw answers: PANs only masked)."""
    return {
        "reader": report.reader,
        "atr": report.atr,
        "clock": "wall" if report.measured else "sim",
        "scenario": report.scenario,
        "seed": report.seed,
        "scale": report.scale,
        "terminal_id": report.terminal_id,
        "amount_tyiyn": report.amount_tyiyn,
        "trace_id": report.trace_id,
        "outcome": report.outcome,
        "response_code": report.response_code,
        "reason": report.reason,
        "stopped_by": report.stopped_by,
        "exit_code": report.exit_code,
        "token_masked": report.token_masked,
        "atc": report.atc,
        "card_wait_s": report.card_wait_s,
        "nfc_s": report.nfc_s,
        "tap_wall_s": report.tap_wall_s,
        "tap_to_result_s": report.tap_to_result_s,
        "host_s": report.host_s,
        "apdus": [
            {
                "seq": a.seq,
                "name": a.name,
                "command": a.command.hex().upper(),
                "command_length": len(a.command),
                "sw": a.sw,
                "duration_s": a.duration_s,
                "tags": list(a.tags),
                "problem": a.problem,
            }
            for a in report.apdus
        ],
        "hops": list(report.hops),
        "validation": [{"check": c.name, "status": c.status, "detail": c.detail} for c in report.checks],
        "validation_passed": report.validation_passed,
    }


_TABLE_WIDTH = 9  # ms figures in tables: up to 99999.999 ms in a fixed width


def _link_label(report: LiveTapReport) -> str:
    return "PC/SC" if report.measured else "simulated link"


def trace_frame(*reports: LiveTapReport) -> pd.DataFrame:
    """The APDUs of one or more taps side by side: SW, time (with its clock) and whether the
    decoded answers are the same as the first report's."""
    import pandas as pd

    first = reports[0]
    rows = []
    for seq, apdu in enumerate(first.apdus):
        row: dict[str, object] = {"APDU": apdu.name, "C-APDU bytes": len(apdu.command)}
        for report in reports:
            label = _link_label(report)
            other = report.apdus[seq] if seq < len(report.apdus) else None
            row[f"SW ({label})"] = other.sw if other else "-"
            row[f"time ({label})"] = format_duration(other.duration_s if other else None, _clocks(report)[0], _TABLE_WIDTH)
            if report is not first:
                row[f"same answer ({label})"] = bool(other and other.tags == apdu.tags and other.sw == apdu.sw)
        rows.append(row)
    return pd.DataFrame(rows)


def duration_frame(*reports: LiveTapReport) -> pd.DataFrame:
    """Milliseconds per APDU, one column per tap (for plots; the figures vary between runs)."""
    import pandas as pd

    return pd.DataFrame(
        {_link_label(r): [a.duration_s * 1000 if a.duration_s is not None else float("nan") for a in r.apdus] for r in reports},
        index=pd.Index([a.name for a in reports[0].apdus], name="APDU"),
    )


def validation_frame(*reports: LiveTapReport) -> pd.DataFrame:
    """The checks of one or more taps side by side (status per link)."""
    import pandas as pd

    frame = pd.DataFrame({"check": [c.name for c in reports[0].checks]})
    for report in reports:
        frame[_link_label(report)] = [c.status for c in report.checks]
    frame["detail"] = [c.detail for c in reports[-1].checks]
    return frame


def timing_frame(*reports: LiveTapReport) -> pd.DataFrame:
    """Where the time of each tap went, each figure with its clock."""
    import pandas as pd

    data = {}
    for report in reports:
        apdu_clock, span_clock = _clocks(report)
        data[_link_label(report)] = {
            "card detected after": format_duration(report.card_wait_s, "wall", _TABLE_WIDTH),
            "card dialogue (sum of APDUs)": format_duration(report.nfc_s, apdu_clock, _TABLE_WIDTH),
            "terminal processing": format_duration(report.terminal_s, "sim", _TABLE_WIDTH),
            "host legs (acquirer, switch, issuer)": format_duration(report.host_s, "sim", _TABLE_WIDTH),
            "tap to result": format_duration(report.tap_to_result_s, span_clock, _TABLE_WIDTH),
            "whole tap, computed in": format_duration(report.tap_wall_s, "wall", _TABLE_WIDTH),
        }
    return pd.DataFrame(data)


# -- the virtual phone in a thread --------------------------------------------------------------------


class VirtualPhoneThread:
    """A :class:`VirtualPhone` serving one applet (its ATC runs across taps) in a thread."""

    def __init__(self, phone: VirtualPhone, applet: PaymentApplet, description: str, taps: int | None):
        self.phone = phone
        self.applet = applet
        self.description = description
        self.records: list[TapRecord] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, args=(taps,), name="virtual-phone", daemon=True)
        self._thread.start()

    def _serve(self, taps: int | None) -> None:
        try:
            self.records.extend(self.phone.serve(lambda: self.applet, taps=taps))
        except BaseException as exc:  # re-raised by join()
            self.error = exc

    def join(self, timeout_s: float = 5.0) -> list[TapRecord]:
        """Wait for the phone to finish its taps; re-raise what stopped it."""
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise LinkError(f"the virtual phone on port {self.phone.port} still runs after {timeout_s:g} s")
        if self.error is not None:
            raise self.error
        return self.records

    def stop(self, timeout_s: float = 5.0) -> list[TapRecord]:
        """Take the phone away and stop serving."""
        self.phone.stop()
        return self.join(timeout_s)


def start_virtual_phone(
    wallet: int | None = None,
    *,
    scenario: str = LIVE_SCENARIO,
    seed: int | None = None,
    scale: float = LIVE_SCALE,
    port: int = VPCD_PORT,
    taps: int | None = None,
    tear_after_apdus: int | None = None,
    malformed_after_apdus: int | None = None,
) -> VirtualPhoneThread:
    """Put a virtual phone on the vpcd reader at ``port`` (35963 = 'Virtual PCD 00 00') in a
    background thread, serving wallet ``wallet`` (see :func:`phone_applet`)."""
    applet, description = phone_applet(wallet, scenario=scenario, seed=seed, scale=scale)
    phone = VirtualPhone(port, tear_after_apdus=tear_after_apdus, malformed_after_apdus=malformed_after_apdus)
    return VirtualPhoneThread(phone, applet, description, taps)


# -- command line ------------------------------------------------------------------------------------


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _amount(text: str) -> int:
    try:
        return parse_amount(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _reader(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _add_world_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario", default=LIVE_SCENARIO, metavar="NAME|PATH",
        help="the simulated country behind the reader: bundled scenario or YAML path (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, metavar="N", help="master random seed (default: the scenario's)")
    parser.add_argument(
        "--scale", type=_positive_float, default=LIVE_SCALE, metavar="F",
        help="population scale of that country (default: %(default)g, about 370 enrolled wallets)",
    )  # fmt: skip


_TAP_EPILOG = "exit codes:\n" + "\n".join(
    f"  {code:<4} " + text.replace("\n", "\n       ") for code, text in EXIT_CODES.items()
) + """

Who pays: the device is identified by the token it presents. A token of an enrolled wallet of
the simulated country (serve one with `elcart-sim phone --wallet K` and the same --scenario,
--seed and --scale) is approved or declined by its simulated issuer; any other token (the
virtual phone's demo token, a real card) is declined 14 by the simulated switch, and still
traced and validated. Times: 'wall' = measured, 'sim' = simulated, 'sim+wall' = a simulated
span containing measured time. More: hardware/README.md.
"""

_PHONE_EPILOG = """exit codes:
  0    served until the end: --taps done, SIGTERM or Ctrl-C, or pcscd stopped
  2    vpcd not reachable (pcscd not running), or bad input (wallet out of range)
  130  interrupted while preparing the wallet

A tap is the phone's TCP connect to vpcd; taking it away is closing the socket. Port 35963 is
reader 'Virtual PCD 00 00', 35964 is 'Virtual PCD 00 01'. More: hardware/README.md.
"""


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``phone`` and ``tap`` to the ``elcart-sim`` command line."""
    phone = subparsers.add_parser(
        "phone",
        help="serve the HCE applet as a virtual phone on the vpcd reader",
        description="Present a virtual phone to vsmartcard's vpcd reader and answer the terminal with our\n"
        "HCE applet, tap after tap. The PC/SC stack must run: bash hardware/pcsc-stack.sh start.",
        epilog=_PHONE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    phone.add_argument("--port", type=int, default=VPCD_PORT, metavar="PORT", help="vpcd TCP port: 35963 = reader 'Virtual PCD 00 00', 35964 = '... 00 01' (default: %(default)s)")
    phone.add_argument("--host", default="127.0.0.1", metavar="HOST", help="host where vpcd listens (default: %(default)s)")
    phone.add_argument("--taps", type=_non_negative_int, metavar="N", help="leave after N taps (default: serve until stopped)")
    phone.add_argument("--tear-after", type=_non_negative_int, metavar="N", help="in every tap, answer N APDUs, then leave while the terminal waits for the next answer (a torn tap)")
    phone.add_argument("--malformed-after", type=_non_negative_int, metavar="N", help="in every tap, answer N APDUs well, then answers that are not BER-TLV")
    phone.add_argument("--wallet", type=_non_negative_int, metavar="K", help="serve enrolled wallet K of the simulated country (see --list-wallets) instead of the demo token")
    phone.add_argument("--list-wallets", action="store_true", help="list the enrolled wallets (token, issuer, card status, balance) and exit")
    _add_world_options(phone)
    phone.set_defaults(handler=_phone_command)

    tap = subparsers.add_parser(
        "tap",
        help="one live tap on a PC/SC reader, authorised by the simulated hosts",
        description="Wait for a phone or card on a PC/SC reader, run the contactless kernel over it, send the\n"
        "authorisation through the simulated acquirer, switch and issuer, and print the APDU trace with\n"
        "decoded tags (card numbers masked), the time of each APDU and of the tap, the outcome with its\n"
        "response code, and a validation of the device's answers.",
        epilog=_TAP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tap.add_argument("--reader", type=_reader, metavar="NAME|INDEX", help="reader by a substring of its name or its index in --list-readers (default: the first)")
    tap.add_argument("--list-readers", action="store_true", help="list the PC/SC readers and exit")
    tap.add_argument("--amount", type=_amount, default=parse_amount(DEFAULT_AMOUNT), metavar="KGS", help=f"purchase amount in KGS, e.g. 123.45 (default: {DEFAULT_AMOUNT})")
    tap.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT_S, metavar="S", help="seconds to wait for a phone or card (default: %(default)g)")
    tap.add_argument("--json", action="store_true", help="print the report as one JSON object")
    tap.add_argument("--simulated-wallet", type=_non_negative_int, metavar="K", help="no reader: tap wallet K over the simulated NFC link (the reference to compare a live tap with)")
    _add_world_options(tap)
    tap.set_defaults(handler=_tap_command)


def _error(message: str) -> None:
    print(f"elcart-sim: error: {message}", file=sys.stderr)


def _quiet_broken_pipe() -> None:
    """stdout's reader left (``| head``): send the rest to /dev/null and end quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _phone_command(args: argparse.Namespace) -> int:
    try:
        return _phone(args)
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 0


def _phone(args: argparse.Namespace) -> int:
    try:
        if args.list_wallets:
            sim = live_simulation(args.scenario, seed=args.seed, scale=args.scale)
            print(f"enrolled wallets of {sim.scenario.name} seed {sim.scenario.seed} scale {sim.scenario.scale:g}")
            print(f"{'wallet':>6}  {'token':<16}  {'issuer':<8}  {'status':<8}  {'balance KGS':>14}  phone    keys")
            for row in wallet_table(sim).to_dict("records"):
                print(
                    f"{row['wallet']:>6}  {row['token']:<16}  {row['issuer']:<8}  {row['status']:<8}  "
                    f"{row['balance_kgs']:>14,.2f}  {row['phone']:<7}  {row['keys']:>4}"
                )
            return 0
        try:
            applet, description = phone_applet(args.wallet, scenario=args.scenario, seed=args.seed, scale=args.scale)
        except ValueError as exc:
            _error(str(exc))
            return EXIT_USAGE
        print(f"phone: serving {description}", flush=True)
        return run_phone(
            args.port,
            args.host,
            taps=args.taps,
            tear_after_apdus=args.tear_after,
            malformed_after_apdus=args.malformed_after,
            applet_factory=lambda: applet,
        )
    except KeyboardInterrupt:
        print("phone: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _fault_exit_code(exc: LinkError) -> int:
    return EXIT_NO_CARD if isinstance(exc, NoCardError) else EXIT_PCSC


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signum)


def _tap_command(args: argparse.Namespace) -> int:
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)  # close the reader as on Ctrl-C
    try:
        return _tap(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _tap(args: argparse.Namespace) -> int:
    try:
        if args.list_readers:
            from elcart_sim.terminal.pcsc_link import list_readers

            readers = list_readers()
            if args.json:
                print(json.dumps({"readers": readers}))
            for index, name in enumerate(readers if not args.json else ()):
                print(f"[{index}] {name}")
            if not readers:
                _error("no PC/SC reader found: plug one in, or start the virtual reader (bash hardware/pcsc-stack.sh start)")
                return EXIT_PCSC
            return 0
        report = live_tap(
            args.reader,
            amount_tyiyn=args.amount,
            timeout_s=args.timeout,
            scenario=args.scenario,
            seed=args.seed,
            scale=args.scale,
            simulated_wallet=args.simulated_wallet,
        )
    except LinkError as exc:
        code = _fault_exit_code(exc)
        _error(str(exc))
        if args.json:
            print(json.dumps({"outcome": "fault", "fault": type(exc).__name__, "message": str(exc), "exit_code": code}))
        return code
    except ValueError as exc:  # wallet out of range and similar input errors
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        by_sigterm = exc.args == (signal.SIGTERM,)
        _error("stopped by SIGTERM" if by_sigterm else "interrupted")
        return EXIT_TERMINATED_BY_SIGNAL if by_sigterm else EXIT_INTERRUPTED
    except ElcartSimError:
        raise  # a broken scenario: cli.main prints it and exits 2
    print(json.dumps(report_json(report), indent=2) if args.json else format_report(report))
    return report.exit_code

