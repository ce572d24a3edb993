"""The `elcart-sim qr` commands: make a payment QR code, read one back.

    elcart-sim qr make [--kind elqr|emvco] (--p2p RECIPIENT_ID | --merchant-guid GUID) --name NAME
                       [--amount KGS] [--mcc MCC] [--png PATH]
    elcart-sim qr read PAYLOAD|LINK|PNG [--kind elqr|emvco]

`make` prints the text the code holds (an ELQR link, or an EMVCo payload) and with `--png`
draws it; the PNG's folder is checked before anything is made, as every writing command does
(`cli.outputs`). `read` prints the fields as a table and whether the check digits hold: exit 0
when they do, 1 with one line when they do not (a tampered or mistyped code), 2 for input that
is not a QR payload at all.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from elcart_sim.cli.outputs import OutputPlace
from elcart_sim.core.errors import AmountError, OptionValueError, OutputError, QrPayloadError
from elcart_sim.money.amounts import parse_amount
from elcart_sim.protocol.qr import KINDS, elqr, emvco, kind_of, read_image, to_png

__all__ = ["add_commands", "EXIT_CHECK_FAILS"]

EXIT_CHECK_FAILS = 1
"""`qr read`: the payload reads but its checksum (ELQR) or CRC (EMVCo) does not hold."""

_PICTURES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
DEFAULT_MCC = "5411"  # grocery stores and supermarkets: the retailers that take ELKART Pay first

_MAKE_EPILOG = """examples:
  elcart-sim qr make --p2p 3435fba7738e54e59d8f3e8e664785d9 --name "9417 **** **** 5269"
  elcart-sim qr make --merchant-guid qr.finik.kg --name Globus --amount 1390 --png globus.png
  elcart-sim qr make --kind emvco --merchant-guid kg.elcart.qr --merchant-id M0042 --name Globus --city Bishkek"""

_READ_EPILOG = """exit codes:
  0  the code reads and its check digits hold
  1  the code reads but its checksum (ELQR, ID 63) or CRC (EMVCo) does not hold: tampered or mistyped
  2  not a QR payload (an ID, a length or a value is malformed), or a file that cannot be read

example:
  elcart-sim qr read "https://app.mbank.kg/qr/#00020101021132440012c2c.mbank.kg01020210129965541855191302125204999953034175909KIRILL%20B.63047129\""""


def _amount(text: str) -> int:
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise OptionValueError(str(exc)) from None


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `elcart-sim qr make` and `elcart-sim qr read` on the main parser's subcommands."""
    qr = subparsers.add_parser(
        "qr",
        help="payment QR codes: make an ELQR or EMVCo code (text and PNG), read one back and check it",
        description="Payment QR codes as Kyrgyz banking apps scan them: ELQR, the national format (a link whose "
        "fragment carries the fields and a SHA-256 check), and EMVCo merchant-presented codes (CRC-16). "
        "`qr make --help` and `qr read --help` say more.",
        epilog="examples:\n  elcart-sim qr make --p2p 3435fba7738e54e59d8f3e8e664785d9 --name \"9417 **** **** 5269\" --png code.png\n"
        "  elcart-sim qr read code.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = qr.add_subparsers(dest="qr_command", metavar="ACTION", required=True)
    make = actions.add_parser(
        "make",
        help="make a code: print its text, and with --png draw it",
        description="Make a payment QR code and print the text it holds. A person-to-person code (--p2p) is "
        "shaped like ELKART's own: provider p2p.elcart.kg, MCC 4822, the recipient an opaque 32-hex id that the "
        "switch resolves to a card, the name shown a masked card number; a full card number is refused in "
        "any field. Without an amount the payer types it.",
        epilog=_MAKE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    make.add_argument("--kind", choices=KINDS, default="elqr", help="elqr: the national format (default); emvco: merchant-presented")
    make.add_argument("--p2p", metavar="RECIPIENT_ID", help="ELQR person-to-person code to this opaque 32-hex recipient id")
    make.add_argument("--merchant-guid", metavar="GUID", help="the provider (ELQR ID 32/00) or the scheme of the merchant "
                      "account (EMVCo ID 26/00), e.g. qr.finik.kg")  # fmt: skip
    make.add_argument("--merchant-id", metavar="ID", help="the merchant's id with that provider (ELQR 32/10, EMVCo 26/01)")
    make.add_argument("--name", required=True, help="name shown to the payer (ID 59, at most 25 characters)")
    make.add_argument("--amount", type=_amount, metavar="KGS", help="fixed amount in KGS, e.g. 1390 or 123.45 (default: the payer types it)")
    make.add_argument("--mcc", default=DEFAULT_MCC, help="merchant category code (default: %(default)s, supermarkets; p2p codes: 4822)")
    make.add_argument("--comment", help="ELQR comment (ID 34, at most 32 characters)")
    make.add_argument("--city", default="Bishkek", help="EMVCo merchant city (ID 60; default: %(default)s)")
    make.add_argument("--prefix", default=elqr.DEFAULT_PREFIX, help="ELQR link prefix, a bank's router (default: %(default)s)")
    make.add_argument("--png", metavar="PATH", help="also draw the code into this PNG file")
    make.set_defaults(handler=_make)
    read = actions.add_parser(
        "read",
        help="read a code (a link, a payload or a PNG) and check it",
        description="Read a payment QR code from its text (an ELQR link, a bare payload) or from a picture of it "
        "(a PNG, a screenshot), print its fields and say whether its check digits hold. The kind is told from "
        "the text unless --kind says it.",
        epilog=_READ_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    read.add_argument("code", metavar="PAYLOAD|LINK|PNG", help="the code's text, or a picture file holding the code")
    read.add_argument("--kind", choices=KINDS, help="read as this kind (default: told from the text)")
    read.set_defaults(handler=_read)


def _make(args: argparse.Namespace) -> int:
    if args.png:
        png = Path(args.png)
        if png.is_dir():
            raise OutputError(f"cannot write to --png {png}: it is a folder, not a file")
        OutputPlace(png.parent, option="--png").check()  # before any work
    text = _made_text(args)
    print(text)
    if args.png:
        Path(args.png).parent.mkdir(parents=True, exist_ok=True)  # the check above found that it can be made
        to_png(text, args.png)
        print(f"wrote {Path(args.png).resolve()}", file=sys.stderr)
    return 0


def _made_text(args: argparse.Namespace) -> str:
    if args.kind == "emvco":
        if args.p2p or not args.merchant_guid:
            raise OptionValueError("--kind emvco makes merchant codes: give --merchant-guid (EMVCo has no person-to-person code)")
        account = emvco.merchant_account(args.merchant_guid, args.merchant_id)
        return emvco.encode(emvco.EmvcoPayload(merchant_accounts=(account,), mcc=args.mcc, merchant_name=args.name,
                                               merchant_city=args.city, amount_tyiyn=args.amount,
                                               dynamic=args.amount is not None))  # fmt: skip
    if args.p2p:
        if args.merchant_guid:
            raise OptionValueError("give --p2p or --merchant-guid, not both")
        payload = elqr.p2p_payload(args.p2p, args.name, args.amount)
        return elqr.link(dataclasses.replace(payload, comment=args.comment), args.prefix)
    if not args.merchant_guid:
        raise OptionValueError("give --p2p RECIPIENT_ID for a transfer code or --merchant-guid GUID for a merchant's")
    payload = elqr.ElqrPayload(provider_guid=args.merchant_guid, provider_name=args.name, mcc=args.mcc,
                               amount_tyiyn=args.amount, dynamic=args.amount is not None,
                               recipient_id=args.merchant_id, comment=args.comment)  # fmt: skip
    return elqr.link(payload, args.prefix)


def _read(args: argparse.Namespace) -> int:
    code = args.code
    if Path(code).suffix.lower() in _PICTURES or not (code[:1].isdigit() or "#" in code):  # a code's text ends in hex digits
        code = read_image(code)
    kind = args.kind or kind_of(code)
    codec = elqr if kind == "elqr" else emvco
    payload = codec.decode(code, verify=False)  # a malformed payload ends here: exit 2
    try:
        codec.decode(code)
    except QrPayloadError as exc:
        print(f"elcart-sim: the {kind} code reads but its check fails: {exc}", file=sys.stderr)
        return EXIT_CHECK_FAILS
    check = "checksum (SHA-256, ID 63)" if kind == "elqr" else "CRC (CRC-16/CCITT-FALSE, ID 63)"
    rows = [("kind", kind)] + [(f.name, _shown(getattr(payload, f.name), payload.currency)) for f in dataclasses.fields(payload)
                               if getattr(payload, f.name) not in (None, ()) and f.name not in ("id_order", "service_id_order")]  # fmt: skip
    rows.append(("ID order", " ".join(payload.id_order) + " 63"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print(f"  {'check':<{width}}  {check} holds")
    return 0


def _shown(value: object, currency: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):  # the amount, in tyiyn
        return f"{value} ({value // 100:,}.{value % 100:02d} {'KGS' if currency == elqr.KGS else 'in currency ' + currency})"
    if isinstance(value, tuple):
        return ", ".join(f"{qr_id}={text}" for qr_id, text in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
