"""One tap byte by byte: the APDUs, the host messages, and the cryptogram checked by both sides.

Analysis code for notebooks/02_tap_anatomy.ipynb: it runs one payment through a
:class:`~elcart_sim.model.simulation.Simulation` of the wire fidelity (in the fast one nothing is
encoded, so there are no bytes to show) and turns what happened into tables — every command
APDU with the card's answer decoded into named EMV tags (``protocol.emv.tags.describe``), the
authorisation request and response field by field, DE55 decoded, and the cryptogram recomputed
twice: by the token service (pyemv) and by the phone's own code (``cryptography``). Token numbers
are masked in every table; no card number ever appears (the wallet holds only a token).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from elcart_sim.acceptance.terminal import TapResult
from elcart_sim.core.errors import ConfigurationError
from elcart_sim.core.redact import mask_pan
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.emv import apdu, arqc_verify, tlv
from elcart_sim.protocol.emv.cryptogram import (
    IssuerApplicationData,
    arpc_method_2,
    arqc_input,
    derive_icc_master_key,
    derive_limited_use_key,
    derive_session_key,
    generate_arqc,
)
from elcart_sim.protocol.emv.tags import describe
from elcart_sim.world.population import CARD_STATUSES

if TYPE_CHECKING:
    from elcart_sim.model.simulation import Simulation

__all__ = ["TapAnatomy", "payable_card", "tap_anatomy"]

_PAN_FIELDS = {"2", "35"}  # hold the token PAN on the acquirer side: shown masked


def payable_card(sim: Simulation, amount_tyiyn: int) -> int:
    """The first enrolled card that is active, has ``amount_tyiyn`` on its account and whose
    phone is online (so nothing but the payment itself decides the outcome)."""
    population = sim.population
    for card in population.enrolled_cards.tolist():
        if (
            CARD_STATUSES[population.card_status[card]] == "active"
            and population.opening_balance_tyiyn[card] >= amount_tyiyn
            and card not in sim.offline_phones
        ):
            return card
    raise ConfigurationError(f"payable_card: no enrolled, active card with {amount_tyiyn} tyiyn and an online phone")


def tap_anatomy(sim: Simulation, card: int, terminal: int, amount_tyiyn: int) -> TapAnatomy:
    """Run one tap of ``card`` at ``terminal`` to its end and keep everything for inspection."""
    return TapAnatomy(sim, card, sim.tap(card, terminal, amount_tyiyn))


@dataclass
class TapAnatomy:
    sim: Simulation
    card: int
    result: TapResult

    def apdus(self) -> pd.DataFrame:
        """One row per command: its name, the command bytes, the status word and answer length."""
        rows = []
        for step, x in enumerate(self.result.kernel.exchanges, start=1):
            answer = apdu.ResponseApdu.parse(x.response)
            rows.append(
                {
                    "step": step,
                    "command": x.name,
                    "C-APDU": x.command.hex().upper(),
                    "SW": f"{answer.sw:04X}",
                    "meaning": apdu.describe_status_word(answer.sw),
                    "answer bytes": len(x.response) - 2,
                }
            )
        return pd.DataFrame(rows).set_index("step")

    def answer(self, step: int) -> pd.DataFrame:
        """The card's answer to command ``step`` (from 1) as named tags, nested by depth."""
        x = self.result.kernel.exchanges[step - 1]
        rows = describe(apdu.ResponseApdu.parse(x.response).data)
        frame = pd.DataFrame(rows, columns=["depth", "tag", "name", "format", "length", "value"])
        frame["tag"] = ["  " * d + t for d, t in zip(frame.depth, frame.tag, strict=True)]
        return frame.drop(columns="depth")

    def message(self, which: str = "request") -> pd.DataFrame:
        """The 0100 (``request``) or the 0110 (``response``) the terminal exchanged, field by field."""
        message = self.result.request if which == "request" else self.result.response
        rows = []
        for field in sorted(message, key=lambda f: -1 if f == "t" else int(f)):
            value = message[field]
            if field == "55":
                shown = f"{len(value)} bytes of BER-TLV (decoded below)"
            elif field in _PAN_FIELDS:
                shown = mask_pan(value.split("=")[0]) + ("=…" if "=" in value else "")
            else:
                shown = value
            name = "Message Type Indicator" if field == "t" else iso8583.ELKART_SPEC[field]["desc"]
            rows.append({"DE": "MTI" if field == "t" else field, "name": name, "value": shown})
        return pd.DataFrame(rows).set_index("DE")

    def icc_data(self, which: str = "request") -> pd.DataFrame:
        """DE55 of the request (the chip's evidence) or the response (the ARPC), as named tags."""
        message = self.result.request if which == "request" else self.result.response
        return pd.DataFrame(describe(message["55"])).drop(columns="depth")

    def verification(self) -> pd.DataFrame:
        """The cryptogram checked twice, independently: the token service's path (pyemv, from the
        issuer master key) and the phone's path (its limited-use key, our ``cryptography`` code),
        then the ARPC of the 0110 recomputed on the phone's side."""
        sim = self.sim
        request, response = self.result.request, self.result.response
        de55 = tlv.flatten(tlv.decode(request["55"]))
        iad = IssuerApplicationData.parse(de55[0x9F10])
        token = request["2"]
        record = sim.token_service.detokenise(token)
        atc = int.from_bytes(de55[0x9F36], "big")
        imk = sim.token_service.issuer_master_key(token[:6])
        data = arqc_input(de55)
        # Token service: pyemv, from the issuer master key.
        tsp_sk = arqc_verify.session_key(arqc_verify.icc_master_key(imk, token, record.psn), atc, iad.key_index)
        tsp_ok = arqc_verify.cryptogram_matches(tsp_sk, data, de55[0x9F26])
        # Phone: the limited-use key it was given (our code), its session key and MAC.
        luk = derive_limited_use_key(derive_icc_master_key(imk, token, record.psn), iad.key_index)
        phone_sk = derive_session_key(luk, atc)
        phone_arqc = generate_arqc(phone_sk, data)
        tag91 = tlv.flatten(tlv.decode(response["55"]))[0x91]
        arpc, csu = tag91[:4], tag91[4:]
        rows = [
            ("token (DE2, masked)", mask_pan(token), "vault: the card's token on device " + f"{record.device_id:08X}"),
            ("cryptogram version (IAD)", f"{iad.cryptogram_version:02X}", f"configured {sim.card_authentication.cryptogram_version:02X}"),
            ("limited-use key index (IAD)", str(iad.key_index), f"issued, expires at {sim.token_service.key_expiry(token, iad.key_index):,.0f} s"),
            ("device id (IAD)", f"{iad.device_id:08X}", f"token bound to {record.device_id:08X}"),
            ("ATC", str(atc), f"highest accepted for this token: {sim.card_authentication.highest_atc(token)}"),
            ("unpredictable number (9F37)", de55[0x9F37].hex().upper(), "the terminal's; part of the MAC input"),
            ("ARQC sent by the phone (9F26)", de55[0x9F26].hex().upper(), "recomputed by pyemv: " + ("equal" if tsp_ok else "DIFFERENT")),
            ("ARQC from the phone's own key path", phone_arqc.hex().upper(), "equal" if phone_arqc == de55[0x9F26] else "DIFFERENT"),
            ("ARPC in the 0110 (tag 91)", arpc.hex().upper(), f"CSU {csu.hex().upper()}"),
            ("ARPC recomputed by the phone", arpc_method_2(phone_sk, de55[0x9F26], csu).hex().upper(),
             "equal" if arpc_method_2(phone_sk, de55[0x9F26], csu) == arpc else "DIFFERENT"),
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=["item", "value", "check"]).set_index("item")
