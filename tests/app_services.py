"""What the exact tests of the app's services share: every delay on their paths fixed (with
fixed_delays.FIXED_DELAYS for the chain), the times those delays add up to, and a spy on the
switch's financial entries."""

from fixed_delays import FIXED_DELAYS

from elcart_sim import Simulation, load_scenario
from elcart_sim.money import accounts
from elcart_sim.scenario import CARD_STATUSES

APP_DELAYS = {
    "services.app_directory": {"dist": "constant", "mean_s": 0.002},
    "services.app_switch": {"dist": "constant", "mean_s": 0.004},
    "services.directory.service_time": {"dist": "constant", "mean_s": 0.001},
    "services.bills.app_gateway": {"dist": "constant", "mean_s": 0.005},
    "services.bills.gateway.service_time": {"dist": "constant", "mean_s": 0.01},
    "services.account_transfers.app_operator": {"dist": "constant", "mean_s": 0.005},
    "services.account_transfers.operator.service_time": {"dist": "constant", "mean_s": 0.008},
}
# one leg: app→switch 0.004, switch 0.001, switch→issuer 0.003, issuer 0.006, back 0.003 + 0.004
LEG_S = 0.004 + 0.001 + 0.003 + 0.006 + 0.003 + 0.004
LOOKUP_S = 0.002 + 0.001 + 0.002  # app→directory, its service, back
GATEWAY_S = 0.005 + 0.01 + 0.005  # app→gateway, the gateway's service, back
OPERATOR_S = 0.005 + 0.008 + 0.005  # app→operator, its service, back


def app_simulation(fidelity: str, overrides: dict | None = None) -> Simulation:
    """The national day's world (seed 5) with every delay fixed, in ``fidelity``."""
    scenario = load_scenario("national-day", seed=5, fidelity=fidelity)
    return Simulation(scenario.with_overrides({**FIXED_DELAYS, **APP_DELAYS, **(overrides or {})}))


def balance(sim, card):
    """What the holder of ``card`` has to spend, in tyiyn."""
    return sim.ledger.available_tyiyn(accounts.cardholder(sim.population.bank_of_card(card).code, card))


def active_linked_cards(sim):
    """Cards linked in the app whose status is active, in card order."""
    population = sim.population
    return [int(c) for c in sim.app_directory.linked.nonzero()[0] if CARD_STATUSES[population.card_status[c]] == "active"]


def spy(sim):
    """Record every message the app's services send to the switch (decoded), then deliver it."""
    sent = []
    for name in ("transfer", "reverse_advice"):
        entry = getattr(sim.switch, name)

        def deliver(payload, trace_id, reply, entry=entry):
            sent.append(dict(sim.wire.decode(payload)))
            entry(payload, trace_id, reply)

        setattr(sim.switch, name, deliver)
    return sent
