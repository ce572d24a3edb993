"""Scenarios: YAML files under data/scenarios/ loaded into validated, frozen configuration.

A scenario is checked at the door, before anything runs: an unknown key, a wrong type or an
impossible value raises ScenarioError naming the dotted path and the value
(`switch.servers must be > 0, got 0`). One spec module per subsystem (``world``, ``acceptance``,
``hosts``, ``security``, ``fraud``, ``services``, ``payroll``, ``clearing``, ``calendar``, ``faults``, ``people``), the building blocks and rules in ``fields``, every list of
allowed values in ``choices``, the loader's checks in ``rules``, files in ``loading``.
"""

from elcart_sim.scenario.acceptance import NfcSpec, TerminalSpec
from elcart_sim.scenario.calendar import CALENDAR_DAY_KINDS, CalendarSpec, calendar_summary
from elcart_sim.scenario.choices import (
    ACCOUNT_TRANSFER_CHANNELS,
    APP_CHANNELS,
    ATTACK_KINDS,
    BILL_CHANNELS,
    CARD_CHANNELS,
    CARD_STATUSES,
    CONTACT_CAUSES,
    CONTACT_CHANNELS,
    DAY_KINDS,
    DISTRIBUTIONS,
    FUNNEL_STEPS,
    KERNEL_STYLES,
    MODELLED_CHANNELS,
    P2P_CHANNELS,
    PAYERS,
    QR_PAYMENT_CHANNELS,
    UNCOVERED_RULES,
    WEEKDAYS,
)
from elcart_sim.scenario.clearing import ClearingSpec
from elcart_sim.scenario.faults import FaultSpec
from elcart_sim.scenario.fields import AmountSpec, DurationSpec, spec_key
from elcart_sim.scenario.fraud import FraudSpec
from elcart_sim.scenario.hosts import HostSpec, HsmSpec, HsmsSpec, NetworkSpec, SwitchSpec, host_spec_of_bank
from elcart_sim.scenario.loading import data_dir, load_scenario, scenario_names
from elcart_sim.scenario.payroll import EchoSpec, PayrollBatch, PayrollSpec, PushSpec
from elcart_sim.scenario.people import ChannelSpec, ContactCause, ContactsSpec, FunnelStep, OnboardingSpec, ShiftSpec, SupportSpec
from elcart_sim.scenario.rules import host_fields
from elcart_sim.scenario.scenario import HOST_SPECS, Scenario
from elcart_sim.scenario.security import KeysSpec, LifecycleSpec, ProvisioningSpec, SecuritySpec
from elcart_sim.scenario.services import AccountTransferSpec, BillSpec, FeeRule, QrPaymentSpec, ServicesSpec, TransferLimits, TransferSpec
from elcart_sim.scenario.stand_in import AdviceSpec, StandInLimits, StandInSpec
from elcart_sim.scenario.world import HOURS, DemandSpec, PhoneSpec, PopulationSpec

__all__ = [
    "Scenario",
    "HOST_SPECS",
    "DurationSpec",
    "AmountSpec",
    "PopulationSpec",
    "PhoneSpec",
    "DemandSpec",
    "NfcSpec",
    "TerminalSpec",
    "HostSpec",
    "SwitchSpec",
    "FaultSpec",
    "StandInSpec",
    "StandInLimits",
    "AdviceSpec",
    "HsmSpec",
    "HsmsSpec",
    "host_spec_of_bank",
    "NetworkSpec",
    "KeysSpec",
    "ProvisioningSpec",
    "LifecycleSpec",
    "SecuritySpec",
    "FraudSpec",
    "ServicesSpec",
    "TransferSpec",
    "TransferLimits",
    "FeeRule",
    "PayrollSpec",
    "PayrollBatch",
    "EchoSpec",
    "PushSpec",
    "ClearingSpec",
    "CalendarSpec",
    "OnboardingSpec",
    "FunnelStep",
    "SupportSpec",
    "ContactsSpec",
    "ContactCause",
    "ChannelSpec",
    "ShiftSpec",
    "FUNNEL_STEPS",
    "CONTACT_CAUSES",
    "CONTACT_CHANNELS",
    "CALENDAR_DAY_KINDS",
    "calendar_summary",
    "UNCOVERED_RULES",
    "PAYERS",
    "BillSpec",
    "AccountTransferSpec",
    "QrPaymentSpec",
    "P2P_CHANNELS",
    "QR_PAYMENT_CHANNELS",
    "CARD_CHANNELS",
    "APP_CHANNELS",
    "BILL_CHANNELS",
    "ACCOUNT_TRANSFER_CHANNELS",
    "ATTACK_KINDS",
    "CARD_STATUSES",
    "DAY_KINDS",
    "DISTRIBUTIONS",
    "HOURS",
    "KERNEL_STYLES",
    "MODELLED_CHANNELS",
    "WEEKDAYS",
    "data_dir",
    "host_fields",
    "load_scenario",
    "scenario_names",
    "spec_key",
]
