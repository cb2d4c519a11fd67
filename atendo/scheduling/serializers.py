"""THE session serializer: the API, the pages, exports and feeds all go through it, and every entry
(`sessions_to_json` for loaded sessions, `sessions_queryset_to_json` / `session_rows_to_json` for
rows read by `session_rows`) ends in `_rows_to_json`, the one place that redacts.

It applies the clinical barrier (`atendo.clients.clinical`): notes, therapy-specific fields and the
values of clinical custom fields are present only for readers allowed to see that client's
clinical content; otherwise they are absent and listed in `withheld` (`notes`, `therapy_fields`,
`fields.<phase>.<key>`). A value whose definition is unknown is treated as clinical.

One call serializes a whole page with a constant number of queries: one for the readable clients,
one for the session field definitions (only when some withheld session has field values). The
sessions must come with `client`, `practitioner__user` and `therapy_type` loaded (the selectors do).
The API's lists (range, pages, client history) read rows instead of instances: `session_rows`
fetches exactly `COLUMNS` off the cursor, the calendar's hot path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from atendo.clients.clinical import readable_client_ids
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.scheduling.models import PHASES, Session
from atendo.scheduling.times import UTC
from atendo.workspaces.models import Membership, Workspace


def session_definitions(workspace: Workspace) -> list[FieldDefinition]:
    """Every session field definition of the workspace, archived ones included."""
    return engine.definitions_for(workspace=workspace, scope="session", include_archived=True)


def non_clinical_keys(definitions: Iterable[FieldDefinition]) -> set[str]:
    """Keys any session reader may see (administrative definitions). Everything else is clinical."""
    return {d.key for d in definitions if not d.clinical}


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
    "series_id",
    "recorded_at",
    "actual_duration_minutes",
    "version",
    "created_at",
    "updated_at",
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
        "series_id": s.series_id,
        "recorded_at": s.recorded_at,
        "actual_duration_minutes": s.actual_duration_minutes,
        "version": s.version,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
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
_DATETIME_COLUMNS = ("starts_at", "ends_at", "recorded_at", "created_at", "updated_at")
_JSON_COLUMNS = ("pre_fields", "during_fields", "post_fields", "therapy_fields")


def session_rows(queryset: QuerySet[Session]) -> list[dict[str, Any]]:
    """The rows of `queryset` as `{column: value}` for `COLUMNS`: the same values `.values(*COLUMNS)`
    gives (aware UTC datetimes, decoded JSON), read straight off the DB-API cursor.

    The statement is the one the ORM compiles for `queryset.values(*COLUMNS)` (same joins, same
    index, see test_explain); only Django's per-value converters are skipped, which cost more than
    the query itself for a month of sessions. The converters needed are done here in one pass.
    """
    values = queryset.values(*COLUMNS)
    try:
        sql, params = values.query.get_compiler(using=values.db).as_sql()
    except EmptyResultSet:  # e.g. `.none()`
        return []
    connection = connections[values.db]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        fetched = cursor.fetchall()
    if sorted(names) != sorted(COLUMNS):  # the compiler names every column after its lookup
        raise RuntimeError(f"Unexpected session columns: {names}")
    rows = [dict(zip(names, row, strict=True)) for row in fetched]
    # SQLite's driver hands out naive UTC datetimes (Django registers its datetime parser on the
    # connection; its field converters would then make them aware),
    # PostgreSQL's aware UTC ones; JSON comes as text from both.
    naive_datetimes = connection.vendor == "sqlite"
    loads = json.loads
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


def sessions_queryset_to_json(member: Membership, queryset: QuerySet[Session]) -> list[dict[str, Any]]:
    """The same as `sessions_to_json(member, queryset)`, reading only the needed columns (faster)."""
    return _rows_to_json(member, session_rows(queryset))


def session_rows_to_json(member: Membership, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Serialize rows read by `session_rows` (e.g. one list page) for `member`."""
    return _rows_to_json(member, rows)


def _rows_to_json(
    member: Membership, rows: list[dict[str, Any]], *, readable: set[int] | None = None
) -> list[dict[str, Any]]:
    if not rows:
        return []
    workspace = member.workspace
    tz = workspace.tz
    if readable is None:
        readable = readable_client_ids(member, {r["client_id"] for r in rows})
    open_keys: set[str] | None = None
    if any(r["client_id"] not in readable and any(r[c] for _p, c in _PHASE_COLUMNS) for r in rows):
        open_keys = non_clinical_keys(session_definitions(workspace))

    out = []
    for r in rows:
        can_read = r["client_id"] in readable
        withheld: list[str] = []
        fields: dict[str, dict[str, Any]] = {}
        for phase, column in _PHASE_COLUMNS:
            # The rows own their dicts (`session_rows` decodes fresh ones, `_row` copies): no copy.
            values = r[column] or {}
            if can_read or not values:
                fields[phase] = values
                continue
            assert open_keys is not None
            fields[phase] = {k: v for k, v in values.items() if k in open_keys}
            withheld += [f"fields.{phase}.{k}" for k in values if k not in open_keys]
        recorded_at = r["recorded_at"]
        item: dict[str, Any] = {
            "id": r["id"],
            "name": r["name"],
            "client_id": r["client_id"],
            "client_name": r["client__name"],
            "practitioner_id": r["practitioner_id"],
            # Membership.display_name: the user's name, else their e-mail.
            "practitioner_name": r["practitioner__user__name"] or r["practitioner__user__email"],
            "therapy_type_id": r["therapy_type_id"],
            "therapy_type_name": r["therapy_type__name"],
            "therapy_type_color": r["therapy_type__color"],
            "starts_at": r["starts_at"].astimezone(tz).isoformat(timespec="seconds"),
            "ends_at": r["ends_at"].astimezone(tz).isoformat(timespec="seconds"),
            "duration_minutes": r["duration_minutes"],
            "status": r["status"],
            "fields": fields,
            "admin_notes": r["admin_notes"],
            "series_id": r["series_id"],
            "recorded_at": recorded_at.astimezone(tz).isoformat(timespec="seconds") if recorded_at else None,
            "actual_duration_minutes": r["actual_duration_minutes"],
            "version": r["version"],
            "created_at": r["created_at"].astimezone(tz).isoformat(timespec="seconds"),
            "updated_at": r["updated_at"].astimezone(tz).isoformat(timespec="seconds"),
        }
        if can_read:
            item["notes"] = r["notes"]
            item["therapy_fields"] = r["therapy_fields"] or {}
        else:
            withheld = ["notes", "therapy_fields", *withheld]
        item["withheld"] = withheld
        out.append(item)
    return out


def session_to_json(member: Membership, session: Session) -> dict[str, Any]:
    return sessions_to_json(member, [session])[0]
