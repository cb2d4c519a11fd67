"""Reads of therapy types. Every member of a workspace may list them (session forms need them)."""

from __future__ import annotations

from typing import Any

from atendo.core.errors import NotFound
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership


def therapy_types_for(member: Membership, *, include_inactive: bool = False) -> Any:
    qs = TherapyType.objects.for_workspace(member.workspace)
    if not include_inactive:
        qs = qs.filter(active=True)
    return qs.order_by("name", "id")


def therapy_type_get_for(member: Membership, therapy_type_id: int) -> TherapyType:
    tt = TherapyType.objects.for_workspace(member.workspace).filter(pk=therapy_type_id).first()
    if tt is None:
        raise NotFound()
    return tt


def therapy_type_scope(therapy_type_id: int) -> str:
    """The field-definition scope of a therapy type's own fields."""
    return f"therapy_type:{therapy_type_id}"


def therapy_type_name(workspace_id: int, therapy_type_id: int) -> str | None:
    """The type's name, None when the workspace has no such type (registered in `fields.registry`:
    a `therapy_type:<id>` field scope must name a type of its workspace)."""
    return (
        TherapyType.objects.for_workspace(workspace_id)
        .filter(pk=therapy_type_id)
        .values_list("name", flat=True)
        .first()
    )
