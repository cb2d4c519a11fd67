"""`{% load insights %}`: `{{ "2026-03-09"|iso_day }}` — an ISO date of the insights JSON, as the reader
reads dates (core.formats); `{{ links|get:id }}` — a value of a dict by key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from atendo.core.formats import format_date

register = template.Library()


@register.filter
def iso_day(value: str | None, style: str = "short") -> str:
    if not value:
        return ""
    return format_date(dt.date.fromisoformat(str(value)[:10]), style)  # type: ignore[arg-type]


@register.filter
def get(mapping: dict[Any, Any] | None, key: Any) -> Any:
    return (mapping or {}).get(key)
