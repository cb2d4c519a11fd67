"""API: sessions (calendar range, list, CRUD, phases, status, history, export), availability, and a
client's session history. Every handler: acting member → schema → service/selector → serializer.

Saved sessions answer `{"session": <session>, "warnings": [<warning>], "occurrences": n}`;
warnings are `{"code": "outside_working_hours", "message"}` or
`{"code": "overlap", "message", "conflicts": [<session ids>]}`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.responses import Status as HttpStatus
from pydantic import StrictBool, StrictInt

from atendo.audit.reads import read_record
from atendo.clients.models import Client
from atendo.clinical.access import reads_clinical
from atendo.clinical.redact import redact
from atendo.core import fastjson
from atendo.core.api_schemas import Id, InputSchema
from atendo.core.clean import MAX_ID
from atendo.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from atendo.core.times import isoformat_local
from atendo.scheduling import selectors, services
from atendo.scheduling.availability import free_slots
from atendo.scheduling.calendar_events import MAX_PER_DAY, calendar_events
from atendo.scheduling.models import (
    MAX_CANCELLATION_REASON_LENGTH,
    MAX_DURATION_MINUTES,
    MAX_NAME_LENGTH,
    Session,
    SessionStatus,
)
from atendo.scheduling.serializers import session_rows_to_json, sessions_queryset_to_json, sessions_to_json
from atendo.workspaces.access import require
from atendo.workspaces.api_auth import api_member

router = Router(tags=["sessions"])

SAVED = (
    'Answers `{"session": <session>, "warnings": [...], "occurrences": n}`. Warnings (saved anyway): '
    '`{"code": "outside_working_hours", "message"}` and `{"code": "overlap", "message", '
    '"conflicts": [<session ids>]}`. With the workspace setting "prevent double booking", an '
    "overlap is refused instead: 409 `overlap` with `conflicts`."
)
STALE = (
    'A stale `version` answers 409 `{"error": {"code": "version_conflict", …, "current": '
    "<the session as it is now>}}` and changes nothing."
)

Status = Literal["scheduled", "in_progress", "completed", "cancelled", "no_show"]
Scope = Literal["this", "following", "all"]
Phase = Literal["pre", "during", "post"]
Duration = StrictInt
# A database id in a JSON body: a number (not "12"), 1 … 2**63-1.
StrictId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


# --- schemas -----------------------------------------------------------------------------------


class AddendumOut(Schema):
    id: int
    text: str
    author_id: int
    author_name: str
    created_at: dt.datetime


class PhaseFields(Schema):
    pre: dict[str, Any] = Field(default_factory=dict)
    during: dict[str, Any] = Field(default_factory=dict)
    post: dict[str, Any] = Field(default_factory=dict)


class CancellationOut(Schema):
    reason: str
    by: Literal["client", "practice"]
    late: bool = Field(description="The client cancelled inside the workspace's cancellation window.")


class SessionOut(Schema):
    """A session. Withheld clinical parts (`notes`, `therapy_fields`, `fields.<phase>.<key>`) are
    absent and listed in `withheld`. Times are ISO 8601 in the workspace offset."""

    id: int
    name: str
    client_id: int
    client_name: str
    practitioner_id: int
    practitioner_name: str
    therapy_type_id: int | None
    therapy_type_name: str | None
    therapy_type_color: str | None
    therapy_type_text_color: str | None = Field(
        description="Black or white: the text colour with WCAG AA contrast on the therapy type's colour."
    )
    starts_at: dt.datetime
    ends_at: dt.datetime
    duration_minutes: int
    status: Status
    cancellation: CancellationOut | None = Field(
        description="Who cancelled, why, and whether late; null unless cancelled."
    )
    confirmed_at: dt.datetime | None = Field(description="When the client confirmed (or a member marked it).")
    fields: PhaseFields
    notes: str | None = None
    therapy_fields: dict[str, Any] | None = None
    admin_notes: str
    video_url: str | None = Field(
        description="The video-call link (https; administrative, like the admin notes); null: none."
    )
    series_id: int | None
    recorded_at: dt.datetime | None
    actual_duration_minutes: int | None
    signed_at: dt.datetime | None = Field(
        None, description="When the practitioner signed the clinical record; from then on it is locked."
    )
    signed_by: int | None = Field(None, description="The member who signed.")
    addenda: list[AddendumOut] | None = Field(
        None, description="Corrections to the signed record, oldest first (clinical: withheld as `addenda`)."
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    withheld: list[str]


class ConflictOut(Schema):
    session_id: int
    client_name: str | None = Field(description="Null for a member without `client.read`.")
    practitioner_name: str
    starts_at: str = Field(description="ISO 8601 with the workspace's offset.")
    ends_at: str
    url: str = Field(description="The session's page.")


class WarningOut(Schema):
    code: Literal["outside_working_hours", "overlap"]
    message: str
    conflicts: list[int] | None = None
    details: list[ConflictOut] | None = Field(
        None, description="An overlap's conflicts (the first five) as the asking member may know them."
    )


class SessionSavedOut(Schema):
    session: SessionOut
    warnings: list[WarningOut]
    occurrences: int = Field(1, description="Sessions created (more than 1 for a recurring series).")


class SessionListOut(Schema):
    items: list[SessionOut]
    next_cursor: str | None


class WarningsOut(Schema):
    warnings: list[WarningOut]


class DeletedOut(Schema):
    deleted: dict[str, int] = Field(
        description='What went (or would go), e.g. {"sessions": 1, "payments": 1}.'
    )


class StatusChangeOut(Schema):
    id: int
    from_status: str
    to_status: str
    changed_by_id: int | None
    changed_by_name: str | None
    at: dt.datetime


class StatusHistoryOut(Schema):
    items: list[StatusChangeOut]
    next_cursor: str | None = None


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime


class SlotsOut(Schema):
    items: list[SlotOut]
    next_cursor: str | None = None


class RecurrenceIn(InputSchema):
    rrule: str = Field(
        description=(
            "RFC 5545 RRULE, weekly or monthly, with COUNT or UNTIL, e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=6"
        ),
        max_length=500,
    )


class SessionTimeIn(InputSchema):
    starts_at: str | None = Field(
        None, description="ISO 8601; without an offset it is read in the workspace time zone.", max_length=64
    )
    date: str | None = Field(None, description="YYYY-MM-DD (with start_time), local.", max_length=20)
    start_time: str | None = Field(None, description="HH:mm, 24-hour, local.", max_length=10)
    duration_minutes: Duration | None = Field(None, ge=1, le=MAX_DURATION_MINUTES)


class SessionCreateIn(SessionTimeIn):
    name: str = Field(max_length=MAX_NAME_LENGTH)
    client_id: StrictId
    practitioner_id: StrictId | None = Field(None, description="Defaults to the creator.")
    therapy_type_id: StrictId | None = None
    status: Status | None = None
    fields: dict[str, dict[str, Any]] | None = Field(
        None, description='Only pre-session values at creation: {"pre": {…}}.'
    )
    notes: str = ""
    admin_notes: str = ""
    video_url: str | None = Field(
        None,
        max_length=500,
        description=(
            "The video-call link, https. Left out (or null): the practitioner's default video room, "
            'if they set one; "": no link.'
        ),
    )
    recurrence: RecurrenceIn | None = None


class SessionUpdateIn(SessionTimeIn):
    version: StrictInt = Field(
        ge=1, le=MAX_ID, description="The version you edited; a stale one answers 409."
    )
    scope: Scope = Field("this", description="For a series: this occurrence, this and following, or all.")
    name: str | None = Field(None, max_length=MAX_NAME_LENGTH)
    client_id: StrictId | None = None
    practitioner_id: StrictId | None = None
    therapy_type_id: StrictId | None = None
    status: Status | None = None
    notes: str | None = None
    admin_notes: str | None = None
    video_url: str | None = Field(
        None, max_length=500, description='The video-call link, https; "" or null removes it.'
    )


class SessionCheckIn(SessionTimeIn):
    session_id: StrictId | None = Field(None, description="The session being edited (not its own overlap).")
    client_id: StrictId | None = None
    practitioner_id: StrictId | None = None
    therapy_type_id: StrictId | None = None
    status: Status | None = None


class PhaseIn(InputSchema):
    version: StrictInt = Field(ge=1, le=MAX_ID)
    values: dict[str, Any]


class CancellationIn(InputSchema):
    by: Literal["client", "practice"] = Field(description="Who called the session off.")
    reason: str = Field("", max_length=MAX_CANCELLATION_REASON_LENGTH)


class StatusIn(InputSchema):
    status: Status
    version: StrictInt = Field(ge=1, le=MAX_ID)
    scope: Scope = "this"
    cancellation: CancellationIn | None = Field(
        None, description="With status `cancelled`: who cancelled and why (default: the practice)."
    )
    charge_fee: StrictBool = Field(
        True, description="False waives a no-show or late-cancellation fee (needs billing.manage)."
    )


class FeeOut(Schema):
    session_id: int
    payment_id: int
    kind: Literal["no_show", "late_cancel"]
    amount: str = Field(description="Exact decimal as a string, e.g. '80.00'.")


class StatusSavedOut(SessionSavedOut):
    fees: list[FeeOut] = Field(description="Fees this change charged (a pending payment each).")


class ConfirmIn(InputSchema):
    version: StrictInt = Field(ge=1, le=MAX_ID)
    confirmed: StrictBool = Field(True, description="False takes the confirmation back.")


# --- helpers -----------------------------------------------------------------------------------


def _saved(member: Any, result: services.SessionResult) -> dict[str, Any]:
    return {
        "session": sessions_to_json(member, [result.session], readable=result.readable_client_ids)[0],
        "warnings": result.warnings,
        "occurrences": result.occurrences,
    }


def _json(body: dict[str, Any]) -> HttpResponse:
    """A list response rendered directly: the serializer already produces exactly the documented
    schema out of primitive values (the schema suite checks it), so neither ninja's per-item
    validation nor DjangoJSONEncoder's fallbacks are needed. `fastjson.dumps`: json.dumps's
    compact UTF-8 text, through orjson (about five times faster for a week of sessions)."""
    return HttpResponse(fastjson.dumps(body), content_type="application/json")


def _field_filters(request: HttpRequest) -> dict[str, str]:
    return {
        key[len("field.") :]: str(value)
        for key, value in request.GET.items()
        if key.startswith("field.") and len(key) > len("field.")
    }


@dataclass
class ListQuery:
    start: str | None
    end: str | None
    client_id: int | None
    practitioner_id: int | None
    status: list[str] | None
    sort: str = "starts_at"
    cursor: str | None = None
    limit: int = selectors.DEFAULT_PAGE


_START = Query(None, description="Range mode: ISO 8601 date or date-time (workspace zone).", max_length=64)
_END = Query(None, description="Range mode: exclusive end; at most 100 days after start.", max_length=64)
_STATUS = Query(None, description="Repeatable: scheduled, in_progress, completed, cancelled, no_show.")
_SORT = Query(
    "starts_at",
    description=(
        "List mode: starts_at, name, status, duration_minutes, created_at, updated_at; "
        "prefix - for descending."
    ),
    max_length=40,
)
_LIMIT = Query(selectors.DEFAULT_PAGE, ge=1, le=selectors.MAX_PAGE)


def _range(member: Any, q: ListQuery) -> tuple[dt.datetime, dt.datetime]:
    if q.start is None or q.end is None:
        raise ValidationFailed.single(
            "start" if q.start is None else "end", _("A range needs both start and end.")
        )
    return selectors.parse_range(member, q.start, q.end)


def _query_sessions(
    request: HttpRequest, member: Any, q: ListQuery
) -> tuple[list[dict[str, Any]], str | None]:
    filters: dict[str, Any] = {
        "client_id": q.client_id,
        "practitioner_id": q.practitioner_id,
        "status": q.status,
        "field_filters": _field_filters(request),
    }
    if q.start is not None or q.end is not None:
        begin, finish = _range(member, q)
        qs = selectors.sessions_in_range(member, begin, finish, **filters)
        return sessions_queryset_to_json(member, qs), None
    rows, next_cursor = selectors.sessions_page_rows(
        member, sort=q.sort, cursor=q.cursor, limit=q.limit, **filters
    )
    return session_rows_to_json(member, rows), next_cursor


# --- sessions ----------------------------------------------------------------------------------


@router.get(
    "/workspaces/{workspace_slug}/sessions",
    response=SessionListOut,
    exclude_unset=True,
    summary="Sessions in a range (start & end) or a cursor-paginated list",
    description=(
        "With `start` and `end`: every session intersecting the range, ordered by start (no cursor). "
        "Without: a list sorted by `sort`, paginated with `cursor`. Filters: `client_id`, "
        "`practitioner_id`, `status` (repeatable), and `field.<key>=<value>` for filterable session fields."
    ),
)
def sessions_list(
    request: HttpRequest,
    workspace_slug: str,
    start: str | None = _START,
    end: str | None = _END,
    client_id: Id | None = None,
    practitioner_id: Id | None = None,
    status: list[str] | None = _STATUS,
    sort: str = _SORT,
    cursor: str | None = Query(None, max_length=500),
    limit: int = _LIMIT,
) -> HttpResponse:
    member = api_member(request, workspace_slug)
    q = ListQuery(start, end, client_id, practitioner_id, status, sort, cursor, limit)
    items, next_cursor = _query_sessions(request, member, q)
    # The calendar's hot path: the serializer already produces exactly SessionListOut (the schema
    # suite checks it), so the response is rendered directly instead of re-validated row by row.
    return _json({"items": items, "next_cursor": next_cursor})


class CalendarEventOut(Schema):
    id: int
    title: str = Field(description="The client's name (it leads each event).")
    name: str = Field(description="The session's name.")
    start: dt.datetime = Field(description="ISO 8601 with the workspace offset.")
    end: dt.datetime
    status: Status
    practitioner_id: int
    therapy_type_id: int | None
    version: int = Field(description="A move based on an older version is refused (409).")
    flags: list[Literal["recorded", "late_cancellation"]]


class CalendarMoreOut(Schema):
    date: dt.date = Field(description="A day of the workspace (YYYY-MM-DD).")
    more: int = Field(description="Sessions of that day left out beyond `per_day`.")


class CalendarPractitionerOut(Schema):
    id: int
    name: str


class CalendarTherapyTypeOut(Schema):
    id: int
    name: str
    color: str
    text_color: str | None = Field(description="Black or white, WCAG AA on `color`.")


class CalendarOut(Schema):
    timezone: str
    start: dt.datetime
    end: dt.datetime
    per_day: int | None
    events: list[CalendarEventOut]
    more: list[CalendarMoreOut]
    practitioners: list[CalendarPractitionerOut]
    therapy_types: list[CalendarTherapyTypeOut]


@router.get(
    "/workspaces/{workspace_slug}/calendar",
    response=CalendarOut,
    summary="The calendar of a range: lean events (what the calendar draws)",
    description=(
        "The sessions intersecting [start, end) as the calendar draws them, with the same filters and "
        "access as `GET sessions?start=&end=`; no clinical content (open a session with "
        "`GET sessions/{id}` for its details). `per_day=K` (a month grid): at most K events per day "
        "of the workspace, and `more` counts the rest of each busier day. Gzip-compressed when asked."
    ),
)
@decorate_view(gzip_page)
def calendar(
    request: HttpRequest,
    workspace_slug: str,
    start: str = Query(..., description="ISO 8601 date or date-time (workspace zone).", max_length=64),
    end: str = Query(..., description="Exclusive end; at most 100 days after start.", max_length=64),
    per_day: int | None = Query(None, ge=1, le=MAX_PER_DAY, description="At most this many events a day."),
    client_id: Id | None = None,
    practitioner_id: Id | None = None,
    status: list[str] | None = _STATUS,
) -> HttpResponse:
    member = api_member(request, workspace_slug)
    begin, finish = selectors.parse_range(member, start, end)
    body = calendar_events(
        member,
        begin,
        finish,
        per_day=per_day,
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=_field_filters(request),
    )
    # Rendered directly: the builder produces exactly CalendarOut out of primitive values.
    return _json(body)


@router.post(
    "/workspaces/{workspace_slug}/sessions",
    response={201: SessionSavedOut},
    exclude_unset=True,
    summary="Create a session (or a recurring series)",
    description=(
        "Time: `starts_at` (ISO 8601; without an offset, the workspace zone) or `date` + `start_time` "
        "(HH:mm); a local time skipped by a daylight-saving jump is a 422. Missing values take the "
        "workspace defaults. Only `fields.pre` may be given. `recurrence.rrule` (weekly or monthly, "
        "COUNT or UNTIL, at most 200 occurrences) creates the whole series and answers its first "
        "session.\n\n" + SAVED
    ),
)
def session_create(
    request: HttpRequest, workspace_slug: str, payload: SessionCreateIn
) -> HttpStatus[dict[str, Any]]:
    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    recurrence = data.pop("recurrence", None)
    result = services.session_create(member=member, recurrence=recurrence, **data)
    return HttpStatus(201, _saved(member, result))


@router.post(
    "/workspaces/{workspace_slug}/sessions/check",
    response=WarningsOut,
    exclude_unset=True,
    summary="The warnings a session would get, without saving it",
)
def session_check(request: HttpRequest, workspace_slug: str, payload: SessionCheckIn) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    warnings = services.session_check(member=member, **payload.model_dump(exclude_unset=True))
    return {"warnings": warnings}


_CSV_COLUMNS = [
    "id",
    "name",
    "client_id",
    "client_name",
    "practitioner_id",
    "practitioner_name",
    "therapy_type_name",
    "starts_at",
    "ends_at",
    "duration_minutes",
    "status",
    "cancelled_by",
    "late_cancellation",
    "cancellation_reason",
    "confirmed_at",
    "series_id",
    "admin_notes",
]


@router.get(
    "/workspaces/{workspace_slug}/sessions/export.csv",
    summary="CSV export of the same query as GET sessions",
    description=(
        "Same filters as GET sessions (range or whole list). The `notes` column is present only for "
        "members who may read clinical content, and filled only for clients they may read."
    ),
    response={200: str},
    openapi_extra={"responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}}},
)
def sessions_export(
    request: HttpRequest,
    workspace_slug: str,
    start: str | None = _START,
    end: str | None = _END,
    client_id: Id | None = None,
    practitioner_id: Id | None = None,
    status: list[str] | None = _STATUS,
) -> StreamingHttpResponse:
    member = api_member(request, workspace_slug)
    q = ListQuery(start, end, client_id, practitioner_id, status)
    filters: dict[str, Any] = {
        "client_id": q.client_id,
        "practitioner_id": q.practitioner_id,
        "status": q.status,
        "field_filters": _field_filters(request),
    }
    if q.start is not None or q.end is not None:
        begin, finish = _range(member, q)
        qs = selectors.sessions_in_range(member, begin, finish, **filters)
    else:
        qs = selectors.sessions_filtered(member, **filters)
    clinical = reads_clinical(member)
    columns = _CSV_COLUMNS + (["notes"] if clinical else [])
    tz = member.workspace.tz

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def chunks() -> Iterator[list[Session]]:
        chunk: list[Session] = []
        for session in qs.iterator(chunk_size=CSV_CHUNK):
            chunk.append(session)
            if len(chunk) == CSV_CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def rows() -> Iterator[str]:
        yield writer.writerow(columns)
        for chunk in chunks():
            # The notes pass the one redaction point, one readable-clients query per chunk.
            notes = (
                [r.get("notes", "") for r in redact(member, [_notes_row(s) for s in chunk], "session")]
                if clinical
                else []
            )
            if clinical:  # the read audit: whose notes this export carried
                read = [s for s, text in zip(chunk, notes, strict=True) if text]
                read_record(
                    member, kind="session", ids=[s.pk for s in read], client_ids=[s.client_id for s in read]
                )
            for index, s in enumerate(chunk):
                yield writer.writerow(_csv_row(s, tz) + ([_safe(notes[index])] if clinical else []))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sessions.csv"'
    return response


CSV_CHUNK = 1000


def _notes_row(session: Session) -> dict[str, Any]:
    return {"id": session.pk, "client_id": session.client_id, "notes": session.notes}


def _csv_row(s: Session, tz: Any) -> list[Any]:
    return [
        s.pk,
        _safe(s.name),
        s.client_id,
        _safe(s.client.name),
        s.practitioner_id,
        _safe(s.practitioner.display_name),
        _safe(s.therapy_type.name) if s.therapy_type else "",
        isoformat_local(s.starts_at, tz),
        isoformat_local(s.ends_at, tz),
        s.duration_minutes,
        s.status,
        s.cancelled_by if s.status == SessionStatus.CANCELLED else "",
        ("yes" if s.cancellation_late else "no") if s.status == SessionStatus.CANCELLED else "",
        _safe(s.cancellation_reason),
        isoformat_local(s.confirmed_at, tz) if s.confirmed_at else "",
        s.series_id or "",
        _safe(s.admin_notes),
    ]


def _safe(value: str) -> str:
    """Neutralize spreadsheet formulas (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


@router.get("/workspaces/{workspace_slug}/sessions/{session_id}", response=SessionOut, exclude_unset=True)
def session_detail(request: HttpRequest, workspace_slug: str, session_id: Id) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    return sessions_to_json(member, [selectors.session_get_for(member, session_id)])[0]


@router.patch(
    "/workspaces/{workspace_slug}/sessions/{session_id}",
    response=SessionSavedOut,
    exclude_unset=True,
    summary="Edit a session (send its version; 409 with the current session if it is stale)",
    description=(
        "Send only what changes, with the `version` you edited. `scope` (`this`, `following`, `all`) "
        "carries name, client, practitioner, therapy type, duration, admin notes, status and a move "
        "(kept in local wall time) to the other occurrences of a series.\n\n" + SAVED + "\n\n" + STALE
    ),
)
def session_update(
    request: HttpRequest, workspace_slug: str, session_id: Id, payload: SessionUpdateIn
) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    scope = changes.pop("scope", "this")
    result = services.session_update(
        member=member, session_id=session_id, version=version, changes=changes, scope=scope
    )
    return _saved(member, result)


@router.delete(
    "/workspaces/{workspace_slug}/sessions/{session_id}",
    response=DeletedOut,
    summary="Delete a session permanently; answers what went with it (409 `invoiced` if on an invoice)",
)
def session_delete(
    request: HttpRequest, workspace_slug: str, session_id: Id, scope: Scope = "this"
) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    return {"deleted": services.session_delete(member=member, session_id=session_id, scope=scope)}


@router.get(
    "/workspaces/{workspace_slug}/sessions/{session_id}/delete-preview",
    response=DeletedOut,
    summary="What deleting would remove, without deleting",
)
def session_delete_preview(
    request: HttpRequest, workspace_slug: str, session_id: Id, scope: Scope = "this"
) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    return {"deleted": services.session_delete_preview(member=member, session_id=session_id, scope=scope)}


@router.put(
    "/workspaces/{workspace_slug}/sessions/{session_id}/fields/{phase}",
    response=SessionSavedOut,
    exclude_unset=True,
    summary="Save one phase's custom field values (the other phases are untouched)",
    description=(
        "The whole phase is replaced by `values`; required fields of the phase are enforced. "
        "Members who may not read the client's clinical content cannot set clinical fields (403) "
        "and keep the clinical values stored.\n\n" + STALE
    ),
)
def session_save_phase(
    request: HttpRequest, workspace_slug: str, session_id: Id, phase: Phase, payload: PhaseIn
) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    try:
        result = services.session_save_phase(
            member=member, session_id=session_id, phase=phase, values=payload.values, version=payload.version
        )
    except (ValidationFailed, Forbidden) as exc:
        raise _under_values(exc, f"fields.{phase}") from None
    return _saved(member, result)


def _under_values(exc: ValidationFailed | Forbidden, prefix: str) -> ValidationFailed | Forbidden:
    """The services name a phase's values as the pages' forms do (`fields.<phase>.<key>`); this body
    holds them under `values`, and an error path names the key of the body the client sent."""

    def rebase(text: str) -> str:
        return re.sub(rf"(?<![\w.]){re.escape(prefix)}(?=$|[.\[)])", "values", text)

    if isinstance(exc, Forbidden):
        return Forbidden(rebase(exc.message), code=exc.code)
    fields = [FieldError(rebase(f.path), f.message) for f in exc.fields]
    return ValidationFailed(fields, message=rebase(exc.message), code=exc.code)


@router.post(
    "/workspaces/{workspace_slug}/sessions/{session_id}/status",
    response=StatusSavedOut,
    exclude_unset=True,
    summary="Change the status (kept in the history with who and when)",
    description=(
        "Usually scheduled → in_progress → completed, cancelled or no_show from anywhere; any change "
        "is allowed and recorded. `scope` applies it to occurrences of a series.\n\n"
        "A cancellation records `cancellation` (`by`: client or practice, default the practice; "
        "`reason`) and whether it was late (a client's, inside the workspace's "
        "`cancellation_window_hours`). `no_show` needs the start to have passed (422 at `status`). "
        "A no-show, or a late cancellation, charges the workspace's `no_show_fee` / "
        "`late_cancel_fee` as a pending payment (listed in `fees`) unless the session already has "
        "a payment; `charge_fee: false` waives it (needs billing.manage). Leaving the status "
        "removes an unpaid, uninvoiced fee.\n\n" + SAVED + "\n\n" + STALE
    ),
)
def session_set_status(
    request: HttpRequest, workspace_slug: str, session_id: Id, payload: StatusIn
) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    result = services.session_set_status(
        member=member,
        session_id=session_id,
        status=payload.status,
        version=payload.version,
        scope=payload.scope,
        cancellation=payload.cancellation.model_dump() if payload.cancellation is not None else None,
        charge_fee=payload.charge_fee,
    )
    return {**_saved(member, result), "fees": [_fee_json(f) for f in result.fees]}


def _fee_json(fee: Any) -> dict[str, Any]:
    return {
        "session_id": fee.session_id,
        "payment_id": fee.payment_id,
        "kind": fee.kind,
        "amount": str(fee.amount),
    }


@router.post(
    "/workspaces/{workspace_slug}/sessions/{session_id}/confirm",
    response=SessionSavedOut,
    exclude_unset=True,
    summary="Mark that the client confirmed they will come (or take it back)",
    description=(
        "Sets `confirmed_at` (reminders' confirm links set it too); `confirmed: false` clears it. "
        "Only a scheduled session still to come can be confirmed: 409 `not_confirmable`. Moving the "
        "session clears the confirmation.\n\n" + STALE
    ),
)
def session_confirm(
    request: HttpRequest, workspace_slug: str, session_id: Id, payload: ConfirmIn
) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    result = services.session_confirm(
        workspace=member.workspace,
        member=member,
        session_id=session_id,
        confirmed=payload.confirmed,
        version=payload.version,
    )
    return _saved(member, result)


@router.get(
    "/workspaces/{workspace_slug}/sessions/{session_id}/history",
    response=StatusHistoryOut,
    summary="The status changes of a session, oldest first",
)
def session_history(request: HttpRequest, workspace_slug: str, session_id: Id) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    tz = member.workspace.tz
    changes = selectors.status_history(member, session_id)
    return {
        "items": [
            {
                "id": c.pk,
                "from_status": c.from_status,
                "to_status": c.to_status,
                "changed_by_id": c.changed_by_id,
                "changed_by_name": c.changed_by.display_name if c.changed_by else (c.actor_label or None),
                "at": isoformat_local(c.created_at, tz),
            }
            for c in changes
        ],
        "next_cursor": None,
    }


# --- availability and client history ---------------------------------------------------------


@router.get(
    "/workspaces/{workspace_slug}/availability",
    response=SlotsOut,
    tags=["availability"],
    summary="Free slots of a practitioner for a duration, inside working hours",
)
def availability(
    request: HttpRequest,
    workspace_slug: str,
    practitioner_id: Id,
    duration: int,
    start: str,
    end: str,
) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    tz = member.workspace.tz
    slots = free_slots(member, practitioner_id=practitioner_id, duration=duration, start=start, end=end)
    return {
        "items": [{"start": isoformat_local(s.start, tz), "end": isoformat_local(s.end, tz)} for s in slots],
        "next_cursor": None,
    }


@router.get(
    "/workspaces/{workspace_slug}/clients/{client_id}/sessions",
    response=SessionListOut,
    exclude_unset=True,
    tags=["clients"],
    summary="A client's sessions in chronological order",
)
def client_sessions(
    request: HttpRequest,
    workspace_slug: str,
    client_id: Id,
    cursor: str | None = Query(None, max_length=500),
    limit: int = _LIMIT,
) -> HttpResponse:
    member = api_member(request, workspace_slug)
    require(member, "session.read")
    if not Client.objects.for_workspace(member.workspace).filter(pk=client_id).exists():
        raise NotFound(_("No such client."))
    rows, next_cursor = selectors.sessions_page_rows(
        member, sort="starts_at", cursor=cursor, limit=limit, client_id=client_id
    )
    return _json({"items": session_rows_to_json(member, rows), "next_cursor": next_cursor})
