"""The simulated country behind the reader: the small run a live tap pays in, and its wallets.

Physical picture: a live phone pays in a 0.1 % scale copy of the national day's country (about
370 enrolled wallets). Token numbers, device ids and limited-use keys are deterministic for a
scenario, seed and scale, so ``elcart-sim phone --wallet K`` and ``elcart-sim tap`` build the
same country in two processes and agree on the token, the phone it is bound to and its keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from elcart_sim.core.errors import ConfigurationError
from elcart_sim.core.redact import mask_pan
from elcart_sim.live.demo_phone import DEMO_ISSUER_MASTER_KEY, demo_credential
from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.wallet.applet import PaymentApplet

if TYPE_CHECKING:
    import pandas as pd

    from elcart_sim.model.simulation import Simulation
    from elcart_sim.scenario import Scenario

__all__ = ["LIVE_SCENARIO", "LIVE_SCALE", "live_simulation", "wallet_card", "wallet_table", "phone_applet", "known_keys"]

LIVE_SCENARIO = "national-day"
LIVE_SCALE = 0.001
"""Scale of the simulated country behind a live tap: 0.1 % (about 370 enrolled wallets)."""


def live_simulation(
    scenario: str | Scenario = LIVE_SCENARIO, *, seed: int | None = None, scale: float = LIVE_SCALE
) -> Simulation:
    """The small simulated country a live tap pays in — a bundled scenario's name, a YAML path,
    or a Scenario (e.g. with `--set` fields) — at ``seed`` and ``scale``; it records every APDU."""
    from elcart_sim.model.simulation import Simulation
    from elcart_sim.scenario import load_scenario

    overrides: dict[str, Any] = {"scale": scale}
    if seed is not None:
        overrides["seed"] = seed
    base = load_scenario(scenario) if isinstance(scenario, str) else scenario
    return Simulation(base.with_overrides(overrides), record_apdus=True)


def wallet_card(sim: Simulation, wallet: int) -> int:
    """The card behind wallet number ``wallet`` (0 = the first enrolled wallet of the run)."""
    enrolled = sim.population.enrolled_cards
    if not 0 <= wallet < len(enrolled):
        raise ConfigurationError(f"wallet must be 0-{len(enrolled) - 1} for this scenario and scale, got {wallet}")
    return int(enrolled[wallet])


def wallet_table(sim: Simulation, limit: int | None = None) -> pd.DataFrame:
    """Enrolled wallets: number, masked token, issuer, card status, opening balance (KGS), and
    whether the phone is online with a full batch of limited-use keys or offline with what it has
    left (a phone with no key cannot pay: its applet answers 6984)."""
    import pandas as pd

    from elcart_sim.scenario import CARD_STATUSES

    population = sim.population
    batch = sim.wallet_services.batch_size
    rows = []
    for wallet, card in enumerate(population.enrolled_cards[:limit].tolist()):
        offline = sim.offline_phones.get(card)
        rows.append(
            {
                "wallet": wallet,
                "token": mask_pan(sim.token_service.token_pan_for(card)),
                "issuer": population.bank_of_card(card).code,
                "status": CARD_STATUSES[int(population.card_status[card])],
                "balance_kgs": int(population.opening_balance_tyiyn[card]) / 100,
                "phone": "offline" if offline else "online",
                "keys": offline[0] if offline else batch,
            }
        )
    return pd.DataFrame(rows, columns=["wallet", "token", "issuer", "status", "balance_kgs", "phone", "keys"])


def phone_applet(
    wallet: int | None = None, *, scenario: str | Scenario = LIVE_SCENARIO, seed: int | None = None, scale: float = LIVE_SCALE
) -> tuple[PaymentApplet, str]:
    """The applet a virtual phone serves, and one line saying whose it is.

    ``wallet=None``: the demo token (known test keys, but not issued by the simulated token
    service, so the simulated switch declines it 14). Otherwise wallet ``wallet`` of the
    scenario at ``seed`` and ``scale``, as ``elcart-sim tap`` with the same options builds it."""
    if wallet is None:
        credential = demo_credential()
        return PaymentApplet(credential), (
            f"the demo token {mask_pan(credential.token_pan)} (test keys; not issued by the "
            "simulated token service, so taps are declined 14: use --wallet K)"
        )
    sim = live_simulation(scenario, seed=seed, scale=scale)
    card = wallet_card(sim, wallet)
    enrolled = sim.wallet(card)
    if enrolled.applet is None:
        raise ConfigurationError(f"wallet {wallet}: the phone holds no token, so it cannot serve a tap")
    row = wallet_table(sim, wallet + 1).iloc[wallet]
    return enrolled.applet, (
        f"wallet {wallet} of {sim.scenario.name} seed {sim.scenario.seed} scale {sim.scenario.scale:g}: "
        f"token {enrolled.token_masked}, issuer {row['issuer']}, card {row['status']}, "
        f"balance {row['balance_kgs']:,.2f} KGS, {row['keys']} limited-use keys (one per tap; "
        "a stand-alone phone fetches no more)"
    )


def known_keys(sim: Simulation, token_pan: str | None) -> tuple[TokenCredential | None, bytes | None]:
    """The credential our applet would carry for ``token_pan`` and its issuer master key, when
    we hold them: the demo token, or a token the simulated token service issues."""
    if not token_pan:
        return None, None
    demo = demo_credential()
    if token_pan == demo.token_pan:
        return demo, DEMO_ISSUER_MASTER_KEY
    card = sim.card_of_token(token_pan)
    if card is None:
        return None, None
    return sim.wallet(card).applet.credential, sim.token_service.issuer_master_key(token_pan[:6])
