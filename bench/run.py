"""`make bench` (1,000,000 sessions) and `make bench QUICK=1` (50,000): the whole benchmark.

For SQLite (a file under var/bench/) and PostgreSQL (database `atendo_bench` on 127.0.0.1:5432,
user postgres; `BENCH_PG_URL` to change): migrate a fresh database, seed it with
`manage.py seed_bench`, measure the six cases in-process against their raw-SQL floors
(`bench.measure`), load the range endpoint over HTTP (gunicorn, 2 workers, wrk on loopback), then
write docs/benchmarks.md and docs/benchmarks.json (`bench.report`).

`--peers` (`make bench PEERS=1`) also measures django-scheduler and django-appointment on the same
sessions, in their own virtualenv, right after our cases on each database (`bench.peers`). Each
database's run starts and ends with a fixed CPU calibration loop (`calibrate`), recorded with the
load averages, so runs on a noisy machine can be compared.

`--snapshot` runs the code of the last commit (git archive HEAD, plus this bench/ directory)
instead of the working tree — useful while others have half-written files in the tree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import backup_memory, browser, http_load, report
from bench import peers as bench_peers

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/atendo_bench")
SQLITE_PATH = VAR / "bench.sqlite3"  # --bench-sqlite changes it
CALIBRATION_ROUNDS = 1200  # about 0.35 s of CPU on the 2-core bench machine


def calibration_work(rounds: int = CALIBRATION_ROUNDS) -> int:
    """Fixed, deterministic pure-Python work (integer arithmetic, a dict, a sort): the same
    instructions on every run, so its time shows how fast this machine ran Python at that moment."""
    total = 0
    for r in range(rounds):
        table = {}
        for i in range(2000):
            table[i] = (i * 2654435761 + r) % 1000003
        values = sorted(table.values())
        total = (total + sum(values[::7]) + len(str(values[-1]))) % 1_000_000_007
    return total


def calibrate() -> dict[str, Any]:
    """`calibration_work` timed once (wall and CPU time), with the load averages (1, 5, 15 min)."""
    cpu_started = time.process_time()
    started = time.perf_counter()
    calibration_work()
    return {
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "cpu_ms": round((time.process_time() - cpu_started) * 1000, 1),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def snapshot() -> Path:
    """The last commit's tree under var/bench/src, with the current bench/ on top."""
    target = VAR / "src"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)  # noqa: S603, S607
    shutil.rmtree(target / "bench", ignore_errors=True)
    shutil.copytree(ROOT / "bench", target / "bench", ignore=shutil.ignore_patterns("__pycache__"))
    # What the commit does not hold but its pages need: the npm packages the static files are served
    # from, the compiled translations, and the development master key the databases were sealed with.
    (target / "node_modules").symlink_to(ROOT / "node_modules")
    for compiled in (ROOT / "atendo").glob("locale/*/LC_MESSAGES/*.mo"):
        shutil.copy2(compiled, target / compiled.relative_to(ROOT))
    if (ROOT / "var" / "master.key").exists():
        (target / "var").mkdir(exist_ok=True)
        shutil.copy2(ROOT / "var" / "master.key", target / "var" / "master.key")
    return target


def database_env(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    env.update({"DEBUG": "0", "DJANGO_SETTINGS_MODULE": "atendo.settings", "PYTHONUNBUFFERED": "1"})
    if database == "sqlite":
        env["SQLITE_PATH"] = str(SQLITE_PATH)
    else:
        env["DATABASE_URL"] = PG_URL
    return env


def fresh_database(database: str) -> None:
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    base, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pg_reachable() -> bool:
    import psycopg

    base = PG_URL.rsplit("/", 1)[0]
    try:
        psycopg.connect(f"{base}/postgres", connect_timeout=5).close()
    except Exception as exc:
        log(f"PostgreSQL is not reachable ({exc}); skipping it.")
        return False
    return True


def manage(python: str, cwd: Path, env: dict[str, str], *args: str) -> float:
    started = time.monotonic()
    subprocess.run([python, "manage.py", *args, "--skip-checks"], cwd=cwd, env=env, check=True)  # noqa: S603
    return time.monotonic() - started


def fingerprint(database: str) -> str:
    """What identifies the bench database the peers were loaded from (reseeding changes it): where
    it is, and the large workspace's session count and last id."""
    sql = (
        "SELECT COUNT(*), MAX(s.id) FROM scheduling_session s JOIN workspaces_workspace w "
        "ON w.id = s.workspace_id WHERE w.slug = 'bench-large'"
    )
    if database == "sqlite":
        import sqlite3

        conn = sqlite3.connect(f"file:{SQLITE_PATH}?mode=ro", uri=True)
        try:
            count, last = conn.execute(sql).fetchone()
        finally:
            conn.close()
        return f"sqlite:{SQLITE_PATH}:{count}:{last}"
    import psycopg

    with psycopg.connect(PG_URL, connect_timeout=10) as conn:
        row = conn.execute(sql).fetchone()
    return f"{PG_URL}:{row[0] if row else 0}:{row[1] if row else 0}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="50,000 sessions, 30 repetitions, 5 s of HTTP load: under 2 minutes.",
    )
    parser.add_argument("--sessions", type=int)
    parser.add_argument("--reps", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--http-seconds", type=int)
    parser.add_argument("--http-databases", default="postgresql,sqlite", help="Where to run the HTTP load.")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--cases",
        default="",
        help="Only these cases (names or prefixes, e.g. calendar); default: all of bench.measure.",
    )
    parser.add_argument(
        "--browser-databases",
        default="postgresql,sqlite",
        help="Where to time the calendar page in Chromium (bench.browser); empty: nowhere.",
    )
    parser.add_argument(
        "--backup-databases",
        default="postgresql,sqlite",
        help="Where to time the backup of the large workspace (bench.backup_memory); empty: nowhere.",
    )
    parser.add_argument("--browser-reps", type=int, help="Cold visits of the month page (10; quick: 3).")
    parser.add_argument("--reuse", action="store_true", help="Measure the already seeded databases.")
    parser.add_argument("--snapshot", action="store_true", help="Run the last commit's code.")
    parser.add_argument(
        "--peers",
        action="store_true",
        help="Also measure django-scheduler and django-appointment on the same sessions (bench.peers).",
    )
    parser.add_argument("--peers-reps", type=int, default=5, help="Timed repetitions per peer case (5).")
    parser.add_argument(
        "--peers-cap", type=float, default=120.0, help="Seconds per peer case before '> cap'."
    )
    parser.add_argument(
        "--bench-sqlite", help="The SQLite bench database file (default var/bench/bench.sqlite3)."
    )
    parser.add_argument(
        "--work-dir",
        help="Where results, plans, logs and the peers' virtualenv go (default var/bench/).",
    )
    parser.add_argument("--no-report", action="store_true", help="Do not rewrite docs/benchmarks.*")
    args = parser.parse_args()
    global SQLITE_PATH, VAR
    if args.bench_sqlite:
        SQLITE_PATH = Path(args.bench_sqlite).resolve()
    if args.work_dir:
        VAR = bench_peers.VAR = Path(args.work_dir).resolve()
    quick = args.quick
    sessions = args.sessions or (50_000 if quick else 1_000_000)
    reps = args.reps or (30 if quick else 200)
    warmup = args.warmup or (5 if quick else 20)
    http_seconds = args.http_seconds or (5 if quick else 20)
    browser_reps = args.browser_reps or (3 if quick else 10)
    python = sys.executable
    VAR.mkdir(parents=True, exist_ok=True)
    cwd = snapshot() if args.snapshot else ROOT
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    code = f"commit {commit}" + (
        "" if args.snapshot else " plus the working tree's uncommitted changes, if any"
    )
    started = time.monotonic()
    runs: dict[str, Any] = {}
    for database in [d for d in args.databases.split(",") if d]:
        if database == "postgresql" and not pg_reachable():
            continue
        env = database_env(database)
        run: dict[str, Any] = {"database": database, "calibration": {"start": calibrate()}}
        log(f"{database}: calibration {run['calibration']['start']}")
        if not args.reuse:
            log(f"{database}: fresh database, migrate")
            fresh_database(database)
            manage(python, cwd, env, "migrate", "--noinput", "-v", "0")
            log(f"{database}: seed_bench --sessions {sessions}")
            run["seed_seconds"] = round(
                manage(python, cwd, env, "seed_bench", "--sessions", str(sessions)), 1
            )
            log(f"{database}: seed_bench_payments (a payment per session not cancelled)")
            run["seed_payments_seconds"] = round(manage(python, cwd, env, "seed_bench_payments"), 1)
            log(f"{database}: reindex_search --workspace bench-large (the index notes_search reads)")
            run["reindex_seconds"] = round(
                manage(python, cwd, env, "reindex_search", "--workspace", "bench-large"), 1
            )
        out = VAR / f"results-{database}.json"
        plan = VAR / f"http-plan-{database}.txt"
        browser_plan = VAR / f"browser-plan-{database}.json"
        log(f"{database}: measuring ({reps} repetitions after {warmup} warm-up, per case)")
        subprocess.run(  # noqa: S603
            [
                python,
                "-m",
                "bench.measure",
                "--reps",
                str(reps),
                "--warmup",
                str(warmup),
                "--out",
                str(out),
                "--http-plan",
                str(plan),
                "--browser-plan",
                str(browser_plan),
                *(["--cases", args.cases] if args.cases else []),
            ],
            cwd=cwd,
            env=env,
            check=True,
        )
        run.update(json.loads(out.read_text()))
        if database in args.http_databases.split(","):
            log(f"{database}: HTTP load, gunicorn 2 workers, wrk {http_seconds} s")
            run["http"] = http_load.run(
                python=python,
                cwd=cwd,
                env=env,
                plan=plan,
                seconds=http_seconds,
                connections=args.connections,
                log=VAR / f"gunicorn-{database}.log",
            )
            log(f"{database}: {run['http']}")
        if database in args.browser_databases.split(","):
            log(f"{database}: the calendar's month of everyone in Chromium, {browser_reps} cold visits")
            run["browser"] = browser.run(
                python=python,
                cwd=cwd,
                env=env,
                plan=browser_plan,
                reps=browser_reps,
                log=VAR / f"gunicorn-browser-{database}.log",
            )
            log(f"{database}: {run['browser']}")
        if database in args.backup_databases.split(","):
            log(f"{database}: the workspace backup of the large workspace (export_workspace)")
            run["backup"] = backup_memory.run(
                python=python, cwd=cwd, env=env, out=VAR / f"backup-{database}.zip"
            )
            log(f"{database}: {run['backup']}")
        if args.peers:
            try:
                run["peers"] = bench_peers.run(
                    database,
                    source=f"sqlite:{SQLITE_PATH}" if database == "sqlite" else PG_URL,
                    fingerprint=fingerprint(database),
                    ours=run.get("results", []),
                    reps=args.peers_reps,
                    cap_s=args.peers_cap,
                    log=log,
                    pg_url=f"{PG_URL}_peers",  # atendo_bench_peers
                )
            except Exception as exc:  # our figures are kept; the report says the peers failed
                log(f"{database}: peers failed: {exc}")
                run["peers"] = {"error": str(exc)[-500:]}
            for row in run["peers"].get("ratios", []):
                log(
                    f"{database}: {row['peer']} {row['case']} p50 {row['peer_p50_ms']} ms vs our "
                    f"{row['ours_case']} p50 {row['ours_p50_ms']} ms: {bench_peers.format_ratio(row)}"
                )
        run["calibration"]["end"] = calibrate()
        log(f"{database}: calibration {run['calibration']['end']}")
        runs[database] = run
    total = time.monotonic() - started
    log(f"done in {total:.0f} s")
    saved = json.dumps(
        {
            "sessions": sessions,
            "quick": quick,
            "reps": reps,
            "warmup": warmup,
            "runs": runs,
            "seconds": total,
            "finished_at": datetime.now(UTC).isoformat(),
            "code": code,
        },
        indent=2,
        default=str,
    )
    # last-run.json feeds `python -m bench.report`; the stamped copy keeps every run.
    (VAR / "last-run.json").write_text(saved)
    (VAR / f"run-{'quick' if quick else 'full'}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(saved)
    if not args.no_report and runs:
        md, js = report.write(
            ROOT / "docs",
            sessions=sessions,
            quick=quick,
            runs=runs,
            reps=reps,
            warmup=warmup,
            seconds=total,
            code=code,
        )
        log(f"wrote {md} and {js}")


if __name__ == "__main__":
    main()
