"""Bill and top-up demand: who pays which biller in ELKART Mobile, when, under which reference, how much.

Physical picture: all day people top up phones and pay bills from the app, more of them around
midday; top-ups and other bills are each a Poisson stream at their share of ELKART Mobile's
payments (``demand.app_channels``: ``topup``, ``bill``) following the bills' hourly profile
(``services.bills.hourly_profile``, else the demand's; world/arrivals.py). A payer is a cardholder who linked a card in the app. The biller is drawn from the catalogue by
weight (data/billers.csv) — among the top-up billers for a top-up, among the others for a bill.
A top-up's reference is a mobile number of the biller's operator (a range the operator was
allocated, six random digits), typed as people type numbers; a bill's is drawn in the form the
biller asks for (its reference pattern: ten digits, two letters and six digits, a login…). A
share of payers get the reference wrong (``services.bills.wrong_reference_share``): a digit
missing, one too many, or nothing typed — the service refuses each before any money moves.
"""

from __future__ import annotations

import functools
import re
import string
from array import array
from collections.abc import Callable

import numpy as np
import simpy

from elcart_sim.core.errors import PopulationError
from elcart_sim.core.streams import RandomStreams
from elcart_sim.scenario import BILL_CHANNELS, Scenario
from elcart_sim.world.arrivals import HourlyPoisson
from elcart_sim.world.billers import Biller, BillerCatalogue, validate_reference
from elcart_sim.world.demand import STANDARD_EXPONENTIAL, hourly_rates_per_s
from elcart_sim.world.directory import Directory
from elcart_sim.world.msisdn import COUNTRY_CODE, NATIONAL_DIGITS, mobile_operators
from elcart_sim.world.transfers import phone_as_typed

__all__ = ["BillDemand", "ReferenceForm", "wrong_reference"]

StartPayment = Callable[[int, str, str, int], None]  # (payer card, biller id, reference as typed, amount_tyiyn)

_MIN_PAYMENT_TYIYN = 100  # one som
_PER_MILLION = 1_000_000
_ATOM = re.compile(r"(\\d|\[\^?(?:\\.|[^\]])*\]|[A-Za-z0-9_])(?:\{(\d+)(?:,(\d+))?\})?")
_FREE_TEXT = string.ascii_letters + string.digits + " "  # what a free-text reference ([^\n]) is drawn from


class ReferenceForm:
    """References of one biller's pattern, drawn at random: the pattern read as a sequence of
    character classes (``\\d``, ``[A-Z]``, ``[a-z0-9_]``, ``[^\\n]``, a literal) each repeated
    ``{n}`` or ``{lo,hi}`` times — the forms of data/billers.csv."""

    def __init__(self, pattern: str):
        self.parts: list[tuple[str, int, int]] = []
        at = 0
        while at < len(pattern):
            match = _ATOM.match(pattern, at)
            if match is None:
                raise PopulationError(f"reference pattern {pattern!r}: cannot draw references of it (at character {at})")
            low = int(match[2]) if match[2] else 1
            high = int(match[3]) if match[3] else low
            self.parts.append((_alphabet(match[1]), low, high))
            at = match.end()

    def draw(self, rng: np.random.Generator) -> str:
        chars: list[str] = []
        for alphabet, low, high in self.parts:
            count = int(rng.integers(low, high + 1))
            chars.extend(alphabet[i] for i in rng.integers(0, len(alphabet), count).tolist())
        return "".join(chars)


def _alphabet(atom: str) -> str:
    if atom == r"\d":
        return string.digits
    if atom.startswith("[^"):
        return _FREE_TEXT
    if not atom.startswith("["):
        return atom
    body, chars = atom[1:-1], []
    i = 0
    while i < len(body):
        if body[i : i + 2] == r"\d":
            chars.extend(string.digits)
            i += 2
        elif i + 2 < len(body) and body[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.append(body[i])
            i += 1
    return "".join(chars)


def wrong_reference(biller: Biller, reference: str) -> str:
    """A reference ``biller`` refuses, made from a good one as people get it wrong: the last
    character missing, one character too many, or (if the pattern takes both) nothing at all."""
    for candidate in (reference[:-1], reference + "0", reference + "#"):
        if validate_reference(biller, candidate) is not None:
            return candidate
    return ""


class BillDemand:
    """The arrivals of top-ups and bills with a share of the day, and the choices each makes."""

    def __init__(self, scenario: Scenario, catalogue: BillerCatalogue, directory: Directory, streams: RandomStreams):
        spec = scenario.services.bills
        linked = np.flatnonzero(directory.linked)
        self._linked = array("q", linked.tolist())
        self._payer = streams.integers("bills.payer", max(1, len(linked)))
        topups = catalogue.in_category("mobile_topup")
        self.catalogues = {
            "topup": BillerCatalogue(topups),
            "bill": BillerCatalogue(tuple(b for b in catalogue.billers if b.category != "mobile_topup")),
        }
        self._forms = {b.biller_id: ReferenceForm(b.reference_pattern) for b in catalogue.billers if b.reference_kind == "pattern"}
        brands = {b.operator for b in topups}
        self._prefixes = {op.operator: op.prefixes for op in mobile_operators() if op.operator in brands}
        self._biller = streams.generator("bills.biller")
        self._reference = streams.generator("bills.reference")
        self._style = streams.integers("bills.phone_style", 3)
        self._wrong = streams.integers("bills.wrong_reference", _PER_MILLION)
        self._wrong_below = round(spec.wrong_reference_share * _PER_MILLION)
        self._amount = {
            "topup": streams.sampler("bills.topup_amount", spec.topup_amount.distribution()),
            "bill": streams.sampler("bills.bill_amount", spec.bill_amount.distribution()),
        }
        duration = scenario.demand.duration_s
        self.arrivals = {
            channel: HourlyPoisson(hourly_rates_per_s(scenario, channel), duration, streams.sampler(f"bills.{channel}.arrivals", STANDARD_EXPONENTIAL))
            for channel in BILL_CHANNELS
            if scenario.demand.share(channel) > 0
        }

    def schedule(self, env: simpy.Environment, start_payment: StartPayment, day: Scenario | None = None) -> None:
        """Call ``start_payment(payer card, biller id, reference as typed, amount_tyiyn)`` at each
        arrival of each channel, from now for a day (at ``day``'s rates: Scenario.on(date), when given)."""
        if not self._linked:
            return
        for channel, arrivals in self.arrivals.items():
            arrivals.start(env, functools.partial(self._arrive, channel, start_payment), None if day is None else hourly_rates_per_s(day, channel))

    def _arrive(self, channel: str, start_payment: StartPayment) -> None:
        payer = self._linked[self._payer()]
        biller = self.biller(channel)
        start_payment(payer, biller.biller_id, self.reference(biller), self.next_amount_tyiyn(channel))

    def biller(self, channel: str) -> Biller:
        """A biller of ``channel`` (topup or bill), drawn by weight."""
        catalogue = self.catalogues[channel]
        return catalogue.billers[int(catalogue.draw(self._biller, 1)[0])]

    def reference(self, biller: Biller) -> str:
        """The reference a payer types for ``biller`` (a share of them wrong)."""
        rng = self._reference
        if biller.reference_kind == "msisdn":
            prefixes = self._prefixes[biller.operator]
            prefix = prefixes[int(rng.integers(len(prefixes)))]
            number = COUNTRY_CODE * 10**NATIONAL_DIGITS + prefix * 10**6 + int(rng.integers(10**6))
            reference = phone_as_typed(number, self._style())
        else:
            reference = self._forms[biller.biller_id].draw(rng)
        return wrong_reference(biller, reference) if self._wrong() < self._wrong_below else reference

    def next_amount_tyiyn(self, channel: str) -> int:
        return max(_MIN_PAYMENT_TYIYN, round(self._amount[channel]()))
