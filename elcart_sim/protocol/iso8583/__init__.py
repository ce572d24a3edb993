"""ISO 8583:1987 host messages under the ELKART host spec (``host_spec.md``).

``spec`` the spec as data (MTIs, data elements, formats, mandatory fields, response codes),
``codec`` bytes <-> message dicts (pyiso8583), ``token_data`` DE123, ``messages`` which fields an
answer, a reversal or a forwarded request carries, ``decline_reasons`` DE44, ``wire`` the run's
fidelity at a host boundary (bytes or message objects).
"""

from elcart_sim.protocol.iso8583.codec import decode, encode, original_data_elements, problem, validate
from elcart_sim.protocol.iso8583.spec import (
    ELKART_SPEC,
    MANDATORY_FIELDS,
    MTI_AUTHORISATION_ADVICE,
    MTI_AUTHORISATION_ADVICE_REPEAT,
    MTI_AUTHORISATION_ADVICE_RESPONSE,
    MTI_AUTHORISATION_REQUEST,
    MTI_AUTHORISATION_REQUEST_REPEAT,
    MTI_AUTHORISATION_RESPONSE,
    MTI_FINANCIAL_REQUEST,
    MTI_FINANCIAL_RESPONSE,
    MTI_REVERSAL_ADVICE,
    MTI_REVERSAL_ADVICE_REPEAT,
    MTI_REVERSAL_ADVICE_RESPONSE,
    MTI_REVERSAL_REQUEST,
    MTI_REVERSAL_REQUEST_REPEAT,
    MTI_REVERSAL_RESPONSE,
    MTIS,
    REQUEST_MTIS,
    ProcessingCode,
    ResponseCode,
    required_fields,
)
from elcart_sim.protocol.iso8583.token_data import TokenData

__all__ = [
    "ELKART_SPEC",
    "MANDATORY_FIELDS",
    "MTI_AUTHORISATION_REQUEST",
    "MTI_AUTHORISATION_REQUEST_REPEAT",
    "MTI_AUTHORISATION_RESPONSE",
    "MTI_AUTHORISATION_ADVICE",
    "MTI_AUTHORISATION_ADVICE_REPEAT",
    "MTI_AUTHORISATION_ADVICE_RESPONSE",
    "MTI_REVERSAL_REQUEST",
    "MTI_REVERSAL_REQUEST_REPEAT",
    "MTI_REVERSAL_RESPONSE",
    "MTI_FINANCIAL_REQUEST",
    "MTI_FINANCIAL_RESPONSE",
    "MTI_REVERSAL_ADVICE",
    "MTI_REVERSAL_ADVICE_REPEAT",
    "MTI_REVERSAL_ADVICE_RESPONSE",
    "MTIS",
    "REQUEST_MTIS",
    "ProcessingCode",
    "ResponseCode",
    "TokenData",
    "decode",
    "encode",
    "original_data_elements",
    "problem",
    "required_fields",
    "validate",
]
