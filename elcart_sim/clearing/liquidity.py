"""Liquidity during the day: may this bank send one more payment before its batch settles?

Physical picture: each bank has put liquidity at the National Bank (its cover, the money in its
settlement account) and the scheme lets it run a net debit up to a cap. Each payment it sends
is first reserved (prepare), then committed (fulfil) or released (abort). Before reserving, the
switch asks two questions in a fixed order: is there cover left for it (else 4001, "payer
insufficient liquidity"), and is there room under the net debit cap (else 4200, "payer limit
error")? Past a share of the cover an alarm is raised, the payment still passing. What the bank
receives during the period is owed to it, not yet paid: it may spend it only once the period
settles. Whether a refusal declines the payment or only counts a breach is the caller's choice.

The worked example (Mojaloop settlements-bc): bank A deposits 100 and bank B 50; A pays B 10;
A's balance shows 90 and B's 60, yet B may send only 50 until the period settles.

Sources: the position check of Mojaloop's central ledger (prepare: effective position =
position + reservations; cover first, then the net debit cap; the alarm at a share of cover) and
settlements-bc's scenarios (docs/sources.md, "Clearing and settlement").
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from elcart_sim.core.errors import SettlementError

__all__ = ["OK", "INSUFFICIENT_LIQUIDITY", "LIMIT_ERROR", "LiquidityAnswer", "check", "LiquidityAccount"]

OK = "ok"
INSUFFICIENT_LIQUIDITY = "4001"
"""Mojaloop's error code: "Payer FSP insufficient liquidity" — no cover left."""
LIMIT_ERROR = "4200"
"""Mojaloop's error code: "Payer limit error" — the net debit cap reached."""


@dataclass(frozen=True, slots=True)
class LiquidityAnswer:
    """The answer to one position check: ``code`` (OK, 4001 or 4200) and whether the position
    (after the payment, when it passes) stands above the alarm threshold."""

    code: str
    alarm: bool

    @property
    def ok(self) -> bool:
        return self.code == OK


def check(position_tyiyn: int, reserved_tyiyn: int, amount_tyiyn: int, liquidity_cover_tyiyn: int, net_debit_cap_tyiyn: int, alarm_share: float) -> LiquidityAnswer:
    """Mojaloop's position check of a payer sending ``amount_tyiyn``: the effective position is
    the position (net debit, positive when it owes) plus what is reserved; the cover is checked
    first, then the cap; the alarm when the position passes ``alarm_share`` of the cover.

    >>> check(0, 0, 10, liquidity_cover_tyiyn=100, net_debit_cap_tyiyn=100, alarm_share=0.8)
    LiquidityAnswer(code='ok', alarm=False)
    >>> check(0, 0, 120, liquidity_cover_tyiyn=100, net_debit_cap_tyiyn=50, alarm_share=0.8).code
    '4001'
    >>> check(0, 0, 60, liquidity_cover_tyiyn=100, net_debit_cap_tyiyn=50, alarm_share=0.8).code
    '4200'
    """
    if amount_tyiyn <= 0:
        raise SettlementError(f"a position check needs a positive amount_tyiyn, got {amount_tyiyn!r}")
    effective = position_tyiyn + reserved_tyiyn
    if amount_tyiyn > liquidity_cover_tyiyn - effective:
        code = INSUFFICIENT_LIQUIDITY
    elif amount_tyiyn > net_debit_cap_tyiyn - effective:
        code = LIMIT_ERROR
    else:
        code = OK
    after = effective + (amount_tyiyn if code == OK else 0)
    return LiquidityAnswer(code, after > liquidity_cover_tyiyn * alarm_share)


@dataclass
class LiquidityAccount:
    """One bank's liquidity at the switch for the open period.

    ``cover_tyiyn`` is the liquidity at its settlement account; ``paid_out_tyiyn`` and
    ``received_tyiyn`` what it sent and was sent since the last settlement; ``reserved`` the
    payments prepared and not yet committed or aborted, by transfer id. Received money counts
    only after settlement (``settle``), so the checks use what it paid out, not its net.
    """

    bank: str
    cover_tyiyn: int
    net_debit_cap_tyiyn: int
    alarm_share: float = 0.8
    paid_out_tyiyn: int = 0
    received_tyiyn: int = 0
    reserved: dict[Hashable, int] = field(default_factory=dict)

    @property
    def reserved_tyiyn(self) -> int:
        return sum(self.reserved.values())

    @property
    def position_tyiyn(self) -> int:
        """Net debit since the last settlement (Mojaloop's position): paid out minus received."""
        return self.paid_out_tyiyn - self.received_tyiyn

    @property
    def balance_tyiyn(self) -> int:
        """The balance as the bank sees it: cover minus its net debit (settlements-bc's "position")."""
        return self.cover_tyiyn - self.position_tyiyn

    @property
    def spendable_tyiyn(self) -> int:
        """The largest payment the checks let pass now."""
        effective = self.paid_out_tyiyn + self.reserved_tyiyn
        return max(0, min(self.cover_tyiyn, self.net_debit_cap_tyiyn) - effective)

    def check(self, amount_tyiyn: int) -> LiquidityAnswer:
        """The position check of a payment of ``amount_tyiyn``, nothing reserved."""
        return check(self.paid_out_tyiyn, self.reserved_tyiyn, amount_tyiyn, self.cover_tyiyn, self.net_debit_cap_tyiyn, self.alarm_share)

    def reserve(self, transfer_id: Hashable, amount_tyiyn: int, *, despite_breach: bool = False) -> LiquidityAnswer:
        """Prepare: check, and reserve the amount when the check passes (or ``despite_breach``,
        when a breach is only recorded and the payment goes on)."""
        if transfer_id in self.reserved:
            raise SettlementError(f"{self.bank}: transfer {transfer_id} is already reserved")
        answer = self.check(amount_tyiyn)
        if answer.ok or despite_breach:
            self.reserved[transfer_id] = amount_tyiyn
        return answer

    def commit(self, transfer_id: Hashable) -> int:
        """Fulfil: the reservation becomes a payment sent; returns its amount (for the payee's
        ``receive``)."""
        amount = self._take(transfer_id)
        self.paid_out_tyiyn += amount
        return amount

    def abort(self, transfer_id: Hashable) -> None:
        """The reservation is released; nothing was sent."""
        self._take(transfer_id)

    def receive(self, amount_tyiyn: int) -> None:
        """A payment to this bank was committed: owed to it until the period settles."""
        if amount_tyiyn <= 0:
            raise SettlementError(f"{self.bank}: a payment received must be positive, got {amount_tyiyn!r}")
        self.received_tyiyn += amount_tyiyn

    def settle(self) -> int:
        """The period settled: the net position moves into the cover; returns the bank's
        multilateral net position settled (positive when it was paid)."""
        net = -self.position_tyiyn
        self.cover_tyiyn += net
        self.paid_out_tyiyn = self.received_tyiyn = 0
        return net

    def _take(self, transfer_id: Hashable) -> int:
        try:
            return self.reserved.pop(transfer_id)
        except KeyError:
            raise SettlementError(f"{self.bank}: transfer {transfer_id} has no reservation") from None
