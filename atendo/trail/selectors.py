"""Reads of the audit trail, scoped to the member's workspace and redacted for them.

Needs `audit.read`. An event's `object_label` can be clinical content (an evaluation's title, a
clinical file's name): `events_to_json` passes every page through `clinical.redact` (kind
"audit"), which leaves it to readers of that client's clinical content and shows everyone else a
neutral "Evaluation #12". `changes` never hold clinical text (`audit_record` callers see to it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from atendo.audit.models import AuditEvent
from atendo.clinical import crypto
from atendo.clinical.access import readable_client_ids
from atendo.clinical.redact import redact
from atendo.core.errors import ValidationFailed
from atendo.core.pagination import Keyset, keyset_page
from atendo.evaluations.models import Evaluation
from atendo.files.models import Attachment
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

AUDIT_PAGE_SIZE = 50
AUDIT_MAX_PAGE_SIZE = 200
NEWEST_FIRST = Keyset("at", descending=True)


@dataclass
class AuditPage:
    items: list[AuditEvent]
    next_cursor: str | None


def _utc(value: dt.datetime | None, path: str, member: Membership) -> dt.datetime | None:
    """UTC (naive input is the workspace's local time); databases refuse odd offsets like -17:25."""
    if value is None:
        return None
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=member.workspace.tz)
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed.single(path, _("This date and time is out of range.")) from None


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
    `since` is inclusive and `until` exclusive; `actor_id` is the acting user's id. The events are
    not redacted yet: show them through `events_to_json`.
    """
    require(member, "audit.read")
    since, until = _utc(since, "since", member), _utc(until, "until", member)
    if since is not None and until is not None and since >= until:
        raise ValidationFailed.single("until", _("The end of the range must be after its start."))
    qs = AuditEvent.objects.for_workspace(member.workspace_id)
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
    items, next_cursor = keyset_page(
        qs, order=NEWEST_FIRST, cursor=cursor, limit=limit, maximum=AUDIT_MAX_PAGE_SIZE
    )
    return AuditPage(items=items, next_cursor=next_cursor)


def events_to_json(member: Membership, events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    """The events as the API and the page show them to `member`: clinical labels redacted (one
    query for the whole page at most), `withheld` listing `object_label` where it was replaced."""
    rows: list[dict[str, Any]] = [
        {
            "id": event.pk,
            "at": event.at,
            "actor_id": event.actor_id,
            "actor_label": event.actor_label,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "object_label": event.object_label,
            "changes": event.changes if isinstance(event.changes, dict) else {"detail": event.changes},
            "label_client_id": event.client_id,
            "label_clinical": event.label_clinical,
        }
        for event in events
    ]
    readable: set[int] | None = None
    if any(r["label_clinical"] for r in rows):
        # One question for the page, shared with `redact`; the labels only of what it lets through.
        readable = readable_client_ids(member, {r["label_client_id"] for r in rows})
        reads_all = member.has_perm("clinical.read_all")
        shown = [r for r in rows if r["label_clinical"] and (reads_all or r["label_client_id"] in readable)]
        labels = _live_labels(member.workspace_id, shown)
        for r in shown:
            r["label_sealed"] = labels.get((r["object_type"], r["object_id"]))
    return redact(member, rows, "audit", readable=readable)


def _live_labels(
    workspace_id: int, rows: Sequence[dict[str, Any]]
) -> dict[tuple[str, str], tuple[Any, int, str]]:
    """The stored labels of the evaluations and attachments these events are about (sealed when
    clinical): one query per kind present."""
    ids: dict[str, set[int]] = {"evaluation": set(), "attachment": set()}
    for r in rows:
        if r["object_type"] in ids and str(r["object_id"]).isdigit():
            ids[r["object_type"]].add(int(r["object_id"]))
    labels: dict[tuple[str, str], tuple[Any, int, str]] = {}
    if ids["evaluation"]:
        for pk, title in (
            Evaluation.objects.for_workspace(workspace_id)
            .filter(pk__in=ids["evaluation"])
            .values_list("pk", "title")
        ):
            labels[("evaluation", str(pk))] = (crypto.EVALUATION_TITLE, pk, title)
    if ids["attachment"]:
        for pk, name in (
            Attachment.objects.for_workspace(workspace_id)
            .filter(pk__in=ids["attachment"])
            .values_list("pk", "original_name")
        ):
            labels[("attachment", str(pk))] = (crypto.ATTACHMENT_NAME, pk, name)
    return labels
