"""API: therapy types (`/workspaces/{slug}/therapy-types`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.core.api_schemas import InputSchema
from atendo.therapies import selectors, services
from atendo.therapies.models import TherapyType
from atendo.workspaces.api_auth import api_member

router = Router(tags=["therapy-types"])


class TherapyTypeOut(Schema):
    id: int
    name: str
    color: str
    default_duration_minutes: int | None
    default_price: str | None = Field(description="Exact decimal as a string, e.g. '150.00'.")
    currency: str
    active: bool
    fields_scope: str = Field(description="Scope of this type's own field definitions.")


class TherapyTypeList(Schema):
    items: list[TherapyTypeOut]
    next_cursor: str | None


class TherapyTypeCreate(InputSchema):
    name: str = Field(max_length=120)
    color: str = Field("#4f7cac", max_length=7)
    default_duration_minutes: int | None = None
    default_price: Decimal | None = None
    active: bool = True


class TherapyTypePatch(InputSchema):
    name: str | None = Field(None, max_length=120)
    color: str | None = Field(None, max_length=7)
    default_duration_minutes: int | None = None
    default_price: Decimal | None = None
    active: bool | None = None


def therapy_type_json(tt: TherapyType, currency: str) -> dict[str, Any]:
    return {
        "id": tt.pk,
        "name": tt.name,
        "color": tt.color,
        "default_duration_minutes": tt.default_duration_minutes,
        "default_price": str(tt.default_price) if tt.default_price is not None else None,
        "currency": currency,
        "active": tt.active,
        "fields_scope": selectors.therapy_type_scope(tt.pk),
    }


def _payload(schema: Schema) -> dict[str, Any]:
    data = schema.model_dump(exclude_unset=True)
    # null means "no value" for the nullable columns, but never for name/colour/active.
    for key in ("name", "color", "active"):
        if key in data and data[key] is None:
            data.pop(key)
    return data


@router.get("/workspaces/{workspace_slug}/therapy-types", response=TherapyTypeList)
def therapy_types_list(request: HttpRequest, workspace_slug: str, include_inactive: bool = False) -> Any:
    member = api_member(request, workspace_slug)
    items = selectors.therapy_types_for(member, include_inactive=include_inactive)
    currency = member.workspace.currency
    return {"items": [therapy_type_json(tt, currency) for tt in items], "next_cursor": None}


@router.post("/workspaces/{workspace_slug}/therapy-types", response={201: TherapyTypeOut})
def therapy_types_create(request: HttpRequest, workspace_slug: str, payload: TherapyTypeCreate) -> Any:
    member = api_member(request, workspace_slug)
    tt = services.therapy_type_create(member=member, data=payload.model_dump())
    return Status(201, therapy_type_json(tt, member.workspace.currency))


@router.get("/workspaces/{workspace_slug}/therapy-types/{therapy_type_id}", response=TherapyTypeOut)
def therapy_types_read(request: HttpRequest, workspace_slug: str, therapy_type_id: int) -> Any:
    member = api_member(request, workspace_slug)
    return therapy_type_json(
        selectors.therapy_type_get_for(member, therapy_type_id), member.workspace.currency
    )


@router.patch("/workspaces/{workspace_slug}/therapy-types/{therapy_type_id}", response=TherapyTypeOut)
def therapy_types_update(
    request: HttpRequest, workspace_slug: str, therapy_type_id: int, payload: TherapyTypePatch
) -> Any:
    member = api_member(request, workspace_slug)
    tt = services.therapy_type_update(member=member, therapy_type_id=therapy_type_id, data=_payload(payload))
    return therapy_type_json(tt, member.workspace.currency)


@router.post(
    "/workspaces/{workspace_slug}/therapy-types/{therapy_type_id}/deactivate", response=TherapyTypeOut
)
def therapy_types_deactivate(request: HttpRequest, workspace_slug: str, therapy_type_id: int) -> Any:
    member = api_member(request, workspace_slug)
    tt = services.therapy_type_set_active(member=member, therapy_type_id=therapy_type_id, active=False)
    return therapy_type_json(tt, member.workspace.currency)


@router.post("/workspaces/{workspace_slug}/therapy-types/{therapy_type_id}/activate", response=TherapyTypeOut)
def therapy_types_activate(request: HttpRequest, workspace_slug: str, therapy_type_id: int) -> Any:
    member = api_member(request, workspace_slug)
    tt = services.therapy_type_set_active(member=member, therapy_type_id=therapy_type_id, active=True)
    return therapy_type_json(tt, member.workspace.currency)
