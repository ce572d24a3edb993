"""Why a host declined: the reason codes ELKART hosts put in DE44 (our host spec, host_spec.md §5).

Physical picture: a terminal learns from DE39 only the class of a decline ("63 security
violation"); the switch, which ran the token service's and the card authentication's checks,
also says which check failed, in ISO 8583:1987 DE44 "additional response data" (ans..25). The
terminal writes the reason in words into its transaction record, and names the check in
``stopped_by``, so a run's declines can be explained and an injected attack's detection counted
from the records.

Response codes (ISO 8583:1987 Annex A), chosen per check:
  - 62 restricted card: the token is suspended — a temporary restriction that can be lifted;
  - 14 invalid card number: the token is deleted or was never issued — the number no longer
    designates an account, as for any unknown number;
  - 57 transaction not permitted to cardholder: the token is used outside its domain (another
    channel than a contactless tap at a POS, or another device than the one it was issued to);
  - 63 security violation: every card-authentication failure (cryptogram, counters, limited-use
    key, cryptogram version, chip data that contradict the message). 63 rather than 05 keeps
    them apart from the issuer's business declines, so DE39 alone counts them;
  - 30 format error: chip data (DE55) that do not follow the host spec;
  - 91 issuer inoperative: the switch, standing in for an issuer that did not answer, may not
    approve the amount (beyond the issuer's stand-in limits, hosts/switch/stand_in.py): the
    decline's cause is the issuer's absence, not a limit of the card's, so not 61;
  - 51 insufficient funds: the payer bank's liquidity — no cover left, or its net debit cap
    reached — when the scenario's clearing declines breaches (model/intraday_liquidity.py). The
    funds short are the bank's at the National Bank, not the cardholder's: DE44 tells them apart
    from the issuer's 51.

The table is data: ``code`` (DE44 text), ``response_code`` (DE39), ``check`` (the name recorded in
``stopped_by``) and ``description`` (the words in the record's ``reason``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from elcart_sim.core.errors import IsoMessageError

__all__ = ["DeclineReason", "Decline", "CHECKS", "decline_for_code"]

CHECKS: dict[str, str] = {
    "token_status": "token service: the token is active (not suspended or deleted)",
    "token_domain": "token service: contactless POS only, from the device the token was issued to",
    "icc_data": "card authentication: DE55 follows the host spec and agrees with the message",
    "cryptogram_version": "card authentication: the IAD names the configured cryptogram version",
    "limited_use_keys": "wallet and card authentication: a limited-use key issued to this token, unexpired, used once",
    "arqc": "card authentication: the ARQC verifies over this transaction's data (amount, date, unpredictable number, ATC)",
    "atc_replay": "card authentication: no ATC is accepted twice (replay memory)",
    "atc_window": "card authentication: the ATC neither falls behind the replay memory nor jumps too far ahead",
    "device_cvm": "phone and kernel: the phone verified its user (unlocked) before paying",
    "relay_timing": "kernel: the cryptogram command answered within the relay-resistance time limit",
    "liquidity_cover": "switch, clearing enabled: the payer bank has cover left for the payment (Mojaloop 4001); not a security check",
    "net_debit_cap": "switch, clearing enabled: the payer bank stays under its net debit cap (Mojaloop 4200); not a security check",
    "stand_in_limits": "switch standing in for an issuer: within the issuer's stand-in limits per transaction and per card a day; not a security check",
}
"""Every modelled check, by the name the records use in ``stopped_by``: the security checks and
the two liquidity checks of the payer bank."""


@dataclass(frozen=True, slots=True)
class Decline:
    code: str
    response_code: str
    check: str
    description: str


class DeclineReason(Enum):
    """DE44 reason codes of the ELKART switch."""

    TOKEN_UNKNOWN = Decline("TOKEN UNKNOWN", "14", "token_status", "token not issued by the token service")
    TOKEN_SUSPENDED = Decline("TOKEN SUSPENDED", "62", "token_status", "token suspended")
    TOKEN_DELETED = Decline("TOKEN DELETED", "14", "token_status", "token deleted")
    DOMAIN_CHANNEL = Decline(
        "DOMAIN CHANNEL", "57", "token_domain", "token used outside its domain: not a contactless tap at a POS"
    )
    DOMAIN_DEVICE = Decline(
        "DOMAIN DEVICE", "57", "token_domain", "token used outside its domain: not from the device it was issued to"
    )
    ICC_DATA_MALFORMED = Decline("ICC DATA MALFORMED", "30", "icc_data", "chip data (DE55) do not follow the host spec")
    ICC_DATA_MISMATCH = Decline(
        "ICC DATA MISMATCH", "63", "icc_data", "chip data (DE55) contradict the message (amount or currency)"
    )
    CRYPTOGRAM_VERSION = Decline("CRYPTOGRAM VERSION", "63", "cryptogram_version", "unsupported cryptogram version")
    KEY_UNKNOWN = Decline("LUK UNKNOWN", "63", "limited_use_keys", "limited-use key not issued to this token")
    KEY_EXPIRED = Decline("LUK EXPIRED", "63", "limited_use_keys", "limited-use key expired")
    KEY_REUSED = Decline("LUK REUSED", "63", "limited_use_keys", "single-use key used a second time")
    ARQC = Decline(
        "ARQC", "63", "arqc",
        "cryptogram does not verify over this transaction's data (amount, date, unpredictable number, ATC)",
    )  # fmt: skip
    ATC_REPLAYED = Decline("ATC REPLAYED", "63", "atc_replay", "cryptogram presented twice (its ATC was already used)")
    ATC_BEHIND = Decline("ATC BEHIND WINDOW", "63", "atc_window", "ATC older than the replay memory (counter went backwards)")
    ATC_JUMP = Decline("ATC JUMP", "63", "atc_window", "ATC jumped further ahead than the window allows")
    LIQUIDITY_COVER = Decline("LIQUIDITY COVER", "51", "liquidity_cover", "the payer bank has no liquidity cover left (Mojaloop 4001)")
    NET_DEBIT_CAP = Decline("NET DEBIT CAP", "51", "net_debit_cap", "the payer bank reached its net debit cap (Mojaloop 4200)")
    STAND_IN_LIMIT = Decline(
        "STAND-IN LIMIT", "91", "stand_in_limits", "the issuer did not answer and the amount is beyond what the switch may approve in its stead"
    )

    @property
    def code(self) -> str:
        return self.value.code

    @property
    def response_code(self) -> str:
        return self.value.response_code

    @property
    def check(self) -> str:
        return self.value.check

    @property
    def description(self) -> str:
        return self.value.description


_BY_CODE = {reason.code: reason for reason in DeclineReason}


def decline_for_code(code: str) -> DeclineReason:
    """The reason a DE44 value names; raises IsoMessageError (field 44) for an unknown one."""
    reason = _BY_CODE.get(code)
    if reason is None:
        raise IsoMessageError(f"DE44: {code!r} is not an ELKART decline reason code", field="44")
    return reason
