"""Settings kept by an app above workspaces (online booking's), carried by `GET|PATCH
/workspaces/{slug}/settings` as one more key each (`"booking": {…}`).

Such settings live in the app's own table and are changed by its own service (its permissions,
validation and audit): the app registers a `Section` here from its `AppConfig.ready()` (as
`fields.registry` is filled by the apps above fields), and the settings API adds the key to its
schemas and reads and writes it through the section. An error inside a section names its path
under the key (`booking.lead_minutes`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ninja import Field, Schema
from pydantic import create_model

from atendo.core.errors import FieldError, ValidationFailed
from atendo.workspaces.models import Membership


@dataclass(frozen=True)
class Section:
    key: str
    out_schema: type[Schema]
    patch_schema: type[Schema]
    description: str
    read: Callable[[Membership], dict[str, Any]]
    update: Callable[[Membership, dict[str, Any]], None]


_SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    _SECTIONS[section.key] = section


def split(values: dict[str, Any]) -> dict[str, Any]:
    """Take the sections' keys out of a settings update (`values` keeps the registry's)."""
    return {key: values.pop(key) for key in list(_SECTIONS) if key in values}


def with_sections(base: type[Schema], *, patch: bool) -> type[Schema]:
    """`base` (the settings' GET or PATCH schema) with one more key per section."""
    if not _SECTIONS:
        return base
    fields: dict[str, Any] = {
        s.key: (s.patch_schema | None, Field(None, description=s.description))
        if patch
        else (s.out_schema, Field(..., description=s.description))
        for s in _SECTIONS.values()
    }
    return create_model(base.__name__, __base__=base, **fields)


def read_all(member: Membership) -> dict[str, Any]:
    return {key: s.read(member) for key, s in _SECTIONS.items()}


def update_all(member: Membership, values: dict[str, Any]) -> None:
    """Apply the sections' changes (from `split`); errors named under their key."""
    for key, s in _SECTIONS.items():
        changes = values.get(key)
        if changes is None:
            continue
        try:
            s.update(member, changes)
        except ValidationFailed as exc:
            raise ValidationFailed(
                [FieldError(f"{key}.{e.path}" if e.path else key, e.message) for e in exc.fields],
                message=exc.message,
            ) from None
