"""Writes docs/benchmarks.md (tables with the machine, the date, every figure, ratio and target)
and docs/benchmarks.json in the issue's exact shape:
`{"date", "machine", "sessions", "results": [{"database", "case", "p50_ms", "p95_ms",
"floor_p95_ms", "ratio"}], "http": {"requests_per_s", "p95_ms", "errors"}, "peak_rss_mb"}`, plus
`"browser": [{"database", "case", "first_event_p50_ms", "first_event_max_ms", "api_bytes", …}]`
(the calendar page timed in Chromium, `bench.browser`), on the calendar cases' results, their
answer's `bytes` and `gzip_bytes`, and (issue 17) `"cases"` (the cases added after the first six:
label, p50/p95, target and verdict), `"peers"` (django-scheduler and django-appointment on the
same sessions in the same run, `bench.peers`: each case's p50/p95/queries and the ratio peer p50 /
our p50) and `"calibration"` (the fixed CPU loop and the load averages at the start and end of each
database's run).

The analysis of the misses (why, and what would close them) is hand-written after looking at the
profiles; it lives in bench/analysis.md and is copied in under the generated tables.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CASE_LABELS = {
    "month_practitioner": "month view of one practitioner (range + JSON)",
    "week_workspace": "week view of the whole large workspace",
    "filtered_range": "90-day range filtered by client, status and a custom field",
    "create_checked": "create a session with working-hours and overlap checks",
    "client_history": "a client's full history",
    "deep_page": "cursor page deep into the list (50 rows)",
    "income_year_by_month": "income report: a year of payments by month (GROUP BY, workspace months)",
    "unseal_week": "encryption at rest: open a week's sealed notes and values (floor: not opened)",
    "today_home": "today/home: a practitioner's day with its to-do lists (floor: the day's sessions)",
    "attendance_year": "attendance report over a year by month (no floor: composite)",
    "availability_week_all": "free 50-min slots for a week of all 50 practitioners, one request each "
    "(no floor)",
    "booking_slots_day": "online booking's public slots of one day for anyone (all 50 practitioners "
    "bookable), a day of the coming 8 weeks each time (no floor)",
    "booking_slots_week": "online booking's public slots of a week for anyone (all 50 practitioners "
    "bookable), a week starting in the coming 8 weeks each time (no floor)",
    "feed_year": "a practitioner's private calendar feed (.ics, 90 days back + 400 ahead), built afresh "
    "(the body cache emptied; floor: the same sessions)",
    "feed_year_cached": "the same feed polled again unchanged: its version checked, its body from the "
    "cache (floor: the same sessions)",
    "insights_200": "insights (summary, themes, trends) over 200 sessions of one client, cache cold "
    "(no floor)",
    "briefing_200": "pre-session briefing of a client with ≥200 earlier sessions, cache cold (no floor)",
    "notes_search": "notes search over the whole practice, first page with snippets (no floor)",
    "client_export_500": "client export (JSON, the whole record) of a client with ≥500 sessions: asked "
    "for and built by the export runner (no floor)",
    "reminders_scan": "reminder scheduler's scan of the large workspace at a due moment, rows written "
    "and rolled back (rows = reminders due; no floor)",
    "calendar_month_all": "the calendar's month grid of everyone (`GET calendar`, 6 weeks, 5 events a day "
    "+ the count of the rest; rows = sessions accounted for; floor: the range's sessions)",
    "calendar_week_all": "the calendar's week of everyone (`GET calendar`, every event, lean; floor: the "
    "same sessions)",
}
CALENDAR_BYTES_TARGET = 1_000_000  # issue 17: the month of everyone under 1 MB on the wire
BROWSER_TARGET_MS = 2000.0  # … and its first event in under 2 s in a real browser
P95_TARGETS = {
    "month_practitioner": 20.0,
    "week_workspace": 100.0,
    "create_checked": 20.0,
    # The later features' endpoints: what a practice owner waits for without noticing.
    "today_home": 50.0,
    "attendance_year": 200.0,
    "income_year_by_month": 200.0,
    "availability_week_all": 1000.0,
    "booking_slots_day": 100.0,
    "booking_slots_week": 200.0,
    "feed_year": 500.0,
    "feed_year_cached": 50.0,
    "insights_200": 200.0,
    "briefing_200": 200.0,
    "notes_search": 200.0,
    "reminders_scan": 100.0,
    "client_export_500": 5000.0,
}
EXPORT_MEMORY_TARGET_MB = 100.0
# The first six cases; every other one is listed under "cases" in docs/benchmarks.json.
FIRST_CASES = (
    "month_practitioner",
    "week_workspace",
    "filtered_range",
    "create_checked",
    "client_history",
    "deep_page",
)
RATIO_TARGET = 2.0
RATIO_CASES = ("month_practitioner", "week_workspace", "filtered_range")
HTTP_TARGET_RPS = 300.0


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {mem_gb:.0f} GB RAM, {platform.system()} {platform.release()}"


def versions() -> dict[str, str]:
    import django

    out = {
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "SQLite": sqlite3.sqlite_version,
    }
    try:
        out["PostgreSQL"] = (
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],  # noqa: S607
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
            or "?"
        )
    except Exception:
        out["PostgreSQL"] = "?"
    return out


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _ratio(value: float, floor: float | None) -> str:
    return f"{value / floor:.1f}×" if floor else "–"


def _kb(size: int) -> str:
    return f"{size / 1024:,.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.2f} MB"


def _verdict(result: dict[str, Any]) -> str:
    notes = []
    target = P95_TARGETS.get(result["case"])
    if target is not None:
        if result["p95_ms"] <= target:
            notes.append(f"p95 ≤ {target:g} ms: **met**")
        else:
            notes.append(
                f"p95 ≤ {target:g} ms: **missed** by {result['p95_ms'] - target:.1f} ms "
                f"({result['p95_ms'] / target:.1f}×)"
            )
    if result["case"] in RATIO_CASES and result.get("ratio") is not None:
        if result["ratio"] <= RATIO_TARGET:
            notes.append(f"ratio ≤ {RATIO_TARGET:g}×: **met**")
        else:
            notes.append(f"ratio ≤ {RATIO_TARGET:g}×: **missed** ({result['ratio']:.1f}×)")
    if "peak_alloc_mb" in result:
        peak = result["peak_alloc_mb"]
        met = "**met**" if peak <= EXPORT_MEMORY_TARGET_MB else "**missed**"
        notes.append(
            f"Python memory peak ≤ {EXPORT_MEMORY_TARGET_MB:g} MB: {met} ({peak:g} MB, "
            f"file {result.get('file_mb', 0):g} MB)"
        )
    if "gzip_bytes" in result:
        wire = result["gzip_bytes"]
        met = "**met**" if wire <= CALENDAR_BYTES_TARGET else "**missed**"
        notes.append(
            f"≤ 1 MB on the wire: {met} ({_kb(wire)} gzipped, {_kb(result['bytes'])} raw; `GET sessions` "
            f"of the range: {_kb(result['before_bytes'])}, {_kb(result['before_gzip_bytes'])} gzipped, "
            f"{result['before_ms']:.0f} ms)"
        )
    if result["case"] == "reminders_scan" and result.get("rows_median"):
        notes.append(f"{result['p50_ms'] / result['rows_median']:.2f} ms per due reminder (p50)")
    return "; ".join(notes) or "no target (reported)"


def new_cases(runs: dict[str, Any]) -> list[dict[str, Any]]:
    """The cases added after the issue's first six, for docs/benchmarks.json's `cases`."""
    out = []
    for database, run in runs.items():
        for r in run.get("results", []):
            if r["case"] in FIRST_CASES:
                continue
            target = P95_TARGETS.get(r["case"])
            out.append(
                {
                    "database": database,
                    "case": r["case"],
                    "label": CASE_LABELS.get(r["case"], ""),
                    "p50_ms": r["p50_ms"],
                    "p95_ms": r["p95_ms"],
                    "target_p95_ms": target,
                    "met": None if target is None else r["p95_ms"] <= target,
                    "queries": r.get("queries"),
                    "reps": r.get("reps"),
                }
            )
    return out


def peers_data(runs: dict[str, Any]) -> list[dict[str, Any]]:
    """docs/benchmarks.json's `peers`: per database, each peer case with its ratio to ours."""
    out = []
    for database, run in runs.items():
        peers = run.get("peers")
        if not peers:
            continue
        if "error" in peers:
            out.append({"database": database, "error": peers["error"]})
            continue
        by_case = {row["case"]: row for row in peers.get("ratios", [])}
        for r in peers["results"]:
            ratio = by_case.get(r["case"], {})
            out.append(
                {
                    "database": database,
                    "peer": r["peer"],
                    "version": peers.get("versions", {}).get(r["peer"]),
                    "case": r["case"],
                    "ours_case": r["ours_case"],
                    "p50_ms": r["p50_ms"],
                    "p95_ms": r["p95_ms"],
                    "queries": r["queries"],
                    "rows_median": r["rows_median"],
                    "reps": r["reps"],
                    "capped": r["capped"],
                    "cap_s": r["cap_s"],
                    "unfinished_ms": r.get("unfinished_ms"),
                    "ours_p50_ms": ratio.get("ours_p50_ms"),
                    "ratio_p50": ratio.get("ratio_p50"),
                    "ratio_at_least": ratio.get("at_least", False),
                }
            )
    return out


def _calibration_line(database: str, c: dict[str, Any]) -> str:
    def one(x: dict[str, Any]) -> str:
        load = ", ".join(f"{v:.2f}" for v in x["load_avg"])
        return f"{x['ms']:.0f} ms (CPU {x['cpu_ms']:.0f} ms; load {load})"

    parts = [f"start {one(c['start'])}"] + ([f"end {one(c['end'])}"] if c.get("end") else [])
    return f"{'PostgreSQL' if database == 'postgresql' else 'SQLite'}: " + " → ".join(parts)


def peers_lines(runs: dict[str, Any]) -> list[str]:
    from bench.peers import PAIRS, format_ratio

    with_peers = [(database, run["peers"]) for database, run in runs.items() if run.get("peers")]
    if not with_peers:
        return []
    lines = [
        "## Peers: django-scheduler and django-appointment on the same sessions (`bench/peers/`)",
        "",
        "The large workspace's sessions copied into each peer's own models in their own "
        "virtualenv (`var/bench/peers-venv`; a practitioner = a django-scheduler `Calendar` and a "
        "django-appointment `StaffMember` working Monday–Friday 09:00–18:00 with an unavailability "
        "12:00–13:00 each weekday, like the workspace's hours, and its 30-minute slots; a session = "
        "one `Event` (every status, like our range) and, unless cancelled, one "
        "`AppointmentRequest` + `Appointment`), then each peer case timed in its own process "
        "through the peer's own view or service, right after ours on the same database. *ratio* = "
        "peer p50 / our p50 of the case named, both from this run. A case still running at its "
        "time cap is stopped and shown as *> how long its unfinished repetition had run* (the ratio "
        "is then a lower bound, over our p50). Repetition 0 is a warm-up with the queries counted.",
        "",
    ]
    for database, peers in with_peers:
        if "error" in peers:
            name = "PostgreSQL" if database == "postgresql" else "SQLite"
            lines += [f"### {name}: the peers' run failed", "", f"`{peers['error'].strip()[-300:]}`", ""]
            continue
        loaded = peers.get("loaded", {})
        versions = ", ".join(f"{k} {v}" for k, v in peers.get("versions", {}).items())
        lines += [
            f"### {'PostgreSQL' if database == 'postgresql' else 'SQLite'}: {versions}",
            "",
            f"Loaded {loaded.get('events', 0):,} events and {loaded.get('appointments', 0):,} "
            "appointments for "
            f"{loaded.get('practitioners', 0)} practitioners"
            + (
                " (reused from an earlier load of the same data)"
                if loaded.get("reused")
                else f" in {loaded.get('seconds', 0):.0f} s"
            )
            + f"; {peers['reps']} timed repetitions per case, cap {peers['cap_s']:g} s.",
            "",
            "| peer | case | peer p50 ms | peer p95 ms | queries | rows | reps | load | ours | our p50 ms | "
            "ratio (peer/ours, p50) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
        ]
        by_case = {row["case"]: row for row in peers.get("ratios", [])}
        for r in peers["results"]:
            ratio = by_case.get(r["case"], {})

            if r["p50_ms"] is None:
                bound = r.get("unfinished_ms") or r["cap_s"] * 1000
                p50 = p95 = f"> {bound:,.0f} (stopped at the {r['cap_s']:g} s cap)"
            else:
                p50 = f"{r['p50_ms']:,.2f}" + (" (capped)" if r["capped"] else "")
                p95 = f"{r['p95_ms']:,.2f}"
            queries = "–" if r["queries"] is None else f"{r['queries']:,}"
            rows = "–" if r["rows_median"] is None else f"{r['rows_median']:g}"
            lines.append(
                f"| {r['peer']} | `{r['case']}` — {PAIRS.get(r['case'], {}).get('label', '')} | "
                f"{p50} | {p95} | "
                f"{queries} | {rows} | "
                f"{r['reps']}/{r['reps_planned']} | {r.get('load_avg', '–')} | `{r['ours_case']}` | "
                f"{_ms(ratio.get('ours_p50_ms'))} | {format_ratio(ratio) if ratio else '–'} |"
            )
        lines.append("")
    return lines


def write(
    docs: Path,
    *,
    sessions: int,
    quick: bool,
    runs: dict[str, Any],
    reps: int,
    warmup: int,
    seconds: float,
    finished: dt.datetime | None = None,
    code: str = "",
    partial: str = "",
) -> tuple[Path, Path]:
    now = (finished or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    host = machine()
    http_run = runs.get("postgresql", {}).get("http") or runs.get("sqlite", {}).get("http") or {}
    data = {
        "date": now.isoformat(),
        "machine": host,
        "sessions": sessions,
        "results": [
            {
                "database": r["database"],
                "case": r["case"],
                "p50_ms": r["p50_ms"],
                "p95_ms": r["p95_ms"],
                "floor_p95_ms": r["floor_p95_ms"],
                "ratio": r["ratio"],
            }
            for run in runs.values()
            for r in run.get("results", [])
        ],
        "http": {
            "requests_per_s": http_run.get("requests_per_s"),
            "p95_ms": http_run.get("p95_ms"),
            "errors": http_run.get("errors"),
        },
        "peak_rss_mb": http_run.get("peak_rss_mb"),
        "browser": [
            {"database": database, **run["browser"]} for database, run in runs.items() if run.get("browser")
        ],
        "backup": [
            {"database": database, **run["backup"]} for database, run in runs.items() if run.get("backup")
        ],
        "cases": new_cases(runs),
        "peers": peers_data(runs),
        "calibration": {
            database: run["calibration"] for database, run in runs.items() if run.get("calibration")
        },
    }
    for result, r in zip(
        data["results"], [r for run in runs.values() for r in run.get("results", [])], strict=True
    ):
        if "gzip_bytes" in r:
            result.update({"bytes": r["bytes"], "gzip_bytes": r["gzip_bytes"]})
    if partial:
        data["partial"] = partial
    docs.mkdir(exist_ok=True)
    js = docs / "benchmarks.json"
    js.write_text(json.dumps(data, indent=2) + "\n")

    v = versions()
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run.py`); do not edit the figures by hand.",
        "",
    ]
    if partial:
        lines += [f"> **PARTIAL RUN**: {partial}", ""]
    if quick:
        lines += [
            f"> **QUICK MODE** (`make bench QUICK=1`): {sessions:,} sessions, not the 1,000,000 of the "
            "targets. These figures show the harness works; they do not prove the targets.",
            "",
        ]
    lines += [
        "| | |",
        "|---|---|",
        f"| date | run finished {now:%Y-%m-%d %H:%M} UTC |",
        f"| machine | {host} (shared with other work while measuring: see the *load* column; "
        f"load average when this page was written: {', '.join(f'{x:.2f}' for x in os.getloadavg())}) |",
        f"| software | {', '.join(f'{k} {val}' for k, val in v.items())} |",
        f"| data set | {sessions:,} sessions (`seed_bench`): ~90% in one workspace with 50 practitioners, "
        "the rest in small workspaces |",
        f"| method | in-process through the real API (Django test client, bearer token, DEBUG off); "
        f"{reps} repetitions per case after {warmup} warm-up (fewer for the slow composite cases: the "
        "*reps* column), random practitioner / period / client "
        "each time; the floor fetches the same rows with one raw SQL query on the DB-API cursor |",
        f"| code measured | {code or 'the working tree'} |",
        *(
            [
                "| CPU calibration | a fixed pure-Python loop (`bench.run.calibration_work`), timed at the "
                "start "
                "and end of each database's run (wall and CPU time, load averages 1/5/15 min): "
                + "; ".join(
                    _calibration_line(d, run["calibration"])
                    for d, run in runs.items()
                    if run.get("calibration")
                )
                + " |"
            ]
            if any(run.get("calibration") for run in runs.values())
            else []
        ),
        f"| whole run | {seconds / 60:.1f} minutes |",
        "",
        "Columns: *p50/p95* wall-clock time of the whole request in-process; *floor* the same rows by "
        "one raw SQL query; *ratio* case p95 / floor p95 (the issue's ratio) and the same at p50 (less "
        "sensitive to a busy machine); *CPU p50* CPU time of the measuring process per request (SQLite "
        "runs inside it, PostgreSQL's server work is not included) — it shows what our layers cost "
        "when the machine is shared; *load* the 1-minute load average when the case ended; *queries* "
        "SQL queries per request; *rows* median rows returned.",
        "",
    ]
    for database, run in runs.items():
        seeded = f", seeded in {run['seed_seconds']:.0f} s" if run.get("seed_seconds") else ""
        lines += [
            f"## {'PostgreSQL' if database == 'postgresql' else 'SQLite'}{seeded}",
            "",
            "| case | p50 ms | p95 ms | floor p50 ms | floor p95 ms | ratio (p95/floor p95) | ratio p50 | "
            "CPU p50 ms | load | rows | queries | reps | target → result |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in run.get("results", []):
            ratio = "–" if r["ratio"] is None else f"{r['ratio']:.1f}×"
            lines.append(
                f"| `{r['case']}` — {CASE_LABELS.get(r['case'], '')} | "
                f"{_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} | "
                f"{_ms(r.get('floor_p50_ms'))} | {_ms(r['floor_p95_ms'])} | "
                f"{ratio} | {_ratio(r['p50_ms'], r.get('floor_p50_ms'))} | {_ms(r.get('cpu_p50_ms'))} | "
                f"{r.get('load_avg', '–')} | {r.get('rows_median', '')} | "
                f"{r.get('queries', '')} | {r.get('reps', '')} | {_verdict(r)} |"
            )
        lines.append("")
    lines += [
        "## HTTP: the range endpoint under gunicorn (2 sync workers), wrk on loopback",
        "",
        "Each request is a month view of a random practitioner (`GET /api/v1/workspaces/bench-large/"
        "sessions?start=…&end=…&practitioner_id=…`, owner's bearer token).",
        "",
        "| database | duration | connections | requests/s | p50 ms | p95 ms | p99 ms | errors | "
        "peak worker RSS (VmHWM) | target → result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for database, run in runs.items():
        h = run.get("http")
        if not h:
            continue
        ok = h["requests_per_s"] >= HTTP_TARGET_RPS and h["errors"] == 0
        verdict = (
            f"≥ {HTTP_TARGET_RPS:g} req/s with 0 errors: **met**"
            if ok
            else f"≥ {HTTP_TARGET_RPS:g} req/s with 0 errors: **missed** "
            f"({h['requests_per_s']:.0f} req/s = {h['requests_per_s'] / HTTP_TARGET_RPS:.0%} of it, "
            f"{h['errors']} errors)"
        )
        lines.append(
            f"| {database} | {h['seconds']} s | {h['connections']} | {h['requests_per_s']:.1f} | "
            f"{h['p50_ms']:.1f} | {h['p95_ms']:.1f} | {h['p99_ms']:.1f} | {h['errors']} | "
            f"{h['peak_rss_mb']:.0f} MB | {verdict} |"
        )
    lines.append("")
    browser_runs = [(database, run["browser"]) for database, run in runs.items() if run.get("browser")]
    if browser_runs:
        lines += [
            "## The calendar in Chromium: the month of everyone (`bench/browser.py`)",
            "",
            "The large workspace's calendar page, month view of everyone, as its owner, served by gunicorn "
            "(2 sync workers) on loopback; headless Chromium (Playwright), each visit in a fresh context "
            "(cold cache). Time: navigation to the first visible `.fc-event`. Bytes: as transferred "
            "(decoded in brackets); *page* is the HTML, scripts and styles (served from the finders, "
            "uncompressed, outside production).",
            "",
            "| database | visits | first event p50 ms | worst ms | events drawn | +N more links | "
            "calendar API bytes | page bytes | load | target → result |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for database, b in browser_runs:
            met = b["first_event_max_ms"] <= BROWSER_TARGET_MS and b["api_bytes"] <= CALENDAR_BYTES_TARGET
            api_bytes = f"{_kb(b['api_bytes'])} ({_kb(b['api_decoded_bytes'])})"
            page_bytes = f"{_kb(b['page_bytes'])} ({_kb(b['page_decoded_bytes'])})"
            lines.append(
                f"| {database} | {b['reps']} | {b['first_event_p50_ms']:.0f} | "
                f"{b['first_event_max_ms']:.0f} | {b['events_drawn']} | {b['more_links']} | "
                f"{api_bytes} | {page_bytes} | {b['load_avg']} | "
                f"first event < 2 s and < 1 MB: {'**met**' if met else '**missed**'} |"
            )
        lines.append("")
    backup_runs = [(database, run["backup"]) for database, run in runs.items() if run.get("backup")]
    if backup_runs:
        lines += [
            "## The workspace backup of the large workspace (`bench/backup_memory.py`)",
            "",
            "`manage.py export_workspace` (the task worker's writer, rows streamed) as its own process: "
            "its time, the archive's size and the process's peak resident memory (`ru_maxrss`).",
            "",
            "| database | sessions | rows | seconds | archive | peak RSS | load | target → result |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for database, b in backup_runs:
            verdict = "**met**" if b["met"] else "**missed**"
            lines.append(
                f"| {database} | {b['sessions']:,} | {b['rows']:,} | {b['seconds']} | {b['archive_mb']} MB | "
                f"{b['peak_rss_mb']:.0f} MB | {b['load_avg']} | peak ≤ {b['target_mb']:g} MB: {verdict} |"
            )
        lines.append("")
    lines += peers_lines(runs)
    lines += [
        "## How to run it",
        "",
        "- `make bench`: 1,000,000 sessions on SQLite (`var/bench/bench.sqlite3`) and PostgreSQL "
        "(database `atendo_bench` on 127.0.0.1:5432, user postgres; `BENCH_PG_URL` to change it). "
        "Each database is recreated, migrated and seeded (`manage.py seed_bench`, its payments and "
        "the search index: 8–10 minutes each on the slower of two 2-core machines, 2.5–3 on the "
        "faster), then measured: about 50 minutes for both at 200 repetitions on the slower "
        "(37 with 100), and 21.7 minutes at 100 with `PEERS=1` on the faster (2026-12-06), of "
        "which the peers are about 12. `make bench QUICK=1`: 50,000 sessions, 30 "
        "repetitions, 5 s of HTTP load.",
        '- Options go through `ARGS`, e.g. `make bench ARGS="--databases sqlite --reuse"`; '
        "`make bench QUICK=1 ARGS=\"--cases calendar --http-databases ''\"` runs the calendar's cases "
        "and its Chromium timing alone (`--browser-databases` chooses where the page is timed; "
        "`python -m bench.run --help` lists every option). `--snapshot` measures the last commit "
        "instead of a working tree that others are editing.",
        "- `make bench PEERS=1` (`--peers`) also measures django-scheduler and django-appointment "
        "on the same sessions (`bench/peers/`): their own virtualenv `var/bench/peers-venv` "
        "(created on first use with `python3 -m venv` and pip from PyPI, reused while it matches), "
        "the large workspace's sessions loaded into their models from the bench database (bulk "
        "`executemany`; reloaded only when the bench data changes), then each peer case in its own "
        "process, `--peers-reps` timed repetitions (5) and a `--peers-cap` per case (120 s), and "
        "the ratios to our p50 of the same run. Nothing of theirs is committed. `--bench-sqlite "
        "PATH` and `--work-dir DIR` point the run at another SQLite file and results directory "
        "(e.g. a small copy seeded with `seed_bench --sessions 50000`).",
        "- Every database's run starts and ends with the CPU calibration loop (the header's figures): "
        "compare runs by it and by the load, and compare ratios measured in the same run.",
        "- `python -m bench.report` rewrites this page from `var/bench/last-run.json`.",
        "- Pieces: `bench/measure.py` (cases and checks), `bench/floors.py` (raw SQL), "
        "`bench/http_load.py` + `bench/wrk.lua` (gunicorn and wrk, both bound to 127.0.0.1 and "
        "stopped by the harness), `bench/report.py` (this page and `docs/benchmarks.json`).",
        "",
    ]
    analysis = HERE / "analysis.md"
    if analysis.exists():
        lines += [analysis.read_text().rstrip(), ""]
    md = docs / "benchmarks.md"
    md.write_text("\n".join(lines))
    return md, js


def partial_run(started: str, sessions: int, reps: int, warmup: int) -> dict[str, Any]:
    """A run stopped part-way (a deadline, a crash): what `bench.measure` saved after each case in
    var/bench/results-<database>.json since `started` (ISO, UTC), labelled as partial."""
    since = dt.datetime.fromisoformat(started)
    runs: dict[str, Any] = {}
    missing = []
    for database in ("sqlite", "postgresql"):
        path = HERE.parent / "var" / "bench" / f"results-{database}.json"
        if not path.exists() or dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) < since:
            missing.append(database)
            continue
        saved = json.loads(path.read_text())
        runs[database] = {"database": database, "results": saved["results"]}
    now = dt.datetime.now(dt.UTC)
    measured = ", ".join(f"{db}: {len(r['results'])} cases" for db, r in runs.items()) or "nothing"
    note = (
        f"the run started {since:%H:%M} UTC was stopped at {now:%H:%M} UTC before it finished; measured "
        f"{measured}; not measured: {', '.join(missing) or 'none'} and the HTTP load of every database."
    )
    return {
        "sessions": sessions,
        "quick": False,
        "reps": reps,
        "warmup": warmup,
        "runs": runs,
        "seconds": (now - since).total_seconds(),
        "finished_at": now.isoformat(),
        "partial": note,
    }


def main() -> None:
    """Rewrite the docs from a saved run: `python -m bench.report [var/bench/last-run.json]`, or
    from a run stopped part-way: `python -m bench.report --partial-since 2026-12-02T14:55:30+00:00`."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("run", nargs="?", default=str(HERE.parent / "var" / "bench" / "last-run.json"))
    parser.add_argument("--partial-since", help="Build the page from the per-case results saved since then.")
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--code", default="")
    args = parser.parse_args()
    if args.partial_since:
        saved = partial_run(args.partial_since, args.sessions, args.reps, args.warmup)
        md, js = write(
            HERE.parent / "docs",
            sessions=saved["sessions"],
            quick=False,
            runs=saved["runs"],
            reps=saved["reps"],
            warmup=saved["warmup"],
            seconds=saved["seconds"],
            code=args.code,
            partial=saved["partial"],
        )
        (
            HERE.parent / "var" / "bench" / f"run-partial-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.json"
        ).write_text(json.dumps(saved, indent=2, default=str))
        print(f"wrote {md} and {js}")
        return
    path = Path(args.run)
    saved = json.loads(path.read_text())
    finished = (
        dt.datetime.fromisoformat(saved["finished_at"])
        if "finished_at" in saved
        else dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    )
    first: dict[str, Any] = next((r for run in saved["runs"].values() for r in run.get("results", [])), {})
    md, js = write(
        HERE.parent / "docs",
        sessions=saved["sessions"],
        quick=saved["quick"],
        runs=saved["runs"],
        reps=saved.get("reps", first.get("reps", 0)),
        warmup=saved.get("warmup", 20),
        seconds=saved["seconds"],
        finished=finished,
        code=saved.get("code", ""),
    )
    print(f"wrote {md} and {js}")


if __name__ == "__main__":
    main()
