"""API: the audit trail (`/workspaces/{slug}/audit-events`), for owners and `audit.read`; clinical
labels redacted (`trail.selectors.events_to_json`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from atendo.core.api_schemas import Id
from atendo.trail import selectors
from atendo.workspaces.api_auth import api_member

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None = Field(description="The acting user's id; null for the system.")
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: dict[str, Any] = Field(description='{"field": [old, new]} for updates. Never clinical text.')
    withheld: list[str] = Field(
        description="`object_label` when the label is clinical content this reader may not see (it "
        'then reads like "Evaluation #12").'
    )


class AuditEventList(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None


class AuditFilters(Schema):
    actor_id: Id | None = Field(None, description="Only events by this user.")
    action: str | None = Field(
        None, max_length=80, description='Action prefix, e.g. "member." or "role.update".'
    )
    object_type: str | None = Field(None, max_length=40)
    object_id: str | None = Field(None, max_length=40)
    since: dt.datetime | None = Field(None, description="Inclusive; naive times are the workspace's.")
    until: dt.datetime | None = Field(None, description="Exclusive; naive times are the workspace's.")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


@router.get("/workspaces/{workspace_slug}/audit-events", response=AuditEventList)
def audit_events(request: HttpRequest, workspace_slug: str, filters: Query[AuditFilters]) -> Any:
    """Newest first; follow `next_cursor` for older events. Needs `audit.read` (owners have it)."""
    member = api_member(request, workspace_slug)
    page = selectors.audit_events_list(
        member,
        actor_id=filters.actor_id,
        action=filters.action,
        object_type=filters.object_type,
        object_id=filters.object_id,
        since=filters.since,
        until=filters.until,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": selectors.events_to_json(member, page.items), "next_cursor": page.next_cursor}
