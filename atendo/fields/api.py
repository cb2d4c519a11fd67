"""API: the `fields` resource (custom field definitions) and their JSON Schema."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.core.api_schemas import InputSchema
from atendo.fields import note_templates, services
from atendo.fields.engine import definitions_for, json_schema
from atendo.workspaces.api_auth import api_member

router = Router(tags=["fields"])


class OptionIn(InputSchema):
    value: str
    label: str = ""
    retired: bool = False


class FieldIn(InputSchema):
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


class FieldPatch(InputSchema):
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


class ReorderIn(InputSchema):
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


# --- note templates (`fields.note_templates`) -----------------------------------------------------


class TemplateFieldIn(InputSchema):
    phase: str = Field(description='"during" or "post"')
    key: str
    label: str
    description: str = ""
    type: str = "textarea"
    required: bool = False
    options: list[OptionIn] = []
    validation: dict[str, Any] = {}
    fields: list[dict[str, Any]] = []


class NoteTemplateIn(InputSchema):
    name: str
    fields: list[TemplateFieldIn]


class NoteTemplateApplyIn(InputSchema):
    template: str = Field(description='"soap", "dap", "birp" or "practice-<id>"')
    scope: str = Field("session", description='"session" (during/post fields) or "therapy_type:<id>"')


class NoteTemplateDefaultIn(InputSchema):
    template: str | None = Field(description="A template key, or null for none")


class NoteTemplateOut(Schema):
    key: str
    id: int | None
    name: str
    description: str
    builtin: bool
    fields: list[dict[str, Any]]


class NoteTemplateList(Schema):
    items: list[NoteTemplateOut]
    defaults: list[dict[str, Any]]
    next_cursor: str | None = None


class AppliedOut(Schema):
    template: str
    scope: str
    created: list[FieldOut]
    restored: list[FieldOut]
    existing: list[str]


def _applied(applied: note_templates.Applied | None) -> dict[str, Any]:
    if applied is None:
        return {"template": "", "scope": "", "created": [], "restored": [], "existing": []}
    return {
        "template": applied.template,
        "scope": applied.scope,
        "created": [services.definition_to_json(d) for d in applied.created],
        "restored": [services.definition_to_json(d) for d in applied.restored],
        "existing": applied.existing,
    }


@router.get("/workspaces/{workspace_slug}/note-templates", response=NoteTemplateList, tags=["note templates"])
def note_templates_list(request: HttpRequest, workspace_slug: str) -> Any:
    """SOAP, DAP, BIRP and the practice's own (labels in the asker's language), and the default
    template of each therapy type."""
    member = api_member(request, workspace_slug)
    defaults = note_templates.defaults_map(member=member)
    return {
        "items": [t.as_json() for t in note_templates.templates_list(member=member)],
        "defaults": [{"therapy_type_id": k, "template": v} for k, v in sorted(defaults.items())],
        "next_cursor": None,
    }


@router.post(
    "/workspaces/{workspace_slug}/note-templates", response={201: NoteTemplateOut}, tags=["note templates"]
)
def note_templates_create(request: HttpRequest, workspace_slug: str, payload: NoteTemplateIn) -> Any:
    """The practice's own template: a name and its during/post fields."""
    member = api_member(request, workspace_slug)
    data = payload.model_dump()
    template = note_templates.practice_template_create(
        member=member, name=data["name"], fields=data["fields"]
    )
    return Status(201, note_templates.template_get(member=member, key=f"practice-{template.pk}").as_json())


@router.post(
    "/workspaces/{workspace_slug}/note-templates/apply", response=AppliedOut, tags=["note templates"]
)
def note_templates_apply(request: HttpRequest, workspace_slug: str, payload: NoteTemplateApplyIn) -> Any:
    """Add a template's fields in one step (idempotent: keys already there are kept)."""
    member = api_member(request, workspace_slug)
    return _applied(
        note_templates.template_apply(member=member, template=payload.template, scope=payload.scope)
    )


@router.delete(
    "/workspaces/{workspace_slug}/note-templates/{note_template_id}",
    response={204: None},
    tags=["note templates"],
)
def note_templates_delete(request: HttpRequest, workspace_slug: str, note_template_id: int) -> Any:
    """Delete a practice's own template (the fields it added stay)."""
    member = api_member(request, workspace_slug)
    note_templates.practice_template_delete(member=member, template_id=note_template_id)
    return Status(204, None)


@router.put(
    "/workspaces/{workspace_slug}/therapy-types/{therapy_type_id}/note-template",
    response=AppliedOut,
    tags=["note templates"],
)
def note_templates_default(
    request: HttpRequest, workspace_slug: str, therapy_type_id: int, payload: NoteTemplateDefaultIn
) -> Any:
    """The therapy type's default template: its sessions are written with the template's fields."""
    member = api_member(request, workspace_slug)
    return _applied(
        note_templates.default_set(member=member, therapy_type_id=therapy_type_id, template=payload.template)
    )
