"""What a person reads: money, dates and times in the reader's (or a document's) language.

The one helper for every door that shows a value to a person: pages (through the template filters
in `atendo.core.templatetags.formats`), PDFs, CSV files and e-mails (called directly, with the
document's language). The patterns live in the format modules (`atendo/core/locale_formats/`,
`settings.FORMAT_MODULE_PATH`); this module applies them, so nobody writes "d/m/Y" by hand.

Machine-readable values are never localised: an `<input type="date">` carries ISO `YYYY-MM-DD`
(the format modules make ISO the first input format, which Django's widgets render), the API
speaks ISO 8601, and so do CSV files (their values sort and import anywhere; their headers are
translated).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from django.utils import dateformat, formats, timezone, translation

DateStyle = Literal["short", "long", "weekday", "weekday_long", "month"]

# Currency symbols as people write them. pt-BR writes every symbol before the amount with a space
# ("R$ 2.200,00", "US$ 1.234,00"); English attaches a one-character symbol ("$1,234.00", "€9.50")
# and spaces a longer one ("R$ 2,200.00"). An unknown ISO code is written as the code.
_SYMBOLS: dict[str, dict[str, str]] = {
    "pt-br": {"BRL": "R$", "USD": "US$", "EUR": "€", "GBP": "£"},
    "en": {"BRL": "R$", "USD": "$", "EUR": "€", "GBP": "£"},
}
# ISO 4217 minor units where they are not 2.
_DECIMALS = {"JPY": 0, "KRW": 0, "CLP": 0, "PYG": 0, "VND": 0, "ISK": 0, "BHD": 3, "KWD": 3}

# The format names that hold a date pattern, by style.
DATE_STYLES: dict[str, str] = {
    "short": "SHORT_DATE_FORMAT",
    "long": "DATE_FORMAT",
    "weekday": "WEEKDAY_DATE_FORMAT",
    "weekday_long": "LONG_WEEKDAY_DATE_FORMAT",
    "month": "YEAR_MONTH_FORMAT",
}


def language_of(code: str | None = None) -> str:
    """'pt-br' or 'en' for a language code (the active language when none is given)."""
    code = (code or translation.get_language() or "en").lower().replace("_", "-")
    return "pt-br" if code.startswith("pt") else "en"


def _format_name(name: str, language: str) -> str:
    """A pattern from the format modules: ours first (custom names too), then Django's."""
    for module in formats.get_format_modules(language):
        if hasattr(module, name):
            return str(getattr(module, name))
    return str(formats.get_format(name, language))


def format_number(value: Any, decimals: int = 0, language: str | None = None) -> str:
    """`value` with the language's decimal and thousand separators: 2.200,5 / 2,200.5."""
    lang = language_of(language)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    quantum = Decimal(1).scaleb(-decimals)
    number = number.quantize(quantum, rounding=ROUND_HALF_UP)
    negative = number < 0
    whole, _, fraction = f"{abs(number):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = _format_name("THOUSAND_SEPARATOR", lang).join(groups)
    if decimals > 0:
        text += _format_name("DECIMAL_SEPARATOR", lang) + fraction.ljust(decimals, "0")[:decimals]
    return f"-{text}" if negative else text


def format_money(amount: Any, currency: str, language: str | None = None) -> str:
    """`R$ 2.200,00` (pt-BR), `$1,234.00` / `R$ 2,200.00` (en); empty for a missing amount."""
    if amount is None or amount == "":
        return ""
    lang = language_of(language)
    code = (currency or "").upper()
    number = format_number(amount, _DECIMALS.get(code, 2), lang)
    negative = number.startswith("-")
    number = number.lstrip("-")
    symbol = _SYMBOLS[lang].get(code, code)
    if not symbol:
        text = number
    elif lang == "en" and len(symbol) == 1:
        text = f"{symbol}{number}"
    else:
        text = f"{symbol} {number}"
    return f"-{text}" if negative else text


def _local(value: dt.date | dt.datetime, tz: dt.tzinfo | None) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value, tz)
    return value


def format_date(
    value: dt.date | dt.datetime | None,
    style: DateStyle = "short",
    *,
    language: str | None = None,
    tz: dt.tzinfo | None = None,
) -> str:
    """A day as a person reads it: 01/12/2026 · 1 de dezembro de 2026 · ter., 01/12/2026 ·
    terça-feira, 1 de dezembro de 2026 (en: Dec 1, 2026 · December 1, 2026 · Tue, Dec 1, 2026 ·
    Tuesday, December 1, 2026). An aware datetime is first moved to `tz` (default: the current zone, which
    pages set to the workspace's)."""
    if value is None or value == "":
        return ""
    lang = language_of(language)
    pattern = _format_name(DATE_STYLES[style], lang)
    with translation.override(lang):
        text = str(dateformat.format(_local(value, tz), pattern))
    # Portuguese writes month and weekday names in lower case; Django's catalogue capitalises them.
    return text.lower() if lang == "pt-br" and style != "short" else text


def format_time(value: dt.datetime | dt.time | None, *, tz: dt.tzinfo | None = None) -> str:
    """24-hour `HH:MM` (the product's clock in every language), in `tz` for an aware datetime."""
    if value is None or value == "":
        return ""
    local = _local(value, tz) if isinstance(value, dt.datetime) else value
    return local.strftime("%H:%M")


def format_datetime(
    value: dt.datetime | None, *, language: str | None = None, tz: dt.tzinfo | None = None
) -> str:
    """A moment: 01/12/2026 14:30 (pt-BR), Dec 1, 2026, 14:30 (en), local to `tz`."""
    if value is None or value == "":
        return ""
    separator = ", " if language_of(language) == "en" else " "
    return f"{format_date(value, language=language, tz=tz)}{separator}{format_time(value, tz=tz)}"
