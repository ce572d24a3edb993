"""Benchmark: the card side of one tap — the card dialogue and the card authentication — in the
fast and the wire fidelity, in microseconds per tap. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_card_dialogue.py [--wallets 400] [--taps 8] [--repeat 5]

Per tap, as a run does it: the terminal's kernel runs the dialogue with a wallet's phone over the
link the model gives the terminal (``ContactlessKernel.perform``), then the token service checks
the DE55 of the request (``CardAuthentication.authenticate``) and signs the answer (tag 91). The
wallets are enrolled and the simulation built before the clock starts; each round takes fresh
wallets (their keys and counters are spent by the taps). Each figure is the best of ``--repeat``
rounds, in process CPU time (other processes on the shared cores only ever add time).
"""

from __future__ import annotations

import argparse
import platform
import time

from elcart_sim import load_scenario
from elcart_sim.acceptance.nfc_link import SimulatedNfcLink
from elcart_sim.model.day import paused_gc
from elcart_sim.model.simulation import Simulation

UN = bytes.fromhex("CAFEBABE")
AMOUNT = 1_234


def _link(sim: Simulation, wallet):  # type: ignore[no-untyped-def]
    """The link the model gives the terminal for a tap of ``wallet`` (Simulation.start_tap)."""
    return SimulatedNfcLink.to(wallet.at_reader(), sim.apdu_latency_s, sim.apdu_format)


def _round(fidelity: str, wallets: int, taps: int) -> tuple[float, float, int]:
    """(dialogue s, authentication s, online taps) of ``wallets`` x ``taps`` taps."""
    scenario = load_scenario("national-day", scale=0.02, seed=7).with_overrides(
        {"fidelity": fidelity, "security.keys.offline_share": 0.0, "security.keys.batch_size": taps}
    )
    sim = Simulation(scenario)
    kernel, authentication = sim.terminal_services.kernel, sim.card_authentication
    phones = [sim.wallet(card) for card in sim.population.enrolled_cards[:wallets].tolist()]
    links = [_link(sim, wallet) for wallet in phones for _ in range(taps)]
    with paused_gc():
        started = time.process_time()
        outcomes = [kernel.perform(link, AMOUNT, "250701", UN) for link in links]
        dialogue_s = time.process_time() - started
    records = [sim.token_service.detokenise(wallet.token_pan) for wallet in phones for _ in range(taps)]
    requests = [{"4": f"{AMOUNT:012d}", "49": "417", "55": o.icc_data} for o in outcomes]
    online = [(r, q) for r, q, o in zip(records, requests, outcomes, strict=True) if o.outcome == "online"]
    with paused_gc():
        started = time.process_time()
        for record, request in online:
            verdict = authentication.authenticate(record, request, 0.0)
            if verdict.verified:
                authentication.issuer_authentication_data(verdict, verdict.decline is None)
        authentication_s = time.process_time() - started
    return dialogue_s, authentication_s, len(online)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wallets", type=int, default=400, help="wallets per round")
    parser.add_argument("--taps", type=int, default=8, help="taps per wallet")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best is printed")
    parser.add_argument("--fidelity", choices=("fast", "wire", "both"), default="both")
    args = parser.parse_args()
    fidelities = ("fast", "wire") if args.fidelity == "both" else (args.fidelity,)
    print(f"Python {platform.python_version()}, best of {args.repeat} rounds of {args.wallets} wallets x {args.taps} taps")
    for fidelity in fidelities:
        rounds = [_round(fidelity, args.wallets, args.taps) for _ in range(args.repeat)]
        n = args.wallets * args.taps
        dialogue = min(r[0] for r in rounds) / n
        online = rounds[0][2]
        authentication = min(r[1] for r in rounds) / max(1, online)
        print(f"{fidelity:<5} card dialogue        {dialogue * 1e6:8.2f} µs per tap")
        print(f"{fidelity:<5} card authentication  {authentication * 1e6:8.2f} µs per online tap ({online} of {n} online)")
        print(f"{fidelity:<5} both                 {(dialogue + authentication) * 1e6:8.2f} µs per tap")


if __name__ == "__main__":
    main()
