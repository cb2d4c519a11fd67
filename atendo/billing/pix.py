"""PIX "copia e cola": the static EMV BR Code payload of the Banco Central do Brasil's "Manual de
Padrões para Iniciação do Pix", its CRC16, the PIX key's validation, and the QR drawn with segno.

Pure functions, no database: `static_payload(...)` builds the string a banking app reads; the
services decide when a payment may carry one (see `billing.selectors.payment_pix_for`).
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
from dataclasses import dataclass
from decimal import Decimal

import segno
from django.utils.translation import gettext as _

GUI = "br.gov.bcb.pix"
NAME_MAX = 25
CITY_MAX = 15
TXID_MAX = 25
KEY_MAX = 77
FIELD_MAX = 99  # an EMV value's length has two digits


class PixKeyError(ValueError):
    """A PIX key, name, city or description that cannot go into a BR Code; `message` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def crc16(data: str | bytes) -> str:
    """CRC16-CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no reflection, no final xor), as the
    BR Code's field 63 writes it: four uppercase hex digits."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    crc = 0xFFFF
    for byte in raw:
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def _field(tag: str, value: str) -> str:
    if len(value) > FIELD_MAX:
        raise PixKeyError(_("The PIX code would be too long; shorten the description."))
    return f"{tag}{len(value):02d}{value}"


def ascii_text(value: str, limit: int) -> str:
    """Accents removed, only printable ASCII kept, spaces collapsed, cut at `limit` characters."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = "".join(c for c in plain if 32 <= ord(c) < 127)
    return " ".join(plain.split())[:limit].strip()


def clean_txid(value: str) -> str:
    """The transaction id of field 62-05: up to 25 letters and digits, "***" when there is none."""
    txid = re.sub(r"[^A-Za-z0-9]", "", value or "")[:TXID_MAX]
    return txid or "***"


# --- the key ---------------------------------------------------------------------------------------


def _cpf_ok(digits: str) -> bool:
    if len(digits) != 11 or digits == digits[0] * 11:
        return False
    for size in (9, 10):
        total = sum(int(d) * w for d, w in zip(digits[:size], range(size + 1, 1, -1), strict=True))
        check = (total * 10) % 11 % 10
        if check != int(digits[size]):
            return False
    return True


def _cnpj_ok(digits: str) -> bool:
    if len(digits) != 14 or digits == digits[0] * 14:
        return False
    weights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    for size in (12, 13):
        w = weights if size == 12 else [6, *weights]
        total = sum(int(d) * k for d, k in zip(digits[:size], w, strict=True))
        rest = total % 11
        check = 0 if rest < 2 else 11 - rest
        if check != int(digits[size]):
            return False
    return True


EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class PixKey:
    kind: str  # cpf | cnpj | email | phone | evp
    value: str  # as it goes into the BR Code


def normalize_key(raw: str) -> PixKey:
    """The PIX key as the BR Code carries it, or `PixKeyError` with a human message.

    CPF and CNPJ: their digits (punctuation allowed), check digits verified. Phone: E.164 with +55
    (e.g. +5561912345678). E-mail: lower-cased. Random key (EVP): a UUID, lower-case with hyphens."""
    value = (raw or "").strip()
    if not value:
        raise PixKeyError(_("Enter a PIX key."))
    if "@" in value:
        if len(value) > KEY_MAX or not EMAIL_RE.match(value):
            raise PixKeyError(_("This e-mail is not a valid PIX key."))
        return PixKey("email", value.lower())
    if value.startswith("+"):
        digits = re.sub(r"[\s().-]", "", value[1:])
        if not digits.isdigit() or not digits.startswith("55") or len(digits) not in (12, 13):
            raise PixKeyError(_("A phone PIX key is +55, the area code and the number, e.g. +5561912345678."))
        return PixKey("phone", "+" + digits)
    if UUID_RE.match(value) and not value.isdigit():
        return PixKey("evp", str(uuid.UUID(value)))
    digits = re.sub(r"[\s./-]", "", value)
    if digits.isdigit():
        if len(digits) == 11:
            if not _cpf_ok(digits):
                raise PixKeyError(_("This CPF is not valid (its check digits do not match)."))
            return PixKey("cpf", digits)
        if len(digits) == 14:
            if not _cnpj_ok(digits):
                raise PixKeyError(_("This CNPJ is not valid (its check digits do not match)."))
            return PixKey("cnpj", digits)
    raise PixKeyError(
        _("A PIX key is a CPF, a CNPJ, an e-mail, a phone number with +55 or a random key (UUID).")
    )


# --- the payload -----------------------------------------------------------------------------------


def format_amount(amount: Decimal) -> str:
    """Field 54: dot decimal, two places, no thousands separator (e.g. 1500.00)."""
    return str(Decimal(amount).quantize(Decimal("0.01")))


def static_payload(
    *,
    key: str,
    name: str,
    city: str,
    amount: Decimal | None = None,
    txid: str = "",
    description: str = "",
) -> str:
    """The static BR Code ("copia e cola") for this key, receiver name and city; with an amount
    when given (field 54), the txid in field 62-05 ("***" when none), and the CRC16 in field 63."""
    account = _field("00", GUI) + _field("01", key)
    if description:
        account += _field("02", ascii_text(description, FIELD_MAX))
    payload = (
        _field("00", "01")
        + _field("26", account)
        + _field("52", "0000")
        + _field("53", "986")
        + (_field("54", format_amount(amount)) if amount is not None else "")
        + _field("58", "BR")
        + _field("59", ascii_text(name, NAME_MAX))
        + _field("60", ascii_text(city, CITY_MAX))
        + _field("62", _field("05", clean_txid(txid)))
        + "6304"
    )
    return payload + crc16(payload)


def validate_settings(*, key: str, name: str, city: str, description: str = "") -> dict[str, str]:
    """The field errors of PIX settings (field -> message); empty when a BR Code can be built."""
    errors: dict[str, str] = {}
    try:
        normalized = normalize_key(key)
    except PixKeyError as exc:
        errors["key"] = exc.message
        normalized = None
    if not ascii_text(name, NAME_MAX):
        errors["merchant_name"] = _("Enter the receiver's name (letters, up to 25).")
    if not ascii_text(city, CITY_MAX):
        errors["city"] = _("Enter the city (letters, up to 15).")
    if normalized is not None and description:
        try:
            static_payload(key=normalized.value, name="x", city="x", description=description)
        except PixKeyError as exc:
            errors["description"] = exc.message
    return errors


# --- the QR ----------------------------------------------------------------------------------------


def qr_svg(payload: str, *, title: str = "PIX", scale: int = 4) -> str:
    """The QR of a payload as inline SVG (no XML declaration), medium error correction."""
    qr = segno.make(payload, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, title=title)
    return out.getvalue().decode("utf-8")


def qr_png(payload: str, *, scale: int = 8) -> bytes:
    qr = segno.make(payload, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=2)
    return out.getvalue()
