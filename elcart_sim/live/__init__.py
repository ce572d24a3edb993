"""Live taps: a real phone or card on a PC/SC reader, paid through the simulated chain.

Physical picture: a contactless reader is plugged into this machine (or vsmartcard's virtual
reader, with our virtual phone behind it). A phone is held to it; the terminal's kernel runs
its APDU dialogue over a :class:`~elcart_sim.live.pcsc_link.PcscLink`, timing each round
trip on the wall clock; the authorisation then travels the *simulated* acquirer -> IPC switch ->
issuer of a small-scale :class:`~elcart_sim.model.simulation.Simulation`, and the terminal shows the
outcome with its ISO 8583 response code (DE39).

Who pays. A live device is identified as the network identifies any phone: by the token it
presents (tag 57). :meth:`Simulation.identify_token` looks it up among the tokens the simulated
token service issues to enrolled wallets; the wallet found is enrolled (its token enters the
vault) and the switch detokenises it like any other. The virtual phone can carry such a wallet:
``elcart-sim phone --wallet K`` builds the same scenario, seed and scale and serves wallet K's
applet. Token numbers, device ids and limited-use keys are deterministic, so both processes
agree on the token, the phone it is bound to and its keys; the stand-alone phone fetches no new
keys, so it pays as many times as it had keys (10 for a phone online at the start of the day;
both commands take the same ``--set security.keys.batch_size=N`` for more).
A token the simulated token service never issues (the virtual phone's demo token, a real bank
card) reaches the switch and is declined 14 (invalid card number), as a network declines a
foreign token; it is still read, traced and validated.

Time. On a PcscLink each APDU's duration is measured wall time; the terminal waits
``kernel.nfc_s`` of simulated time, so simulated time advances by exactly the measured card dialogue,
and the simulated host legs follow. The run records every APDU (the ``apdus`` table, with the
measured durations). Printed durations say which clock they come from: ``wall`` (measured),
``sim`` (drawn by the simulation) or ``sim+wall`` (a simulated span that contains measured time).

Validation. :func:`~elcart_sim.live.validation.validate_live_tap` (re-exported here) checks
what the device answered: formats, the same answers as our own applet gives to the same commands,
the cryptogram with the issuer key when we hold it, the 500 ms budget; each check passes, fails or
is "not verifiable". :func:`known_keys` says which credential and issuer key we hold for a token.

The package, one concern per module (all public names are re-exported here):

- ``tap.py``: :func:`live_tap`, the one entry point that opens a reader, and the report it builds
- ``tracing.py``: :class:`TracingLink`, the recorder between kernel and reader; :func:`name_command`
- ``country.py``: the simulated country behind the reader (:func:`live_simulation`) and its wallets
- ``report.py``: :class:`LiveTapReport`, the exit codes, the report as text, JSON and tables
- ``virtual_phone.py``: :func:`start_virtual_phone`, a virtual phone on vpcd in a thread
- ``pcsc_link.py``: :class:`PcscLink`, the reader (the only module importing pyscard);
  ``pcsc_codes.py``: PC/SC return codes and reader states, failures as typed errors
- ``vpcd.py``: :class:`VirtualPhone`, a phone on vsmartcard's vpcd reader (its wire protocol);
  ``demo_phone.py``: ``elcart-sim phone``'s ``run_phone`` and the demo token

Everything is pure except :func:`live_tap` and :func:`start_virtual_phone`.
"""

from __future__ import annotations

from elcart_sim.live.country import (
    LIVE_SCALE,
    LIVE_SCENARIO,
    known_keys,
    live_simulation,
    phone_applet,
    wallet_card,
    wallet_table,
)
from elcart_sim.live.report import (
    EXIT_CODES,
    LiveTapReport,
    TracedApdu,
    duration_frame,
    format_duration,
    format_report,
    report_json,
    timing_frame,
    trace_frame,
    validation_frame,
)
from elcart_sim.live.tap import live_tap
from elcart_sim.live.tracing import TracingLink, name_command
from elcart_sim.live.validation import TAP_BUDGET_S, Check, validate_live_tap
from elcart_sim.live.virtual_phone import VirtualPhoneThread, start_virtual_phone
from elcart_sim.money.amounts import parse_amount

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
]
