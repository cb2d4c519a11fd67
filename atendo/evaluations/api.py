"""API: evaluations (`/workspaces/{slug}/evaluations`), with the clinical barrier."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt

from atendo.core.api_schemas import InputSchema
from atendo.core.pagination import keyset_page
from atendo.evaluations import selectors, services
from atendo.workspaces.api_auth import api_member

router = Router(tags=["evaluations"])
PREFIX = "/workspaces/{workspace_slug}/evaluations"


class EvaluationOut(Schema):
    id: int
    client_id: int
    session_id: int | None
    title: str
    date: str
    clinical: bool
    values: dict[str, Any]
    performed_by_id: int | None
    performed_by_name: str
    version: int
    created_at: str
    updated_at: str
    withheld: list[str]


class EvaluationList(Schema):
    items: list[EvaluationOut]
    next_cursor: str | None
    withheld: list[str] = Field(description="`evaluations` when clinical evaluations were left out.")


class EvaluationCreate(InputSchema):
    client_id: StrictInt
    session_id: StrictInt | None = None
    title: str = ""
    date: dt.date | None = None
    values: dict[str, Any] = {}
    clinical: bool = True


class EvaluationPatch(InputSchema):
    session_id: StrictInt | None = None
    title: str | None = None
    date: dt.date | None = None
    values: dict[str, Any] | None = None
    clinical: bool | None = None
    version: StrictInt | None = Field(None, description="The version you edited (409 if stale).")


def _one(member: Any, evaluation_id: int) -> dict[str, Any]:
    evaluation = selectors.evaluation_get_for(member, evaluation_id)
    return selectors.evaluations_to_json(member, [evaluation])[0][0]


def _clean_patch(payload: EvaluationPatch) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    for key in ("title", "date", "values", "clinical", "version"):
        if key in data and data[key] is None:
            data.pop(key)
    return data


@router.get(PREFIX, response=EvaluationList)
def evaluations_list(
    request: HttpRequest,
    workspace_slug: str,
    client_id: int | None = None,
    session_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    member = api_member(request, workspace_slug)
    qs = selectors.evaluations_for(member, client_id=client_id, session_id=session_id)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
    items, withheld = selectors.evaluations_to_json(member, rows)
    return {"items": items, "next_cursor": next_cursor, "withheld": ["evaluations"] if withheld else []}


@router.post(PREFIX, response={201: EvaluationOut})
def evaluations_create(request: HttpRequest, workspace_slug: str, payload: EvaluationCreate) -> Any:
    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    data.setdefault("values", {})
    evaluation = services.evaluation_create(member=member, data=data)
    return Status(201, _one(member, evaluation.pk))


@router.get(PREFIX + "/{evaluation_id}", response=EvaluationOut)
def evaluations_read(request: HttpRequest, workspace_slug: str, evaluation_id: int) -> Any:
    member = api_member(request, workspace_slug)
    return _one(member, evaluation_id)


@router.patch(PREFIX + "/{evaluation_id}", response=EvaluationOut)
def evaluations_update(
    request: HttpRequest, workspace_slug: str, evaluation_id: int, payload: EvaluationPatch
) -> Any:
    member = api_member(request, workspace_slug)
    services.evaluation_update(member=member, evaluation_id=evaluation_id, data=_clean_patch(payload))
    return _one(member, evaluation_id)


@router.delete(PREFIX + "/{evaluation_id}", response={204: None})
def evaluations_delete(request: HttpRequest, workspace_slug: str, evaluation_id: int) -> Any:
    member = api_member(request, workspace_slug)
    services.evaluation_delete(member=member, evaluation_id=evaluation_id)
    return Status(204, None)
