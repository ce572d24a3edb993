"""elcart-sim: a full-system simulation testbed for ELKART Pay.

    >>> from elcart_sim import load_scenario, run
    >>> results = run(load_scenario("national-day", scale=0.001, seed=7))
    >>> results.summary()["transactions"] > 0
    True

The package reads like the payment chain: `phone` (HCE wallet, applet, limited-use keys),
`token_service` and `card_authentication` (IPC as TSP: tokens, lifecycle, cryptogram checks),
`terminal` (kernel, NFC links, POS, KKM), `acquirer`, `switch`, `issuer`, `ledger`; `fraud`
injects attacks; apart from them the pure protocol code (`protocol`: APDU, BER-TLV, ISO 8583,
cryptograms) and the analysis code (`results`, `plots`, `detection`, `anatomy`).
"""

from elcart_sim.errors import ElcartSimError, ScenarioError
from elcart_sim.redact import mask_pan
from elcart_sim.results import Results
from elcart_sim.scenario import Scenario, load_scenario, scenario_names
from elcart_sim.simulation import Simulation, run

__all__ = [
    "ElcartSimError",
    "ScenarioError",
    "Results",
    "Scenario",
    "Simulation",
    "load_scenario",
    "mask_pan",
    "run",
    "scenario_names",
]

__version__ = "0.1.0"
