"""The chip's evidence in an authorisation, as any verifier reads it: the steps the token
service (for phone taps) and an issuer (for its plastic cards) share.

Physical picture: DE55 carries the card's cryptogram and the data it was computed over. Whoever
holds the card's keys — IPC's token service for an ELKART Pay token, the issuing bank for a
plastic card — first reads DE55 and checks it against the message (amount = DE4, currency =
DE49) and the cryptogram version in the IAD; then re-derives the session key of the ATC and
recomputes the ARQC; and on the way back signs its answer with an ARPC (method 2, EMV 4.4
Book 2 §8.2.2) in DE55 tag 91. What differs between the two verifiers is only where the ICC
master key comes from and what is checked after the cryptogram (limited-use keys, device,
replay memory: tokens/card_authentication.py).

In the fast fidelity the ARQC is an :class:`ApplicationCryptogram` nothing has computed: it is
genuine exactly when it was made under the key the verifier derives, for the ATC and data DE55
carries (``cryptogram_genuine`` compares instead of recomputing). Pure: data in, data out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from elcart_sim.core.errors import CryptogramError, ProtocolError
from elcart_sim.protocol.emv import arqc_verify
from elcart_sim.protocol.emv.cryptogram import ApplicationCryptogram, IssuerApplicationData, IssuerAuthentication, arqc_input
from elcart_sim.protocol.emv.icc_data import parse_icc_data
from elcart_sim.protocol.emv.tlv import encode
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason

__all__ = ["ChipEvidence", "read_evidence", "cryptogram_genuine", "issuer_authentication_data"]


class ChipEvidence(NamedTuple):
    """What DE55 says: the cryptogram, its ATC, the parsed IAD and the ARQC input bytes."""

    arqc: bytes | ApplicationCryptogram
    atc: int
    iad: IssuerApplicationData
    data: bytes


def read_evidence(request: Mapping[str, Any], cryptogram_version: int) -> ChipEvidence | DeclineReason:
    """DE55 of ``request`` read and checked against the message and the expected cryptogram
    version; the decline reason of the first check that fails (malformed, mismatch, version)."""
    try:
        tags = parse_icc_data(request.get("55", b""))
        data = arqc_input(tags)
        arqc = tags[0x9F26]
        atc = int.from_bytes(tags[0x9F36], "big")
        iad = IssuerApplicationData.parse(tags[0x9F10])
    except (ProtocolError, KeyError):
        return DeclineReason.ICC_DATA_MALFORMED
    if tags[0x9F02].hex() != request.get("4") or tags[0x5F2A].hex() != request.get("49", "").zfill(4):
        return DeclineReason.ICC_DATA_MISMATCH
    if iad.cryptogram_version != cryptogram_version:
        return DeclineReason.CRYPTOGRAM_VERSION
    return ChipEvidence(arqc, atc, iad, data)


def cryptogram_genuine(evidence: ChipEvidence, icc_master_key: bytes, key_index: int | None = None) -> tuple[bool, bytes]:
    """Whether the ARQC verifies under the ICC master key (and limited-use key ``key_index``,
    None for a card's own master key), and the session key it verified under (b'' for a
    cryptogram object, whose bytes nothing computed). A cryptogram object made with a
    limited-use key is judged by the token service (``ApplicationCryptogram.is_from``)."""
    arqc = evidence.arqc
    if type(arqc) is ApplicationCryptogram:
        key = arqc.key
        return (type(key) is bytes and key == icc_master_key and arqc.atc == evidence.atc and arqc.data == evidence.data), b""
    try:
        session_key = arqc_verify.session_key(icc_master_key, evidence.atc, key_index)
        return arqc_verify.cryptogram_matches(session_key, evidence.data, bytes(arqc)), session_key
    except CryptogramError:
        return False, b""


def issuer_authentication_data(arqc: bytes | ApplicationCryptogram, session_key: bytes, approved: bool) -> bytes | dict[int, Any]:
    """DE55 of the answer: tag 91 = ARPC (method 2) || CSU, the CSU saying approved or not; in
    the form the cryptogram came in — BER-TLV with the ARPC computed, or ``{0x91: value}`` with
    a value that computes it only if it is encoded."""
    csu = arqc_verify.CSU_APPROVED if approved else arqc_verify.CSU_DECLINED
    if type(arqc) is ApplicationCryptogram:
        return {0x91: IssuerAuthentication(arqc, csu)}
    return encode(0x91, arqc_verify.arpc(session_key, arqc, csu) + csu)
