"""Stand-in processing at the switch: IPC decides for an issuer that cannot, and tells it later.

Physical picture: an issuer's host is *unavailable* when its link is down (the host is marked
down) or when the switch has signed it off after ``sign_off_after_timeouts`` authorisations in a
row went unanswered; a signed-off issuer gets no requests, except one live request every
``probe_interval_s`` that probes it (an echo, 0800, is not in the ELKART host spec), and any
answer from it — to a probe, a late one, an advice's — signs it on again. When the issuer is
unavailable (``on_unavailable``) or an authorisation's answer does not come within the switch's
timeout (``on_timeout``), the switch stands in: it approves a tap paid with an ELKART Pay token —
whose cryptogram the token gate has already checked at the switch — up to the issuer's stand-in
limits (per transaction, and per card over the day), and declines beyond them with 91 and the
reason in DE44 (``STAND-IN LIMIT``). A plastic card's cryptogram only its issuer can check, and
the app's financial requests have their own reversals, so neither is stood in for: 91, as
without stand-in. An approval answers DE39 00 with the switch's own authorisation id (DE38)
and DE44 naming why it was given in the issuer's stead — as Visa's stand-in answers with its
response source in DE44.1 — ``STAND-IN 1002`` (issuer timed out) or ``STAND-IN 1003`` (issuer
unavailable), the ISO 8583:1993 message reason codes its advice carries in DE60.

Store and forward (jPOS's SAF): each approval becomes an authorisation advice (0120) queued for
its issuer. The head of an issuer's queue is sent ``first_try_delay_s`` after its decision (or
when the advice before it is done), one advice in flight per issuer; without an answer within
``retry_interval_s`` it is sent again as a repeat (0121); an advice still unanswered
``expiry_s`` after its decision is given up and recorded as expired. The issuer posts every
advice it gets once (hosts/issuer.py), and reports what the posting put at risk: the part of the
amount beyond the cardholder's available balance at that moment (``exposure_tyiyn``). One
``stand_in`` row per decision, written when its advice is answered or expired (or, for one still
queued, when the run's results are collected: ``close``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import simpy

from elcart_sim.core.clock import after
from elcart_sim.core.records import Table
from elcart_sim.protocol.iso8583 import MTI_AUTHORISATION_REQUEST, MTI_AUTHORISATION_REQUEST_REPEAT
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason
from elcart_sim.protocol.iso8583.repeats import ADVICE_REASONS, advice_for, as_repeat
from elcart_sim.scenario.stand_in import StandInSpec

__all__ = ["StandIn", "STAND_IN_REASONS", "indicator"]

STAND_IN_REASONS = tuple(ADVICE_REASONS)
"""Why the switch stood in: issuer_timed_out | issuer_unavailable."""

_DAY_S = 86_400
_AUTHORISATIONS = (MTI_AUTHORISATION_REQUEST, MTI_AUTHORISATION_REQUEST_REPEAT)


def indicator(reason: str) -> str:
    """DE44 of a stand-in approval: ``STAND-IN`` and the advice's reason code."""
    return f"STAND-IN {ADVICE_REASONS[reason]}"


class _Advice:
    """One stand-in approval on its way to the issuer."""

    __slots__ = ("trace_id", "bank", "reason", "amount_tyiyn", "decided_at", "message", "sent_at", "posted_at", "attempts", "exposure_tyiyn", "done")

    def __init__(self, trace_id: int, bank: str, reason: str, amount_tyiyn: int, decided_at: float, message: dict[str, Any]):
        self.trace_id = trace_id
        self.bank = bank
        self.reason = reason
        self.amount_tyiyn = amount_tyiyn
        self.decided_at = decided_at
        self.message = message
        self.sent_at = float("nan")
        self.posted_at = float("nan")
        self.attempts = 0
        self.exposure_tyiyn = 0
        self.done = False


class _Link:
    """The switch's view of one issuer: timeouts in a row, signed off or not, and its advices."""

    __slots__ = ("timeouts", "signed_off", "probe_at", "queue", "in_flight")

    def __init__(self) -> None:
        self.timeouts = 0
        self.signed_off = False
        self.probe_at = 0.0
        self.queue: deque[_Advice] = deque()
        self.in_flight: _Advice | None = None


SendAdvice = Callable[[str, dict[str, Any], int, Callable[[Any], None]], None]
"""(bank code, advice message, trace id, on_answer): carry an advice to the bank's issuer."""


class StandIn:
    """The switch's stand-in for every issuer: availability, decisions, and the advices' queues.
    ``is_down(bank)`` says whether the bank's host is down (its link lost); ``send_advice``
    carries an advice to the issuer and its answer back."""

    def __init__(self, env: simpy.Environment, spec: StandInSpec, table: Table, is_down: Callable[[str], bool], send_advice: SendAdvice):
        self.env = env
        self.spec = spec
        self._table = table
        self._is_down = is_down
        self._send = send_advice
        self._links: dict[str, _Link] = {}
        self._spent: dict[str, tuple[int, int]] = {}  # card number -> (day, stand-in approvals that day, tyiyn)
        self._advices: dict[int, _Advice] = {}  # trace id -> an advice not yet recorded
        self._authorisations = 0

    def _link(self, bank: str) -> _Link:
        link = self._links.get(bank)
        if link is None:
            link = self._links[bank] = _Link()
        return link

    # -- availability ------------------------------------------------------------------------------

    def unavailable(self, bank: str) -> bool:
        """Whether the switch must not forward to ``bank``'s issuer now: its host is down, or it
        is signed off and this is not the moment of a probe (which is then let through)."""
        if self._is_down(bank):
            return True
        link = self._links.get(bank)
        if link is None or not link.signed_off:
            return False
        if self.env.now >= link.probe_at:
            link.probe_at = self.env.now + self.spec.probe_interval_s
            return False
        return True

    def answered(self, bank: str) -> None:
        """``bank``'s issuer answered something: it is signed on, its count of timeouts reset."""
        link = self._links.get(bank)
        if link is not None:
            link.timeouts = 0
            link.signed_off = False

    def timed_out(self, bank: str) -> None:
        """A request to ``bank``'s issuer went unanswered: after enough in a row, sign it off."""
        link = self._link(bank)
        link.timeouts += 1
        if link.timeouts >= self.spec.sign_off_after_timeouts and not link.signed_off:
            link.signed_off = True
            link.probe_at = self.env.now + self.spec.probe_interval_s

    def stands_in(self, reason: str) -> bool:
        """Whether the scenario has the switch stand in for ``reason``."""
        return self.spec.on_timeout if reason == "issuer_timed_out" else self.spec.on_unavailable

    # -- decisions ---------------------------------------------------------------------------------

    def decide(self, forwarded: Mapping[str, Any], bank: str, reason: str, trace_id: int, is_token: bool) -> tuple[str, str | None, str | None]:
        """The switch's answer in the issuer's stead to ``forwarded`` (the issuer's leg of an
        authorisation), as (DE39, DE38 or None, DE44 or None); an approval's advice is queued."""
        if forwarded["t"] not in _AUTHORISATIONS or not is_token:
            return "91", None, None  # not the switch's to decide: a plastic card's cryptogram, an app's leg
        amount = int(forwarded["4"])
        limits = self.spec.limits_of(bank)
        pan = forwarded["2"]
        day = int(self.env.now // _DAY_S)
        spent_day, spent = self._spent.get(pan, (day, 0))
        if spent_day != day:
            spent = 0
        if amount > limits.per_transaction_tyiyn or spent + amount > limits.per_card_per_day_tyiyn:
            self._record(trace_id, bank, reason, amount, "91")
            return "91", None, DeclineReason.STAND_IN_LIMIT.code
        self._spent[pan] = (day, spent + amount)
        self._authorisations += 1
        authorisation_id = f"S{self._authorisations % 100_000:05d}"
        advice = _Advice(trace_id, bank, reason, amount, self.env.now, advice_for(forwarded, authorisation_id, reason))
        self._advices[trace_id] = advice
        link = self._link(bank)
        link.queue.append(advice)
        if link.in_flight is None and len(link.queue) == 1:
            after(self.env, self.spec.advice.first_try_delay_s, self._try_head, bank)
        return "00", authorisation_id, indicator(reason)

    # -- store and forward -------------------------------------------------------------------------

    def _try_head(self, bank: str) -> None:
        """Send the head of ``bank``'s queue (its first try, or a repeat), or expire it."""
        link = self._link(bank)
        if link.in_flight is not None or not link.queue:
            return
        advice = link.queue[0]
        now = self.env.now
        if now >= advice.decided_at + self.spec.advice.expiry_s:
            self._expire(link, advice)
            return
        advice.attempts += 1
        if advice.attempts == 1:
            advice.sent_at = now
        link.in_flight = advice
        message = advice.message if advice.attempts == 1 else as_repeat(advice.message)
        attempt = advice.attempts
        self._send(bank, message, advice.trace_id, lambda _answer: self._acknowledged(bank, advice))
        after(self.env, self.spec.advice.retry_interval_s, self._no_answer, bank, advice, attempt)

    def _no_answer(self, bank: str, advice: _Advice, attempt: int) -> None:
        link = self._link(bank)
        if advice.done or link.in_flight is not advice or advice.attempts != attempt:
            return  # answered in the meantime
        link.in_flight = None
        self._try_head(bank)  # a repeat now, or expired

    def _acknowledged(self, bank: str, advice: _Advice) -> None:
        """The issuer's 0130 to any attempt of ``advice``."""
        self.answered(bank)
        if advice.done:
            return  # an answer to an earlier attempt, or to an advice already given up
        link = self._link(bank)
        link.queue.popleft()  # the head: only the head is ever in flight
        link.in_flight = None
        self._finish(advice, expired=False)
        self._next(link, bank)

    def _expire(self, link: _Link, advice: _Advice) -> None:
        link.queue.popleft()
        self._finish(advice, expired=True)
        self._next(link, bank=advice.bank)

    def _next(self, link: _Link, bank: str) -> None:
        if link.queue:
            head = link.queue[0]
            after(self.env, max(0.0, head.decided_at + self.spec.advice.first_try_delay_s - self.env.now), self._try_head, bank)

    def posted(self, trace_id: int, at: float, exposure_tyiyn: int) -> None:
        """The issuer has posted the advice of ``trace_id`` at ``at``, ``exposure_tyiyn`` of it
        beyond the cardholder's available balance (hosts/issuer.py calls this)."""
        advice = self._advices.get(trace_id)
        if advice is not None and advice.posted_at != advice.posted_at:  # NaN: not posted before
            advice.posted_at = at
            advice.exposure_tyiyn = exposure_tyiyn

    # -- records -----------------------------------------------------------------------------------

    def _finish(self, advice: _Advice, expired: bool) -> None:
        advice.done = True
        del self._advices[advice.trace_id]
        self._record(advice.trace_id, advice.bank, advice.reason, advice.amount_tyiyn, "00", advice, expired)

    def _record(self, trace_id: int, bank: str, reason: str, amount_tyiyn: int, response_code: str, advice: _Advice | None = None, expired: bool = False) -> None:
        nan = float("nan")
        self._table.append(
            trace_id=trace_id,
            issuer=bank,
            reason=reason,
            response_code=response_code,
            amount_tyiyn=amount_tyiyn,
            decided_at=advice.decided_at if advice is not None else self.env.now,
            advice_sent_at=advice.sent_at if advice is not None else nan,
            advice_posted_at=advice.posted_at if advice is not None else nan,
            attempts=advice.attempts if advice is not None else 0,
            expired=int(expired),
            exposure_tyiyn=advice.exposure_tyiyn if advice is not None else 0,
        )

    def close(self) -> None:
        """Record the advices still queued (neither answered nor expired yet), in the order decided."""
        for advice in sorted(self._advices.values(), key=lambda a: a.decided_at):
            advice.done = True
            self._record(advice.trace_id, advice.bank, advice.reason, advice.amount_tyiyn, "00", advice, False)
        self._advices.clear()
