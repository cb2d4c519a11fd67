"""Puts the bench database's sessions into the peers' models (run with the peers' virtualenv:
`PEERS_DB=… python -m bench.peers.load --source sqlite:var/bench/bench.sqlite3`).

The large workspace (`bench-large`): each practitioner becomes a django-scheduler `Calendar` (slug
`p-<member id>`) and a django-appointment `StaffMember` (a user, Monday to Friday 09:00–18:00 in
`WorkingHours` and an `Unavailability` 12:00–13:00 on each weekday of the data's span, like the
workspace's hours 09:00–12:00 and 13:00–18:00; 30-minute slots like its grid; one 50-minute
`Service`); each session
becomes one `Event` (its start, end and name; every status, like our range) and, unless cancelled,
one `AppointmentRequest` + `Appointment` (local date and times; django-appointment has no status:
a cancelled session does not hold the slot). Ids are the sessions' ids. Rows go in by `executemany`
in batches of 5,000 (no per-row ORM save); the source is read with the DB-API (SQLite opened
read-only; PostgreSQL with psycopg), streamed.

Prints one JSON line: what was loaded and how long it took.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.project.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Model  # noqa: E402

BATCH = 5000


def source_connection(source: str) -> tuple[Any, str]:
    """A DB-API connection to our bench database and its placeholder style."""
    if source.startswith("sqlite:"):
        import sqlite3

        path = source.removeprefix("sqlite:")
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True), "?"
    import psycopg

    return psycopg.connect(source), "%s"


def _parse(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def read_source(source: str, slug: str) -> tuple[dict[str, Any], list[int], Iterator[tuple[Any, ...]]]:
    conn, ph = source_connection(source)
    cur = conn.cursor()
    cur.execute(f"SELECT id, timezone, slot_minutes FROM workspaces_workspace WHERE slug = {ph}", [slug])  # noqa: S608
    row = cur.fetchone()
    if row is None:
        raise SystemExit(f"No workspace {slug!r} in {source}: seed the bench database first.")
    workspace = {"id": row[0], "timezone": row[1], "slot_minutes": row[2]}
    cur.execute(
        "SELECT m.id FROM workspaces_membership m JOIN workspaces_role r ON r.id = m.role_id "  # noqa: S608
        f"WHERE m.workspace_id = {ph} AND r.name = 'Therapist' AND m.is_active ORDER BY m.id",
        [workspace["id"]],
    )
    practitioners = [r[0] for r in cur.fetchall()]
    cur.execute(
        f"SELECT MIN(starts_at), MAX(starts_at) FROM scheduling_session WHERE workspace_id = {ph}",  # noqa: S608
        [workspace["id"]],
    )
    first, last = cur.fetchone()
    workspace["first"], workspace["last"] = _parse(first), _parse(last)

    def sessions() -> Iterator[tuple[Any, ...]]:
        stream = conn.cursor()
        stream.execute(
            "SELECT id, practitioner_id, name, starts_at, ends_at, status FROM scheduling_session "  # noqa: S608
            f"WHERE workspace_id = {ph} ORDER BY id",
            [workspace["id"]],
        )
        while rows := stream.fetchmany(BATCH):
            yield from rows
        conn.close()

    return workspace, practitioners, sessions()


class Inserter:
    """INSERT of every concrete column of `model`: the given ones adapted per row, the others their
    default (prepared once)."""

    def __init__(self, model: type[Model], given: list[str]):
        now = dt.datetime.now(dt.UTC)
        self.fields = {f.attname: f for f in model._meta.concrete_fields}
        self.given = given
        self.constants: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name in given or field.primary_key:  # a primary key not given: the database's
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            elif field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            else:
                value = ""
            self.constants[name] = field.get_db_prep_save(value, connection)
        columns = [self.fields[n].column for n in given] + [self.fields[n].column for n in self.constants]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        self.sql = (
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({quoted}) VALUES ({marks})"  # noqa: S608
        )
        self.tail = list(self.constants.values())
        self.count = 0

    def insert(self, rows: Iterable[tuple[Any, ...]]) -> None:
        prepared = [
            [self.fields[n].get_db_prep_save(v, connection) for n, v in zip(self.given, row, strict=True)]
            + self.tail
            for row in rows
        ]
        if prepared:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, prepared)
            self.count += len(prepared)


def load(source: str, slug: str) -> dict[str, Any]:
    from appointment.models import (
        Appointment,
        AppointmentRequest,
        Config,
        Service,
        StaffMember,
        Unavailability,
        WorkingHours,
    )
    from schedule.models import Calendar, Event

    started = time.monotonic()
    # django-appointment ships no migrations: its tables by syncdb, after the migrated apps (its
    # foreign keys to auth_user need that table first on PostgreSQL).
    call_command("migrate", verbosity=0)
    call_command("migrate", run_syncdb=True, verbosity=0)
    workspace, practitioners, sessions = read_source(source, slug)
    tz = ZoneInfo(workspace["timezone"])
    with transaction.atomic():
        Config.objects.update_or_create(
            defaults={
                "slot_duration": workspace["slot_minutes"],
                "lead_time": dt.time(9),
                "finish_time": dt.time(18),
            }
        )
        service = Service.objects.create(name="Session", duration=dt.timedelta(minutes=50), price=0)
        client = User.objects.create_user(username="client", email="client@example.invalid")
        User.objects.create_superuser(username="owner", email="owner@example.invalid")
        staff_of: dict[int, int] = {}
        for member_id in practitioners:
            user = User.objects.create_user(
                username=f"p-{member_id}", email=f"p-{member_id}@example.invalid", is_staff=True
            )
            staff = StaffMember.objects.create(
                user=user,
                slot_duration=workspace["slot_minutes"],
                lead_time=dt.time(9),
                finish_time=dt.time(18),
                work_on_saturday=False,
                work_on_sunday=False,
            )
            staff.services_offered.add(service)
            WorkingHours.objects.bulk_create(
                WorkingHours(staff_member=staff, day_of_week=d, start_time=dt.time(9), end_time=dt.time(18))
                for d in range(1, 6)  # django-appointment: 0 = Sunday
            )
            staff_of[member_id] = staff.pk
        lunch = Inserter(Unavailability, ["staff_member_id", "date", "start_time", "end_time"])
        day = workspace["first"].astimezone(tz).date()
        last_day = workspace["last"].astimezone(tz).date() + dt.timedelta(days=70)
        while day <= last_day:
            if day.weekday() < 5:
                lunch.insert((pk, day, dt.time(12), dt.time(13)) for pk in staff_of.values())
            day += dt.timedelta(days=1)
        calendar_of = {
            member_id: Calendar.objects.create(name=f"Practitioner {member_id}", slug=f"p-{member_id}").pk
            for member_id in practitioners
        }
        events = Inserter(Event, ["id", "start", "end", "title", "calendar_id"])
        requests = Inserter(
            AppointmentRequest, ["id", "date", "start_time", "end_time", "service_id", "staff_member_id"]
        )
        appointments = Inserter(Appointment, ["id", "client_id", "appointment_request_id"])
        batch: list[tuple[Any, ...]] = []

        def flush() -> None:
            events.insert(
                (sid, _parse(s), _parse(e), name or "Session", calendar_of[pid])
                for sid, pid, name, s, e, _st in batch
                if pid in calendar_of
            )
            kept = [row for row in batch if row[1] in staff_of and row[5] != "cancelled"]
            local = [
                (row[0], row[1], _parse(row[3]).astimezone(tz), _parse(row[4]).astimezone(tz)) for row in kept
            ]
            requests.insert(
                (
                    sid,
                    s.date(),
                    s.time(),
                    e.time() if e.date() == s.date() else dt.time(23, 59),
                    service.pk,
                    staff_of[pid],
                )
                for sid, pid, s, e in local
            )
            appointments.insert((sid, client.pk, sid) for sid, _pid, _s, _e in local)
            batch.clear()

        for row in sessions:
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
        flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Event, AppointmentRequest, Appointment):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "practitioners": len(practitioners),
        "events": events.count,
        "appointments": appointments.count,
        "timezone": workspace["timezone"],
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--source", required=True, help="sqlite:PATH or a postgres:// URL (our bench database)"
    )
    parser.add_argument("--slug", default="bench-large")
    args = parser.parse_args()
    print(json.dumps(load(args.source, args.slug)), flush=True)


if __name__ == "__main__":
    main()
