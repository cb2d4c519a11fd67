"""`{{ rate|percent }}`: a rate (0.125) as a person reads it in their language: 12,5% · 12.5%."""

from __future__ import annotations

from typing import Any

from django import template

from atendo.core.formats import format_number

register = template.Library()


@register.filter
def percent(rate: Any) -> str:
    if rate is None or rate == "":
        return ""
    return f"{format_number(float(rate) * 100, 1)}%"
