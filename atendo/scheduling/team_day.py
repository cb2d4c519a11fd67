"""The day by practitioner: one column per practitioner, drawn by the server (`/w/<slug>/sessions/team/`).

FullCalendar's resource views (one column per person) are premium plugins under GPLv3 or a
commercial licence; Atendo does not ship them. This page draws the columns itself: a time axis and,
for each member who offers sessions (or the one chosen), their sessions placed by start and length.
It works without JavaScript and scrolls sideways on a phone, a column staying readable.

The sessions come through THE session serializer (so through the clinical redaction): an event
shows the client's name, the time, the therapy type and the status — administrative columns only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from atendo.core.clean import id_or_none
from atendo.core.http import PageRequest
from atendo.core.times import date_or_none
from atendo.scheduling import forms, selectors
from atendo.scheduling.models import SessionStatus
from atendo.scheduling.serializers import sessions_queryset_to_json
from atendo.workspaces.pages import workspace_page

DEFAULT_FIRST_HOUR = 8
DEFAULT_LAST_HOUR = 19
PX_PER_MINUTE = 1.2
STATUS_LABELS = dict(SessionStatus.choices)
DEFAULT_COLOR = "#2f6f73"


def _minutes(value: dt.datetime, day: dt.date) -> int:
    """Minutes since the local midnight of `day` (negative before, above 1440 after)."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=value.tzinfo)
    return int((value - midnight).total_seconds() // 60)


def team_day_context(request: PageRequest) -> dict[str, Any]:
    member = request.member
    tz = member.workspace.tz
    today = timezone.now().astimezone(tz).date()
    day = date_or_none(request.GET.get("date")) or today
    chosen = id_or_none(request.GET.get("practitioner"))
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
    sessions = sessions_queryset_to_json(member, selectors.sessions_in_range(member, start, end))
    practitioners = forms.practitioner_choices(member)
    known = {pk for pk, _name in practitioners}
    # A session of a member who no longer offers sessions still gets its column.
    extra = {
        s["practitioner_id"]: s["practitioner_name"] for s in sessions if s["practitioner_id"] not in known
    }
    columns_all = [*practitioners, *sorted(extra.items(), key=lambda item: item[1])]
    columns_shown = [c for c in columns_all if chosen is None or c[0] == chosen]
    first, last = DEFAULT_FIRST_HOUR * 60, DEFAULT_LAST_HOUR * 60
    placed: dict[int, list[dict[str, Any]]] = {pk: [] for pk, _name in columns_shown}
    for s in sessions:
        if s["practitioner_id"] not in placed:
            continue
        begins = dt.datetime.fromisoformat(s["starts_at"])
        ends = dt.datetime.fromisoformat(s["ends_at"])
        top = max(_minutes(begins, day), 0)
        bottom = min(_minutes(ends, day), 24 * 60)
        first, last = min(first, top // 60 * 60), max(last, -(-bottom // 60) * 60)
        color = s["therapy_type_color"] or DEFAULT_COLOR
        cancelled = s["status"] in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW)
        placed[s["practitioner_id"]].append(
            {
                "session": s,
                "start_dt": begins,
                "end_dt": ends,
                "top": top,
                "length": max(bottom - top, 15),
                "color": color,
                "text_color": s["therapy_type_text_color"] or "#ffffff",
                "cancelled": cancelled,
                "status_label": STATUS_LABELS.get(s["status"], s["status"]),
            }
        )
    for events in placed.values():
        for event in events:
            event["top_px"] = round((event["top"] - first) * PX_PER_MINUTE)
            event["height_px"] = round(event["length"] * PX_PER_MINUTE) - 2
    hours = [
        {"label": f"{minute // 60:02d}:00", "top_px": round((minute - first) * PX_PER_MINUTE)}
        for minute in range(first, last, 60)
    ]
    return {
        "nav": "sessions",
        "day": day,
        "is_today": day == today,
        "day_before": day - dt.timedelta(days=1),
        "day_after": day + dt.timedelta(days=1),
        "today": today,
        "chosen": chosen,
        "practitioners": columns_all,
        "columns": [{"id": pk, "name": name, "events": placed[pk]} for pk, name in columns_shown],
        "hours": hours,
        "height_px": round((last - first) * PX_PER_MINUTE),
        "can_create": member.has_perm("session.create"),
    }


@workspace_page("session.read")
def team_day(request: PageRequest, workspace_slug: str) -> HttpResponse:
    return render(request, "scheduling/team_day.html", team_day_context(request))
