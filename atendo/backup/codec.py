"""A row as JSON and back: the archive's one spelling of each column type, the same on every
database (datetimes in UTC with microseconds, dates and times ISO 8601, decimals as strings)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from django.db import models

FORMAT = "atendo-workspace"
VERSION = 1
SEALED = "$sealed"  # a row's note of which of its values were sealed at rest (the restore seals them)


def columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The model's concrete columns the archive carries (all but `workspace_id`)."""
    return [f for f in model._meta.concrete_fields if f.attname != "workspace_id"]


def encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def decode(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        return dt.datetime.fromisoformat(value)
    if isinstance(field, models.DateField):
        return dt.date.fromisoformat(value)
    if isinstance(field, models.TimeField):
        return dt.time.fromisoformat(value)
    if isinstance(field, models.DecimalField):
        return decimal.Decimal(value)
    return value


def line(row: dict[str, Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"
