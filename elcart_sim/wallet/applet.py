"""The phone's HCE payment applet: what answers the POS terminal when the phone is tapped.

Physical picture: Android routes every APDU for the PPSE and our AID to the wallet's
HostApduService, which hands the bytes to :meth:`PaymentApplet.process` and sends back what it
returns. The applet holds one token credential (token PAN, expiry, PAR), a transaction counter
(ATC) and its keys: either a batch of limited-use keys from the wallet (the HCE model, see
``wallet/keys.py``) or — as the first prototype did — a static ICC master key.

Its one command handler is :meth:`PaymentApplet.handle` (a command APDU object in, a response
APDU object out); ``process`` is the same on bytes (``apdu_format.ApduCard``). In the fast
fidelity the kernel's commands reach ``handle`` as objects and its answers go back as objects:
the same checks, the same state changes, the key taken the same way — only nothing is encoded,
so tag 57 stays its parts and the cryptogram is never computed
(``cryptogram.ApplicationCryptogram``). The answers themselves, as the personalisation makes
them, are in ``answers.py``.

Two kernel styles, chosen by ``kernel`` (ELKART's real kernel is not public):
  - ``"qvsdc"`` (Visa qVSDC semantics, EMV Contactless Book C-3; four APDUs): SELECT PPSE ->
    SELECT AID (FCI with a PDOL) -> GET PROCESSING OPTIONS, whose answer already carries the
    ARQC -> READ RECORD.
  - ``"mchip"`` (M/Chip semantics, Book C-2; five APDUs): SELECT PPSE -> SELECT AID (no PDOL)
    -> GPO (answer: AIP and AFL only) -> READ RECORD (with CDOL1, tag 8C) -> GENERATE AC with
    the CDOL1 data, whose answer carries the ARQC. The IAD and the cryptogram follow our one
    layout in both styles.

The cryptogram input is the same in both styles: amount, amount other, country, TVR, currency,
date, type, unpredictable number (from the PDOL or CDOL1 data), AIP, ATC and the whole IAD
(the CVN 18 layout). The IAD is ``cryptogram.IssuerApplicationData``: CVN ``cryptogram_version``
and, with limited-use keys, the key index and the phone's attested ``device_id``.

Consumer device CVM: the wallet sets ``cdcvm_performed`` when the user unlocked the phone
(PIN, biometric) for this tap. With ``cdcvm_required`` (ELKART Pay: the phone must be unlocked
to pay) a locked phone's applet refuses GPO with 6982 (security status not satisfied): it
produces no cryptogram and spends no key or ATC. GENERATE AC accepts P1 80 (ARQC) only, no CDA.

Status words: 6700 wrong length or malformed frame, 6E00 class not supported, 6D00 instruction
not supported, 6A86 bad P1/P2, 6A82 application or file not found, 6A83 record not found,
6A80 GPO data not in template 83, 6982 phone locked (no consumer device CVM), 6984 no usable
key (an offline wallet spent its batch, or a credential without keys), 6985 GPO/READ RECORD
before SELECT AID, a second GPO or GENERATE AC in the same selection, GENERATE AC before GPO, or
an exhausted ATC. After any error the applet keeps answering.
"""

from __future__ import annotations

from elcart_sim.core.errors import ConfigurationError
from elcart_sim.protocol.emv import apdu
from elcart_sim.protocol.emv.apdu import PPSE, CommandApdu, ResponseApdu
from elcart_sim.protocol.emv.apdu_format import ApduCard
from elcart_sim.protocol.emv.cryptogram import ApplicationCryptogram, IssuerApplicationData
from elcart_sim.scenario.choices import KERNEL_STYLES
from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.wallet import answers
from elcart_sim.wallet.answers import (
    DEFAULT_AID,
    DEFAULT_CRYPTOGRAM_VERSION,
    DEFAULT_LABEL,
    Profile,
)
from elcart_sim.wallet.keys import KeySource

__all__ = ["PaymentApplet"]

_new = tuple.__new__  # a refusal from its two fields, without the named tuple's Python-level __new__


def _refusal(sw: int) -> ResponseApdu:
    return _new(ResponseApdu, ((), sw))


_WRONG_LENGTH = _refusal(apdu.SW_WRONG_LENGTH)
_SECURITY_STATUS = _refusal(apdu.SW_SECURITY_STATUS_NOT_SATISFIED)
_NO_USABLE_KEY = _refusal(apdu.SW_REFERENCE_DATA_NOT_USABLE)
_CONDITIONS = _refusal(apdu.SW_CONDITIONS_NOT_SATISFIED)
_WRONG_DATA = _refusal(apdu.SW_WRONG_DATA)
_NOT_FOUND = _refusal(apdu.SW_FILE_NOT_FOUND)
_RECORD_NOT_FOUND = _refusal(apdu.SW_RECORD_NOT_FOUND)
_P1P2 = _refusal(apdu.SW_INCORRECT_P1P2)
_INS = _refusal(apdu.SW_INS_NOT_SUPPORTED)
_CLA = _refusal(apdu.SW_CLA_NOT_SUPPORTED)

_IDLE, _PPSE_SELECTED, _APP_SELECTED, _GPO_DONE, _AC_DONE = range(5)


class PaymentApplet(ApduCard):
    """An HCE payment applet: ``handle(command) -> response`` (objects), ``process(command APDU
    bytes) -> response APDU bytes`` (the same on the wire).

    ``atc`` is the counter before the first transaction; each successful GPO increments it
    first, so a fresh applet's first cryptogram has ATC 1. ``cdcvm_performed`` says whether the
    wallet verified the user (unlock, biometric) before this tap; the wallet may change it
    between taps. ``keys`` is the wallet's limited-use key source (None: the credential's static
    ICC master key); ``device_id`` the phone's attested id written into the IAD with each key.
    An applet holds a few references and numbers: its answers are built when asked."""

    __slots__ = ("credential", "_profile", "keys", "device_id", "cdcvm_performed", "_atc", "_state")

    def __init__(
        self,
        credential: TokenCredential,
        *,
        aid: bytes = DEFAULT_AID,
        label: str = DEFAULT_LABEL,
        atc: int = 0,
        cdcvm_performed: bool = True,
        cdcvm_required: bool = True,
        kernel: str = "qvsdc",
        cryptogram_version: int = DEFAULT_CRYPTOGRAM_VERSION,
        keys: KeySource | None = None,
        device_id: int = 0,
    ) -> None:
        if not 5 <= len(aid) <= 16:
            raise ConfigurationError(f"PaymentApplet: aid must be 5-16 bytes, got {len(aid)}")
        if not 0 <= atc <= 0xFFFF:
            raise ConfigurationError(f"PaymentApplet: atc must be 0-65535, got {atc}")
        if kernel not in KERNEL_STYLES:
            raise ConfigurationError(f"PaymentApplet: kernel must be one of {', '.join(KERNEL_STYLES)}, got {kernel!r}")
        if not 0 <= cryptogram_version <= 0xFF:
            raise ConfigurationError(f"PaymentApplet: cryptogram_version must be one byte (0-255), got {cryptogram_version}")
        if not 0 <= device_id <= 0xFFFFFFFF:
            raise ConfigurationError(f"PaymentApplet: device_id must be 4 bytes (0-4294967295), got {device_id}")
        if not label.isascii():
            raise ConfigurationError(f"PaymentApplet: label must be ASCII, got {label!r}")
        self.credential = credential
        self._profile = Profile.shared(bytes(aid), label, kernel, cryptogram_version, cdcvm_required)
        self.keys = keys
        self.device_id = device_id
        self.cdcvm_performed = cdcvm_performed
        self._atc = atc
        self._state = _IDLE

    # What every applet personalised alike shares (one Profile), read as the applet's own.
    aid = property(lambda self: self._profile.aid, doc="The application identifier it answers SELECT for.")
    label = property(lambda self: self._profile.label, doc="Application label (tag 50).")
    kernel = property(lambda self: self._profile.kernel, doc="'qvsdc' or 'mchip' (KERNEL_STYLES).")
    cryptogram_version = property(lambda self: self._profile.cryptogram_version, doc="CVN written into the IAD.")
    cdcvm_required = property(lambda self: self._profile.cdcvm_required, doc="Whether a locked phone refuses to pay.")

    @property
    def atc(self) -> int:
        """The Application Transaction Counter of the last GPO (or the starting value)."""
        return self._atc

    def handle(self, command: CommandApdu) -> ResponseApdu:
        """Answer one command APDU (ISO/IEC 7816-4 §5; EMV 4.4 Book 3 §6.5)."""
        cla, ins = command.cla, command.ins
        if cla != 0x00 and cla != 0x80:
            return _CLA
        if ins == 0xA8:
            return self._get_processing_options(command) if cla == 0x80 else _CLA
        if ins == 0xB2:
            return self._read_record(command) if cla == 0x00 else _CLA
        if ins == 0xA4:
            return self._select(command) if cla == 0x00 else _CLA
        if ins == 0xAE and self._profile.mchip:
            return self._generate_ac(command) if cla == 0x80 else _CLA
        return _INS

    def _select(self, command: CommandApdu) -> ResponseApdu:
        if command.p1 != 0x04 or command.p2 != 0x00:
            return _P1P2
        data = command.data
        profile = self._profile
        if data == profile.aid:
            self._state = _APP_SELECTED
            return profile.aid_fci
        if data == PPSE:
            self._state = _PPSE_SELECTED
            return profile.ppse_fci
        if not data:
            return _WRONG_LENGTH
        return _NOT_FOUND  # selection unchanged (ISO 7816-4 §7.1.1)

    def _get_processing_options(self, command: CommandApdu) -> ResponseApdu:
        if command.p1 != 0x00 or command.p2 != 0x00:
            return _P1P2
        if self._state != _APP_SELECTED:
            return _CONDITIONS
        data = command.data
        if len(data) < 2 or data[0] != 0x83 or data[1] != len(data) - 2:
            return _WRONG_DATA
        profile = self._profile
        if data[1] != (0 if profile.mchip else answers.PDOL_DATA_LEN):
            return _WRONG_LENGTH
        refused = self._begin_transaction()
        if refused is not None:
            return refused
        if profile.mchip:
            return profile.gpo_mchip
        made = self._cryptogram(data[6:])  # the PDOL data after the TTQ: the terminal part
        if made is None:
            return _NO_USABLE_KEY
        return answers.gpo_with_cryptogram(profile, self.credential, *made, self.cdcvm_performed)

    def _begin_transaction(self) -> ResponseApdu | None:
        """GPO's checks and state change: None with the ATC incremented, or the refusal (phone
        locked: 6982; no usable key: 6984; ATC exhausted: 6985) with nothing spent."""
        if self._profile.cdcvm_required and not self.cdcvm_performed:
            return _SECURITY_STATUS
        keys = self.keys
        if not (keys.has_key() if keys is not None else self.credential.icc_master_key is not None):
            return _NO_USABLE_KEY
        if self._atc >= 0xFFFF:
            return _CONDITIONS
        self._atc += 1
        self._state = _GPO_DONE
        return None

    def _cryptogram(self, terminal_part: bytes) -> tuple[bytes, bytes, ApplicationCryptogram] | None:
        """(IAD, ATC, cryptogram) over the terminal's 29 bytes with the next key; None if none.
        The cryptogram's bytes are computed only if the answer is encoded."""
        profile = self._profile
        if self.keys is None:
            key = self.credential.icc_master_key
            if key is None:
                return None
            iad = profile.iad
        else:
            key = self.keys.take_key()
            if key is None:
                return None
            iad = IssuerApplicationData.with_key(profile.iad, key.key_index, self.device_id)
        atc = self._atc.to_bytes(2, "big")
        return iad, atc, ApplicationCryptogram(key, self._atc, terminal_part + profile.aip + atc + iad)

    def _generate_ac(self, command: CommandApdu) -> ResponseApdu:
        if command.p1 != 0x80 or command.p2 != 0x00:
            return _P1P2  # ARQC only: this applet always goes online and does no CDA
        if self._state != _GPO_DONE:
            return _CONDITIONS
        data = command.data
        if len(data) != answers.CDOL1_DATA_LEN:
            return _WRONG_LENGTH
        made = self._cryptogram(data[: answers.TERMINAL_PART])
        if made is None:
            return _NO_USABLE_KEY
        self._state = _AC_DONE
        return answers.generate_ac(*made, self.cdcvm_performed)

    def _read_record(self, command: CommandApdu) -> ResponseApdu:
        p1, p2 = command.p1, command.p2
        if command.data:
            return _WRONG_LENGTH
        if p2 & 0x07 != 0x04:
            return _P1P2
        if self._state < _APP_SELECTED:
            return _CONDITIONS
        if p2 >> 3 != 1:
            return _NOT_FOUND
        if p1 != 1:
            return _RECORD_NOT_FOUND
        return answers.record(self.credential, self._profile.mchip)
