"""Template filters for what a person reads (`{% load formats %}`), all from `atendo.core.formats`.

    {{ payment.amount|money:workspace.currency }}   R$ 2.200,00 · $1,234.00
    {{ client.birth_date|day }}                      12/04/1990 · 04/12/1990
    {{ session.start_dt|day:"weekday_long" }}        terça-feira, 1 de dezembro de 2026
    {{ session.start_dt|day:"weekday" }}             ter., 01/12/2026 · Tue, 12/01/2026
    {{ session.start_dt|hhmm }}                      14:30 (the current, i.e. the workspace's, zone)
    {{ event.at|moment }}                            01/12/2026 14:30

The language is the active one (the reader's); the styles are those of `format_date`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from atendo.core import formats

register = template.Library()


@register.filter
def money(amount: Any, currency: str = "") -> str:
    return formats.format_money(amount, currency)


@register.filter
def day(value: dt.date | dt.datetime | None, style: str = "short") -> str:
    if style not in formats.DATE_STYLES:
        raise template.TemplateSyntaxError(f"day: unknown style {style!r}")
    return formats.format_date(value, style)  # type: ignore[arg-type]


@register.filter
def hhmm(value: dt.datetime | dt.time | None) -> str:
    return formats.format_time(value)


@register.filter
def moment(value: dt.datetime | None) -> str:
    return formats.format_datetime(value)


@register.filter
def number(value: Any, decimals: int = 0) -> str:
    return formats.format_number(value, int(decimals))
