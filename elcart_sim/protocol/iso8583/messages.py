"""Builders of ELKART host messages from other messages (the ELKART host spec, host_spec.md).

The codec (codec.py) turns dicts into bytes; this module says which fields an answer, a
reversal or a forwarded request carries: a response echoes the request's matching fields
(ISO 8583:1987 §4.3: DE 3, 4, 7, 11, 37, 41, 49 …) and adds DE39; a reversal (0400) repeats
the original request's identifying fields and names it in DE90. The reversal of an
authorisation (0100) is a reversal request (0400); that of a financial request (0200, a
transfer's leg or a payment) a reversal advice (0420).
"""

from __future__ import annotations

from typing import Any

from elcart_sim.core.errors import IsoMessageError
from elcart_sim.protocol.iso8583.codec import original_data_elements
from elcart_sim.protocol.iso8583.spec import (
    MTI_AUTHORISATION_REQUEST,
    MTI_AUTHORISATION_REQUEST_REPEAT,
    MTI_FINANCIAL_REQUEST,
    MTI_REVERSAL_ADVICE,
    MTI_REVERSAL_REQUEST,
    REQUEST_MTIS,
    ResponseCode,
)
from elcart_sim.protocol.iso8583.token_data import TokenData

__all__ = ["response_to", "reversal_for", "format_error_response", "token_data", "fee_amount", "ELKART_PAY_TOKEN_REQUESTOR_ID"]

# Token requestor id of the ELKART Pay wallet (EMV tag 9F19, n11): synthetic, not published.
ELKART_PAY_TOKEN_REQUESTOR_ID = "41700000001"

_ECHOED = ("2", "3", "4", "7", "11", "12", "13", "28", "32", "37", "41", "42", "49", "100")
_RESPONSE_MTI = REQUEST_MTIS
_REVERSAL_MTI = {
    MTI_AUTHORISATION_REQUEST: MTI_REVERSAL_REQUEST,
    MTI_AUTHORISATION_REQUEST_REPEAT: MTI_REVERSAL_REQUEST,
    MTI_FINANCIAL_REQUEST: MTI_REVERSAL_ADVICE,
}
_NEEDS_AUTHORISATION_ID = (MTI_AUTHORISATION_REQUEST, MTI_AUTHORISATION_REQUEST_REPEAT, MTI_FINANCIAL_REQUEST)
_REVERSAL_FIELDS = (
    "2", "3", "4", "7", "11", "12", "13", "14", "18", "22", "23", "25", "28", "32", "37", "41", "42", "43", "48", "49", "100", "123"
)


def response_to(
    request: dict[str, Any], response_code: str, authorisation_id: str | None = None, additional_response: str | None = None
) -> dict[str, Any]:
    """The 0110/0210/0410/0430 answering `request`, with DE39 = `response_code` (and DE38 if approved);
    `additional_response` is DE44, the decline reason code (protocol/decline_reasons.py)."""
    response: dict[str, Any] = {"t": _RESPONSE_MTI[request["t"]]}
    response.update({field: request[field] for field in _ECHOED if field in request})
    response["39"] = response_code
    if additional_response is not None:
        response["44"] = additional_response
    if authorisation_id is not None:
        response["38"] = authorisation_id
    elif request["t"] in _NEEDS_AUTHORISATION_ID and response_code == "00":
        raise IsoMessageError(f"ISO 8583 {response['t']}: an approved response (DE39 00) needs an authorisation id (DE38)", field="38")
    return response


def reversal_for(request: dict[str, Any]) -> dict[str, Any]:
    """The reversal of `request`: an 0400 for an authorisation (0100), an 0420 advice for a
    financial request (0200); DE90 names the original."""
    reversal: dict[str, Any] = {"t": _REVERSAL_MTI[request["t"]]}
    for field in _REVERSAL_FIELDS:
        if field in request:
            reversal[field] = request[field]
    reversal.setdefault("32", "0")
    reversal["90"] = original_data_elements(request["t"][:3] + "0", request["11"], request["7"], request.get("32", ""))
    return reversal


def format_error_response(request_mti: str, trace_id: int) -> dict[str, Any]:
    """The answer to a message that an entry taking ``request_mti`` could not read (it did not
    decode, was another message type, or lacked a mandatory field): the response MTI with DE39 30
    and zeros where nothing could be echoed. DE37 carries ``trace_id``, the retrieval reference
    the sender's link knows the exchange by."""
    return {
        "t": _RESPONSE_MTI[request_mti],
        "3": "000000",
        "4": "000000000000",
        "7": "0000000000",
        "11": "000000",
        "37": f"{trace_id:012d}",
        "39": ResponseCode.FORMAT_ERROR.value,
        "41": "        ",
        "49": "417",
    }


def token_data(token_pan: str, token_expiry: str, par: str) -> str:
    """DE123 as the switch sets it after detokenising."""
    return TokenData(token_pan, token_expiry, ELKART_PAY_TOKEN_REQUESTOR_ID, par).to_de123()


def fee_amount(fee_tyiyn: int) -> str:
    """DE28, the fee the cardholder is charged (ISO 8583 x+n 8: 'D' debit, then 8 digits of tyiyn)."""
    if not 0 <= fee_tyiyn < 10**8:
        raise IsoMessageError(f"DE28: a fee must be 0 to 99,999,999 tyiyn, got {fee_tyiyn}", field="28")
    return f"D{fee_tyiyn:08d}"
