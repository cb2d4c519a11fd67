"""Free slots: where a practitioner could see a client for `duration` minutes.

Candidates start on the workspace's slot grid (every `slot_minutes` from local midnight), lie fully
inside one working interval (the practitioner's own hours, else the workspace's) in the workspace
time zone, inside the requested range, and do not intersect any non-cancelled session of the
practitioner. Two queries whatever the range: the practitioner and their sessions.
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
from atendo.workspaces.models import Membership

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
) -> bool:
    """No busy interval (sorted by start, none longer than a day) intersects [start, end)."""
    i = bisect.bisect_left(busy_starts, end)  # busy[:i] start before `end`
    while i > 0:
        i -= 1
        busy_start, busy_end = busy[i]
        if busy_start < start - MAX_SPAN:
            return True
        if busy_end > start:
            return False
    return True


def free_slots(
    member: Membership, *, practitioner_id: Any, duration: Any, start: Any, end: Any
) -> list[Slot]:
    """Free slots of `duration` minutes for the practitioner in [start, end) (at most 100 days)."""
    require(member, "session.read")
    workspace = member.workspace
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not 1 <= duration <= MAX_DURATION_MINUTES
    ):
        raise ValidationFailed.single(
            "duration", _("The duration is between 1 and %(max)d minutes.") % {"max": MAX_DURATION_MINUTES}
        )
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
    busy = list(
        Session.objects.for_workspace(workspace)
        .filter(
            practitioner=practitioner,
            starts_at__lt=finish,
            ends_at__gt=begin,
            starts_at__gte=begin - MAX_SPAN,
        )
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    )
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
                if slot_start >= begin and _is_free(busy, busy_starts, slot_start, slot_end):
                    slots.append(Slot(slot_start, slot_end))
                    if len(slots) >= MAX_SLOTS:
                        break
                moment += dt.timedelta(minutes=step)
        day += dt.timedelta(days=1)
    return slots
