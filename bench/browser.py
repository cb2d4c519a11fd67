"""The calendar in a real browser (issue 17): the large workspace's month of everyone, as its owner.

gunicorn (2 sync workers, `http_load.serve`) serves the bench database; Debian's Chromium, headless
and driven by Playwright (the browser tests' launch), logs in once through the login form, then
opens the month page (`measure.write_browser_plan`) `reps` times, each in a fresh context (a cold
HTTP cache, the same log-in): the time from navigation to the first visible `.fc-event`, and the
bytes received — the calendar's API answers apart from the whole page (HTML, scripts, styles),
each as transferred (encoded: gzipped where served so) and decoded.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from bench import http_load

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TARGET_MS = 2000.0
TARGET_BYTES = 1_000_000


def _open_month(browser: Any, base: str, state: dict[str, Any], path: str) -> dict[str, Any]:
    context = browser.new_context(
        base_url=base, storage_state=state, viewport={"width": 1366, "height": 900}, locale="en-US"
    )
    responses: list[Any] = []
    try:
        page = context.new_page()
        page.on("response", lambda response: responses.append(response))
        started = time.perf_counter()
        page.goto(path, wait_until="commit")
        page.wait_for_selector(".fc-event", state="visible", timeout=60_000)
        first_event_ms = (time.perf_counter() - started) * 1000
        page.wait_for_load_state("networkidle")
        drawn = page.locator(".fc-event[data-session-id]").count()
        more = page.locator(".fc-event.ev-more").count()
        sizes = {"api": [0, 0], "page": [0, 0]}
        for response in responses:
            kind = "api" if "/calendar?" in response.url else "page"
            encoded = response.request.sizes()["responseBodySize"]
            sizes[kind][0] += encoded
            sizes[kind][1] += len(response.body()) if response.status == 200 else 0
        return {
            "first_event_ms": round(first_event_ms, 1),
            "events_drawn": drawn,
            "more_links": more,
            "api_bytes": sizes["api"][0],
            "api_decoded_bytes": sizes["api"][1],
            "page_bytes": sizes["page"][0],
            "page_decoded_bytes": sizes["page"][1],
        }
    finally:
        context.close()


def run(*, python: str, cwd: Path, env: dict[str, str], plan: Path, reps: int, log: Path) -> dict[str, Any]:
    """`reps` cold visits of the month page: the median and worst time to the first event, the bytes."""
    from playwright.sync_api import sync_playwright

    target = json.loads(plan.read_text())
    with http_load.serve(python=python, cwd=cwd, env=env, log=log) as (port, _pid):
        base = f"http://127.0.0.1:{port}"
        http_load._wait_ready(f"{base}/login/", "", timeout=60)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                context = browser.new_context(base_url=base)
                page = context.new_page()
                page.goto("/login/")
                page.get_by_label("E-mail").fill(target["email"])
                page.get_by_label("Password").fill(target["password"])
                page.get_by_role("button", name="Log in").click()
                page.wait_for_load_state("networkidle")
                state = context.storage_state()
                context.close()
                _open_month(browser, base, state, target["path"])  # warm-up: the server's first requests
                visits = [_open_month(browser, base, state, target["path"]) for _ in range(reps)]
            finally:
                browser.close()
    times = [v["first_event_ms"] for v in visits]
    last = visits[-1]
    return {
        "case": "calendar_month_all_browser",
        "page": target["path"],
        "reps": reps,
        "first_event_p50_ms": round(statistics.median(times), 1),
        "first_event_max_ms": round(max(times), 1),
        **{k: v for k, v in last.items() if k != "first_event_ms"},
        "load_avg": round(os.getloadavg()[0], 2),
    }
