"""The calendar's lean payload: what an event draws, nothing more (docs/calendar.md).

`GET sessions?start=&end=` answers whole sessions (fields, notes for their readers, admin notes,
addenda…): a month of a 50-practitioner practice is about 10,000 of them and megabytes of JSON, to
draw five events a day. The calendar reads this instead: per event its id, title (the client's
name, which leads each event), the session's name, start and end (ISO 8601 with the workspace
offset: the first 19 characters are the workspace's wall clock, which is what the calendar draws),
status, practitioner, therapy type (its name and colours once per response, in `therapy_types`),
version (a move is refused if it changed meanwhile) and `flags` (`recorded`, `late_cancellation`).
The details are read when a session is opened (`GET sessions/{id}`).

The same door as the range list: `selectors.sessions_in_range` scopes to the workspace, requires
`session.read` and applies the same filters (a clinical field filter only over readable clients).
Only administrative columns are read (`EVENT_COLUMNS`, as the home's to-do lists do), so there is
nothing for the clinical redaction to remove and no clinical read to audit: notes, field values,
therapy fields and addenda stay behind `GET sessions/{id}`, which redacts them.

`per_day=K` (the month grid): at most K events per day of the workspace (a session counts on the
local day it starts), in start order, and for each busier day `{"date", "more": N}`; the ids and
starts of the whole range are read first (two columns), then the events' columns for the kept
ones only.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from atendo.core.colors import text_color_for
from atendo.core.times import UTC
from atendo.scheduling import selectors
from atendo.scheduling.models import Session, SessionStatus
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership

MAX_PER_DAY = 50
# Administrative columns only: never a clinical one (notes, *_fields, therapy_fields).
EVENT_COLUMNS = (
    "id",
    "name",
    "client__name",
    "starts_at",
    "ends_at",
    "status",
    "practitioner_id",
    "therapy_type_id",
    "recorded_at",
    "cancellation_late",
    "version",
)


def calendar_events(
    member: Membership,
    start: dt.datetime,
    end: dt.datetime,
    *,
    per_day: int | None = None,
    client_id: int | None = None,
    practitioner_id: int | None = None,
    status: Iterable[str] | None = None,
    field_filters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The calendar of [start, end) for `member` (see the module docstring). A constant number of
    queries: the range (twice with `per_day`), the practitioners and the therapy types shown."""
    qs = selectors.sessions_in_range(
        member,
        start,
        end,
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=field_filters,
    )
    tz = member.workspace.tz
    more: list[dict[str, Any]] = []
    if per_day is not None:
        kept, more = _cut_per_day(_fetch(qs, ("id", "starts_at")), start, end, tz, per_day)
        if more:
            qs = qs.filter(pk__in=kept)
    rows = _fetch(qs, EVENT_COLUMNS)
    events = [_event(row, tz) for row in rows]
    return {
        "timezone": member.workspace.timezone,
        "start": start.astimezone(tz).isoformat(timespec="seconds"),
        "end": end.astimezone(tz).isoformat(timespec="seconds"),
        "per_day": per_day,
        "events": events,
        "more": more,
        "practitioners": _practitioners(member, {e["practitioner_id"] for e in events}),
        "therapy_types": _therapy_types(member, {e["therapy_type_id"] for e in events} - {None}),
    }


def _fetch(qs: QuerySet[Session], columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """`qs.values_list(*columns)` read straight off the DB-API cursor, datetimes as aware UTC (the
    statement the ORM compiles; its per-value converters skipped, as `serializers.session_rows`)."""
    values = qs.values_list(*columns)
    try:
        sql, params = values.query.get_compiler(using=values.db).as_sql()
    except EmptyResultSet:  # e.g. a filter that can match nothing
        return []
    connection = connections[values.db]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        fetched = cursor.fetchall()
    order = [names.index(name) for name in columns]  # the compiler names each column after its lookup
    stamps = [i for i, name in enumerate(columns) if name in ("starts_at", "ends_at", "recorded_at")]
    naive = connection.vendor == "sqlite"  # SQLite's driver hands out naive UTC datetimes
    out = []
    for raw in fetched:
        row = [raw[i] for i in order]
        if naive:
            for i in stamps:
                if row[i] is not None:
                    row[i] = row[i].replace(tzinfo=UTC)
        out.append(tuple(row))
    return out


def day_starts(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> list[tuple[dt.date, dt.datetime]]:
    """(local date, its midnight as UTC) for every workspace day that [start, end) touches."""
    day = start.astimezone(tz).date()
    out: list[tuple[dt.date, dt.datetime]] = []
    while True:
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)
        if out and midnight >= end:
            return out
        out.append((day, midnight))
        day += dt.timedelta(days=1)


def _cut_per_day(
    rows: list[tuple[Any, ...]], start: dt.datetime, end: dt.datetime, tz: dt.tzinfo, per_day: int
) -> tuple[list[int], list[dict[str, Any]]]:
    """(ids of the first `per_day` sessions of each day, [{"date", "more"}] for the days beyond it).
    `rows` are (id, starts_at) in start order; a session that began before the first day counts on
    the first day."""
    days = day_starts(start, end, tz)
    bounds = [midnight for _day, midnight in days]
    counts = [0] * len(days)
    kept: list[int] = []
    for pk, starts_at in rows:
        index = max(0, bisect.bisect_right(bounds, starts_at) - 1)
        counts[index] += 1
        if counts[index] <= per_day:
            kept.append(pk)
    more = [
        {"date": day.isoformat(), "more": count - per_day}
        for (day, _midnight), count in zip(days, counts, strict=True)
        if count > per_day
    ]
    return kept, more


def _event(row: tuple[Any, ...], tz: dt.tzinfo) -> dict[str, Any]:
    pk, name, client_name, starts_at, ends_at, status, practitioner_id, therapy_type_id = row[:8]
    recorded_at, late, version = row[8:]
    flags = []
    if recorded_at is not None:
        flags.append("recorded")
    if late and status == SessionStatus.CANCELLED:
        flags.append("late_cancellation")
    return {
        "id": pk,
        "title": client_name,
        "name": name,
        "start": starts_at.astimezone(tz).isoformat(timespec="seconds"),
        "end": ends_at.astimezone(tz).isoformat(timespec="seconds"),
        "status": status,
        "practitioner_id": practitioner_id,
        "therapy_type_id": therapy_type_id,
        "version": version,
        "flags": flags,
    }


def _practitioners(member: Membership, ids: set[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = (
        Membership.objects.for_workspace(member.workspace)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "user__name", "user__email")
    )
    # Membership.display_name: the user's name, else their e-mail (as the session JSON).
    return [{"id": pk, "name": name or email} for pk, name, email in rows]


def _therapy_types(member: Membership, ids: set[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = (
        TherapyType.objects.for_workspace(member.workspace)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "name", "color")
    )
    return [
        {"id": pk, "name": name, "color": color, "text_color": text_color_for(color) if color else None}
        for pk, name, color in rows
    ]
