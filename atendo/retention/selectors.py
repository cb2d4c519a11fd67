"""Reads of retention: the request log (members with `client.erase`), its JSON, and the policy's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from atendo.clients.models import Client
from atendo.clients.serializers import client_definitions
from atendo.core.clean import clean_choice
from atendo.retention.models import AskedBy, DataRequest, RequestKind, RequestStatus
from atendo.retention.services import expired_clients, identifying_keys, policy_for
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership


def data_requests_for(
    member: Membership, *, client_id: int | None = None, kind: str | None = None
) -> QuerySet[DataRequest]:
    """The workspace's log, newest first (`client.erase`); `kind` is checked (422 at `kind`)."""
    require(member, "client.read")
    require(member, "client.erase")
    qs = DataRequest.objects.for_workspace(member.workspace).select_related("recorded_by__user")
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if kind:
        qs = qs.filter(kind=clean_choice(kind, "kind", RequestKind.values))
    return qs.order_by("-id")


def data_requests_to_json(member: Membership, rows: Sequence[DataRequest]) -> list[dict[str, Any]]:
    """Entries as the API and the page show them: the client by id and by their current name (an
    erased client's is the pseudonym; a purged client has none). Two queries for a page."""
    names = dict(
        Client.objects.for_workspace(member.workspace)
        .filter(pk__in={r.client_id for r in rows})
        .values_list("pk", "name")
    )
    out = []
    for r in rows:
        by = r.recorded_by
        out.append(
            {
                "id": r.pk,
                "client_id": r.client_id,
                "client_name": names.get(r.client_id),
                "kind": r.kind,
                "kind_label": str(RequestKind(r.kind).label),
                "asked_by": r.asked_by,
                "asked_by_label": str(AskedBy(r.asked_by).label),
                "status": r.status,
                "status_label": str(RequestStatus(r.status).label),
                "received_on": r.received_on.isoformat(),
                "recorded_at": r.created_at.astimezone(member.workspace.tz).isoformat(timespec="seconds"),
                "recorded_by": {"id": by.pk, "name": by.display_name} if by is not None else None,
                "details": r.details or {},
                "note": r.note,
            }
        )
    return out


def policy_to_json(member: Membership) -> dict[str, Any]:
    """The policy (`workspace.manage`), with how many clients are past it now."""
    require(member, "workspace.manage")
    workspace = member.workspace
    policy = policy_for(workspace)
    return {
        "years": policy.years,
        "identifying_fields": list(policy.identifying_fields or []),
        "tax_id_field": workspace.client_tax_id_field or None,
        "erased_fields": identifying_keys(workspace, policy),
        "expired_clients": expired_clients(workspace).count(),
    }


def client_field_choices(member: Membership) -> list[tuple[str, str, bool]]:
    """(key, label, clinical) of every client field, for the policy form."""
    return [(d.key, d.label, d.clinical) for d in client_definitions(member.workspace) if not d.archived]
