"""THE session serializer: the API, the pages, exports and feeds all go through it, and every entry
(`sessions_to_json` for loaded sessions, `sessions_queryset_to_json` / `session_rows_to_json` for
rows read by `session_rows`) ends in `_rows_to_json`, the one place that redacts.

It builds the JSON and hands it to the one redaction point, `atendo.clinical.redact`: notes,
therapy-specific fields and the values of clinical custom fields are present only for readers
allowed to see that client's clinical content; otherwise they are absent and listed in `withheld`
(`notes`, `therapy_fields`, `fields.<phase>.<key>`).

One call serializes a whole page with a constant number of queries (redact's: one for the readable
clients, one for the session field definitions only when some withheld session has field values). The
sessions must come with `client`, `practitioner__user` and `therapy_type` loaded (the selectors do).
The API's lists (range, pages, client history) read rows instead of instances: `session_rows`
fetches exactly `COLUMNS` off the cursor, the calendar's hot path.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from atendo.audit.reads import read_record
from atendo.clinical import crypto
from atendo.clinical.redact import redact
from atendo.core.colors import text_color_for
from atendo.core.fastjson import loads
from atendo.core.times import UTC
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.scheduling.models import ADDENDUM_TEXT, PHASES, Session, SessionAddendum
from atendo.workspaces.models import Membership, Workspace


def session_definitions(workspace: Workspace) -> list[FieldDefinition]:
    """Every session field definition of the workspace, archived ones included."""
    return engine.definitions_for(workspace=workspace, scope="session", include_archived=True)


# The columns the serializer reads, as `.values()` lookups: `sessions_queryset_to_json` fetches
# exactly these (no model instances: the calendar's hot path), `sessions_to_json` reads the same
# names off loaded sessions.
COLUMNS = (
    "id",
    "name",
    "client_id",
    "client__name",
    "practitioner_id",
    "practitioner__user__name",
    "practitioner__user__email",
    "therapy_type_id",
    "therapy_type__name",
    "therapy_type__color",
    "starts_at",
    "ends_at",
    "duration_minutes",
    "status",
    "pre_fields",
    "during_fields",
    "post_fields",
    "therapy_fields",
    "notes",
    "admin_notes",
    "video_url",
    "series_id",
    "recorded_at",
    "actual_duration_minutes",
    "signed_at",
    "signed_by_id",
    "version",
    "created_at",
    "updated_at",
    "cancelled_by",
    "cancellation_reason",
    "cancellation_late",
    "confirmed_at",
)


def _row(s: Session) -> dict[str, Any]:
    user = s.practitioner.user
    therapy_type = s.therapy_type
    return {
        "id": s.pk,
        "name": s.name,
        "client_id": s.client_id,
        "client__name": s.client.name,
        "practitioner_id": s.practitioner_id,
        "practitioner__user__name": user.name,
        "practitioner__user__email": user.email,
        "therapy_type_id": s.therapy_type_id,
        "therapy_type__name": therapy_type.name if therapy_type else None,
        "therapy_type__color": therapy_type.color if therapy_type else None,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "duration_minutes": s.duration_minutes,
        "status": s.status,
        # Copies: the serialized output must not share dicts with the model instance.
        "pre_fields": dict(s.pre_fields or {}),
        "during_fields": dict(s.during_fields or {}),
        "post_fields": dict(s.post_fields or {}),
        "therapy_fields": dict(s.therapy_fields or {}),
        "notes": s.notes,
        "admin_notes": s.admin_notes,
        "video_url": s.video_url,
        "series_id": s.series_id,
        "recorded_at": s.recorded_at,
        "actual_duration_minutes": s.actual_duration_minutes,
        "signed_at": s.signed_at,
        "signed_by_id": s.signed_by_id,
        "version": s.version,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "cancelled_by": s.cancelled_by,
        "cancellation_reason": s.cancellation_reason,
        "cancellation_late": s.cancellation_late,
        "confirmed_at": s.confirmed_at,
    }


def sessions_to_json(
    member: Membership, sessions: Iterable[Session], *, readable: set[int] | None = None
) -> list[dict[str, Any]]:
    """Serialize `sessions` for `member`, redacting what the clinical barrier withholds.

    `readable`: the answer of `clinical.readable_client_ids(member, <these sessions' clients>)` when
    the caller already has it (a service that just asked); otherwise it is asked here.
    """
    return _rows_to_json(member, [_row(s) for s in sessions], readable=readable)


_PHASE_COLUMNS = tuple((phase, f"{phase}_fields") for phase in PHASES)
_DATETIME_COLUMNS: tuple[str, ...] = (
    "starts_at",
    "ends_at",
    "recorded_at",
    "created_at",
    "updated_at",
    "confirmed_at",
    "signed_at",
)
_JSON_COLUMNS = ("pre_fields", "during_fields", "post_fields", "therapy_fields")


def session_rows(queryset: QuerySet[Session]) -> list[dict[str, Any]]:
    """The rows of `queryset` as `{column: value}` for `COLUMNS`: the same values `.values(*COLUMNS)`
    gives (aware UTC datetimes, decoded JSON), read straight off the DB-API cursor.

    The statement is the one the ORM compiles for `queryset.values(*COLUMNS)` (same joins, same
    index, see test_explain); only Django's per-value converters are skipped, which cost more than
    the query itself for a month of sessions. The converters needed are done here in one pass.
    """
    return _session_rows(queryset, aware=True)


def _session_rows(queryset: QuerySet[Session], *, aware: bool) -> list[dict[str, Any]]:
    """`session_rows`; with `aware=False` SQLite's naive UTC datetimes stay naive (the JSON paths
    turn them into local ISO strings directly: `_local_iso` reads a naive datetime as UTC)."""
    values = queryset.values(*COLUMNS)
    try:
        sql, params = values.query.get_compiler(using=values.db).as_sql()
    except EmptyResultSet:  # e.g. `.none()`
        return []
    connection = connections[values.db]
    with connection.cursor() as cursor:
        if not aware and connection.vendor == "postgresql":
            _c_timestamps(cursor.cursor)
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        fetched = cursor.fetchall()
    if sorted(names) != sorted(COLUMNS):  # the compiler names every column after its lookup
        raise RuntimeError(f"Unexpected session columns: {names}")
    rows = [dict(zip(names, row, strict=True)) for row in fetched]
    # SQLite's driver hands out naive UTC datetimes (Django registers its datetime parser on the
    # connection; its field converters would then make them aware),
    # PostgreSQL's aware UTC ones; JSON comes as text from both.
    naive_datetimes = aware and connection.vendor == "sqlite"
    for r in rows:
        for name in _JSON_COLUMNS:
            raw = r[name]
            if isinstance(raw, (str, bytes)):
                r[name] = {} if raw == "{}" else loads(raw)
        if naive_datetimes:
            for name in _DATETIME_COLUMNS:
                raw = r[name]
                if raw is not None:
                    r[name] = raw.replace(tzinfo=UTC)
    return rows


def _c_timestamps(raw_cursor: Any) -> None:
    """On this psycopg cursor only, `timestamptz` read by psycopg's own loader (C, with the binary
    package) instead of Django's subclass of the Python one, which also swaps each value's tzinfo
    for UTC's: ~8,000 values in a week of the workspace, more than half the read. The same instants,
    in the connection's zone (UTC); `_local_iso` is all the JSON paths do with them."""
    from psycopg import adapters
    from psycopg.postgres import types
    from psycopg.pq import Format

    oid = types["timestamptz"].oid
    raw_cursor.adapters.register_loader(oid, adapters.get_loader(oid, Format.TEXT))


def _local_iso(tz: ZoneInfo) -> Callable[[dt.datetime], str]:
    """`value.astimezone(tz).isoformat(timespec="seconds")`, remembered per value for one call of
    the serializer: a week of the workspace has ~1,700 sessions but a few hundred distinct start and
    end times, and the conversion costs ~4 µs. Values are UTC, aware or naive (a naive one is UTC:
    `_session_rows(aware=False)`), so equal values are the same instant."""
    cache: dict[dt.datetime, str] = {}

    def iso(value: dt.datetime) -> str:
        text = cache.get(value)
        if text is None:
            aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            text = cache[value] = aware.astimezone(tz).isoformat(timespec="seconds")
        return text

    return iso


@contextmanager
def gc_paused() -> Iterator[None]:
    """The garbage collector paused while a large answer is built: the ~40,000 objects of a week
    are acyclic and all live until the answer is written, so the collections their allocation
    triggers (each full one walking the whole heap) find nothing, and made the slow requests slow.
    Re-enabled only if it was on (nesting, or a caller that turned it off, stay as they were)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sessions_queryset_to_json(member: Membership, queryset: QuerySet[Session]) -> list[dict[str, Any]]:
    """The same as `sessions_to_json(member, queryset)`, reading only the needed columns (faster)."""
    with gc_paused():
        return _rows_to_json(member, _session_rows(queryset, aware=False))


def session_rows_to_json(member: Membership, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Serialize rows read by `session_rows` (e.g. one list page) for `member`."""
    return _rows_to_json(member, rows)


def _rows_to_json(
    member: Membership, rows: list[dict[str, Any]], *, readable: set[int] | None = None
) -> list[dict[str, Any]]:
    if not rows:
        return []
    iso = _local_iso(member.workspace.tz)
    out = []
    text_colors: dict[str | None, str | None] = {}
    for r in rows:
        recorded_at = r["recorded_at"]
        confirmed_at = r["confirmed_at"]
        color = r["therapy_type__color"]
        if color not in text_colors:
            text_colors[color] = text_color_for(color) if color else None
        out.append(
            {
                "id": r["id"],
                "name": r["name"],
                "client_id": r["client_id"],
                "client_name": r["client__name"],
                "practitioner_id": r["practitioner_id"],
                # Membership.display_name: the user's name, else their e-mail.
                "practitioner_name": r["practitioner__user__name"] or r["practitioner__user__email"],
                "therapy_type_id": r["therapy_type_id"],
                "therapy_type_name": r["therapy_type__name"],
                "therapy_type_color": color,
                # Black or white, whichever reads on the colour (WCAG AA, `core.colors`).
                "therapy_type_text_color": text_colors[color],
                "starts_at": iso(r["starts_at"]),
                "ends_at": iso(r["ends_at"]),
                "duration_minutes": r["duration_minutes"],
                "status": r["status"],
                # Present only for a cancelled session (legacy rows written around the services
                # without who cancelled read as the practice's, as the migration made them).
                "cancellation": {
                    "reason": r["cancellation_reason"],
                    "by": r["cancelled_by"] or "practice",
                    "late": bool(r["cancellation_late"]),
                }
                if r["status"] == "cancelled"
                else None,
                "confirmed_at": iso(confirmed_at) if confirmed_at else None,
                # The rows own their dicts (`session_rows` decodes fresh ones, `_row` copies): no copy.
                "fields": {
                    "pre": r["pre_fields"] or {},
                    "during": r["during_fields"] or {},
                    "post": r["post_fields"] or {},
                },
                "notes": r["notes"],
                "therapy_fields": r["therapy_fields"] or {},
                "admin_notes": r["admin_notes"],
                # Telehealth: administrative (every reader of the session sees it).
                "video_url": r["video_url"] or None,
                "series_id": r["series_id"],
                "recorded_at": iso(recorded_at) if recorded_at else None,
                "actual_duration_minutes": r["actual_duration_minutes"],
                # Sign and lock: public (the home lists what waits to be signed); the addenda are
                # clinical, filled below for the readers only.
                "signed_at": iso(r["signed_at"]) if r["signed_at"] else None,
                "signed_by": r["signed_by_id"],
                "addenda": [],
                "version": r["version"],
                "created_at": iso(r["created_at"]),
                "updated_at": iso(r["updated_at"]),
            }
        )
    shown = redact(member, out, "session", readable=readable)
    _attach_addenda(member, shown)
    _record_reads(member, shown)
    return shown


def _attach_addenda(member: Membership, rows: list[dict[str, Any]]) -> None:
    """The addenda of the signed sessions shown with their notes, oldest first: one query, and
    none when no such session is on the page (the calendar's usual case)."""
    signed = {r["id"]: r for r in rows if r["signed_at"] and "addenda" in r}
    if not signed:
        return
    tz = member.workspace.tz
    addenda = (
        SessionAddendum.objects.for_workspace(member.workspace_id)
        .filter(session_id__in=list(signed))
        .order_by("created_at", "id")
        .values(
            "id", "session_id", "text", "author_id", "author__user__name", "author__user__email", "created_at"
        )
    )
    for a in addenda:
        signed[a["session_id"]]["addenda"].append(
            {
                "id": a["id"],
                "text": crypto.open_text(member.workspace_id, ADDENDUM_TEXT, a["id"], a["text"]),
                "author_id": a["author_id"],
                "author_name": a["author__user__name"] or a["author__user__email"],
                "created_at": a["created_at"].astimezone(tz).isoformat(timespec="seconds"),
            }
        )


def _record_reads(member: Membership, rows: list[dict[str, Any]]) -> None:
    """The read audit: the sessions whose clinical record this reader was shown (notes, addenda,
    field values or therapy fields), noted on the request (`audit.reads`), written once at its end."""
    read = [
        r
        for r in rows
        if "notes" in r and (r["notes"] or r["addenda"] or r["therapy_fields"] or any(r["fields"].values()))
    ]
    if read:
        read_record(
            member, kind="session", ids=[r["id"] for r in read], client_ids=[r["client_id"] for r in read]
        )


def session_to_json(member: Membership, session: Session) -> dict[str, Any]:
    return sessions_to_json(member, [session])[0]
