"""In-process measurements of the six cases against a seeded bench database.

Run with the database chosen by the environment (`SQLITE_PATH` or `DATABASE_URL`):
`python -m bench.measure --reps 200 --out var/bench/results-sqlite.json`.

Each case goes through the real code path: the REST API in-process (Django's test client with a
real bearer token, so authentication, permissions, the selectors, the one serializer with its
redaction and JSON rendering are all in), and its raw-SQL floor fetches the same rows alone. Every
repetition draws fresh random parameters (practitioner, month, week, client, slot); the case and
its floor use the same ones, in alternating order so neither always runs on a warmer cache; the row
counts must agree or the run fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atendo.settings")
django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from atendo.clients.models import Client  # noqa: E402
from atendo.clinical import crypto  # noqa: E402
from atendo.clinical.models import ClientPractitioner  # noqa: E402
from atendo.core.pagination import Keyset  # noqa: E402
from atendo.exports import runner as export_runner  # noqa: E402
from atendo.exports import services as export_services  # noqa: E402
from atendo.exports import storage as export_storage  # noqa: E402
from atendo.exports.models import Export  # noqa: E402
from atendo.feeds import services as feed_services  # noqa: E402
from atendo.reminders import sending  # noqa: E402
from atendo.scheduling.models import Session  # noqa: E402
from atendo.workspaces.models import Membership, Workspace  # noqa: E402
from atendo.workspaces.tokens import api_token_create  # noqa: E402
from bench import floors  # noqa: E402

LARGE_SLUG = "bench-large"
PAGE = 50
HISTORY_PAGE = 200  # the API's largest page: a client's whole history in one request


@dataclass
class Context:
    workspace: Workspace
    owner: Membership
    practitioners: list[Membership]
    clients_by_practitioner: dict[int, list[int]]
    client_ids: list[int]
    first_day: dt.date
    last_day: dt.date
    min_id: int
    max_id: int
    http: dict[int, HttpClient]  # member id -> client carrying that member's bearer token
    feeds: dict[int, str]  # practitioner's member id -> the path of their private calendar feed
    anonymous: HttpClient
    heavy: tuple[int, list[tuple[int, dt.datetime]]] | None = None
    export_bytes: int = 0

    def url(self, path: str) -> str:
        return f"/api/v1/workspaces/{self.workspace.slug}/{path}"


def build_context(rng: random.Random) -> Context:
    workspace = Workspace.objects.get(slug=LARGE_SLUG)
    members = list(
        Membership.objects.filter(workspace=workspace, is_active=True).select_related(
            "role", "user", "workspace"
        )
    )
    owner = next(m for m in members if m.role.is_owner)
    practitioners = [m for m in members if m.role.name == "Therapist"]
    by_practitioner: dict[int, list[int]] = {p.pk: [] for p in practitioners}
    for client_id, member_id in ClientPractitioner.objects.filter(workspace=workspace).values_list(
        "client_id", "member_id"
    ):
        if member_id in by_practitioner:
            by_practitioner[member_id].append(client_id)
    sessions = Session.objects.filter(workspace=workspace)
    first = sessions.order_by("starts_at").values_list("starts_at", flat=True).first()
    last = sessions.order_by("-starts_at").values_list("starts_at", flat=True).first()
    if first is None or last is None:
        sys.exit("The bench workspace has no sessions: run seed_bench first.")
    tz = workspace.tz
    ids = Session.objects.filter(workspace=workspace).order_by("id").values_list("id", flat=True)
    # One request handler for every client, as one gunicorn worker has: each test Client builds its
    # own and loads the middleware on its first request (WhiteNoise then scans the static files,
    # ~100 ms), which the first request of each of the 51 members paid inside its timing.
    anonymous = HttpClient()
    http = {}
    for member in [owner, *practitioners]:
        _token, raw = api_token_create(member=member, name="bench")
        http[member.pk] = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
        http[member.pk].handler = anonymous.handler
    feeds = {}
    for member in practitioners:
        _feed, feed_url = feed_services.feed_create(member=member)
        feeds[member.pk] = urlsplit(feed_url).path
    return Context(
        feeds=feeds,
        anonymous=anonymous,
        workspace=workspace,
        owner=owner,
        practitioners=practitioners,
        clients_by_practitioner=by_practitioner,
        client_ids=list(Client.objects.filter(workspace=workspace).values_list("id", flat=True)),
        first_day=first.astimezone(tz).date(),
        last_day=last.astimezone(tz).date(),
        min_id=ids.first() or 0,
        max_id=ids.last() or 0,
        http=http,
    )


# --- helpers ---------------------------------------------------------------------------------


def local_midnight(ctx: Context, day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=ctx.workspace.tz)


def random_day(ctx: Context, rng: random.Random, margin_days: int = 0) -> dt.date:
    span = (ctx.last_day - ctx.first_day).days - margin_days
    return ctx.first_day + dt.timedelta(days=rng.randrange(max(1, span)))


def get_json(client: HttpClient, url: str, params: dict[str, Any]) -> dict[str, Any]:
    response = client.get(url, params)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} {params} -> {response.status_code}: {response.content[:300]!r}")
    return json.loads(response.content)


def get_all_pages(client: HttpClient, url: str, params: dict[str, Any]) -> list[int]:
    """The ids of every item of a (possibly cursor-paginated) list; the calendar needs them all."""
    ids: list[int] = []
    cursor = None
    while True:
        body = get_json(client, url, {**params, **({"cursor": cursor} if cursor else {})})
        ids += [item["id"] for item in body["items"]]
        cursor = body.get("next_cursor")
        if not cursor:
            return ids


# --- the cases -------------------------------------------------------------------------------
# Each case: params(ctx, rng) -> dict; run(ctx, params) -> ids; floor(ctx, params) -> ids (the same).


def month_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    day = random_day(ctx, rng, margin_days=31)
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return {"member": rng.choice(ctx.practitioners), "first": first, "next": nxt}


def month_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    member = p["member"]
    return get_all_pages(
        ctx.http[member.pk],
        ctx.url("sessions"),
        {"start": p["first"].isoformat(), "end": p["next"].isoformat(), "practitioner_id": member.pk},
    )


def month_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    return floors.range_rows(
        ctx.workspace.pk,
        local_midnight(ctx, p["first"]),
        local_midnight(ctx, p["next"]),
        practitioner_id=p["member"].pk,
    )


def week_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    day = random_day(ctx, rng, margin_days=7)
    monday = day - dt.timedelta(days=day.weekday())
    return {"first": monday, "next": monday + dt.timedelta(days=7)}


def week_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    return get_all_pages(
        ctx.http[ctx.owner.pk],
        ctx.url("sessions"),
        {"start": p["first"].isoformat(), "end": p["next"].isoformat()},
    )


def week_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    return floors.range_rows(
        ctx.workspace.pk, local_midnight(ctx, p["first"]), local_midnight(ctx, p["next"])
    )


def filtered_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    first = random_day(ctx, rng, margin_days=90)
    return {
        "client_id": rng.choice(ctx.client_ids),
        "first": first,
        "next": first + dt.timedelta(days=90),
        "status": "completed",
        "modality": rng.choice(["online", "in_person"]),
    }


def filtered_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    return get_all_pages(
        ctx.http[ctx.owner.pk],
        ctx.url("sessions"),
        {
            "start": p["first"].isoformat(),
            "end": p["next"].isoformat(),
            "client_id": p["client_id"],
            "status": p["status"],
            "field.modality": p["modality"],
        },
    )


def filtered_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    return floors.range_rows(
        ctx.workspace.pk,
        local_midnight(ctx, p["first"]),
        local_midnight(ctx, p["next"]),
        client_id=p["client_id"],
        status=p["status"],
        pre_field=("modality", p["modality"]),
    )


def create_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    member = rng.choice(ctx.practitioners)
    own = ctx.clients_by_practitioner.get(member.pk) or ctx.client_ids
    day = random_day(ctx, rng)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    local = dt.datetime(day.year, day.month, day.day, rng.choice([9, 10, 11, 14, 15, 16]), 0)
    return {"member": member, "client_id": rng.choice(own), "local": local, "duration": 50}


def create_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    body = {
        "name": "Bench session",
        "client_id": p["client_id"],
        "starts_at": p["local"].isoformat(timespec="minutes"),
        "duration_minutes": p["duration"],
        "fields": {"pre": {"modality": "online"}},
    }
    with transaction.atomic():
        response = ctx.http[p["member"].pk].post(ctx.url("sessions"), body, content_type="application/json")
        transaction.set_rollback(True)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"POST sessions -> {response.status_code}: {response.content[:300]!r}")
    return [1]


def create_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    with transaction.atomic():
        floors.create_checked(
            workspace_id=ctx.workspace.pk,
            client_id=p["client_id"],
            practitioner_id=p["member"].pk,
            starts_at=p["local"].replace(tzinfo=ctx.workspace.tz),
            duration=p["duration"],
            name="Bench session",
        )
        transaction.set_rollback(True)
    return [1]


def history_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    return {"client_id": rng.choice(ctx.client_ids)}


def history_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    return get_all_pages(
        ctx.http[ctx.owner.pk], ctx.url(f"clients/{p['client_id']}/sessions"), {"limit": HISTORY_PAGE}
    )


def history_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    return floors.client_rows(ctx.workspace.pk, p["client_id"])


def deep_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """A position deep in the list: a random session of the first half of the list (so a full page
    follows), reached by the cursor the list itself hands out."""
    while True:
        pk = rng.randrange(ctx.min_id, ctx.min_id + (ctx.max_id - ctx.min_id) // 2 + 1)
        row = Session.objects.filter(workspace=ctx.workspace, pk=pk).values_list("starts_at", "id").first()
        if row is not None:
            return {"starts_at": row[0], "id": row[1], "cursor": Keyset("starts_at").encode(row[0], row[1])}


def deep_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    body = get_json(
        ctx.http[ctx.owner.pk],
        ctx.url("sessions"),
        {"cursor": p["cursor"], "limit": PAGE, "sort": "starts_at"},
    )
    return [item["id"] for item in body["items"]]


def deep_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    return floors.page_rows(ctx.workspace.pk, p["starts_at"], p["id"], PAGE)


def income_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """A calendar year of the data set (a full one when the data covers one), by month."""
    years = list(range(ctx.first_day.year, ctx.last_day.year + 1))
    full = [y for y in years if dt.date(y, 1, 1) >= ctx.first_day and dt.date(y, 12, 31) <= ctx.last_day]
    year = rng.choice(full or years)
    return {"start": dt.date(year, 1, 1), "end": dt.date(year + 1, 1, 1)}


def income_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    body = get_json(
        ctx.http[ctx.owner.pk],
        ctx.url("reports/income"),
        {"start": p["start"].isoformat(), "end": p["end"].isoformat(), "group_by": "month"},
    )
    return [row["count"] for row in body["rows"]]


def income_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    months = [dt.date(p["start"].year, m, 1) for m in range(1, 13)]
    edges = [local_midnight(ctx, d) for d in [*months, p["end"]]]
    return floors.income_by_month(ctx.workspace.pk, edges)


# Encryption at rest (clinical.crypto): a week of the whole workspace's clinical content read straight
# off the cursor, then every sealed value opened (AES-256-GCM, the data key unwrapped once per
# process) -- against the floor: the same rows and JSON decoded, nothing opened. Their difference is
# what encryption adds to a week view of a reader (the API case week_workspace pays it inside).
_SEALED_WEEK_SQL = (
    "SELECT id, workspace_id, notes, pre_fields, during_fields, post_fields, therapy_fields"
    " FROM scheduling_session WHERE workspace_id = %s AND starts_at >= %s AND starts_at < %s"
    " ORDER BY starts_at, id"
)


def _sealed_week_rows(ctx: Context, p: dict[str, Any]) -> list[tuple[Any, ...]]:
    start, end = local_midnight(ctx, p["first"]), local_midnight(ctx, p["next"])
    with connection.cursor() as cursor:
        cursor.execute(_SEALED_WEEK_SQL, [ctx.workspace.pk, floors._param(start), floors._param(end)])
        rows = cursor.fetchall()
    return [
        (row[0], row[1], row[2], *(json.loads(v) if isinstance(v, str) else (v or {}) for v in row[3:]))
        for row in rows
    ]


def unseal_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    ids = []
    for pk, workspace_id, notes, pre, during, post, therapy in _sealed_week_rows(ctx, p):
        crypto.open_text(workspace_id, crypto.SESSION_NOTES, pk, notes)
        for phase, values in (("pre", pre), ("during", during), ("post", post)):
            crypto.open_values(workspace_id, crypto.SESSION_PHASES[phase], pk, values)
        crypto.open_values(workspace_id, crypto.SESSION_THERAPY_FIELDS, pk, therapy)
        ids.append(pk)
    return ids


def unseal_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    return [row[0] for row in _sealed_week_rows(ctx, p)]


# --- the endpoints of the later features (issue 17's list) -----------------------------------------
# Composite answers (a day with its to-do lists, a report, slots, insights) have no single raw query
# that returns "the same rows": their floor is None and the report says "no floor".


def _heavy(ctx: Context) -> tuple[int, list[tuple[int, dt.datetime]]]:
    """The large workspace's client with the longest history (seed_bench makes one of 600 sessions)
    and its sessions (id, starts_at) in order; computed once."""
    if ctx.heavy is None:
        row = (
            Session.objects.filter(workspace=ctx.workspace)
            .values("client_id")
            .annotate(n=Count("id"))
            .order_by("-n", "client_id")
            .first()
        )
        assert row is not None
        sessions = list(
            Session.objects.filter(workspace=ctx.workspace, client_id=row["client_id"])
            .order_by("starts_at", "id")
            .values_list("id", "starts_at")
        )
        ctx.heavy = (row["client_id"], sessions)
    return ctx.heavy


def today_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    day = random_day(ctx, rng, margin_days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return {"member": rng.choice(ctx.practitioners), "day": day}


def today_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    body = get_json(ctx.http[p["member"].pk], ctx.url("today"), {"date": p["day"].isoformat()})
    return [item["id"] for item in body["sessions"]]


def today_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    return floors.range_rows(
        ctx.workspace.pk,
        local_midnight(ctx, p["day"]),
        local_midnight(ctx, p["day"] + dt.timedelta(days=1)),
        practitioner_id=p["member"].pk,
    )


def attendance_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    body = get_json(
        ctx.http[ctx.owner.pk],
        ctx.url("reports/attendance"),
        {"start": p["start"].isoformat(), "end": p["end"].isoformat(), "group_by": "month"},
    )
    return [1] * len(body.get("rows", []))


def availability_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """A future week (free slots are only offered ahead), Monday to Monday."""
    today = dt.datetime.now(ctx.workspace.tz).date()
    span = max(7, (ctx.last_day - today).days - 7)
    day = today + dt.timedelta(days=rng.randrange(1, span))
    monday = day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=7)
    return {"first": monday, "next": monday + dt.timedelta(days=7)}


def availability_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    """The free 50-minute slots of every practitioner for the week: one request each (the booking
    screen of a whole practice)."""
    slots: list[int] = []
    client = ctx.http[ctx.owner.pk]
    for member in ctx.practitioners:
        body = get_json(
            client,
            ctx.url("availability"),
            {
                "practitioner_id": member.pk,
                "duration": 50,
                "start": p["first"].isoformat(),
                "end": p["next"].isoformat(),
            },
        )
        slots += [member.pk] * len(body["items"])
    return slots


def booking_slots_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """A day of the coming weeks on the public booking page, online booking on in the large
    workspace (one 50-minute service, every practitioner bookable, no notice); the booking
    throttle's counters (in the cache) emptied, as each client has their own address."""
    from atendo.booking.models import BookingSettings
    from atendo.therapies.models import TherapyType

    service, _created = TherapyType.objects.get_or_create(
        workspace=ctx.workspace, name="Bench booking", defaults={"default_duration_minutes": 50}
    )
    BookingSettings.objects.update_or_create(
        workspace=ctx.workspace,
        defaults={
            "enabled": True,
            "therapy_type_ids": [service.pk],
            "practitioner_ids": [m.pk for m in ctx.practitioners],
            "lead_minutes": 0,
            "horizon_days": 60,
        },
    )
    cache.clear()
    today = dt.datetime.now(ctx.workspace.tz).date()
    return {"service": service.pk, "day": today + dt.timedelta(days=rng.randrange(1, 57))}


def booking_slots_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    """`GET /api/v1/public/{slug}/slots?date=` for anyone: one day, all practitioners (no log-in)."""
    body = get_json(
        ctx.anonymous,
        f"/api/v1/public/{ctx.workspace.slug}/slots",
        {"therapy_type_id": p["service"], "date": p["day"].isoformat()},
    )
    return [len(item["practitioner_ids"]) for item in body["items"]]


def booking_slots_week_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    """The same for a week (`date` and `end` six days later): what the page asks to fill its days."""
    body = get_json(
        ctx.anonymous,
        f"/api/v1/public/{ctx.workspace.slug}/slots",
        {
            "therapy_type_id": p["service"],
            "date": p["day"].isoformat(),
            "end": (p["day"] + dt.timedelta(days=6)).isoformat(),
        },
    )
    return [len(item["practitioner_ids"]) for item in body["items"]]


def feed_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """A practitioner's feed built afresh: the feeds' body cache emptied first."""
    cache.clear()
    return {"member": rng.choice(ctx.practitioners)}


def feed_cached_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """The same feed polled again unchanged (a calendar app's next poll without If-None-Match): read
    once before the timed request, so the timed one finds its body in the cache."""
    p = {"member": rng.choice(ctx.practitioners)}
    feed_run(ctx, p)
    return p


def feed_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    """The practitioner's private .ics feed (90 days back, 400 ahead: over a year of sessions)."""
    response = ctx.anonymous.get(ctx.feeds[p["member"].pk])
    if response.status_code != 200:
        raise RuntimeError(f"feed -> {response.status_code}: {response.content[:300]!r}")
    return [1] * response.content.count(b"BEGIN:VEVENT")


def feed_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    now = dt.datetime.now(dt.UTC)
    return [1] * len(
        floors.starting_rows(
            ctx.workspace.pk, now - feed_services.PAST, now + feed_services.FUTURE, p["member"].pk
        )
    )


def insights_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """200 consecutive sessions of the long-history client (the period from the first to the last),
    the cache emptied first so the engine runs (a cached answer is a dictionary lookup)."""
    client_id, sessions = _heavy(ctx)
    first = rng.randrange(0, max(1, len(sessions) - 200))
    window = sessions[first : first + 200]
    cache.clear()
    tz = ctx.workspace.tz
    return {
        "client_id": client_id,
        "start": window[0][1].astimezone(tz).date(),
        "end": window[-1][1].astimezone(tz).date(),
    }


def insights_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    body = get_json(
        ctx.http[ctx.owner.pk],
        ctx.url(f"clients/{p['client_id']}/insights"),
        {"start": p["start"].isoformat(), "end": p["end"].isoformat()},
    )
    return [1] * len(body.get("summary", []) or [])


def briefing_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """A session of the long-history client with at least 200 sessions before it; cache emptied."""
    _client_id, sessions = _heavy(ctx)
    index = rng.randrange(min(200, len(sessions) - 1), len(sessions))
    cache.clear()
    return {"session_id": sessions[index][0]}


def briefing_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    body = get_json(ctx.http[ctx.owner.pk], ctx.url(f"sessions/{p['session_id']}/briefing"), {})
    return [1] * len(body.get("previous", []) or [])


SEARCH_QUERIES = ("sleep", "diary", "breathing exercises", "hydration walk", "relaxed", "lower back")


def search_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    return {"q": rng.choice(SEARCH_QUERIES)}


def search_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    """The first page (newest first, with snippets) of an owner's search over the whole practice."""
    body = get_json(ctx.http[ctx.owner.pk], ctx.url("search"), {"q": p["q"]})
    if not body["items"]:
        raise RuntimeError(f"search {p['q']!r} found nothing: was the index built (reindex_search)?")
    return [1] * len(body["items"])


def reminders_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """A moment on a future weekday during business hours, when reminders fall due."""
    today = dt.datetime.now(ctx.workspace.tz).date()
    day = today + dt.timedelta(days=rng.randrange(2, max(3, (ctx.last_day - today).days - 2)))
    while day.weekday() >= 4:
        day += dt.timedelta(days=1)
    local = dt.datetime(day.year, day.month, day.day, rng.randrange(8, 19), rng.choice([0, 30]))
    return {"now": local.replace(tzinfo=ctx.workspace.tz)}


def reminders_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    """One scan of the scheduler over the large workspace (reminders on, e-mail, 24 h and 2 h): the
    due reminders' rows written, then rolled back. rows = reminders due; per reminder = p50 / rows."""
    rs = sending.settings_of(ctx.workspace)
    rs.enabled = True
    rs.channels = ["email"]
    rs.offsets_minutes = [1440, 120]
    with transaction.atomic():
        made = sending.plan_workspace(rs, p["now"])
        transaction.set_rollback(True)
    return [1] * made


def export_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    return {"client_id": _heavy(ctx)[0]}


def export_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    """A client export (JSON: the whole record the owner may read) of the long-history client, asked
    for and built by the export runner as the worker does; the file and the row are deleted after."""
    with transaction.atomic():
        export = export_services.export_request(
            member=ctx.owner, kind="client", format="json", client_id=p["client_id"]
        )
    outcome = export_runner.run(export.pk)
    export.refresh_from_db()
    if outcome != "ready":
        raise RuntimeError(f"export -> {outcome}: {export.error_code} {export.error_message}")
    ctx.export_bytes = export.size or 0
    export_storage.delete(export.storage_name)
    Export.objects.filter(pk=export.pk).delete()
    return [1] * len(_heavy(ctx)[1])


def export_memory(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """One more export under tracemalloc: the peak of Python memory it allocates."""
    tracemalloc.start()
    try:
        export_run(ctx, export_params(ctx, rng))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "peak_alloc_mb": round(peak / 1024 / 1024, 1),
        "file_mb": round(ctx.export_bytes / 1024 / 1024, 2),
    }


# --- the calendar (issue 17): the lean endpoint, month and week of everyone ------------------------

CALENDAR_PER_DAY = 5  # what a day of the month grid shows (calendar.js, MONTH_DAY_EVENTS)


def month_grid_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    """The month grid FullCalendar asks for: six weeks from the Monday on or before the 1st."""
    first = random_day(ctx, rng, margin_days=42).replace(day=1)
    monday = first - dt.timedelta(days=first.weekday())
    return {"first": monday, "next": monday + dt.timedelta(days=42)}


def _range_query(p: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"start": p["first"].isoformat(), "end": p["next"].isoformat(), **extra}


def calendar_month_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    """The owner's month grid of everyone: five events a day and the count of the rest. rows = the
    sessions it accounts for (events + "+N more"), which must be the range's."""
    body = get_json(ctx.http[ctx.owner.pk], ctx.url("calendar"), _range_query(p, per_day=CALENDAR_PER_DAY))
    return [1] * (len(body["events"]) + sum(m["more"] for m in body["more"]))


def calendar_month_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    return [1] * len(week_floor(ctx, p))


def calendar_week_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    """The owner's week of everyone: every event, lean."""
    body = get_json(ctx.http[ctx.owner.pk], ctx.url("calendar"), _range_query(p))
    return [event["id"] for event in body["events"]]


def _sizes(ctx: Context, path: str, query: dict[str, Any]) -> dict[str, Any]:
    """Bytes of one answer, as sent and as gzip would send it, and its time in-process."""
    client = ctx.http[ctx.owner.pk]
    started = time.perf_counter()
    plain = client.get(ctx.url(path), query)
    elapsed = (time.perf_counter() - started) * 1000
    zipped = client.get(ctx.url(path), query, HTTP_ACCEPT_ENCODING="gzip")
    compressed = zipped.get("Content-Encoding") == "gzip"
    return {
        "bytes": len(plain.content),
        "gzip_bytes": len(zipped.content) if compressed else len(gzip.compress(plain.content)),
        "gzip_served": compressed,
        "ms": round(elapsed, 1),
    }


def calendar_sizes(per_day: int | None, make_params: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    """The calendar's answer against what the calendar read before (`GET sessions` of the range,
    whole sessions; its gzip size is what compressing it alone would have given)."""

    def extra(ctx: Context, rng: random.Random) -> dict[str, Any]:
        p = make_params(ctx, rng)
        lean = _sizes(ctx, "calendar", _range_query(p, **({"per_day": per_day} if per_day else {})))
        full = _sizes(ctx, "sessions", _range_query(p))
        return {
            "bytes": lean["bytes"],
            "gzip_bytes": lean["gzip_bytes"],
            "before_bytes": full["bytes"],
            "before_gzip_bytes": full["gzip_bytes"],
            "before_ms": full["ms"],
        }

    return extra


def write_browser_plan(ctx: Context, rng: random.Random, path: str) -> None:
    """The owner's e-mail, the bench password, and the month page `bench.browser` opens: the month
    grid of everyone of a month in the middle of the data."""
    from atendo.scheduling.management.commands.seed_bench import BENCH_PASSWORD

    middle = ctx.first_day + (ctx.last_day - ctx.first_day) / 2
    page = f"/w/{ctx.workspace.slug}/sessions/?view=month&date={middle.replace(day=15).isoformat()}"
    plan = {"email": ctx.owner.user.email, "password": BENCH_PASSWORD, "path": page}
    with open(path, "w") as fh:
        json.dump(plan, fh)


EXTRAS = {
    "client_export_500": export_memory,
    "calendar_month_all": calendar_sizes(CALENDAR_PER_DAY, month_grid_params),
    "calendar_week_all": calendar_sizes(None, week_params),
}

# Composite cases that take a second or more on a shared 2-core machine get fewer repetitions (the
# result's `reps` says how many), so that the whole `make bench` stays within about half an hour.
MAX_REPS = {
    "availability_week_all": 40,
    "feed_year": 40,
    "feed_year_cached": 60,
    "insights_200": 60,
    "briefing_200": 60,
    "client_export_500": 20,
}


CASES: dict[str, tuple[Callable[..., Any], Callable[..., list[int]], Callable[..., list[int]] | None]] = {
    "month_practitioner": (month_params, month_run, month_floor),
    "week_workspace": (week_params, week_run, week_floor),
    "filtered_range": (filtered_params, filtered_run, filtered_floor),
    "create_checked": (create_params, create_run, create_floor),
    "client_history": (history_params, history_run, history_floor),
    "deep_page": (deep_params, deep_run, deep_floor),
    "income_year_by_month": (income_params, income_run, income_floor),
    "unseal_week": (week_params, unseal_run, unseal_floor),
    "today_home": (today_params, today_run, today_floor),
    "attendance_year": (income_params, attendance_run, None),
    "availability_week_all": (availability_params, availability_run, None),
    "booking_slots_day": (booking_slots_params, booking_slots_run, None),
    "booking_slots_week": (booking_slots_params, booking_slots_week_run, None),
    "feed_year": (feed_params, feed_run, feed_floor),
    "feed_year_cached": (feed_cached_params, feed_run, feed_floor),
    "insights_200": (insights_params, insights_run, None),
    "briefing_200": (briefing_params, briefing_run, None),
    "notes_search": (search_params, search_run, None),
    "reminders_scan": (reminders_params, reminders_run, None),
    "client_export_500": (export_params, export_run, None),
    "calendar_month_all": (month_grid_params, calendar_month_run, calendar_month_floor),
    "calendar_week_all": (week_params, calendar_week_run, week_floor),
}


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def measure_case(ctx: Context, name: str, rng: random.Random, reps: int, warmup: int) -> dict[str, Any]:
    make_params, run, floor = CASES[name]
    reps = min(reps, MAX_REPS.get(name, reps))
    warmup = min(warmup, max(2, reps // 10))
    times: list[float] = []
    cpu_times: list[float] = []  # CPU of this process alone: steadier than wall time on a busy machine
    floor_times: list[float] = []
    rows: list[int] = []
    with CaptureQueriesContext(connection) as queries:
        run(ctx, make_params(ctx, rng))
    query_count = len(queries.captured_queries)
    for i in range(warmup + reps):
        params = make_params(ctx, rng)
        order = [(run, times), (floor, floor_times)] if floor is not None else [(run, times)]
        if i % 2:
            order.reverse()
        counts: list[list[int]] = []
        for fn, bucket in order:
            cpu_started = time.process_time()
            started = time.perf_counter()
            counts.append(fn(ctx, params))
            elapsed = (time.perf_counter() - started) * 1000
            if i >= warmup:
                bucket.append(elapsed)
                if fn is run:
                    cpu_times.append((time.process_time() - cpu_started) * 1000)
        if floor is not None and counts[0] != counts[1]:  # the same rows, in the same order
            raise RuntimeError(
                f"{name}: the case and its floor returned different rows "
                f"({len(counts[0])} vs {len(counts[1])}; {params})"
            )
        if i >= warmup:
            rows.append(len(counts[0]))
    load = os.getloadavg()[0]
    result: dict[str, Any] = {
        "case": name,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(p95(times), 2),
        "floor_p50_ms": round(statistics.median(floor_times), 2) if floor_times else None,
        "floor_p95_ms": round(p95(floor_times), 2) if floor_times else None,
        "rows_median": statistics.median(rows),
        "queries": query_count,
        "reps": reps,
        "cpu_p50_ms": round(statistics.median(cpu_times), 2),
        "cpu_p95_ms": round(p95(cpu_times), 2),
        "load_avg": round(load, 2),
    }
    if name in EXTRAS:
        result.update(EXTRAS[name](ctx, rng))
    result["ratio"] = round(result["p95_ms"] / result["floor_p95_ms"], 2) if result["floor_p95_ms"] else None
    return result


def write_http_plan(ctx: Context, rng: random.Random, path: str, count: int = 500) -> None:
    """First line: an owner's bearer token; then `count` month views of random practitioners."""
    _token, raw = api_token_create(member=ctx.owner, name="bench-http")
    lines = [raw]
    for _ in range(count):
        p = month_params(ctx, rng)
        lines.append(
            ctx.url("sessions")
            + f"?start={p['first'].isoformat()}&end={p['next'].isoformat()}&practitioner_id={p['member'].pk}"
        )
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help="Comma-separated case names or prefixes (e.g. calendar: every calendar_* case).",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    parser.add_argument("--http-plan", help="Also write the load generator's plan (token, paths) here.")
    parser.add_argument("--browser-plan", help="Also write bench.browser's plan (log-in, page) here.")
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 (reproducible parameters, not secrets)
    ctx = build_context(rng)
    if args.http_plan:
        write_http_plan(ctx, rng, args.http_plan)
    if args.browser_plan:
        write_browser_plan(ctx, rng, args.browser_plan)
    chosen = [c for c in args.cases.split(",") if c]
    names = [n for n in CASES if any(n == c or n.startswith(f"{c}_") for c in chosen)]
    unknown = [c for c in chosen if not any(n == c or n.startswith(f"{c}_") for n in CASES)]
    if unknown:
        sys.exit(f"Unknown cases: {', '.join(unknown)} (known: {', '.join(CASES)})")
    results = []
    for name in names:
        started = time.monotonic()
        result = measure_case(ctx, name, rng, args.reps, args.warmup)
        result["database"] = connection.vendor if connection.vendor == "sqlite" else "postgresql"
        results.append(result)
        print(
            f"  {result['database']:<10} {name:<20} p50 {result['p50_ms']:>8.2f} ms"
            f"  p95 {result['p95_ms']:>8.2f} ms  floor p95 {result['floor_p95_ms']} ms"
            f"  ratio {result['ratio']}  rows~{result['rows_median']}"
            f"  queries {result['queries']}  cpu p50 {result['cpu_p50_ms']} ms  load {result['load_avg']}"
            f"  ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
        # Written after every case, so a run stopped part-way keeps what it measured.
        with open(args.out, "w") as fh:
            json.dump({"database": result["database"], "results": results}, fh, indent=2)
    if not results:
        with open(args.out, "w") as fh:
            json.dump({"database": None, "results": results}, fh, indent=2)


if __name__ == "__main__":
    main()
