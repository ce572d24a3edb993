"""The one family of errors elcart-sim raises.

Declines are data (a response code in the records); these are faults: input that is malformed
or a configuration that cannot run. Every message says what was wrong and where — the scenario
key, the parameter, the APDU, the ISO 8583 field — so a user can fix it without reading a
traceback. Every `raise` in the package raises a subclass of `ElcartSimError`
(tests/test_errors.py checks it). Where Python's own protocols or existing callers expect a
built-in type, the class is that type too: `ConfigurationError` and `AmountError` are
ValueErrors, `UnknownAccountError` a KeyError, `MissingDependencyError` an ImportError.

    ElcartSimError
    ├── ScenarioError           a scenario file or override (dotted path, value)
    ├── ConfigurationError      a parameter an entity or function cannot work with (ValueError)
    ├── MissingDependencyError  an optional dependency not installed (ImportError)
    ├── AmountError             an amount in som that is not a positive tyiyn amount (ValueError)
    ├── PopulationError         a data file (banks, merchants) missing or malformed
    ├── LedgerError             a posting that would break the ledger's rules
    │   └── UnknownAccountError an account the ledger never held (KeyError)
    ├── TokenServiceError       a token service request that is a fault, not a decline
    ├── ReadOnlyMessageError    code changing a message after it was sent (TypeError)
    ├── ProtocolError           bytes that break the standard they claim to follow
    │   └── TlvError, ApduError (StatusWordError under it), IsoMessageError,
    │       Track2Error, IccDataError, CryptogramError, QrPayloadError (ValueError)
    ├── PhoneNumberError        a phone number that is not a valid Kyrgyz mobile number (ValueError)
    ├── KernelError             the contactless kernel cannot complete the card dialogue
    ├── LinkError               the NFC link failed
    │   └── PcscServiceError, ReaderNotFoundError, ReaderRemovedError, NoCardError,
    │       CardRemovedError
    ├── OptionValueError        a command-line option's value that cannot be used (argparse's type error)
    ├── OutputError             a command's output place that cannot be written (checked first)
    ├── CapacityError           a capacity study that cannot run as asked
    ├── SettlementError         clearing or settlement asked to do what its rules forbid
    └── ReportError             a capacity-planning report that cannot be produced

Three members live beside the code that raises them: `RecordError` (core/records.py, a row that
does not fit its table), `EnrolmentRefused` (wallet/wallet.py, a card that cannot be put on
a phone) and `InvariantViolation` (core/invariants.py, an invariant of a run that did not hold,
raised in strict mode only).
"""

from __future__ import annotations

import argparse

__all__ = [
    "ElcartSimError",
    "ScenarioError",
    "ConfigurationError",
    "MissingDependencyError",
    "AmountError",
    "PopulationError",
    "LedgerError",
    "UnknownAccountError",
    "ProtocolError",
    "TlvError",
    "ApduError",
    "StatusWordError",
    "IsoMessageError",
    "ReadOnlyMessageError",
    "Track2Error",
    "IccDataError",
    "CryptogramError",
    "QrPayloadError",
    "PhoneNumberError",
    "KernelError",
    "LinkError",
    "PcscServiceError",
    "ReaderNotFoundError",
    "ReaderRemovedError",
    "NoCardError",
    "CardRemovedError",
    "TokenServiceError",
    "ReportError",
    "CapacityError",
    "OptionValueError",
    "OutputError",
    "SettlementError",
]


class ElcartSimError(Exception):
    """Base class of every error raised on purpose by elcart-sim."""


class ScenarioError(ElcartSimError):
    """A scenario file or override is invalid; the message names the dotted path and the value."""

    def __init__(self, path: str, problem: str, *, source: str | None = None):
        self.path = path
        self.problem = problem
        self.source = source
        where = f" (in {source})" if source else ""
        super().__init__(f"{path} {problem}{where}" if path else f"{problem}{where}")


class ConfigurationError(ElcartSimError, ValueError):
    """An entity or a function given a parameter it cannot work with (a negative capacity, a key
    of the wrong length, an AID too long); names the parameter and the value."""


class MissingDependencyError(ElcartSimError, ImportError):
    """An optional dependency is not installed; says which one, what needs it and the command
    that installs it."""


class AmountError(ElcartSimError, ValueError):
    """An amount that is not a positive number of som with at most two decimals (tyiyn)."""


class PopulationError(ElcartSimError):
    """A file under data/ (banks, merchants) is missing or malformed."""


class LedgerError(ElcartSimError):
    """A posting that would break the ledger's rules (non-integer or non-positive amount, unknown
    kind, an entry not in the open journal), or books that do not balance."""


class UnknownAccountError(LedgerError, KeyError):
    """An account looked up by number that the ledger never held (`Ledger.account_ids`); a
    KeyError too, as a mapping's missing key must be."""

    __str__ = BaseException.__str__  # the message as written, not quoted as KeyError quotes its key

    def __init__(self, account: object):
        self.account = account
        super().__init__(f"account {account!r} is not on the ledger's books")


class ProtocolError(ElcartSimError):
    """Bytes on a boundary do not follow the standard they claim to follow."""


class TlvError(ProtocolError):
    """Malformed BER-TLV (EMV Book 3 Annex B); says at which byte offset and which tag."""


class ApduError(ProtocolError):
    """Malformed command or response APDU (ISO/IEC 7816-4)."""


class StatusWordError(ApduError):
    """A response APDU carried a status word other than 9000 where success was required."""

    def __init__(self, sw: int, command: str):
        self.sw = sw
        self.command = command
        super().__init__(f"{command} answered SW {sw:04X}")


class IsoMessageError(ProtocolError):
    """An ISO 8583 message that cannot be encoded or decoded; names the field."""

    def __init__(self, message: str, *, field: str | None = None):
        self.field = field
        super().__init__(message)


class ReadOnlyMessageError(ElcartSimError, TypeError):
    """Code tried to change a message after it was sent (the fast fidelity's messages are
    read-only: build a new one instead)."""


class Track2Error(ProtocolError):
    """Track 2 equivalent data (EMV tag 57, ISO 8583 DE35) that is not PAN 'D' expiry, service
    code and discretionary digits; says which part (never the digits)."""


class IccDataError(ProtocolError):
    """EMV chip data (ISO 8583 DE55) that break the host spec: an unknown or repeated tag, a
    template where only primitive objects belong, a value of the wrong length. Names tag and offset."""


class CryptogramError(ProtocolError):
    """Inputs to a cryptogram computation are invalid (key length, ATC range, data)."""


class QrPayloadError(ProtocolError, ValueError):
    """A QR payload (ELQR, EMVCo merchant-presented) that is malformed or fails its checksum;
    names the two-digit ID (and sub-ID) where it went wrong, or None for the payload as a whole."""

    def __init__(self, message: str, *, qr_id: str | None = None):
        self.qr_id = qr_id
        super().__init__(message)


class PhoneNumberError(ElcartSimError, ValueError):
    """A phone number that cannot be read as a Kyrgyz mobile number (+996); says which number
    (as given) and why."""


class KernelError(ElcartSimError):
    """The terminal's contactless kernel cannot complete the card dialogue."""


class LinkError(ElcartSimError):
    """The NFC link between terminal and phone failed (no reader, tear, reader removed)."""


class PcscServiceError(LinkError):
    """The PC/SC service is unusable: pcscd is not running (0x8010001D) or stopped meanwhile."""


class ReaderNotFoundError(LinkError):
    """No PC/SC reader is attached, or none matches the requested name or index."""


class ReaderRemovedError(LinkError):
    """The reader disappeared (unplugged, or its driver gave up) while it was in use."""


class NoCardError(LinkError):
    """No card or phone was presented to the reader within the timeout."""


class CardRemovedError(LinkError):
    """The card or phone left the reader during a transaction (a torn transaction)."""


class ReportError(ElcartSimError):
    """A capacity-planning report could not be produced: its notebook is missing or a cell failed."""


class OptionValueError(ElcartSimError, argparse.ArgumentTypeError):
    """A command-line option's value that cannot be used; argparse prints the message with the
    option's name."""


class OutputError(ElcartSimError):
    """A command cannot write where it was told to: the output folder is a file, or a folder (or
    the nearest existing parent of one to be made) that cannot be written. Checked before any work."""


class CapacityError(ElcartSimError):
    """A capacity study cannot run as asked: too few replications for an interval, a malformed
    sweep assignment, a Dask scheduler that cannot be reached, an impossible sizing target."""


class TokenServiceError(ElcartSimError):
    """A request the token service must refuse as a fault: provisioning without a passed
    identity and verification, a second token for one card on one device, a lifecycle step a
    token's state does not allow (resuming a deleted token)."""


class SettlementError(ElcartSimError):
    """Clearing or settlement asked to do what its rules forbid: a clearing record that names no
    bank or a non-positive amount, a cut-off list out of order, a reservation committed twice or
    never made, a settlement account the gross settlement system does not hold, an unknown rule
    for a bank without cover. Names the record, the bank or the parameter, and the value."""
