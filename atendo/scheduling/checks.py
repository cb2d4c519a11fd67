"""Warnings on a session's time: outside working hours, and overlaps.

A warning never stops a save (except an overlap when the workspace prevents double booking, which
the services turn into a 409). Shapes (product.md "Contract details"):
`{"code": "outside_working_hours", "message": …}` and
`{"code": "overlap", "message": …, "conflicts": [<session ids>]}`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
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


def overlap_warning(conflicts: list[int]) -> dict[str, Any]:
    return {
        "code": "overlap",
        "message": ngettext(
            "Overlaps %(n)d other session of the same client or practitioner.",
            "Overlaps %(n)d other sessions of the same client or practitioner.",
            len(conflicts),
        )
        % {"n": len(conflicts)},
        "conflicts": conflicts,
    }


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
) -> list[dict[str, Any]]:
    """Warnings for a session at [starts_at, ends_at). A cancelled session warns about nothing."""
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
        warnings.append(overlap_warning(conflicts))
    return warnings
