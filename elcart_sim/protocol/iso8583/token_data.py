"""DE123 token data: what the switch adds to a request after detokenising (host_spec.md).

Physical picture: the issuer gets the card number in DE2 and, in DE123, the token it was paid
with — token PAN, its expiry, the token requestor (the ELKART Pay wallet) and the PAR — so it
can tell a phone payment from a plastic one and link both to the same account.
"""

from __future__ import annotations

from dataclasses import dataclass

from elcart_sim.core.errors import IsoMessageError

__all__ = ["TokenData"]


# DE123 subfields: (id, name, min length, max length, fmt).
_TOKEN_SUBFIELDS = (
    ("01", "token_pan", 13, 19, "n"),
    ("02", "token_expiry", 4, 4, "n"),
    ("03", "token_requestor_id", 11, 11, "n"),
    ("04", "par", 29, 29, "an"),
    ("05", "assurance_level", 2, 2, "n"),
)


@dataclass(frozen=True, slots=True)
class TokenData:
    """DE123 'token data', set by the switch after detokenising (layout in host_spec.md).

    On the wire: subfields ``ID(2) LEN(3) VALUE`` in ID order, e.g. ``01016<token PAN>``."""

    token_pan: str
    token_expiry: str
    token_requestor_id: str
    par: str
    assurance_level: str = "00"

    def __post_init__(self) -> None:
        pan, expiry, requestor, par, level = (
            self.token_pan, self.token_expiry, self.token_requestor_id, self.par, self.assurance_level
        )
        # Fast path (the subfield table below, for well-formed data); the loop says what is wrong.
        if (
            13 <= len(pan) <= 19 and len(expiry) == 4 and len(requestor) == 11 and len(par) == 29 and len(level) == 2
            and pan.isascii() and pan.isdigit() and expiry.isascii() and expiry.isdigit()
            and requestor.isascii() and requestor.isdigit() and par.isascii() and par.isalnum()
            and level.isascii() and level.isdigit()
        ):  # fmt: skip
            return
        for sid, name, lo, hi, fmt in _TOKEN_SUBFIELDS:
            value = getattr(self, name)
            ok = lo <= len(value) <= hi and value.isascii()
            ok = ok and (value.isdigit() if fmt == "n" else value.isalnum())
            if not ok:
                size = f"{lo}" if lo == hi else f"{lo}-{hi}"
                raise IsoMessageError(
                    f"DE123.{sid} ({name}) must be {size} {fmt} characters ({len(value)} given)",
                    field=f"123.{sid}",
                )

    def to_de123(self) -> str:
        pan, expiry, requestor, par, level = (
            self.token_pan, self.token_expiry, self.token_requestor_id, self.par, self.assurance_level
        )
        return (
            f"01{len(pan):03d}{pan}02{len(expiry):03d}{expiry}03{len(requestor):03d}{requestor}"
            f"04{len(par):03d}{par}05{len(level):03d}{level}"
        )

    @classmethod
    def from_de123(cls, text: str) -> TokenData:
        values: dict[str, str] = {}
        names = {sid: name for sid, name, *_ in _TOKEN_SUBFIELDS}
        i = 0
        while i < len(text):
            sid, length = text[i : i + 2], text[i + 2 : i + 5]
            if len(length) != 3 or not length.isdigit():
                raise IsoMessageError(f"DE123: truncated subfield header at {i}", field="123")
            n = int(length)
            if i + 5 + n > len(text):
                raise IsoMessageError(
                    f"DE123.{sid}: length {n} runs past the end at {i}", field=f"123.{sid}"
                )
            if sid not in names:
                raise IsoMessageError(f"DE123: unknown subfield {sid!r} at {i}", field="123")
            values[names[sid]] = text[i + 5 : i + 5 + n]
            i += 5 + n
        missing = [sid for sid, name, *_ in _TOKEN_SUBFIELDS if name not in values]
        if missing:
            raise IsoMessageError(
                f"DE123: subfield(s) {', '.join(missing)} missing", field=f"123.{missing[0]}"
            )
        return cls(**values)
