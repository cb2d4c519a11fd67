"""Who opened this record: the read audit of one client, newest first, for the practice owner.

Read from `AuditEventClient` (one row per client of each `clinical.read` event: one index scan) and
the events they belong to. What each read showed of this client is counted from the event's ids,
kept to this client's own (a calendar read lists the sessions of many clients). Needs `audit.read`.
No clinical content is read here: the events never hold any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atendo.audit.models import AuditEventClient
from atendo.clients.models import Client
from atendo.core.errors import NotFound
from atendo.evaluations.models import Evaluation
from atendo.scheduling.models import Session
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

READS_SHOWN = 50
_PREFIX = re.compile(r"^/(api/v1/workspaces|w)/<[^>]+>/")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass
class RecordRead:
    at: Any
    who: str
    what: list[str]
    door: str
    api: bool


def door_label(door: str) -> tuple[str, bool]:
    """("sessions/{session_id}/", whether through the API) from "GET /w/<workspace_slug>/sessions/…"."""
    _method, _space, route = door.partition(" ")
    api = route.startswith("/api/")
    return _CONVERTER.sub(r"{\1}", _PREFIX.sub("", route)) or route, api


def client_record_reads(member: Membership, client_id: int, *, limit: int = READS_SHOWN) -> list[RecordRead]:
    """The latest reads of the client's clinical record (at most `limit`). Four queries."""
    require(member, "audit.read")
    workspace = member.workspace
    if not Client.objects.for_workspace(workspace).filter(pk=client_id).exists():
        raise NotFound(_("No such client."))
    rows = list(
        AuditEventClient.objects.for_workspace(workspace)
        .filter(client_id=client_id)
        .select_related("event")
        .order_by("-at", "-id")[:limit]
    )
    ids: dict[str, set[int]] = {"sessions": set(), "evaluations": set()}
    for row in rows:
        for key in ids:
            ids[key] |= {i for i in row.event.changes.get(key, []) if isinstance(i, int)}
    mine = {
        "sessions": set(
            Session.objects.for_workspace(workspace)
            .filter(client_id=client_id, pk__in=ids["sessions"])
            .values_list("pk", flat=True)
        )
        if ids["sessions"]
        else set(),
        "evaluations": set(
            Evaluation.objects.for_workspace(workspace)
            .filter(client_id=client_id, pk__in=ids["evaluations"])
            .values_list("pk", flat=True)
        )
        if ids["evaluations"]
        else set(),
    }
    names = {
        m.user_id: m.display_name
        for m in Membership.objects.for_workspace(workspace)
        .filter(user_id__in={r.event.actor_id for r in rows})
        .select_related("user")
    }
    out = []
    for row in rows:
        event = row.event
        changes = event.changes or {}
        door, api = door_label(changes.get("door", ""))
        out.append(
            RecordRead(
                at=event.at,
                who=(names.get(event.actor_id) if event.actor_id else None) or event.actor_label,
                what=_what(changes, mine),
                door=door,
                api=api,
            )
        )
    return out


def _what(changes: dict[str, Any], mine: dict[str, set[int]]) -> list[str]:
    parts = []
    sessions = len(set(changes.get("sessions", [])) & mine["sessions"])
    if sessions:
        parts.append(ngettext("%(n)d session's notes", "%(n)d sessions' notes", sessions) % {"n": sessions})
    if changes.get("private_notes"):
        parts.append(_("their own private note"))
    if changes.get("client_fields"):
        parts.append(_("clinical client fields"))
    evaluations = len(set(changes.get("evaluations", [])) & mine["evaluations"])
    if evaluations:
        parts.append(ngettext("%(n)d evaluation", "%(n)d evaluations", evaluations) % {"n": evaluations})
    # A file is noted with its own client: counted when the event read this client's record alone.
    files = len(changes.get("attachments", [])) if len(changes.get("clients", [])) == 1 else 0
    if files:
        parts.append(ngettext("%(n)d clinical file", "%(n)d clinical files", files) % {"n": files})
    if changes.get("insights"):
        parts.append(_("insights"))
    if changes.get("exports"):
        parts.append(_("an export"))
    return parts or [_("clinical content")]
