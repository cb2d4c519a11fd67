"""Amounts in words, as a receipt writes them beside the figures: "dois mil e duzentos reais",
"two thousand two hundred dollars and fifty cents" (num2words speaks the numbers; the currency
names and the joining words are ours, so every currency reads the same way in both languages)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

# (unit singular, unit plural, cent singular, cent plural) per language and currency.
_NAMES: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "pt-br": {
        "BRL": ("real", "reais", "centavo", "centavos"),
        "USD": ("dólar", "dólares", "centavo", "centavos"),
        "EUR": ("euro", "euros", "cêntimo", "cêntimos"),
        "GBP": ("libra", "libras", "pêni", "pence"),
    },
    "en": {
        "BRL": ("real", "reais", "centavo", "centavos"),
        "USD": ("dollar", "dollars", "cent", "cents"),
        "EUR": ("euro", "euros", "cent", "cents"),
        "GBP": ("pound", "pounds", "penny", "pence"),
    },
}
_LANG = {"pt-br": "pt_BR", "en": "en"}
_JOIN = {"pt-br": " e ", "en": " and "}


def _number(value: int, language: str) -> str:
    words = num2words(value, lang=_LANG[language])
    # num2words writes "two thousand, two hundred"; a receipt reads better without the comma.
    return words.replace(",", "") if language == "en" else words


def amount_in_words(amount: Decimal, currency: str, language: str) -> str:
    """`amount` of `currency` in words in `language` ('pt-br' or 'en'). An unknown currency is named
    by its code ("150 BRL" style: "cento e cinquenta MXN")."""
    lang = "pt-br" if language == "pt-br" else "en"
    code = (currency or "").upper()
    names = _NAMES[lang].get(code, (code, code, "", ""))
    cents_total = int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    units, cents = divmod(abs(cents_total), 100)
    parts: list[str] = []
    if units or not cents:
        words = _number(units, lang)
        name = names[0] if units == 1 else names[1]
        # Portuguese says "um milhão de reais", "dois bilhões de reais" (a round million and up).
        if lang == "pt-br" and units >= 1_000_000 and units % 1_000_000 == 0:
            words += " de"
        parts.append(f"{words} {name}")
    if cents and names[2]:
        parts.append(f"{_number(cents, lang)} {names[2] if cents == 1 else names[3]}")
    elif cents:
        parts.append(f"{_number(cents, lang)}/100")
    text = _JOIN[lang].join(parts)
    return (
        f"menos {text}"
        if cents_total < 0 and lang == "pt-br"
        else (f"minus {text}" if cents_total < 0 else text)
    )
