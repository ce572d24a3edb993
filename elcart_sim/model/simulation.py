"""One run of the whole system: the entities built from a scenario and wired into the chain.

    phone (HCE applet) ─NFC─ POS terminal + KKM ─ acquirer ─ national switch (IPC) ─ issuer bank
    plastic card (chip) ─contact/NFC─┘                │             └ token vault        └ ledger
    plastic card ─contacts─ ATM ──────────────────────┘ (0200 cash withdrawal, 0420 reversal advice)
    ELKART Mobile ─ transfer service ─ directory ┘ (the same switch, issuers and ledger)
                  ├ bill service ─ switch ─ payer's issuer; biller gateways ─ billers
                  ├ account-transfer service ─ switch ─ sender's issuer; interaction operator
                  └ merchant QR payment ─ switch ─ payer's issuer; interaction operator ─ acquirer
    employer / Social Fund ─ credit file ─ bank's batch posting (ledger) ─ notification gateway ─ phone

`Simulation(scenario)` builds the population and every entity, each with its own named random
streams, and registers each host it builds (core/registry.py), so results, capacity planning and
the report read the hosts from the registry. `tap()` runs one tap over any NFC link — the
simulated one, or a real PC/SC reader — through the same simulated hosts; `card_payment()` one
purchase with a plastic card (held to the reader or inserted: cards/), `withdraw()` one cash
withdrawal at an ATM (acceptance/atm.py); `transfer()` one P2P
transfer through the directory, the switch and both issuers, `pay_bill()` one bill or top-up,
`account_transfer()` one transfer to a bank account, `qr_payment()` one payment to a merchant by
its ELQR code (the app's services are built on first use, or for a day whose channels include
them; model/app_services.py); `credit()` one salary or
pension credit, posted at the card's bank and pushed to the phone (built on first use, or for a
crediting day with credit files); `run()` plays the day (model/day.py), or with `days=n` the
scenario's date and the n − 1 days after it in a row on one clock (each day at its local
midnight, a multiple of 86,400 s, at its own rates: Scenario.on(date)), carrying balances,
tokens, keys and unsettled positions from one day to the next. A live device
(`card=None`) is known by the token it presents, as the network knows any phone; simulated time
advances by its measured APDU durations. When the scenario's clearing is enabled, the switch's
approvals and reversals become clearing records, and the clearing cycle settles them at the
National Bank (model/clearing_cycle.py). The scenario's faults, if any, are injected on the clock
(faults/injection.py).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

import simpy

from elcart_sim.acceptance.atm import AtmServices, AtmTerminal
from elcart_sim.acceptance.kernel import ContactlessKernel, TerminalConfig
from elcart_sim.acceptance.nfc_link import NfcLink, SimulatedNfcLink
from elcart_sim.acceptance.terminal import PosTerminal, TapResult, TerminalServices
from elcart_sim.analysis.days import days_table
from elcart_sim.analysis.results import Results
from elcart_sim.cards import CardKeys, ChipAuthentication, PlasticCards
from elcart_sim.core import memory
from elcart_sim.core.clock import Deadlines
from elcart_sim.core.errors import ConfigurationError, ScenarioError
from elcart_sim.core.ids import TraceIds
from elcart_sim.core.invariants import Invariants
from elcart_sim.core.local_time import BusinessDay
from elcart_sim.core.records import Records
from elcart_sim.core.redact import mask_pan
from elcart_sim.core.registry import Component, Registry
from elcart_sim.core.streams import RandomStreams
from elcart_sim.faults import Injection, inject, plan_of
from elcart_sim.fraud.injector import FraudInjector
from elcart_sim.hosts.acquirer import Acquirer
from elcart_sim.hosts.host import Host
from elcart_sim.hosts.hsm import Hsm
from elcart_sim.hosts.issuer import Issuer
from elcart_sim.hosts.switch import Switch
from elcart_sim.hosts.switch.nodes import NodedSwitch
from elcart_sim.model import day
from elcart_sim.model.app_services import AppServices
from elcart_sim.model.card_payments import CardPayments
from elcart_sim.model.clearing_cycle import ClearingCycle
from elcart_sim.model.day import DAY_S
from elcart_sim.model.links import connect_links
from elcart_sim.model.phones import Phones
from elcart_sim.money.ledger import POSTING_KINDS, Ledger
from elcart_sim.protocol.emv.apdu_format import APDU_BYTES
from elcart_sim.protocol.fidelity import apdu_format, wire_format
from elcart_sim.scenario import Scenario, host_spec_of_bank
from elcart_sim.tokens.card_authentication import CardAuthentication
from elcart_sim.tokens.identity import IdentityVerification
from elcart_sim.tokens.lifecycle import TokenLifecycle
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.wallet.wallet import PhoneWithoutToken, Wallet, WalletProfile, WalletServices, offline_phones
from elcart_sim.world.atms import AtmFleet
from elcart_sim.world.card_demand import CardDemand
from elcart_sim.world.demand import Demand
from elcart_sim.world.population import Population

__all__ = ["Simulation", "run"]


class Simulation(AppServices, CardPayments):
    """The system under test, built from a scenario."""

    def __init__(
        self, scenario: Scenario, replication: int = 0, *, record_apdus: bool = False, days: int = 1, check_invariants: bool | None = None
    ):
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ConfigurationError(f"Simulation: days must be a whole number >= 1, got {days!r}")
        self.scenario = scenario
        self.dates = [scenario.business_date + datetime.timedelta(days=d) for d in range(days)]
        # The run's span: every day but the last in full, the last for demand.duration_s.
        self.duration_s = (days - 1) * DAY_S + scenario.demand.duration_s
        self.day_closes: list[dict] = []  # the ledger at each day's close (model/day.py)
        self.streams = streams = RandomStreams(scenario.seed, replication)
        # A multi-day run's wallets are its last day's (on the adoption curve, the most enrolled);
        # each day's taps follow that day's adoption (Scenario.volume_factors).
        self.population = population = Population.build(scenario.on(self.dates[-1]) if days > 1 else scenario, streams)
        self.env = env = simpy.Environment()
        self.records = records = Records()
        self.registry = Registry()
        self.next_trace_id = TraceIds()
        self.wire = wire = wire_format(scenario.fidelity)
        self.ledger = Ledger(opening_balance=self._opening_balance)
        # The run's invariants (core/invariants.py): the scenario's `invariants`, unless asked here.
        self.invariants: Invariants | None = None
        if scenario.invariants if check_invariants is None else check_invariants:
            self.invariants = Invariants()
            self.invariants.watch(self.ledger, POSTING_KINDS)
        security = scenario.security
        self.token_service = TokenService(population, key_ttl_s=security.keys.ttl_s, events=records.token_events)
        self.card_authentication = CardAuthentication(self.token_service, security)
        self.card_keys = CardKeys()
        chip_authentication = ChipAuthentication(self.card_keys, security.cryptogram_version)
        network = scenario.network
        codes = {bank.code for bank in population.banks}
        for field, banks in (("issuers", scenario.issuers), ("hsm.issuers", scenario.hsm.issuers)):
            for code in banks:
                if code not in codes:
                    raise ScenarioError(f"{field}.{code}", f"is not a bank of {scenario.population.banks_file}")
        self.issuers = {
            bank.index: Issuer(env, bank, host_spec_of_bank(scenario.issuer, scenario.issuers, bank.code)[1], population, self.ledger, streams, records.hops, wire, chip_authentication)
            for bank in population.banks
        }
        # A switch of several nodes (hosts/switch/nodes.py) when the scenario has them or loses one.
        nodes = scenario.switch.nodes
        noded = nodes > 1 or any(fault.kind == "switch_node_down" for fault in scenario.faults)
        self.switch = (functools.partial(NodedSwitch, nodes=nodes) if noded else Switch)(
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
                records.stand_in,
        )
        if scenario.switch.duplicates == "all" or any(fault.kind == "duplicates" for fault in scenario.faults):
            self.switch.remember_every_request()  # a link of the drill may deliver a message twice
        self.clearing: ClearingCycle | None = None
        if scenario.clearing.enabled:
            self.clearing = self.switch.clearing = ClearingCycle(
                env,
                scenario.clearing,
                scenario.business_date,
                [bank.code for bank in population.banks],
                {bank.institution_id: bank.code for bank in population.banks},
                self.ledger,
                records,
                self.duration_s,
            )
        self.acquirer = Acquirer(
                env,
                scenario.acquirer,
                self.switch,
                streams.sampler("network.acquirer_switch", network.acquirer_switch.distribution()),
                streams,
                records.hops,
                wire,
                issuer_of=population.issuer_code,
        )
        # The components, in the order of the chain: every per-host table lists them so.
        self.register(self.acquirer, "acquirer")
        self.register(self.switch, "switch")
        for bank in population.banks:
            self.register(self.issuers[bank.index], host_spec_of_bank(scenario.issuer, scenario.issuers, bank.code)[0], bank.code)
        self.hsms = self._build_hsms()
        self.aid = aid = bytes.fromhex(scenario.terminal.aid)
        self.terminal_services = TerminalServices(
            env=env,
            kernel=ContactlessKernel(
                TerminalConfig(aid=aid, max_cryptogram_rtt_s=security.max_cryptogram_rtt_s, require_cdcvm=security.require_cdcvm)
            ),
            wire=wire,
            acquirer=self.acquirer,
            day=BusinessDay(scenario.business_date),
            acquirer_link_latency_s=streams.sampler("network.terminal_acquirer", network.terminal_acquirer.distribution()),
            processing_s=streams.sampler("terminal.processing", scenario.terminal.processing.distribution()),
            receipt_print_s=streams.sampler("terminal.receipt_print", scenario.terminal.receipt_print.distribution()),
            unpredictable_number=streams.integers("terminal.unpredictable_number", 2**32),
            deadlines=Deadlines(env, scenario.terminal.timeout_s),
            transactions=records.transactions,
            receipts=records.receipts,
            apdus=records.apdus if record_apdus else None,
            identify_token=self.identify_token,
            kernels={
                "card_contactless": ContactlessKernel(TerminalConfig(aid=aid, max_cryptogram_rtt_s=security.max_cryptogram_rtt_s)),
                "card_chip": ContactlessKernel(TerminalConfig(aid=aid)),
            },
            card_insert_s=streams.sampler("cards.insert", scenario.cards.insert.distribution()),
        )
        self.terminals: dict[int, PosTerminal] = {}
        # Plastic cards and the ATMs (cards/, world/atms.py, acceptance/atm.py)
        self.plastic_cards = PlasticCards(population, self.card_keys, aid, security.kernel, security.cryptogram_version)
        self.card_apdu_latency_s = {
            "card_contactless": streams.sampler("cards.contactless_apdu_latency", scenario.cards.contactless_apdu_latency.distribution()),
            "card_chip": streams.sampler("cards.contact_apdu_latency", scenario.cards.contact_apdu_latency.distribution()),
        }
        self.atm_fleet = AtmFleet.build(scenario, population)
        self.atm_services = AtmServices(
            env=env,
            kernel=ContactlessKernel(TerminalConfig(aid=aid, transaction_type=0x01, terminal_type=14)),
            wire=wire,
            acquirer=self.acquirer,
            day=self.terminal_services.day,
            acquirer_link_latency_s=streams.sampler("network.atm_acquirer", network.terminal_acquirer.distribution()),
            session_s=streams.sampler("atm.session", scenario.atm.session.distribution()),
            dispense_s=streams.sampler("atm.dispense", scenario.atm.dispense.distribution()),
            unpredictable_number=streams.integers("atm.unpredictable_number", 2**32),
            deadlines=Deadlines(env, scenario.atm.timeout_s),
            transactions=records.transactions,
        )
        self.atms: dict[int, AtmTerminal] = {}
        self.links = connect_links(self)  # the links with a bandwidth, by name (model/links.py)
        self.apdu_latency_s = streams.sampler("nfc.apdu_latency", scenario.nfc.apdu_latency.distribution())
        # fast: the card dialogue as objects on a phone's link — unless the run records its APDUs,
        # which then must exist (the same outcomes and timings either way)
        self.apdu_format = APDU_BYTES if record_apdus else apdu_format(scenario.fidelity)
        self.demand = Demand(scenario, population, streams)
        self.card_demand = CardDemand(scenario, population, streams, len(self.atm_fleet))
        keys = security.keys
        self.wallet_profile = WalletProfile(aid, security.kernel, security.cryptogram_version, security.require_cdcvm)
        self.wallet_services = WalletServices(
            env,
            self.token_service,
            streams.sampler("wallet.key_replenishment", keys.replenishment.distribution()),
            keys.batch_size,
            keys.replenish_threshold,
        )
        self.offline_phones = offline_phones(population.enrolled_cards, keys.offline_share, keys.batch_size, keys.ttl_s, streams)
        self.phones = Phones(env, population, self.token_service, self.wallet_profile, self.wallet_services, self.offline_phones)
        duration = self.duration_s
        identity = IdentityVerification(security.provisioning, streams)
        self.lifecycle = TokenLifecycle(env, security.lifecycle, duration, population, self.token_service, identity, self.phones, streams)
        self.fraud = FraudInjector(env, scenario.fraud, duration, self, self.lifecycle, scenario.demand.ticket.distribution(), streams)
        self.build_app_services_for_the_day()
        self.faults: Injection | None = inject(self, plan_of(scenario))  # the scenario's fault drill, if any (faults/)

    def register(self, host: Host | Hsm, spec: str, bank: str = "") -> None:
        """Add ``host``, configured by scenario field ``spec``, to the registry of components."""
        name = f"{host.hop}:{bank}" if bank else host.hop
        self.registry.add(Component(name, host.hop, spec, host.servers, bank))

    def _build_hsms(self) -> dict[str, Hsm]:
        """The HSM pools of the scenario's `hsm` section, each wired to the host that calls it
        (Host.use_hsm) and registered after the hosts: IPC's at the switch, one per issuing bank.
        None when the section is off or no message type has calls."""
        hsm, env, hops = self.scenario.hsm, self.env, self.records.hops
        hsms: dict[str, Hsm] = {}
        calls = hsm.calls_at("switch")
        if calls:
            hsms["switch"] = pool = Hsm(env, "hsm.switch", hsm.switch, hops)
            self.switch.use_hsm(pool, calls)
            self.register(pool, "hsm.switch")
        calls = hsm.calls_at("issuer")
        if calls:
            for bank in self.population.banks:
                spec_field, spec = hsm.of_bank(bank.code)
                hsms[bank.code] = pool = Hsm(env, f"hsm.{bank.code}", spec, hops, bank.code)
                self.issuers[bank.index].use_hsm(pool, calls)
                self.register(pool, spec_field, bank.code)
        return hsms

    def _opening_balance(self, account: tuple) -> int:
        _bank_code, kind, key = account
        return int(self.population.opening_balance_tyiyn[key]) if kind == "cardholder" else 0

    # -- who and where ------------------------------------------------------------------------------

    @property
    def wallets(self) -> dict[int, Wallet | PhoneWithoutToken]:
        """The phone each card's holder carries, for the cards that have paid or changed phones."""
        return self.phones.wallets

    def wallet(self, card: int) -> Wallet | PhoneWithoutToken:
        """The phone the card's holder carries (model/phones.py)."""
        return self.phones.wallet(card)

    def terminal(self, index: int) -> PosTerminal:
        """POS terminal ``index`` of the population, built on first use."""
        terminal = self.terminals.get(index)
        if terminal is None:
            data = self.population.terminal(index)
            terminal = self.terminals[index] = PosTerminal(data, self.population.banks[data.acquirer], self.terminal_services)
        return terminal

    def card_of_token(self, token_pan: str) -> int | None:
        """The enrolled card whose wallet the token service gives ``token_pan``, or None."""
        return self.phones.card_of_token(token_pan)

    def identify_token(self, token_pan: str) -> tuple[str, str]:
        """(masked token, issuer code) of a live device's token; the wallet holding it is enrolled
        (its token enters the vault) on first sight. A token the simulated token service never
        issues (a demo token, a real card) stays unknown: issuer '' and the switch declines 14."""
        card = self.card_of_token(token_pan)
        if card is None:
            return mask_pan(token_pan), ""
        return self.wallet(card).token_masked, self.population.bank_of_card(card).code

    # -- taps ---------------------------------------------------------------------------------------

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
                raise ConfigurationError("Simulation.start_tap: a live device (card=None) needs its link, got link=None")
            token_masked = issuer_code = None
        else:
            wallet = self.phones.wallet(card)
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

    def run(self, progress: Callable[[float], None] | None = None, progress_step_s: float = 900.0) -> Results:
        """Play the scenario's day (model/day.py) and collect its results from the records and
        the registry; ``progress(fraction)`` is called as simulated time advances. Two glibc
        settings of the process are asked for here, and nowhere else (core/memory.py): large
        blocks kept mapped before the day, the heap's free pages handed back before the results
        are built."""
        memory.keep_large_blocks_mapped()
        day.play(self, progress, progress_step_s)
        memory.return_free_memory()
        return self.results()

    def results(self) -> Results:
        """What has happened so far, as tables: the records, the ledger's journal and the
        registry's components (analysis/results.py). Collecting takes the records over. With
        the invariants on, their end-of-run checks come first (books) and last (tables), and
        the results carry their `violations`."""
        if self.switch.stand_in is not None:
            self.switch.stand_in.close()  # the advices still queued get their rows
        checker = self.invariants
        if checker is not None:
            checker.close_books(self.ledger, self.env.now)
        results = Results.collect(
            scenario=self.scenario,
            records=self.records,
            registry=self.registry,
            ledger=self.ledger,
            population=self.population.summary(),
            duration_s=self.duration_s,
        )
        if len(self.dates) > 1:
            results.days = days_table(results, self.dates, self.day_closes)
        if checker is not None:
            checker.check_results(results, self.next_trace_id.issued, self.env.now)
            results.violations = checker.frame()
        return results


def run(scenario: Scenario, *, progress: bool = False, days: int = 1) -> Results:
    """Run `scenario` once (``days`` days in a row from its date); with `progress=True`, show a
    progress bar on stderr."""
    simulation = Simulation(scenario, days=days)
    if not progress:
        return simulation.run()
    from tqdm import tqdm

    with tqdm(total=100, unit="%", desc=f"{scenario.name} ×{scenario.scale:g}", leave=False) as bar:
        return simulation.run(progress=lambda f: bar.update(round(f * 100) - bar.n))
