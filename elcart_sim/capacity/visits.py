"""Visit ratios: how many messages each host sees per request of each of the app's channels,
measured on the model.

Physical picture: a transfer by phone number asks the directory once, then sends a debit leg
through the switch to the sender's bank and a credit leg to the recipient's — unless the
directory does not know the number, a limit stops it, or the debit is declined, and then fewer
legs go. A bill payment debits the payer at their bank through the switch, then posts to its
biller's gateway; a transfer to a bank account debits the sender, then goes to the interaction
operator. Which hosts a request visits, and how often, depends on these outcomes and on whose
banks they are, so it is measured rather than written down: for each app channel of the
scenario (every channel of `demand.app_channels` with a share), one pilot run carries only that
channel (`PILOT_REQUESTS` requests in one flat hour, ample servers everywhere, no credit files
and no attacks, a token trickle of taps whose hops are left out), and the visit ratio of a host
is the messages of that channel's requests its hop records hold per request
(V = messages at the host ÷ requests; the join is by trace id, so reversals and a leg's retries
count where they land). A host's arrival rate at demand rate λ_ch per channel is then
Σ_ch λ_ch × V_ch,host (the forced-flow law of operational analysis).

The tap is not measured: every tap's authorisation request (0100) visits the acquirer, the
switch and its card's issuer once (capacity/hosts.py gives those loads from the population's
bank shares, exactly; the few taps whose card dialogue ends before the 0100, and the rare 0400,
are left out, which errs on the side of more load).
"""

from __future__ import annotations

import pandas as pd

from elcart_sim.scenario import Scenario, data_dir, spec_key

__all__ = ["PILOT_REQUESTS", "app_channels", "channel_visits"]

PILOT_REQUESTS = 2_000
"""Requests per channel's pilot: the visit ratio of a host a request visits once is then known
to a fraction of a per cent, a bank's share of the legs to a few per cent."""

_AMPLE_SERVERS = 64  # every pilot host: no queue, no timeouts, and one cache entry whatever the servers
_PILOT_S = 3600.0
_VISITS: dict[tuple, dict[str, float]] = {}  # by pilot scenario and data folder


def app_channels(scenario: Scenario) -> tuple[str, ...]:
    """The scenario's app channels with a share of the app's day (demand.app_channels)."""
    if not scenario.app_payments_per_day_effective:
        return ()
    return tuple(c for c, share in scenario.demand.app_channels.items() if share > 0)


def _pilot(scenario: Scenario, channel: str, specs: tuple[str, ...]) -> Scenario:
    """The scenario with only `channel`, PILOT_REQUESTS requests in one flat hour, ample servers."""
    factors = scenario.demand.volume_factors(scenario.business_date)
    per_day = PILOT_REQUESTS * 86_400.0 / _PILOT_S / (factors["weekday"] * factors["day_kind"] * scenario.scale)
    flat = [1.0] * 24
    return scenario.with_overrides(
        {
            "demand.app_channels": {channel: 1.0},
            "demand.app_payments_per_day": per_day,
            "demand.elkart_app_share": 1.0,
            "demand.hourly_profile": flat,
            **{f"services.{service}.hourly_profile": [] for service in ("transfers", "bills", "account_transfers", "qr_payments")},
            "demand.years_ahead": 0,
            "demand.transactions_per_day": 1.0 / scenario.scale,  # about one tap a day: its hops are not counted
            "demand.duration_s": _PILOT_S,
            "services.payroll.batches": [],
            "fraud.attempts": {},
            "fidelity": "fast",
            **{f"{spec}.servers": _AMPLE_SERVERS for spec in specs},
        }
    )


def channel_visits(scenario: Scenario, channel: str, specs: tuple[str, ...]) -> dict[str, float]:
    """Messages per request of `channel` at each component (registry name) its pilot run loads;
    `specs` are the scenario's host specs (given ample servers in the pilot). Cached by the pilot
    scenario, so a server vector or a year of growth does not run it again."""
    from elcart_sim.analysis.occupancy import hop_components
    from elcart_sim.model.simulation import Simulation

    pilot = _pilot(scenario, channel, specs)
    key = (spec_key(pilot), data_dir())
    visits = _VISITS.get(key)
    if visits is None:
        results = Simulation(pilot, replication=0).run()
        requests = max(1, len(results.transfers))
        hops = results.hops[results.hops.trace_id.isin(results.transfers.trace_id)]
        messages = pd.Series(hop_components(hops, results.registry)).value_counts()  # None: no component
        visits = _VISITS[key] = {str(name): int(count) / requests for name, count in messages.items()}
    return visits
