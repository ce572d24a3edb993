"""The app's financial requests through the switch: a debit (or credit) leg sent, its answer
waited for, and its reversal advice — what the app's services share.

Physical picture: the app's service at IPC writes an 0200 for a card (DE2), an amount (DE4), a
processing code (DE3: 10 a transfer's debit, 50 a bill payment, 00 a merchant QR payment, with
the merchant's category code and id in DE18 and DE42) and what the payment is for (DE48),
sends it to the switch over IPC's own network, and waits for the issuer's answer no longer
than the service's timeout. A leg that must be undone gets a reversal advice (0420,
DE90 naming it), delivered however long it takes. Each service has its own `AppLegs`: its own
system trace audit numbers (DE11) and its own deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from elcart_sim.core.clock import REPEAT_AFTER_S, Deadlines, Pending, Reply, round_trip, until_acknowledged
from elcart_sim.core.local_time import BusinessDay
from elcart_sim.core.streams import Sampler
from elcart_sim.hosts.switch import Switch
from elcart_sim.protocol.fidelity import WireFormat
from elcart_sim.protocol.iso8583 import MTI_FINANCIAL_REQUEST, ResponseCode, messages
from elcart_sim.protocol.iso8583.repeats import as_repeat

__all__ = ["AppLegs", "IPC_INSTITUTION_ID", "APP_TERMINAL_ID", "response_words"]

IPC_INSTITUTION_ID = "417000"  # DE32 of the app's requests: IPC itself (synthetic id)
APP_TERMINAL_ID = "ELKMOBIL"  # DE41: the app, not a terminal


class AppLegs:
    """One service's 0200s and 0420s to the switch, and the deadline of every answer it waits for."""

    def __init__(
        self, env: simpy.Environment, switch: Switch, wire: WireFormat, day: BusinessDay, switch_latency_s: Sampler, timeout_s: float
    ):
        self.env = env
        self.switch = switch
        self.wire = wire
        self.day = day
        self.switch_latency_s = switch_latency_s
        self.deadlines = Deadlines(env, timeout_s)
        self._stan = 0

    def next_stan(self) -> str:
        self._stan = self._stan % 999_999 + 1
        return f"{self._stan:06d}"

    def request(
        self,
        trace_id: int,
        pan: str,
        processing_code: str,
        amount_tyiyn: int,
        private_data: str,
        fee_tyiyn: int = 0,
        acceptor: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """A 0200 now for card ``pan``: DE3 ``processing_code`` + 0000, DE48 ``private_data``,
        DE28 the fee charged beside the amount; ``acceptor`` (MCC, merchant id) for a payment to
        a merchant: DE18 and DE42."""
        now = self.env.now
        local = self.day.local_date_time(now)
        leg = {
            "t": MTI_FINANCIAL_REQUEST,
            "2": pan,
            "3": processing_code + "0000",
            "4": f"{amount_tyiyn:012d}",
            "7": self.day.utc_date_time(now),
            "11": self.next_stan(),
            "12": local[4:],
            "13": local[:4],
            "28": messages.fee_amount(fee_tyiyn),
            "32": IPC_INSTITUTION_ID,
            "37": f"{trace_id:012d}",
            "41": APP_TERMINAL_ID,
            "48": private_data,
            "49": "417",
        }
        if acceptor is not None:
            leg["18"], leg["42"] = acceptor
        return leg

    def send(self, trace_id: int, leg: dict[str, Any], answered: Callable[[dict[str, Any]], None], timed_out: Callable[[], None]) -> None:
        """``leg`` to the switch; ``answered(response)`` if the answer is back in time, else ``timed_out()``."""
        wire = self.wire
        reply = self.deadlines.expect(lambda raw: answered(wire.decode(raw)), timed_out)
        round_trip(self.env, self.switch_latency_s, self.switch.transfer, wire.encode(leg), trace_id, reply)

    def expect(self, answered: Reply, timed_out: Callable[[], None]) -> Pending:
        """A reply for another party's answer (a gateway's, the operator's) under the same deadline."""
        return self.deadlines.expect(answered, timed_out)

    def reverse(self, trace_id: int, leg: dict[str, Any], acknowledged: Reply) -> None:
        """The reversal advice of ``leg`` to the switch; ``acknowledged(answer)`` when it is."""
        advice = messages.reversal_for(leg)
        encode = self.wire.encode

        def send(attempt: tuple[Any, dict[str, Any]], answer: Reply) -> None:
            round_trip(self.env, self.switch_latency_s, attempt[0], encode(attempt[1]), trace_id, answer)

        first, repeat = (self.switch.reverse_advice, advice), (self.switch.reverse_advice_repeat, as_repeat(advice))
        until_acknowledged(self.env, REPEAT_AFTER_S, send, first, repeat, acknowledged)


def response_words(code: str) -> str:
    """The words of an ISO 8583 response code."""
    try:
        return ResponseCode(code).description
    except ValueError:
        return f"response code {code}"
