"""The peers (`make bench PEERS=1`, `python -m bench.run --peers`): django-scheduler and
django-appointment measured on the same sessions as ours, in the same run.

- `ensure_venv`: their own virtualenv, var/bench/peers-venv (`python3 -m venv`, then pip from PyPI;
  reused while its marker matches `REQUIREMENTS`). Nothing of theirs is committed or installed in
  ours: both need only Django ≥ 4.2, so one virtualenv with our Django's minor version holds both.
- `load`: `bench.peers.load` in that virtualenv copies the large workspace's sessions from our
  bench database into their models (reused while the bench database is unchanged).
- `measure`: `bench.peers.measure`, one process per case, a fixed number of repetitions and a time
  cap per case: a case that has not finished by then is stopped and reported as "> cap" with the
  repetitions it finished.
- `ratios`: peer p50 / our p50 of the mapped case of the same run (`PAIRS`).

This module runs in our virtualenv and imports nothing of Django's, so it can be tested alone.
"""

from __future__ import annotations

import json
import os
import queue
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
VAR = ROOT / "var" / "bench"
REQUIREMENTS = ["Django>=5.2,<6", "django-scheduler", "django-appointment"]
PG_REQUIREMENTS = ["psycopg[binary]"]
LOADER_VERSION = 2  # bumped when bench.peers.load puts other rows in: a new load

# peer case -> (peer, our case it is compared with, what it is, scale of ours)
PAIRS: dict[str, dict[str, Any]] = {
    "scheduler_month_practitioner": {
        "peer": "django-scheduler",
        "ours": "month_practitioner",
        "label": "one practitioner's month: `GET schedule/api/occurrences?calendar_slug=…` "
        "(its FullCalendar feed)",
    },
    "scheduler_week_workspace": {
        "peer": "django-scheduler",
        "ours": "week_workspace",
        "label": "a week of the whole large workspace: the same view over every calendar",
    },
    "appointment_month_practitioner": {
        "peer": "django-appointment",
        "ours": "month_practitioner",
        "label": "one practitioner's month: the staff calendar's JSON (`app-admin/appointments/json/`; "
        "no range query: every appointment of the staff member, the month kept client-side)",
    },
    "appointment_slots_week_all": {
        "peer": "django-appointment",
        "ours": "availability_week_all",
        "label": "free 50-minute slots for a future week of all 50 practitioners "
        "(`get_available_slots_for_staff` per staff member and day; ours: one API request each)",
    },
}


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) < 2:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[94], 2)


def summarize(
    case: str,
    lines: list[dict[str, Any]],
    *,
    reps: int,
    cap_s: float,
    capped: bool,
    unfinished_ms: float | None = None,
) -> dict[str, Any]:
    """A case's result from the lines `bench.peers.measure` printed (rep 0: the warm-up);
    `unfinished_ms`: how long the repetition stopped at the cap had been running."""
    lines = [line for line in lines if "rep" in line]
    timed = [line for line in lines if line["rep"] > 0]
    times = [line["ms"] for line in timed]
    warm = next((line for line in lines if line.get("rep") == 0), {})
    return {
        "case": case,
        "peer": PAIRS[case]["peer"],
        "ours_case": PAIRS[case]["ours"],
        "reps": len(times),
        "reps_planned": reps,
        "p50_ms": median(times),
        "p95_ms": p95(times),
        "warmup_ms": warm.get("ms"),
        "queries": warm.get("queries"),
        "rows_median": statistics.median([line["rows"] for line in timed]) if timed else warm.get("rows"),
        "cap_s": cap_s,
        "capped": capped,
        "unfinished_ms": round(unfinished_ms, 2) if capped and unfinished_ms is not None else None,
    }


def ratios(peer_results: list[dict[str, Any]], ours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Peer p50 / our p50 of the mapped case, both from the same run. A capped case without a
    finished timed repetition has a lower bound (`at_least`): how long the one stopped had run
    (the cap itself when not even the warm-up finished), over our p50."""
    ours_p50 = {r["case"]: r["p50_ms"] for r in ours}
    out = []
    for r in peer_results:
        our = ours_p50.get(r["ours_case"])
        row: dict[str, Any] = {
            "peer": r["peer"],
            "case": r["case"],
            "ours_case": r["ours_case"],
            "peer_p50_ms": r["p50_ms"],
            "ours_p50_ms": our,
            "ratio_p50": None,
            "at_least": False,
        }
        if our:
            if r["p50_ms"] is not None:
                row["ratio_p50"] = round(r["p50_ms"] / our, 1)
            elif r["capped"]:
                bound = r.get("unfinished_ms") or r["cap_s"] * 1000
                row["ratio_p50"] = round(bound / our, 1)
                row["peer_at_least_ms"] = bound
                row["at_least"] = True
        out.append(row)
    return out


def format_ratio(row: dict[str, Any]) -> str:
    if row["ratio_p50"] is None:
        return "–"
    return f"{'> ' if row['at_least'] else ''}{row['ratio_p50']:,.1f}×"


# --- the processes ---------------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(log: Callable[[str], None], *, postgres: bool = False, venv: Path | None = None) -> Path:
    venv = venv or VAR / "peers-venv"
    wanted = REQUIREMENTS + (PG_REQUIREMENTS if postgres else [])
    marker = venv / "bench-requirements.json"
    if marker.exists() and venv_python(venv).exists():
        have = json.loads(marker.read_text())
        if all(req in have for req in wanted):
            return venv_python(venv)
    log(f"peers: virtualenv {venv} (pip install {' '.join(wanted)})")
    if not venv_python(venv).exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)  # noqa: S603, S607
    subprocess.run([str(venv_python(venv)), "-m", "pip", "install", "-q", *wanted], check=True)  # noqa: S603
    marker.write_text(json.dumps(wanted))
    return venv_python(venv)


def installed_versions(python: Path) -> dict[str, str]:
    out = subprocess.run(  # noqa: S603
        [str(python), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True, check=True
    ).stdout
    keep = {"django", "django-scheduler", "django-appointment"}
    return {p["name"]: p["version"] for p in json.loads(out) if p["name"].lower() in keep}


def peer_env(target: dict[str, str], timezone: str = "America/Sao_Paulo") -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(target)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.peers.project.settings",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "ignore",
            "PEERS_TZ": timezone,
        }
    )
    return env


def load(
    python: Path, *, source: str, target: dict[str, str], fingerprint: str, log: Callable[[str], None]
) -> dict[str, Any]:
    """Loads the peers' database from `source` unless the one there was loaded from the same
    `fingerprint` (the bench database's identity: path or URL, size/seed file, sessions)."""
    marker = VAR / f"peers-loaded-{'pg' if 'PEERS_PG_URL' in target else 'sqlite'}.json"
    fingerprint = f"{fingerprint}:loader {LOADER_VERSION}"
    if marker.exists():
        saved = json.loads(marker.read_text())
        if saved.get("fingerprint") == fingerprint:
            log(f"peers: reusing the loaded peers database ({saved['loaded']})")
            return {**saved["loaded"], "reused": True}
    if "PEERS_DB" in target:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(target["PEERS_DB"] + suffix).unlink(missing_ok=True)
    else:
        import psycopg

        base, name = target["PEERS_PG_URL"].rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    log(f"peers: loading the same sessions into their models from {source}")
    out = subprocess.run(  # noqa: S603
        [str(python), "-m", "bench.peers.load", "--source", source],
        cwd=ROOT,
        env=peer_env(target),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"bench.peers.load failed: {out.stderr[-2000:]}")
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    marker.write_text(json.dumps({"fingerprint": fingerprint, "loaded": loaded}))
    return {**loaded, "reused": False}


def measure_case(
    python: Path, case: str, *, target: dict[str, str], timezone: str, reps: int, cap_s: float, log_path: Path
) -> dict[str, Any]:
    """Runs one case in its own process; stops it at `cap_s` seconds (warm-up included)."""
    lines: list[dict[str, Any]] = []
    got: queue.Queue[str | None] = queue.Queue()
    with log_path.open("a") as err:
        proc = subprocess.Popen(  # noqa: S603
            [str(python), "-m", "bench.peers.measure", "--case", case, "--reps", str(reps)],
            cwd=ROOT,
            env=peer_env(target, timezone),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )

        def reader() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                got.put(raw)
            got.put(None)

        threading.Thread(target=reader, daemon=True).start()
        deadline = time.monotonic() + cap_s
        capped = False
        rep_started = time.monotonic()
        rep_started = time.monotonic()
        while True:
            try:
                raw = got.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                capped = True
                proc.kill()
                break
            if raw is None:
                break
            if raw.startswith("{"):
                line = json.loads(raw)
                if "started" in line:
                    rep_started = time.monotonic()
                else:
                    lines.append(line)
            if time.monotonic() > deadline and len(lines) < reps + 1:
                capped = True
                proc.kill()
                break
        proc.wait()
        if proc.returncode not in (0, -9) and not capped:
            raise RuntimeError(f"bench.peers.measure --case {case} failed (see {log_path})")
    unfinished_ms = (time.monotonic() - rep_started) * 1000
    result = summarize(case, lines, reps=reps, cap_s=cap_s, capped=capped, unfinished_ms=unfinished_ms)
    return {**result, "load_avg": round(os.getloadavg()[0], 2)}


def run(
    database: str,
    *,
    source: str,
    fingerprint: str,
    ours: list[dict[str, Any]],
    reps: int,
    cap_s: float,
    log: Callable[[str], None],
    pg_url: str = "",
    cases: list[str] | None = None,
) -> dict[str, Any]:
    """Everything for one database: the venv, the load, each case, the ratios."""
    python = ensure_venv(log, postgres=database == "postgresql")
    target = (
        {"PEERS_PG_URL": pg_url} if database == "postgresql" else {"PEERS_DB": str(VAR / "peers.sqlite3")}
    )
    loaded = load(python, source=source, target=target, fingerprint=fingerprint, log=log)
    results = []
    log_path = VAR / f"peers-{database}.log"
    for case in cases or list(PAIRS):
        log(f"peers: {database} {case} ({reps} repetitions after 1 warm-up, cap {cap_s:g} s)")
        result = measure_case(
            python,
            case,
            target=target,
            timezone=loaded["timezone"],
            reps=reps,
            cap_s=cap_s,
            log_path=log_path,
        )
        log(f"peers: {result}")
        results.append(result)
    return {
        "versions": installed_versions(python),
        "loaded": loaded,
        "reps": reps,
        "cap_s": cap_s,
        "results": results,
        "ratios": ratios(results, ours),
    }
