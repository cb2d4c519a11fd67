"""Reads on workspaces: members, roles, API tokens and the audit trail, scoped to the member."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from atendo.accounts.models import ApiToken
from atendo.audit.models import AuditEvent
from atendo.core.errors import NotFound, ValidationFailed
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Role

AUDIT_PAGE_SIZE = 50
AUDIT_MAX_PAGE_SIZE = 200


def members_list(member: Membership, *, include_inactive: bool = True) -> QuerySet[Membership]:
    """Every member of the workspace (any member may see who works here), with user and role."""
    qs = Membership.objects.for_workspace(member.workspace_id).select_related("user", "role")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "user__name", "user__email", "pk")


def member_get(member: Membership, membership_id: int) -> Membership:
    found = members_list(member).filter(pk=membership_id).first()
    if found is None:
        raise NotFound()
    return found


def roles_list(member: Membership) -> QuerySet[Role]:
    """The workspace's roles with `member_count` (active members holding each), Owner first."""
    return (
        Role.objects.for_workspace(member.workspace_id)
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("-is_owner", "name", "pk")
    )


def role_get(member: Membership, role_id: int) -> Role:
    found = roles_list(member).filter(pk=role_id).first()
    if found is None:
        raise NotFound()
    return found


def api_tokens_list(member: Membership) -> QuerySet[ApiToken]:
    """The member's own tokens in this workspace, newest first (revoked ones included)."""
    return ApiToken.objects.filter(workspace_id=member.workspace_id, user_id=member.user_id).order_by(
        "-created_at", "-pk"
    )


# --- Audit trail ----------------------------------------------------------------------------------


@dataclass
class AuditPage:
    items: list[AuditEvent]
    next_cursor: str | None


def _encode_cursor(event: AuditEvent) -> str:
    raw = json.dumps([event.at.isoformat(), event.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at_text, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        at = dt.datetime.fromisoformat(at_text)
        if at.tzinfo is None or isinstance(pk, bool) or not isinstance(pk, int):
            raise ValueError
        return at, pk
    except (ValueError, TypeError, binascii.Error, UnicodeError, json.JSONDecodeError):
        raise ValidationFailed.single("cursor", "This cursor is not valid; start again without it.") from None


def _utc(value: dt.datetime | None, path: str, member: Membership) -> dt.datetime | None:
    """UTC (naive input is the workspace's local time); databases refuse odd offsets like -17:25."""
    if value is None:
        return None
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=member.workspace.tz)
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed.single(path, "This date and time is out of range.") from None


def audit_events_list(
    member: Membership,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int = AUDIT_PAGE_SIZE,
) -> AuditPage:
    """The workspace's audit trail, newest first, one page at a time. Needs `audit.read`.

    `action` is a prefix ("session." matches every session action, "member.add" one of them);
    `since` is inclusive and `until` exclusive; `actor_id` is the acting user's id.
    """
    require(member, "audit.read")
    since, until = _utc(since, "since", member), _utc(until, "until", member)
    if since is not None and until is not None and since >= until:
        raise ValidationFailed.single("until", "The end of the range must be after its start.")
    limit = max(1, min(int(limit), AUDIT_MAX_PAGE_SIZE))
    qs: Any = AuditEvent.objects.for_workspace(member.workspace_id)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if cursor:
        at, pk = _decode_cursor(cursor)
        qs = qs.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
    rows = list(qs.order_by("-at", "-pk")[: limit + 1])
    items = rows[:limit]
    next_cursor = _encode_cursor(items[-1]) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=next_cursor)
