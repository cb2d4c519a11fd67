"""HTTP throughput of the range endpoint: gunicorn (2 sync workers) on 127.0.0.1, wrk on loopback.

The server and the load generator both stop by themselves: wrk runs for a fixed time, and the
gunicorn master this module started is terminated (by its own pid) in a `finally`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "wrk.lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        match = re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE)
        if match and int(match.group(1)) == pid:
            kids.append(int(entry.name))
    return kids


def _hwm_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _wait_ready(url: str, token: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our loopback server)
                if response.status == 200:
                    return
        except Exception as exc:  # still starting
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s: {last}")


def _wrk(port: int, plan: Path, seconds: int, connections: int) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install -y wrk).")
    out = subprocess.run(  # noqa: S603
        [
            wrk,
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(WRK_SCRIPT),
            f"http://127.0.0.1:{port}",
        ],
        env={**os.environ, "BENCH_PLAN": str(plan)},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    match = re.search(r"BENCH_RESULT (.*)", out)
    if not match:
        raise RuntimeError(f"wrk gave no result:\n{out}")
    values = {k: int(v) for k, v in (item.split("=") for item in match.group(1).split())}
    errors = sum(values[k] for k in ("connect", "read", "write", "status", "timeout"))
    duration_s = values["duration_us"] / 1e6
    return {
        "requests": values["requests"],
        "requests_per_s": round(values["requests"] / duration_s, 1),
        "p50_ms": round(values["p50_us"] / 1000, 2),
        "p95_ms": round(values["p95_us"] / 1000, 2),
        "p99_ms": round(values["p99_us"] / 1000, 2),
        "errors": errors,
        "error_detail": {k: values[k] for k in ("connect", "read", "write", "status", "timeout")},
        "seconds": round(duration_s, 1),
        "connections": connections,
    }


@contextlib.contextmanager
def serve(*, python: str, cwd: Path, env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """gunicorn (2 sync workers) on a free loopback port: yields (port, master pid); the master this
    started is stopped (by its own pid) on the way out."""
    port = free_port()
    gunicorn = str(Path(python).with_name("gunicorn"))
    with open(log, "w") as log_fh:
        server = subprocess.Popen(  # noqa: S603
            [
                gunicorn,
                "atendo.wsgi:application",
                "--workers",
                "2",
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
            ],
            cwd=cwd,
            env=env,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
        )
        try:
            yield port, server.pid
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def run(
    *,
    python: str,
    cwd: Path,
    env: dict[str, str],
    plan: Path,
    seconds: int,
    connections: int = 4,
    log: Path,
) -> dict[str, Any]:
    """Start gunicorn, warm it up, load it for `seconds`, read the workers' peak RSS, stop it."""
    token, first_path = plan.read_text().splitlines()[:2]
    with serve(python=python, cwd=cwd, env=env, log=log) as (port, pid):
        _wait_ready(f"http://127.0.0.1:{port}{first_path}", token, timeout=60)
        _wrk(port, plan, seconds=max(2, seconds // 5), connections=connections)  # warm-up
        result = _wrk(port, plan, seconds=seconds, connections=connections)
        workers = _children(pid)
        result["workers"] = len(workers)
        result["peak_rss_mb"] = round(max((_hwm_kb(pid) for pid in workers), default=0) / 1024, 1)
        return result
