"""Scenario fields of clearing and settlement: when periods close, how much liquidity each bank
brings to the National Bank, the limits on its position during the day, and what happens to a
bank that cannot cover its net debit.

Physical picture: IPC closes a clearing period at each cut-off (``cutoffs``, local times; one,
two or four a day — ELKART's schedule is not public); each period's multilateral net positions
settle in the National Bank's gross settlement system, where every bank opened the day with
``opening_liquidity_kgs`` (or its own figure in ``opening_liquidity_by_bank_kgs``). During the
day a bank may run a net debit up to ``net_debit_cap_share`` of that liquidity; past
``alarm_share`` of it an alarm is raised; with ``breach_declines`` a payment over the limits is
declined, otherwise only counted. A net debtor without cover at settlement meets
``uncovered_rule`` (queue | partial | exclude; clearing/settlement.py). ``interchange`` lists,
per kind of record that debits a cardholder, what the acquirer owes the issuer on it. Off by default
(``enabled: false``): no run changes until a scenario turns it on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.choices import CUTOFF_COUNTS, DEBIT_KINDS, UNCOVERED_RULES
from elcart_sim.scenario.fields import checked, fraction, non_negative, one_of

__all__ = ["ClearingSpec", "InterchangeRule"]

_LOCAL_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")


def _seconds(local_time: str) -> int:
    hours, minutes = local_time.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _cutoffs(value: list[str], path: str) -> None:
    if len(value) not in CUTOFF_COUNTS:
        raise ScenarioError(path, f"must list {', '.join(map(str, CUTOFF_COUNTS[:-1]))} or {CUTOFF_COUNTS[-1]} cut-offs a day, got {len(value)}")
    for i, local_time in enumerate(value):
        if not _LOCAL_TIME.fullmatch(local_time) or local_time == "00:00":
            raise ScenarioError(f"{path}[{i}]", f"must be a local time after midnight like 18:00 (24:00 is midnight at the day's end), got {local_time!r}")
    seconds = [_seconds(t) for t in value]
    if any(b <= a for a, b in zip(seconds, seconds[1:])):
        raise ScenarioError(path, f"must rise through the day, got {value!r}")


def _liquidity_by_bank(value: dict[str, float], path: str) -> None:
    for bank, amount in value.items():
        non_negative(amount, f"{path}.{bank}")


def _percent(value: float, path: str) -> None:
    if not 0.0 <= value <= 100.0:
        raise ScenarioError(path, f"must be a percentage between 0 and 100, got {value!r}")


@dataclass(frozen=True)
class InterchangeRule:
    """Interchange on the clearing records of one kind (a debit to the cardholder): a flat part
    plus a percentage of the amount, owed by the acquirer to the issuer, never more than the
    amount."""

    kind: str = field(default="purchase", metadata=checked(one_of(DEBIT_KINDS)))
    percent: float = field(default=0.0, metadata=checked(_percent))
    flat_tyiyn: int = field(default=0, metadata=checked(non_negative))

    def interchange_tyiyn(self, amount_tyiyn: int) -> int:
        """The interchange on ``amount_tyiyn``, rounded half up to whole tyiyn."""
        return min(amount_tyiyn, self.flat_tyiyn + (amount_tyiyn * round(self.percent * 10_000) + 500_000) // 1_000_000)


@dataclass(frozen=True)
class ClearingSpec:
    """Clearing cycles, liquidity and the rule for a bank without cover; see the module's
    docstring. The banks named in ``opening_liquidity_by_bank_kgs`` are checked against the
    population's banks when the run is built."""

    enabled: bool = False
    cutoffs: list[str] = field(default_factory=lambda: ["18:00"], metadata=checked(_cutoffs))
    uncovered_rule: str = field(default="queue", metadata=checked(one_of(UNCOVERED_RULES)))
    opening_liquidity_kgs: float = field(default=50_000_000.0, metadata=checked(non_negative))
    opening_liquidity_by_bank_kgs: dict[str, float] = field(default_factory=dict, metadata=checked(_liquidity_by_bank))
    net_debit_cap_share: float = field(default=1.0, metadata=checked(fraction))
    alarm_share: float = field(default=0.8, metadata=checked(fraction))
    breach_declines: bool = False
    interchange: list[InterchangeRule] = field(default_factory=list)

    def interchange_tyiyn(self, kind: str, amount_tyiyn: int) -> int:
        """The interchange on a record of ``kind``: the first rule for the kind, else none."""
        rule = next((r for r in self.interchange if r.kind == kind), None)
        return 0 if rule is None else rule.interchange_tyiyn(amount_tyiyn)

    @property
    def cutoffs_s(self) -> list[int]:
        """The cut-offs in seconds after local midnight (24:00 is 86,400)."""
        return [_seconds(t) for t in self.cutoffs]

    def opening_liquidity_tyiyn(self, bank: str) -> int:
        """The liquidity ``bank`` opens the day with at the National Bank, in tyiyn."""
        return round(self.opening_liquidity_by_bank_kgs.get(bank, self.opening_liquidity_kgs) * 100)

    def net_debit_cap_tyiyn(self, bank: str) -> int:
        """The net debit ``bank`` may run during the day: its cap share of its opening liquidity."""
        return int(self.opening_liquidity_tyiyn(bank) * self.net_debit_cap_share)
