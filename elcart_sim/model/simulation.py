"""One run of the whole system: build the population and the chain, drive the day, collect records.

    phone (HCE applet) ─NFC─ POS terminal + KKM ─ acquirer ─ national switch (IPC) ─ issuer bank
                                                               └ token vault        └ ledger

`Simulation(scenario)` wires the entities together, each with its own named random streams;
`run()` plays the day and drains every transaction in flight (reversals included), then returns
`Results`. `tap()` runs one tap over any NFC link — the simulated one, or a real PC/SC reader —
through the same simulated hosts. A live device (`card=None`) is known by the token it presents,
as the network knows any phone; simulated time advances by its measured APDU durations.
"""

from __future__ import annotations

import datetime
import gc
from collections.abc import Callable
from contextlib import contextmanager

import simpy

from elcart_sim.hosts.acquirer import Acquirer
from elcart_sim.tokens.card_authentication import CardAuthentication
from elcart_sim.world.demand import Demand
from elcart_sim.fraud.injector import FraudInjector
from elcart_sim.tokens.identity import IdentityVerification, IdvResult
from elcart_sim.hosts.issuer import Issuer
from elcart_sim.money.ledger import Ledger
from elcart_sim.wallet.wallet import PhoneWithoutToken, Wallet, WalletProfile, WalletServices, attested_device_id, offline_phones
from elcart_sim.world.population import Population
from elcart_sim.protocol.emv.apdu_format import APDU_BYTES
from elcart_sim.protocol.fidelity import apdu_format, wire_format
from elcart_sim.core.records import Records
from elcart_sim.core.redact import mask_pan
from elcart_sim.analysis.results import Results
from elcart_sim.scenario import Scenario
from elcart_sim.core.streams import RandomStreams
from elcart_sim.hosts.switch import Switch
from elcart_sim.acceptance.kernel import ContactlessKernel, TerminalConfig
from elcart_sim.acceptance.nfc_link import NfcLink, SimulatedNfcLink
from elcart_sim.acceptance.terminal import PosTerminal, TapResult, TerminalServices
from elcart_sim.tokens.lifecycle import TokenLifecycle
from elcart_sim.tokens.token_service import TokenService

__all__ = ["Simulation", "run"]


class Simulation:
    """The system under test, built from a scenario."""

    def __init__(self, scenario: Scenario, replication: int = 0, *, record_apdus: bool = False):
        self.scenario = scenario
        self.streams = streams = RandomStreams(scenario.seed, replication)
        self.population = population = Population.build(scenario, streams)
        self.env = env = simpy.Environment()
        self.records = records = Records()
        self.wire = wire = wire_format(scenario.fidelity)
        self.ledger = Ledger(opening_balance=self._opening_balance)
        security = scenario.security
        self.token_service = TokenService(population, key_ttl_s=security.keys.ttl_s, events=records.token_events)
        self.card_authentication = CardAuthentication(self.token_service, security)
        self.issuers = {
            bank.index: Issuer(env, bank, scenario.issuer, population, self.ledger, streams, records.hops, wire)
            for bank in population.banks
        }
        network = scenario.network
        self.switch = Switch(
            env,
            scenario.switch,
            population,
            self.token_service,
            self.issuers,
            streams.sampler("network.switch_issuer", network.switch_issuer.distribution()),
            streams,
            records.hops,
            wire,
            self.card_authentication,
        )
        self.acquirer = Acquirer(
            env,
            scenario.acquirer,
            self.switch,
            streams.sampler("network.acquirer_switch", network.acquirer_switch.distribution()),
            streams,
            records.hops,
            wire,
        )
        self.aid = bytes.fromhex(scenario.terminal.aid)
        self.terminal_services = TerminalServices(
            env=env,
            kernel=ContactlessKernel(
                TerminalConfig(aid=self.aid, max_cryptogram_rtt_s=security.max_cryptogram_rtt_s, require_cdcvm=security.require_cdcvm)
            ),
            wire=wire,
            acquirer=self.acquirer,
            business_day=datetime.datetime.fromisoformat(scenario.date),
            acquirer_link_latency_s=streams.sampler("network.terminal_acquirer", network.terminal_acquirer.distribution()),
            processing_s=streams.sampler("terminal.processing", scenario.terminal.processing.distribution()),
            receipt_print_s=streams.sampler("terminal.receipt_print", scenario.terminal.receipt_print.distribution()),
            unpredictable_number=streams.integers("terminal.unpredictable_number", 2**32),
            timeout_s=scenario.terminal.timeout_s,
            transactions=records.transactions,
            receipts=records.receipts,
            apdus=records.apdus if record_apdus else None,
            identify_token=self.identify_token,
        )
        self.apdu_latency_s = streams.sampler("nfc.apdu_latency", scenario.nfc.apdu_latency.distribution())
        # fast: the card dialogue as objects on a phone's link — unless the run records its APDUs,
        # which then must exist (the same outcomes and timings either way)
        self.apdu_format = APDU_BYTES if record_apdus else apdu_format(scenario.fidelity)
        self.demand = Demand(scenario, population, streams)
        self.terminals: dict[int, PosTerminal] = {}
        self.wallets: dict[int, Wallet | PhoneWithoutToken] = {}  # the phone each card's holder carries
        self._next_trace = 1
        keys = security.keys
        self.wallet_profile = WalletProfile(self.aid, security.kernel, security.cryptogram_version, security.require_cdcvm)
        self.wallet_services = WalletServices(
            env,
            self.token_service,
            streams.sampler("wallet.key_replenishment", keys.replenishment.distribution()),
            keys.batch_size,
            keys.replenish_threshold,
        )
        self.offline_phones = offline_phones(population.enrolled_cards, keys.offline_share, keys.batch_size, keys.ttl_s, streams)
        duration = scenario.demand.duration_s
        self.lifecycle = TokenLifecycle(
            env,
            security.lifecycle,
            duration,
            population,
            self.token_service,
            IdentityVerification(security.provisioning, streams),
            self,
            streams,
        )
        self.fraud = FraudInjector(env, scenario.fraud, duration, self, self.lifecycle, scenario.demand.ticket.distribution(), streams)

    # -- lazily built entities ------------------------------------------------------------------------

    def _opening_balance(self, account: tuple) -> int:
        bank_code, kind, key = account
        return int(self.population.opening_balance_tyiyn[key]) if kind == "cardholder" else 0

    def wallet(self, card: int) -> Wallet | PhoneWithoutToken:
        """The phone the card's holder carries; a wallet enrolled before the day is built on first use
        (online with a full key batch, or offline with what it had left)."""
        wallet = self.wallets.get(card)
        if wallet is None:
            offline = self.offline_phones.get(card)
            keys_left, keys_issued_at = offline if offline is not None else (None, None)
            wallet = self.wallets[card] = Wallet.enrol(
                self.population,
                self.token_service,
                card,
                self.aid,
                profile=self.wallet_profile,
                services=self.wallet_services,
                at=self.env.now,
                online=offline is None,
                keys_left=keys_left,
                keys_issued_at=keys_issued_at,
                before_the_day=True,
            )
        return wallet

    def replace_wallet(self, card: int, wallet: Wallet | PhoneWithoutToken) -> None:
        """The card's holder now carries ``wallet`` (a new phone, token lifecycle)."""
        self.wallets[card] = wallet

    def enrol_phone(self, card: int, phone: int, idv: IdvResult, at: float) -> Wallet:
        """Tokenize the card onto its holder's phone number ``phone`` now, after ``idv`` passed."""
        return Wallet.enrol(
            self.population,
            self.token_service,
            card,
            self.aid,
            profile=self.wallet_profile,
            services=self.wallet_services,
            phone=phone,
            idv=idv,
            at=at,
        )

    def new_phone(self, card: int, phone: int) -> PhoneWithoutToken:
        """The card's holder's phone number ``phone``, new, before ELKART Pay holds a token on it."""
        return PhoneWithoutToken(card, attested_device_id(f"card {card} phone {phone}"), phone)

    def next_trace_id(self) -> int:
        trace_id = self._next_trace
        self._next_trace += 1
        return trace_id

    def terminal(self, index: int) -> PosTerminal:
        terminal = self.terminals.get(index)
        if terminal is None:
            data = self.population.terminal(index)
            terminal = PosTerminal(data, self.population.banks[data.acquirer], self.terminal_services)
            self.terminals[index] = terminal
        return terminal

    # -- taps ---------------------------------------------------------------------------------------

    def card_of_token(self, token_pan: str) -> int | None:
        """The enrolled card whose wallet the token service gives `token_pan`, or None if it never would."""
        bank = self.population.bank_of_token_bin(token_pan[:6])
        if bank is None:
            return None
        enrolled = self.population.enrolled_cards
        starts = self.population.card_starts
        first, stop = enrolled.searchsorted(starts[bank.index]), enrolled.searchsorted(starts[bank.index + 1])
        for card in enrolled[first:stop].tolist():
            if self.token_service.token_pan_for(card) == token_pan:
                return card
        return None

    def identify_token(self, token_pan: str) -> tuple[str, str]:
        """(masked token, issuer code) of a live device's token; the wallet holding it is enrolled
        (its token enters the vault) on first sight. A token the simulated token service never
        issues (a demo token, a real card) stays unknown: issuer '' and the switch declines 14."""
        card = self.card_of_token(token_pan)
        if card is None:
            return mask_pan(token_pan), ""
        return self.wallet(card).token_masked, self.population.bank_of_card(card).code

    def start_tap(
        self,
        card: int | None,
        terminal: int,
        amount_tyiyn: int,
        link: NfcLink | None = None,
        *,
        attack: str = "",
        then: Callable[[TapResult], None] | None = None,
    ) -> None:
        """Start one customer's payment now; `then(result)` when it has ended.

        `card=None` is a live device on `link` (e.g. a PcscLink): who pays is read from the token
        it presents (identify_token). `attack` labels an injected attack in the record."""
        trace_id = self.next_trace_id()
        if card is None:
            if link is None:
                raise ValueError("a live device (card=None) needs its link")
            token_masked = issuer_code = None
        else:
            wallet = self.wallet(card)
            if link is None:
                link = SimulatedNfcLink.to(wallet.at_reader(), self.apdu_latency_s, self.apdu_format)
            token_masked, issuer_code = wallet.token_masked, self.population.bank_of_card(card).code
        self.terminal(terminal).accept_tap(trace_id, link, amount_tyiyn, token_masked, issuer_code, attack, then)

    def tap(self, card: int | None, terminal: int, amount_tyiyn: int, link: NfcLink | None = None) -> TapResult:
        """Run one tap to its final state (and any reversal it caused) and return what the terminal showed."""
        results: list[TapResult] = []
        self.start_tap(card, terminal, amount_tyiyn, link, then=results.append)
        self.env.run()
        return results[0]

    # -- the day --------------------------------------------------------------------------------------

    def _sample_queues(self):
        env = self.env
        samples = self.records.samples
        pools = [("acquirer", self.acquirer.pool), ("switch", self.switch.pool)]
        pools += [(f"issuer:{i.bank.code}", i.pool) for i in self.issuers.values()]
        interval = self.scenario.monitor_interval_s
        previous = {name: pool.areas() for name, pool in pools}
        while env.now < self.scenario.demand.duration_s:
            elapsed = min(interval, self.scenario.demand.duration_s - env.now)  # the last one may be shorter
            yield env.timeout(elapsed)
            for name, pool in pools:
                busy_area, queue_area = pool.areas()
                last_busy, last_queue = previous[name]
                previous[name] = (busy_area, queue_area)
                samples.append(
                    env.now, name, pool.queue_length, pool.busy, (queue_area - last_queue) / elapsed, (busy_area - last_busy) / elapsed
                )

    def run(self, progress: Callable[[float], None] | None = None, progress_step_s: float = 900.0) -> Results:
        """Play the scenario's day; `progress(fraction)` is called as simulated time advances.

        Python's cyclic garbage collector is paused while the day plays (`paused_gc`): reference
        counting frees every message, event and record row, and the only cycles a day leaves are
        the wallets of replaced phones (a few dozen), while the collector's passes over hundreds
        of thousands of live wallets and tokens cost a third of a national run."""
        env = self.env
        env.process(self.demand.generate_taps(env, lambda c, t, a: self.start_tap(c, t, a)))
        env.process(self._sample_queues())
        env.process(self.lifecycle.generate_requests())
        env.process(self.fraud.inject_attacks())
        duration = self.scenario.demand.duration_s
        t = 0.0
        with paused_gc():
            while t < duration:
                t = min(duration, t + progress_step_s)
                env.run(until=t)
                if progress:
                    progress(t / duration)
            env.run()  # drain: every tap in flight reaches its final state, every reversal its issuer
        return Results.collect(self)


@contextmanager
def paused_gc():
    """Pause automatic cyclic garbage collection inside the block (as it was, afterwards)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(scenario: Scenario, *, progress: bool = False) -> Results:
    """Run `scenario` once; with `progress=True`, show a progress bar on stderr."""
    simulation = Simulation(scenario)
    if not progress:
        return simulation.run()
    from tqdm import tqdm

    with tqdm(total=100, unit="%", desc=f"{scenario.name} ×{scenario.scale:g}", leave=False) as bar:
        return simulation.run(progress=lambda f: bar.update(round(f * 100) - bar.n))
