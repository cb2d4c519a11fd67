"""Warnings on a session's time: outside working hours, and overlaps.

A warning never stops a save (except an overlap when the workspace prevents double booking, which
the services turn into a 409). Shapes (product.md "Contract details"):
`{"code": "outside_working_hours", "message": …}` and
`{"code": "overlap", "message": …, "conflicts": [<session ids>]}`; for the member saving or
checking, the overlap also carries `details` (client — with `client.read` —, time, practitioner,
link) and its message names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atendo.scheduling.models import MAX_DURATION_MINUTES, Session, SessionStatus
from atendo.workspaces.hours import local_intervals
from atendo.workspaces.models import Membership, Workspace

MAX_SPAN = dt.timedelta(minutes=MAX_DURATION_MINUTES)


def hours_for(workspace: Workspace, practitioner: Membership | None) -> dict[str, list[list[str]]]:
    """The practitioner's own working hours when set, else the workspace's."""
    if practitioner is not None and practitioner.working_hours:
        return practitioner.working_hours
    return workspace.working_hours or {}


def is_within_hours(
    hours: dict[str, list[list[str]]], workspace: Workspace, starts_at: dt.datetime, ends_at: dt.datetime
) -> bool:
    """True if [starts_at, ends_at) lies fully inside one working interval (workspace time zone)."""
    tz = workspace.tz
    day = starts_at.astimezone(tz).date()
    return any(begin <= starts_at and ends_at <= finish for begin, finish in local_intervals(hours, day, tz))


def overlapping_ids(
    *,
    workspace: Workspace,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    practitioner_id: int | None,
    client_id: int | None,
    exclude_ids: Iterable[int] = (),
) -> list[int]:
    """Ids of the other non-cancelled sessions of the same practitioner or client intersecting
    [starts_at, ends_at). Touching (one ends when the other starts) is not an overlap."""
    who = Q()
    if practitioner_id is not None:
        who |= Q(practitioner_id=practitioner_id)
    if client_id is not None:
        who |= Q(client_id=client_id)
    if not who:
        return []
    return list(
        Session.objects.for_workspace(workspace)
        .filter(who)
        # starts_at >= start - 1 day keeps this an index range scan (no session spans more).
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at, starts_at__gte=starts_at - MAX_SPAN)
        .exclude(status=SessionStatus.CANCELLED)
        .exclude(pk__in=list(exclude_ids))
        .order_by("starts_at", "id")
        .values_list("id", flat=True)
    )


# At most this many conflicts are described one by one (the ids list them all).
MAX_DESCRIBED = 5


def conflict_details(reader: Membership, conflicts: list[int]) -> list[dict[str, Any]]:
    """The conflicting sessions as `reader` may know them: time, practitioner and a link, and the
    client's name only with `client.read` (else null: "a session"). Nothing for a member without
    `session.read`, and never a session's name, notes or fields. One query."""
    if not conflicts or not reader.has_perm("session.read"):
        return []
    rows = (
        Session.objects.for_workspace(reader.workspace)
        .filter(pk__in=conflicts[:MAX_DESCRIBED])
        .select_related("client", "practitioner__user")
        .order_by("starts_at", "id")
    )
    shows_client = reader.has_perm("client.read")
    slug = reader.workspace.slug
    return [
        {
            "session_id": row.pk,
            "client_name": row.client.name if shows_client else None,
            "practitioner_name": row.practitioner.display_name,
            "starts_at": row.starts_at.astimezone(reader.workspace.tz).isoformat(),
            "ends_at": row.ends_at.astimezone(reader.workspace.tz).isoformat(),
            "url": reverse("scheduling:detail", kwargs={"workspace_slug": slug, "session_id": row.pk}),
        }
        for row in rows
    ]


def _describe(detail: dict[str, Any]) -> str:
    when = f"{detail['starts_at'][11:16]}–{detail['ends_at'][11:16]}"
    return _("%(client)s, %(when)s with %(practitioner)s") % {
        "client": detail["client_name"] or _("a session"),
        "when": when,
        "practitioner": detail["practitioner_name"],
    }


def overlap_warning(conflicts: list[int], *, reader: Membership | None = None) -> dict[str, Any]:
    """The overlap warning; for a `reader`, it names the conflicts they may know about."""
    details = conflict_details(reader, conflicts) if reader is not None else []
    n = len(conflicts)
    if details:
        described = "; ".join(_describe(d) for d in details)
        if n > len(details):
            described += "; " + _("and %(n)d more") % {"n": n - len(details)}
        message = ngettext(
            "Overlaps another session of the same client or practitioner: %(list)s.",
            "Overlaps %(n)d other sessions of the same client or practitioner: %(list)s.",
            n,
        ) % {"n": n, "list": described}
    else:
        message = ngettext(
            "Overlaps %(n)d other session of the same client or practitioner.",
            "Overlaps %(n)d other sessions of the same client or practitioner.",
            n,
        ) % {"n": n}
    warning: dict[str, Any] = {"code": "overlap", "message": message, "conflicts": conflicts}
    if reader is not None:
        warning["details"] = details
    return warning


def outside_hours_warning() -> dict[str, Any]:
    return {
        "code": "outside_working_hours",
        "message": _("This session is outside the working hours."),
    }


def session_warnings(
    *,
    workspace: Workspace,
    practitioner: Membership | None,
    client_id: int | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    status: str = SessionStatus.SCHEDULED,
    exclude_ids: Iterable[int] = (),
    reader: Membership | None = None,
) -> list[dict[str, Any]]:
    """Warnings for a session at [starts_at, ends_at). A cancelled session warns about nothing.
    An overlap names its conflicts as far as `reader` (the member saving or checking) may know."""
    if status == SessionStatus.CANCELLED:
        return []
    warnings: list[dict[str, Any]] = []
    if not is_within_hours(hours_for(workspace, practitioner), workspace, starts_at, ends_at):
        warnings.append(outside_hours_warning())
    conflicts = overlapping_ids(
        workspace=workspace,
        starts_at=starts_at,
        ends_at=ends_at,
        practitioner_id=practitioner.pk if practitioner is not None else None,
        client_id=client_id,
        exclude_ids=exclude_ids,
    )
    if conflicts:
        warnings.append(overlap_warning(conflicts, reader=reader))
    return warnings
