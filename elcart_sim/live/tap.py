"""The live tap: a device on a PC/SC reader, paid through the simulated chain, traced and validated.

Physical picture: the reader is opened and the shopper's phone awaited; the terminal of a small
simulated country (country.py) runs its kernel over the reader's link, wrapped in a
:class:`~elcart_sim.live.tracing.TracingLink`; the authorisation travels the simulated acquirer,
switch and issuer; then the field is switched off and the tap is reported (report.py) with the
validation of what the device answered (terminal/validation.py). A torn tap is an outcome
('terminated', recorded by the terminal), not an error; the PC/SC faults are typed LinkErrors.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from elcart_sim.acceptance.nfc_link import NfcLink, SimulatedNfcLink
from elcart_sim.acceptance.outcome import ApduExchange
from elcart_sim.acceptance.terminal import TapResult
from elcart_sim.core.errors import ConfigurationError, NoCardError, ProtocolError
from elcart_sim.core.redact import mask_pan
from elcart_sim.live.country import LIVE_SCALE, LIVE_SCENARIO, known_keys, live_simulation, wallet_card
from elcart_sim.live.report import LiveTapReport, TracedApdu
from elcart_sim.live.tracing import TracingLink, name_command
from elcart_sim.live.validation import card_tags, split_answer, validate_live_tap
from elcart_sim.protocol.emv.tags import describe

if TYPE_CHECKING:
    from elcart_sim.model.simulation import Simulation
    from elcart_sim.scenario import Scenario

__all__ = ["DEFAULT_TIMEOUT_S", "live_tap"]

DEFAULT_TIMEOUT_S = 10.0


def live_tap(
    reader: str | int | None = None,
    *,
    amount_tyiyn: int = 12345,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    scenario: str | Scenario = LIVE_SCENARIO,
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
    dialogue 'terminated' (the reason says torn) with the APDUs answered before the tear, the
    terminal records it, and the report's trace ends with the command left unanswered.
    """
    if timeout_s <= 0:
        raise ConfigurationError(f"live_tap: timeout_s must be > 0, got {timeout_s}")
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
    from elcart_sim.live.pcsc_link import PcscLink

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
    exchanges = tracing.exchanges
    card = card_tags(exchanges)
    track2 = card.get(0x57)
    token_pan = _track2_pan(track2) if track2 else None
    reference, imk = known_keys(sim, token_pan)
    checks = validate_live_tap(exchanges, reference=reference, issuer_master_key=imk)
    results = sim.results()
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
