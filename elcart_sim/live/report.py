"""The report of a live tap: what it showed, as data, text, JSON and tables.

A :class:`LiveTapReport` holds the APDU trace with decoded tags (PANs masked; raw answers are
not kept), the times of the tap, the outcome with its response code and the validation of the
device's answers. Printed durations say which clock they come from: ``wall`` (measured),
``sim`` (drawn by the simulation) or ``sim+wall`` (a simulated span that contains measured
time). The ``*_frame`` functions put one or more taps side by side for a notebook. The exit
codes of ``elcart-sim tap`` are defined here, as a report's :attr:`~LiveTapReport.exit_code`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from elcart_sim.live.validation import FAIL, NOT_VERIFIABLE, PASS, TAP_BUDGET_S, Check

if TYPE_CHECKING:
    import pandas as pd

    from elcart_sim.analysis.results import Results

__all__ = [
    "EXIT_CODES",
    "TracedApdu",
    "LiveTapReport",
    "format_duration",
    "format_report",
    "report_json",
    "trace_frame",
    "duration_frame",
    "validation_frame",
    "timing_frame",
]

EXIT_APPROVED, EXIT_DECLINED, EXIT_USAGE, EXIT_TERMINATED, EXIT_NO_CARD, EXIT_PCSC = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED, EXIT_TERMINATED_BY_SIGNAL = 130, 143
EXIT_CODES: dict[int, str] = {
    EXIT_APPROVED: "approved (DE39 00)",
    EXIT_DECLINED: "declined or reversed by the simulated hosts (DE39 other than 00)",
    EXIT_USAGE: "bad option or input (unknown scenario, wallet out of range, bad amount),\npyscard not installed",
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
        + (f"  (stopped by the {report.stopped_by} check)" if report.stopped_by else ""),
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
