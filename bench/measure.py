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
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atendo.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from atendo.accounts.services import api_token_create  # noqa: E402
from atendo.clients.models import Client, ClientPractitioner  # noqa: E402
from atendo.scheduling.models import Session  # noqa: E402
from atendo.workspaces.models import Membership, Workspace  # noqa: E402
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
    http = {}
    for member in [owner, *practitioners]:
        _token, raw = api_token_create(member=member, name="bench")
        http[member.pk] = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return Context(
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
    from atendo.scheduling.selectors import _encode_cursor

    while True:
        pk = rng.randrange(ctx.min_id, ctx.min_id + (ctx.max_id - ctx.min_id) // 2 + 1)
        row = Session.objects.filter(workspace=ctx.workspace, pk=pk).values_list("starts_at", "id").first()
        if row is not None:
            return {"starts_at": row[0], "id": row[1], "cursor": _encode_cursor(row[0], row[1])}


def deep_run(ctx: Context, p: dict[str, Any]) -> list[int]:
    body = get_json(
        ctx.http[ctx.owner.pk],
        ctx.url("sessions"),
        {"cursor": p["cursor"], "limit": PAGE, "sort": "starts_at"},
    )
    return [item["id"] for item in body["items"]]


def deep_floor(ctx: Context, p: dict[str, Any]) -> list[int]:
    return floors.page_rows(ctx.workspace.pk, p["starts_at"], p["id"], PAGE)


CASES: dict[str, tuple[Callable[..., Any], Callable[..., list[int]], Callable[..., list[int]]]] = {
    "month_practitioner": (month_params, month_run, month_floor),
    "week_workspace": (week_params, week_run, week_floor),
    "filtered_range": (filtered_params, filtered_run, filtered_floor),
    "create_checked": (create_params, create_run, create_floor),
    "client_history": (history_params, history_run, history_floor),
    "deep_page": (deep_params, deep_run, deep_floor),
}


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def measure_case(ctx: Context, name: str, rng: random.Random, reps: int, warmup: int) -> dict[str, Any]:
    make_params, run, floor = CASES[name]
    times: list[float] = []
    cpu_times: list[float] = []  # CPU of this process alone: steadier than wall time on a busy machine
    floor_times: list[float] = []
    rows: list[int] = []
    with CaptureQueriesContext(connection) as queries:
        run(ctx, make_params(ctx, rng))
    query_count = len(queries.captured_queries)
    for i in range(warmup + reps):
        params = make_params(ctx, rng)
        order = [(run, times), (floor, floor_times)]
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
        if counts[0] != counts[1]:  # the same rows, in the same order
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
        "floor_p50_ms": round(statistics.median(floor_times), 2),
        "floor_p95_ms": round(p95(floor_times), 2),
        "rows_median": statistics.median(rows),
        "queries": query_count,
        "reps": reps,
        "cpu_p50_ms": round(statistics.median(cpu_times), 2),
        "cpu_p95_ms": round(p95(cpu_times), 2),
        "load_avg": round(load, 2),
    }
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
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    parser.add_argument("--http-plan", help="Also write the load generator's plan (token, paths) here.")
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 (reproducible parameters, not secrets)
    ctx = build_context(rng)
    if args.http_plan:
        write_http_plan(ctx, rng, args.http_plan)
    results = []
    for name in args.cases.split(","):
        started = time.monotonic()
        result = measure_case(ctx, name, rng, args.reps, args.warmup)
        result["database"] = connection.vendor if connection.vendor == "sqlite" else "postgresql"
        results.append(result)
        print(
            f"  {result['database']:<10} {name:<20} p50 {result['p50_ms']:>8.2f} ms"
            f"  p95 {result['p95_ms']:>8.2f} ms  floor p95 {result['floor_p95_ms']:>7.2f} ms"
            f"  ratio {result['ratio']}  rows~{result['rows_median']}"
            f"  queries {result['queries']}  cpu p50 {result['cpu_p50_ms']} ms  load {result['load_avg']}"
            f"  ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    with open(args.out, "w") as fh:
        json.dump({"database": results[0]["database"] if results else None, "results": results}, fh, indent=2)


if __name__ == "__main__":
    main()
