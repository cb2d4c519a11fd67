"""The workspace backup of the large bench workspace (issue 15): its time, its archive's size, and
the memory of the process that writes it.

`manage.py export_workspace` writes the archive with the same writer as the task worker's
`workspace` export (`atendo.backup.writer`, rows streamed in chunks). It runs as its own process,
so its peak resident memory (`ru_maxrss` of that child alone, from `os.wait4`) is what a worker
would need, whatever the workspace's size. Target: the peak stays under `TARGET_MB`. On SQLite the
peak includes the connection's page cache (64 MB) and memory-mapped pages of the file (up to
256 MB); the Python heap itself stays at a few MB (docs/backup.md, "Memory and time").
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

TARGET_MB = 300.0
WORKSPACE = "bench-large"


def run(*, python: str, cwd: Path, env: dict[str, str], out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603
        [python, "manage.py", "export_workspace", "--workspace", WORKSPACE, "--out", str(out)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"export_workspace failed: {stderr[-2000:]}")
    try:
        with zipfile.ZipFile(out) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        size = out.stat().st_size
    finally:
        out.unlink(missing_ok=True)
    tables = manifest["tables"]  # name -> {"rows", "member", ...}
    sessions = tables.get("sessions", {}).get("rows")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return {
        "workspace": WORKSPACE,
        "sessions": sessions,
        "rows": sum(t["rows"] for t in tables.values()),
        "seconds": round(seconds, 1),
        "archive_mb": round(size / 1024 / 1024, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "target_mb": TARGET_MB,
        "met": peak_mb <= TARGET_MB,
        "load_avg": round(os.getloadavg()[0], 2),
    }
