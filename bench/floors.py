"""The raw-SQL floors: the same rows each case returns, fetched by one hand-written query alone.

They join what the serializer shows (client name, practitioner's user, therapy type), like the
selectors' `select_related`, and run on the raw DB-API cursor, so the ratio case / floor is what our
layers (auth, permissions, ORM, redaction, JSON) add on top of the database's own work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

MAX_SPAN = dt.timedelta(days=1)  # the longest session (1440 minutes) bounds the index scan

_SELECT = """
SELECT s.id, s.name, s.client_id, s.practitioner_id, s.therapy_type_id, s.starts_at, s.ends_at,
       s.duration_minutes, s.status, s.pre_fields, s.during_fields, s.post_fields, s.therapy_fields,
       s.notes, s.admin_notes, s.series_id, s.recorded_at, s.actual_duration_minutes, s.version,
       s.created_at, s.updated_at, c.name, u.name, u.email, t.name, t.color
FROM scheduling_session s
JOIN clients_client c ON c.id = s.client_id
JOIN workspaces_membership m ON m.id = s.practitioner_id
JOIN accounts_user u ON u.id = m.user_id
LEFT JOIN therapies_therapytype t ON t.id = s.therapy_type_id
"""
_ORDER = " ORDER BY s.starts_at, s.id"


def _param(value: Any) -> Any:
    """Datetimes as the backend stores them (SQLite: naive UTC text)."""
    if isinstance(value, dt.datetime) and connection.vendor == "sqlite":
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))
    return value


def _fetch(sql: str, params: list[Any]) -> list[int]:
    """The ids of the fetched rows (every column is fetched; the id is the first)."""
    raw = connection.connection
    if raw is None:
        connection.ensure_connection()
        raw = connection.connection
    if connection.vendor == "sqlite":
        sql = sql.replace("%s", "?")
    cursor = raw.cursor()
    try:
        cursor.execute(sql, [_param(p) for p in params])
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()


def range_rows(
    workspace_id: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    practitioner_id: int | None = None,
    client_id: int | None = None,
    status: str | None = None,
    pre_field: tuple[str, str] | None = None,
) -> list[int]:
    where = ["s.workspace_id = %s", "s.starts_at < %s", "s.ends_at > %s", "s.starts_at >= %s"]
    params: list[Any] = [workspace_id, end, start, start - MAX_SPAN]
    if practitioner_id is not None:
        where.append("s.practitioner_id = %s")
        params.append(practitioner_id)
    if client_id is not None:
        where.append("s.client_id = %s")
        params.append(client_id)
    if status is not None:
        where.append("s.status = %s")
        params.append(status)
    if pre_field is not None:
        key, value = pre_field
        if connection.vendor == "postgresql":
            where.append("s.pre_fields -> %s = to_jsonb(%s::text)")
        else:
            where.append("json_extract(s.pre_fields, '$.' || %s) = %s")
        params += [key, value]
    return _fetch(_SELECT + " WHERE " + " AND ".join(where) + _ORDER, params)


def client_rows(workspace_id: int, client_id: int) -> list[int]:
    return _fetch(
        _SELECT + " WHERE s.workspace_id = %s AND s.client_id = %s" + _ORDER, [workspace_id, client_id]
    )


def page_rows(workspace_id: int, after_start: dt.datetime, after_id: int, limit: int) -> list[int]:
    """Keyset page: the `limit` sessions after (after_start, after_id) in (starts_at, id) order."""
    sql = (
        _SELECT
        + " WHERE s.workspace_id = %s AND s.starts_at >= %s AND (s.starts_at > %s OR s.id > %s)"
        + _ORDER
        + " LIMIT %s"
    )
    return _fetch(sql, [workspace_id, after_start, after_start, after_id, limit])


def create_checked(
    *,
    workspace_id: int,
    client_id: int,
    practitioner_id: int,
    starts_at: dt.datetime,
    duration: int,
    name: str,
) -> list[int]:
    """What a checked create needs at the least: the overlap query, then one INSERT.

    The caller runs it in a transaction it rolls back.
    """
    ends_at = starts_at + dt.timedelta(minutes=duration)
    overlap = (
        "SELECT s.id FROM scheduling_session s WHERE s.workspace_id = %s"
        " AND (s.practitioner_id = %s OR s.client_id = %s) AND s.status <> 'cancelled'"
        " AND s.starts_at < %s AND s.ends_at > %s AND s.starts_at >= %s ORDER BY s.starts_at, s.id"
    )
    found = _fetch(
        overlap, [workspace_id, practitioner_id, client_id, ends_at, starts_at, starts_at - MAX_SPAN]
    )
    now = dt.datetime.now(dt.UTC)
    columns = (
        "workspace_id, created_at, updated_at, name, client_id, practitioner_id, starts_at, ends_at,"
        " duration_minutes, status, pre_fields, during_fields, post_fields, therapy_fields, notes,"
        " admin_notes, version, created_by_id"
    )
    values = [
        workspace_id,
        now,
        now,
        name,
        client_id,
        practitioner_id,
        starts_at,
        ends_at,
        duration,
        "scheduled",
        '{"modality": "online"}',
        "{}",
        "{}",
        "{}",
        "",
        "",
        1,
        practitioner_id,
    ]
    marks = ", ".join(["%s"] * len(values))
    raw = connection.connection
    assert raw is not None
    sql = f"INSERT INTO scheduling_session ({columns}) VALUES ({marks})"  # noqa: S608
    if connection.vendor == "sqlite":
        sql = sql.replace("%s", "?")
    cursor = raw.cursor()
    try:
        cursor.execute(sql, [_param(v) for v in values])
    finally:
        cursor.close()
    return found


def income_by_month(workspace_id: int, edges: list[dt.datetime]) -> list[int]:
    """The payments of a period's sessions, summed by month and status in one GROUP BY (the month by
    the same CASE on the UTC month boundaries the report uses); returns the payments per month."""
    whens = " ".join(f"WHEN s.starts_at < %s THEN {i}" for i in range(len(edges) - 2))
    sql = f"""
        SELECT CASE {whens} ELSE {len(edges) - 2} END AS bucket, p.status, SUM(p.amount), COUNT(*)
        FROM billing_payment p JOIN scheduling_session s ON s.id = p.session_id
        WHERE p.workspace_id = %s AND s.workspace_id = %s AND s.starts_at >= %s AND s.starts_at < %s
        GROUP BY 1, 2
    """  # noqa: S608 (numbers only)
    params: list[Any] = [*edges[1:-1], workspace_id, workspace_id, edges[0], edges[-1]]
    raw = connection.connection
    if raw is None:
        connection.ensure_connection()
        raw = connection.connection
    if connection.vendor == "sqlite":
        sql = sql.replace("%s", "?")
    cursor = raw.cursor()
    try:
        cursor.execute(sql, [_param(p) for p in params])
        counts = [0] * (len(edges) - 1)
        for bucket, _status, _amount, count in cursor.fetchall():
            counts[bucket] += count
        return counts
    finally:
        cursor.close()


def starting_rows(workspace_id: int, start: dt.datetime, end: dt.datetime, practitioner_id: int) -> list[int]:
    """A practitioner's sessions starting in [start, end) (a calendar feed's window)."""
    sql = (
        _SELECT
        + " WHERE s.workspace_id = %s AND s.practitioner_id = %s AND s.starts_at >= %s AND s.starts_at < %s"
        + _ORDER
    )
    return _fetch(sql, [workspace_id, practitioner_id, start, end])
