"""elcart-sim: a full-system simulation testbed for ELKART Pay.

    >>> from elcart_sim import load_scenario, run
    >>> results = run(load_scenario("national-day", scale=0.001, seed=7))
    >>> results.summary()["transactions"] > 0
    True

The package reads like the payment chain (docs/architecture.md draws the map): ``wallet`` (the
phone: HCE applet, limited-use keys), ``tokens`` (IPC as token service: ID&V, tokens, lifecycle,
card authentication), ``acceptance`` (POS terminal, contactless kernel, NFC link, KKM),
``hosts`` (acquirer, national switch, issuers), ``money`` (chart of accounts, ledger) and
``fraud`` (attacks with ground truth); beneath them ``protocol`` (EMV and ISO 8583, pure),
``world`` (population, demand), ``scenario`` (validated configuration) and ``core`` (clock,
server pools, random streams, records, errors); above them ``model`` (the system wired and its
day played), ``analysis`` (results, plots, anatomy of a tap), ``capacity``, ``report``, ``live``
(a real PC/SC reader) and ``cli``.

``plots``, ``anatomy``, ``detection`` and ``live`` are reachable from here as well
(``from elcart_sim import plots``); they are imported when first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from elcart_sim.analysis.results import Results
from elcart_sim.core.errors import ElcartSimError, ScenarioError
from elcart_sim.core.redact import mask_pan
from elcart_sim.model.simulation import Simulation, run
from elcart_sim.scenario import Scenario, calendar_summary, load_scenario, scenario_names

__all__ = [
    "ElcartSimError",
    "ScenarioError",
    "Results",
    "Scenario",
    "Simulation",
    "calendar_summary",
    "load_scenario",
    "mask_pan",
    "run",
    "scenario_names",
]

__version__ = "0.1.0"

_SUBMODULES = {
    "plots": "elcart_sim.analysis.plots",
    "anatomy": "elcart_sim.analysis.anatomy",
    "detection": "elcart_sim.fraud.detection",
    "live": "elcart_sim.live",
}


def __getattr__(name: str) -> Any:
    """The submodules named in the docstring, imported on first use (matplotlib, pyscard…)."""
    if name in _SUBMODULES:
        module = importlib.import_module(_SUBMODULES[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'elcart_sim' has no attribute {name!r}")
