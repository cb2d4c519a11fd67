"""API: retention. `GET|PATCH retention` (the policy, `workspace.manage`), `POST clients/{id}/erasure`
(anonymise a client now: `client.erase`, clinical access to the client, a recent sign-in), and the
data-subject request log: `GET data-requests` and `POST data-requests` (record a request answered
by other means). See docs/retention.md."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.core.api_schemas import Id, InputSchema
from atendo.core.pagination import DEFAULT_PAGE, keyset_page
from atendo.retention import selectors, services
from atendo.workspaces.api_auth import api_member

router = Router(tags=["retention"])
WS = "/workspaces/{workspace_slug}"


class PolicyOut(Schema):
    years: int = Field(description="Years a client's record is kept after their last session (at least 5)")
    identifying_fields: list[str] = Field(description="Client field keys an erasure clears")
    tax_id_field: str | None = Field(description="The workspace's tax id field (always cleared)")
    erased_fields: list[str] = Field(description="Every custom client field key an erasure clears")
    expired_clients: int = Field(description="Clients past retention now (the next purge removes them)")


class PolicyPatch(InputSchema):
    years: int | None = Field(None, description="5 to 100")
    identifying_fields: list[str] | None = Field(None, description="Client field keys")


class ErasureIn(InputSchema):
    asked_by: str = Field("client", description='"client", "representative" or "authority"')
    note: str = Field("", max_length=1000, description="What was done (no personal data)")
    received_on: str | None = Field(None, description="The day the request arrived, YYYY-MM-DD (today)")


class DataRequestIn(ErasureIn):
    client_id: Id
    kind: str = Field(description='"access", "portability", "correction" or "other"')
    status: str = Field("done", description='"done" or "refused"')


class MemberRef(Schema):
    id: int
    name: str


class DataRequestOut(Schema):
    id: int
    client_id: int
    client_name: str | None = Field(
        description="The client's current name (a pseudonym once erased; null once purged)"
    )
    kind: str
    kind_label: str
    asked_by: str
    asked_by_label: str
    status: str
    status_label: str
    received_on: str
    recorded_at: str
    recorded_by: MemberRef | None = Field(description="null: the system (the periodic purge)")
    details: dict[str, Any] = Field(description="What was done: keys cleared and counts, never values")
    note: str


class DataRequestList(Schema):
    items: list[DataRequestOut]
    next_cursor: str | None


@router.get(WS + "/retention", response=PolicyOut)
def retention_read(request: HttpRequest, workspace_slug: str) -> Any:
    member = api_member(request, workspace_slug)
    return selectors.policy_to_json(member)


@router.patch(WS + "/retention", response=PolicyOut)
def retention_update(request: HttpRequest, workspace_slug: str, payload: PolicyPatch) -> Any:
    """Change the period or the identifying fields (a recent sign-in: a shorter period purges more)."""
    member = api_member(request, workspace_slug)
    services.policy_update(member=member, data=payload.dict(exclude_unset=True))
    return selectors.policy_to_json(member)


@router.post(WS + "/clients/{client_id}/erasure", response={201: DataRequestOut})
def clients_erase(request: HttpRequest, workspace_slug: str, client_id: Id, payload: ErasureIn) -> Any:
    """Anonymise the client now (name, contact, birth date, tax id, identifying fields); the
    clinical record stays, pseudonymised, until retention ends. 409 `already_erased` the second time."""
    member = api_member(request, workspace_slug)
    entry = services.client_erase(
        member=member,
        client_id=client_id,
        asked_by=payload.asked_by,
        note=payload.note,
        received_on=payload.received_on,
    )
    return Status(201, selectors.data_requests_to_json(member, [entry])[0])


@router.get(WS + "/data-requests", response=DataRequestList)
def data_requests_list(
    request: HttpRequest,
    workspace_slug: str,
    client_id: Id | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> Any:
    """The data-subject request log, newest first: requests, erasures and purges."""
    member = api_member(request, workspace_slug)
    qs = selectors.data_requests_for(member, client_id=client_id, kind=kind)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
    return {"items": selectors.data_requests_to_json(member, rows), "next_cursor": next_cursor}


@router.post(WS + "/data-requests", response={201: DataRequestOut})
def data_requests_create(request: HttpRequest, workspace_slug: str, payload: DataRequestIn) -> Any:
    """Record a request answered by other means (a copy from Exports, a correction...)."""
    member = api_member(request, workspace_slug)
    entry = services.data_request_record(
        member=member,
        client_id=payload.client_id,
        kind=payload.kind,
        asked_by=payload.asked_by,
        status=payload.status,
        note=payload.note,
        received_on=payload.received_on,
    )
    return Status(201, selectors.data_requests_to_json(member, [entry])[0])
