"""API: the `fields` resource (custom field definitions) and their JSON Schema."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.core.api_auth import api_member
from atendo.fields import services
from atendo.fields.engine import definitions_for, json_schema

router = Router(tags=["fields"])


class OptionIn(Schema):
    value: str
    label: str = ""
    retired: bool = False


class FieldIn(Schema):
    scope: str = Field(description='"client", "session", "evaluation" or "therapy_type:<id>"')
    phase: str | None = Field(None, description='"pre", "during" or "post" for session fields')
    key: str
    label: str
    description: str = ""
    type: str
    required: bool = False
    options: list[OptionIn] = []
    validation: dict[str, Any] = {}
    order: int | None = None
    filterable: bool = False
    clinical: bool = True
    fields: list[dict[str, Any]] = Field([], description="Nested definitions of an array or object field")


class FieldPatch(Schema):
    key: str | None = Field(None, description="Keys are stable: sending a different key is refused")
    label: str | None = None
    description: str | None = None
    type: str | None = None
    required: bool | None = None
    options: list[OptionIn] | None = None
    validation: dict[str, Any] | None = None
    order: int | None = None
    filterable: bool | None = None
    clinical: bool | None = None
    fields: list[dict[str, Any]] | None = None


class ReorderIn(Schema):
    scope: str
    phase: str | None = None
    ids: list[int]


class FieldOut(Schema):
    id: int
    scope: str
    phase: str | None
    key: str
    label: str
    description: str
    type: str
    required: bool
    options: list[dict[str, Any]]
    validation: dict[str, Any]
    order: int
    filterable: bool
    clinical: bool
    archived: bool
    fields: list[dict[str, Any]]


class FieldList(Schema):
    items: list[FieldOut]
    next_cursor: str | None = None


@router.get("/workspaces/{workspace_slug}/fields/schema", response=dict[str, Any])
def fields_schema(request: HttpRequest, workspace_slug: str, scope: str, phase: str | None = None) -> Any:
    """JSON Schema (2020-12) of the values a whole save of this scope (and phase) accepts."""
    member = api_member(request, workspace_slug)
    scope_, phase_, therapy_type_id = _scope(member, scope, phase)
    return json_schema(
        workspace=member.workspace, scope=scope_, phase=phase_ or None, therapy_type_id=therapy_type_id
    )


def _scope(member: Any, scope: str, phase: str | None) -> tuple[str, str, int | None]:
    """Parse `scope`/`phase`; a session scope without a phase means all three phases."""
    if scope == "session" and not phase:
        return "session", "", None
    return services.parse_scope(member.workspace, scope, phase)


@router.get("/workspaces/{workspace_slug}/fields", response=FieldList)
def fields_list(
    request: HttpRequest,
    workspace_slug: str,
    scope: str,
    phase: str | None = None,
    include_archived: bool = False,
) -> Any:
    """Definitions of a scope (session: all phases unless `phase` is given), in form order."""
    member = api_member(request, workspace_slug)
    scope_, phase_, therapy_type_id = _scope(member, scope, phase)
    definitions = definitions_for(
        workspace=member.workspace,
        scope=scope_,
        phase=phase_ or None,
        therapy_type_id=therapy_type_id,
        include_archived=include_archived,
    )
    return {"items": [services.definition_to_json(d) for d in definitions], "next_cursor": None}


@router.post("/workspaces/{workspace_slug}/fields", response={201: FieldOut})
def fields_create(request: HttpRequest, workspace_slug: str, payload: FieldIn) -> Any:
    member = api_member(request, workspace_slug)
    data = payload.model_dump()
    definition = services.field_create(
        member=member, scope=data.pop("scope"), phase=data.pop("phase"), data=data
    )
    return Status(201, services.definition_to_json(definition))


@router.post("/workspaces/{workspace_slug}/fields/reorder", response=FieldList)
def fields_reorder(request: HttpRequest, workspace_slug: str, payload: ReorderIn) -> Any:
    """Put these definitions first, in this order (the rest of the scope/phase follows)."""
    member = api_member(request, workspace_slug)
    ordered = services.field_reorder(member=member, scope=payload.scope, phase=payload.phase, ids=payload.ids)
    return {"items": [services.definition_to_json(d) for d in ordered], "next_cursor": None}


@router.get("/workspaces/{workspace_slug}/fields/{field_id}", response=FieldOut)
def fields_detail(request: HttpRequest, workspace_slug: str, field_id: int) -> Any:
    member = api_member(request, workspace_slug)
    return services.definition_to_json(services.field_get(member=member, definition_id=field_id))


@router.patch("/workspaces/{workspace_slug}/fields/{field_id}", response=FieldOut)
def fields_update(request: HttpRequest, workspace_slug: str, field_id: int, payload: FieldPatch) -> Any:
    """Edit a definition. The key never changes; the type only while no value uses it."""
    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None}
    definition = services.field_update(member=member, definition_id=field_id, data=data)
    return services.definition_to_json(definition)


@router.post("/workspaces/{workspace_slug}/fields/{field_id}/archive", response=FieldOut)
def fields_archive(request: HttpRequest, workspace_slug: str, field_id: int) -> Any:
    member = api_member(request, workspace_slug)
    return services.definition_to_json(services.field_archive(member=member, definition_id=field_id))


@router.post("/workspaces/{workspace_slug}/fields/{field_id}/restore", response=FieldOut)
def fields_restore(request: HttpRequest, workspace_slug: str, field_id: int) -> Any:
    member = api_member(request, workspace_slug)
    return services.definition_to_json(services.field_restore(member=member, definition_id=field_id))
