"""Phone numbers to E.164 (`+5511987654321`), the form WhatsApp needs, with Google's libphonenumber.

A number written without its country code ("(11) 98765-4321") is read in the workspace's country,
guessed from its currency (BRL: Brazil, USD: the United States); otherwise it needs its "+".
"""

from __future__ import annotations

import phonenumbers

REGION_BY_CURRENCY = {"BRL": "BR", "USD": "US"}


def region_of(currency: str) -> str | None:
    return REGION_BY_CURRENCY.get((currency or "").upper())


def to_e164(raw: str, region: str | None = None) -> str | None:
    """The E.164 form of `raw`, or None when it is no valid number."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
