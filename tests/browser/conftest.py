"""Browser tests: Debian's Chromium driven by Playwright (never a downloaded browser).

Fixtures: `browser` (one Chromium per test session), `page` (a fresh context per test),
`login(page, member)` (logs in through the real login form), and `shot(page, name)` (saves a
screenshot under docs/screenshots/ when SCREENSHOTS=1, or always under var/screenshots/).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1366, "height": 900},
        locale="en-US",
        timezone_id="America/Sao_Paulo",
    )
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    _live_server_requests_finish()


def _live_server_requests_finish(timeout: float = 30.0) -> None:
    """Wait until the live server has answered every request the closed browser context started
    (an htmx partial loading after a redirect, say) before the test's database is emptied: a
    request still writing would deadlock PostgreSQL's TRUNCATE (its lock against the request's),
    and the next test's set-up would fail. Each connection is served by a thread of the server's
    `process_request_thread`; closing the context closes the connections, so the threads end as
    soon as their request does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any("process_request_thread" in t.name for t in threading.enumerate() if t.is_alive()):
            return
        time.sleep(0.01)


@pytest.fixture
def login() -> Any:
    def do_login(pg: Any, member: Any, password: str = PASSWORD) -> None:
        pg.goto("/login/")
        pg.get_by_label("E-mail").fill(member.user.email)
        pg.get_by_label("Password").fill(password)
        # The page the form's answer leads to, loaded (not "network idle": that waits half a second
        # more each time, and what a test looks for next is awaited by its own expect).
        with pg.expect_navigation():
            pg.get_by_role("button", name="Log in").click()

    return do_login


@pytest.fixture
def shot() -> Any:
    def take(pg: Any, name: str) -> Path:
        target = ROOT / ("docs/screenshots" if os.environ.get("SCREENSHOTS") == "1" else "var/screenshots")
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{name}.png"
        pg.screenshot(path=str(path), full_page=False)
        return path

    return take
