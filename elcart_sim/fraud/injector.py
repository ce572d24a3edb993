"""Injected attacks with ground truth: what a fraud scenario throws at ELKART Pay.

Each attempt is a transaction like any other — a tap at a real terminal, or a request sent by a
terminal — labelled in its record with the attack it is (``attack``) and, if a modelled check
stopped it, which one (``stopped_by``). Detection rates are then read off the transactions
table (``detection.py``). The attacks, and the check meant to stop each:

  - ``replayed_authorisation``: a compromised terminal keeps the authorisation request of a
    victim's genuine purchase and sends it again later (new STAN and trace id, same chip data)
    — the ATC replay memory (``atc_replay``);
  - ``replayed_card_answers``: a skimmer records a victim phone's answers during a genuine tap;
    an emulator replays them to another terminal, which sends its own unpredictable number
    and amount — the cryptogram is bound to the first terminal's data (``arqc``);
  - ``relay``: a mole next to the victim's phone relays the APDUs to a proxy at a distant
    terminal, adding ``relay_delay`` to every exchange — a locked phone refuses
    (``device_cvm``), a slow relay trips the kernel's time limit (``relay_timing``), a fast relay
    to an unlocked phone gets through;
  - ``stolen_locked_phone``: a thief taps a stolen, locked phone — the applet refuses
    (``device_cvm``);
  - ``token_after_deletion``: the owner moved to a new phone (old token deleted); whoever has
    the old phone, unlocked, taps it — the token's status (``token_status``);
  - ``wrong_channel``: the token number and expiry, sniffed from a tap's track 2 equivalent, are
    written on a magnetic stripe and swiped (DE22 901, no chip data) — the token's domain
    (``token_domain``);
  - ``cloned_device``: malware copies a wallet's token and keys to the attacker's phone, whose
    platform attests its own device id — the device binding in the token's domain
    (``token_domain``).

The two replay attacks start with the victim's own purchase (a genuine transaction added to the
day; when that dialogue fails the attacker waits for the next victim). Victims are enrolled
wallets that hold a token and a usable key at the attempt's instant; every attempt's instant,
victim, terminal and amount come from named streams. Counts per kind are exact
(``fraud.attempts``, not scaled), at uniform instants over the run.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Protocol

import simpy

from elcart_sim.acceptance.kernel import KernelOutcome
from elcart_sim.acceptance.nfc_link import SimulatedNfcLink
from elcart_sim.acceptance.terminal import PosTerminal, TapResult
from elcart_sim.core.streams import Distribution, RandomStreams, Sampler
from elcart_sim.protocol.emv import track2
from elcart_sim.scenario import ATTACK_KINDS, FraudSpec
from elcart_sim.tokens.lifecycle import TokenLifecycle
from elcart_sim.wallet.applet import PaymentApplet
from elcart_sim.wallet.wallet import PhoneWithoutToken, Wallet, attested_device_id
from elcart_sim.world.population import Population

__all__ = ["FraudInjector", "RelayLink", "ReplayingCard", "AttackSurface", "ATTACK_KINDS"]

_MIN_TICKET_TYIYN = 100
_VICTIM_DRAWS = 20  # victims drawn until one carries a working wallet


class AttackSurface(Protocol):
    """What an attacker reaches in the simulation: phones, terminals, the trace counter."""

    env: simpy.Environment
    population: Population
    apdu_latency_s: Sampler

    def wallet(self, card: int) -> Wallet | PhoneWithoutToken: ...

    def terminal(self, index: int) -> PosTerminal: ...

    def next_trace_id(self) -> int: ...


class RelayLink:
    """A relay between a victim's phone and a distant terminal: every APDU round trip takes the
    radio time plus ``delay_s`` (mole -> network -> proxy and back). It carries bytes, as the
    relay's own radios and network do."""

    def __init__(self, card: Callable[[bytes], bytes], apdu_latency_s: Callable[[], float], delay_s: float):
        self.name = "relay"
        self.card = card
        self._link = SimulatedNfcLink(card, apdu_latency_s, name="relay")
        self.delay_s = delay_s

    def transceive(self, command: bytes) -> tuple[bytes, float]:
        response, duration_s = self._link.transceive(command)
        return response, duration_s + self.delay_s


class ReplayingCard:
    """An emulator that answers each command with what a real phone answered to the same kind of
    command in a recorded tap (SELECT by its data, the others by their header)."""

    def __init__(self, exchanges):
        self._answers = {self._key(x.command): x.response for x in exchanges}

    @staticmethod
    def _key(command: bytes) -> bytes:
        return command if command[1:2] == b"\xa4" else command[:4]

    def process(self, command: bytes) -> bytes:
        return self._answers.get(self._key(command), b"\x6a\x82")


class FraudInjector:
    """Plays a fraud scenario's attacks against the running simulation."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: FraudSpec,
        duration_s: float,
        surface: AttackSurface,
        lifecycle: TokenLifecycle,
        ticket: Distribution,
        streams: RandomStreams,
    ):
        self.env = env
        self.spec = spec
        self.duration_s = duration_s
        self.surface = surface
        self.lifecycle = lifecycle
        self._streams = streams
        population = surface.population
        self._enrolled = population.enrolled_cards
        self._victim = streams.integers("fraud.victim", max(1, len(self._enrolled)))
        self._terminal = streams.integers("fraud.terminal", population.n_terminals)
        self._amount = streams.sampler("fraud.amount", ticket)
        self._relay_delay_s = streams.sampler("fraud.relay_delay", spec.relay_delay.distribution())
        self._relay_locked = streams.uniform("fraud.relay_victim_locked")
        self._replay_delay_s = streams.sampler("fraud.replay_delay", spec.replay_delay.distribution())
        self._attackers = 0

    # -- the day's plan -----------------------------------------------------------------------

    def plan(self) -> list[tuple[float, str]]:
        """(instant, attack kind) of every attempt, in time order."""
        out = []
        for kind in ATTACK_KINDS:
            count = self.spec.attempts.get(kind, 0)
            if count:
                rng = self._streams.generator(f"fraud.{kind}.instants")
                out += [(float(t), kind) for t in rng.uniform(0.0, self.duration_s, count)]
        out.sort()
        return out

    def inject_attacks(self) -> Generator[simpy.Event, object, None]:
        """SimPy process: start each attempt at its instant."""
        if not len(self._enrolled):
            return
        env = self.env
        for at, kind in self.plan():
            yield env.timeout(at - env.now)
            env.process(getattr(self, kind)())

    # -- helpers ------------------------------------------------------------------------------------

    def _victim_wallet(self) -> Wallet | None:
        for _ in range(_VICTIM_DRAWS):
            wallet = self.surface.wallet(int(self._enrolled[self._victim()]))
            if isinstance(wallet, Wallet) and wallet.keys.has_key():
                return wallet
        return None

    def _amount_tyiyn(self) -> int:
        return max(_MIN_TICKET_TYIYN, round(self._amount()))

    def _issuer(self, wallet: Wallet) -> str:
        return self.surface.population.bank_of_card(wallet.card).code

    def _tap(
        self, wallet: Wallet, card: Callable[[bytes], bytes], attack: str, link=None, terminal: int | None = None
    ) -> simpy.Event:
        """A tap at ``terminal`` (default: a random one) of the phone answering as ``card`` on a
        byte link (or on ``link``), labelled ``attack`` (empty for the victim's own purchase)."""
        s = self.surface
        link = link or SimulatedNfcLink(card, s.apdu_latency_s)
        pos = s.terminal(self._terminal() if terminal is None else terminal)
        trace_id = s.next_trace_id()
        done = self.env.event()
        pos.accept_tap(trace_id, link, self._amount_tyiyn(), wallet.token_masked, self._issuer(wallet), attack, done.succeed)
        return done

    def _submit(self, pos: PosTerminal, trace_id: int, request: dict, amount_tyiyn: int, victim: Wallet, attack: str) -> simpy.Event:
        """An authorisation request sent from ``pos`` without a card dialogue, labelled ``attack``."""
        done = self.env.event()
        pos.submit_request(trace_id, request, amount_tyiyn, victim.token_masked, self._issuer(victim), attack, done.succeed)
        return done

    # -- the attacks --------------------------------------------------------------------------------

    def _capture(self, terminal: int | None = None) -> Generator[simpy.Event, object, tuple[Wallet, TapResult] | None]:
        """A victim's genuine purchase that got as far as an authorisation request (the
        attacker waits for the next victim when a dialogue fails)."""
        for _ in range(_VICTIM_DRAWS):
            victim = self._victim_wallet()
            if victim is None:
                return None
            genuine: TapResult = yield self._tap(victim, victim.at_reader().process, "", terminal=terminal)
            if genuine.request is not None:
                return victim, genuine
        return None

    def replayed_authorisation(self) -> Generator[simpy.Event, object, TapResult | None]:
        compromised = self._terminal()
        captured = yield from self._capture(compromised)
        if captured is None:
            return None
        victim, genuine = captured
        yield self.env.timeout(self._replay_delay_s())
        s = self.surface
        terminal = s.terminal(compromised)
        trace_id = s.next_trace_id()
        request = dict(genuine.request)
        request["11"] = terminal.next_stan()
        request["37"] = f"{trace_id:012d}"
        amount = int(request["4"])
        return (yield self._submit(terminal, trace_id, request, amount, victim, "replayed_authorisation"))

    def replayed_card_answers(self) -> Generator[simpy.Event, object, TapResult | None]:
        captured = yield from self._capture()
        if captured is None:
            return None
        victim, genuine = captured
        yield self.env.timeout(self._replay_delay_s())
        emulator = ReplayingCard(genuine.kernel.exchanges)
        return (yield self._tap(victim, emulator.process, "replayed_card_answers"))

    def relay(self) -> Generator[simpy.Event, object, TapResult | None]:
        victim = self._victim_wallet()
        if victim is None:
            return None
        locked = self._relay_locked() < self.spec.relay_victim_locked_share
        link = RelayLink(victim.at_reader(unlocked=not locked).process, self.surface.apdu_latency_s, self._relay_delay_s())
        return (yield self._tap(victim, link.card, "relay", link=link))

    def stolen_locked_phone(self) -> Generator[simpy.Event, object, TapResult | None]:
        victim = self._victim_wallet()
        if victim is None:
            return None
        return (yield self._tap(victim, victim.at_reader(unlocked=False).process, "stolen_locked_phone"))

    def token_after_deletion(self) -> Generator[simpy.Event, object, TapResult | None]:
        old = self._victim_wallet()
        if old is None:
            return None
        self.env.process(self.lifecycle.replace_phone(old.card, "phone replaced; the old phone was sold"))
        old.online = False  # the old phone's app no longer reaches the token service
        return (yield self._tap(old, old.at_reader(unlocked=True).process, "token_after_deletion"))

    def wrong_channel(self) -> Generator[simpy.Event, object, TapResult | None]:
        victim = self._victim_wallet()
        if victim is None:
            return None
        s = self.surface
        terminal = s.terminal(self._terminal())
        trace_id = s.next_trace_id()
        credential = victim.applet.credential
        track2_data = track2.encode(credential.token_pan, credential.expiry)
        sniffed = KernelOutcome(
            exchanges=(), nfc_s=0.0, outcome="online", token_pan=credential.token_pan, expiry=credential.expiry, track2=track2_data
        )
        amount = self._amount_tyiyn()
        request = terminal.authorisation_request(trace_id, sniffed, amount, self.env.now)
        request["22"] = "901"  # magnetic stripe read, full track 2; PIN entry possible
        del request["55"]
        return (yield self._submit(terminal, trace_id, request, amount, victim, "wrong_channel"))

    def cloned_device(self) -> Generator[simpy.Event, object, TapResult | None]:
        victim = self._victim_wallet()
        if victim is None:
            return None
        self._attackers += 1
        original = victim.applet
        clone = PaymentApplet(
            original.credential,
            aid=original.aid,
            kernel=original.kernel,
            cryptogram_version=original.cryptogram_version,
            cdcvm_required=original.cdcvm_required,
            keys=victim.keys.copy(),
            device_id=attested_device_id(f"attacker phone {self._attackers}"),
            atc=original.atc,
        )
        return (yield self._tap(victim, clone.process, "cloned_device"))

