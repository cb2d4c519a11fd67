"""Free slots: where a practitioner could see a client for `duration` minutes.

Candidates start on the workspace's slot grid (every `slot_minutes` from local midnight), lie fully
inside one working interval (the practitioner's own hours, else the workspace's) in the workspace
time zone, inside the requested range, and do not intersect any non-cancelled session of the
practitioner. Two queries whatever the range: the practitioner and their sessions;
`free_slots_of` answers for many practitioners at once with one query.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from atendo.core.clean import is_id
from atendo.core.errors import ValidationFailed
from atendo.core.times import exists_locally
from atendo.scheduling.checks import MAX_SPAN, hours_for
from atendo.scheduling.models import MAX_DURATION_MINUTES, Session, SessionStatus
from atendo.scheduling.selectors import parse_range
from atendo.workspaces.access import require
from atendo.workspaces.hours import local_intervals
from atendo.workspaces.models import Membership, Workspace

MAX_SLOTS = 2000


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime


def _is_free(
    busy: list[tuple[dt.datetime, dt.datetime]],
    busy_starts: list[dt.datetime],
    start: dt.datetime,
    end: dt.datetime,
    span: dt.timedelta = MAX_SPAN,
) -> bool:
    """No busy interval (sorted by start, none longer than `span`) intersects [start, end)."""
    i = bisect.bisect_left(busy_starts, end)  # busy[:i] start before `end`
    while i > 0:
        i -= 1
        busy_start, busy_end = busy[i]
        if busy_start < start - span:
            return True
        if busy_end > start:
            return False
    return True


def _check_duration(duration: Any) -> int:
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not 1 <= duration <= MAX_DURATION_MINUTES
    ):
        raise ValidationFailed.single(
            "duration", _("The duration is between 1 and %(max)d minutes.") % {"max": MAX_DURATION_MINUTES}
        )
    return duration


def free_slots(
    member: Membership, *, practitioner_id: Any, duration: Any, start: Any, end: Any
) -> list[Slot]:
    """Free slots of `duration` minutes for the practitioner in [start, end) (at most 100 days)."""
    require(member, "session.read")
    workspace = member.workspace
    minutes = _check_duration(duration)
    begin, finish = parse_range(member, start, end)
    practitioner = (
        Membership.objects.for_workspace(workspace)
        .filter(pk=practitioner_id, is_active=True, offers_sessions=True)
        .first()
        if is_id(practitioner_id)
        else None
    )
    if practitioner is None:
        raise ValidationFailed.single(
            "practitioner_id", _("Choose a practitioner: a member of this workspace who offers sessions.")
        )
    return free_slots_of(workspace, [practitioner], duration=minutes, begin=begin, finish=finish)[
        practitioner.pk
    ]


def free_slots_of(
    workspace: Workspace,
    practitioners: list[Membership],
    *,
    duration: int,
    begin: dt.datetime,
    finish: dt.datetime,
    buffer: dt.timedelta = dt.timedelta(0),
) -> dict[int, list[Slot]]:
    """Free slots of each practitioner (already checked by the caller: members of `workspace` who
    offer sessions) in [begin, finish), keeping `buffer` free before and after every session.
    One query for all of them, whatever the range."""
    busy_of: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {p.pk: [] for p in practitioners}
    if practitioners:
        rows = (
            Session.objects.for_workspace(workspace)
            .filter(
                practitioner_id__in=list(busy_of),
                starts_at__lt=finish + buffer,
                ends_at__gt=begin - buffer,
                starts_at__gte=begin - buffer - MAX_SPAN,
            )
            .exclude(status=SessionStatus.CANCELLED)
            .order_by("starts_at")
            .values_list("practitioner_id", "starts_at", "ends_at")
        )
        for practitioner_id, busy_start, busy_end in rows:
            busy_of[practitioner_id].append((busy_start - buffer, busy_end + buffer))
    return {
        p.pk: _grid_slots(workspace, p, busy_of[p.pk], duration, begin, finish, MAX_SPAN + 2 * buffer)
        for p in practitioners
    }


def _grid_slots(
    workspace: Workspace,
    practitioner: Membership,
    busy: list[tuple[dt.datetime, dt.datetime]],
    duration: int,
    begin: dt.datetime,
    finish: dt.datetime,
    span: dt.timedelta,
) -> list[Slot]:
    busy_starts = [start for start, _end in busy]
    hours = hours_for(workspace, practitioner)
    tz = workspace.tz
    step = max(int(workspace.slot_minutes or 30), 1)
    length = dt.timedelta(minutes=duration)
    slots: list[Slot] = []
    day = begin.astimezone(tz).date()
    last_day = finish.astimezone(tz).date()
    while day <= last_day and len(slots) < MAX_SLOTS:
        for interval_start, interval_end in local_intervals(hours, day, tz):
            # First grid point (minutes from local midnight, a multiple of the slot) in the interval.
            local = interval_start.replace(tzinfo=None)
            minutes = local.hour * 60 + local.minute
            first = -(-minutes // step) * step
            moment = dt.datetime.combine(day, dt.time(0, 0)) + dt.timedelta(minutes=first)
            while True:
                if not exists_locally(moment, tz):  # skipped by a daylight-saving jump
                    moment += dt.timedelta(minutes=step)
                    continue
                slot_start = moment.replace(tzinfo=tz).astimezone(dt.UTC)
                slot_end = slot_start + length
                if slot_end > interval_end or slot_end > finish or moment.date() != day:
                    break
                if slot_start >= begin and _is_free(busy, busy_starts, slot_start, slot_end, span):
                    slots.append(Slot(slot_start, slot_end))
                    if len(slots) >= MAX_SLOTS:
                        break
                moment += dt.timedelta(minutes=step)
        day += dt.timedelta(days=1)
    return slots
