"""More than one machine: two gunicorn nodes on two loopback ports over one PostgreSQL, driven at
once. What must stay exactly right when requests of one practice land on different nodes: the
double-booking race, version conflicts, invoice numbering, login throttling, and reminder sending
by two workers (docs/scaling.md).

Each node is a real `gunicorn atendo.wsgi` process (two sync workers each, so four processes serve
the requests) reading the test database; the data is written by this process and committed
(transactional tests), the requests go over real sockets. PostgreSQL only: SQLite is one file on one
machine, so "two nodes" has no meaning there.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from atendo.billing.models import Invoice
from atendo.clients.models import Client
from atendo.reminders.models import Notification, ReminderSettings
from atendo.reminders.tests.servers import smtp_server
from atendo.scheduling.models import Session
from atendo.scheduling.services import session_create
from atendo.workspaces.tokens import api_token_create
from tests.factories import PASSWORD, ClientFactory, InvoiceFactory, MemberFactory, SessionFactory

ROOT = Path(__file__).resolve().parents[1]
SP = zoneinfo.ZoneInfo("America/Sao_Paulo")
REQUESTS = 20

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.xdist_group("multinode"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _node_env() -> dict[str, str]:
    """The environment of a node: this test run's settings (same database, keys and hashers)."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=url,
        ATENDO_TESTING="1",
        ATENDO_MASTER_KEY=settings.ATENDO_MASTER_KEY,
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    return env


@dataclass
class Node:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _wait_ready(node: Node, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise RuntimeError(f"node {node.url} exited:\n{node.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(node.url + "/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"node {node.url} did not answer in {timeout} s:\n{node.log.read_text()[-3000:]}")


def _start_nodes(env: dict[str, str], logs: Path) -> list[Node]:
    started: list[Node] = []
    for i in range(2):
        port = _free_port()
        log = logs / f"node{i}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "atendo.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--timeout", "60", "--graceful-timeout", "5"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(Node(f"http://127.0.0.1:{port}", process, log))
    return started


def _stop(started: list[Node]) -> None:
    for node in started:
        node.process.terminate()
    for node in started:
        try:
            node.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            node.process.kill()


@pytest.fixture(scope="module")
def nodes(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[list[Node]]:
    if connection.vendor != "postgresql":
        pytest.skip("two nodes over one database: PostgreSQL only (SQLite is one file on one machine)")
    started = _start_nodes(_node_env(), tmp_path_factory.mktemp("nodes"))
    try:
        for node in started:
            _wait_ready(node)
        yield started
    finally:
        _stop(started)


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def shared_cache_nodes(nodes: list[Node], tmp_path_factory: Any) -> Iterator[list[Node]]:
    """Two more nodes, sharing a Redis cache (REDIS_URL), as docs/scaling.md says to run them."""
    import redis

    try:
        store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        store.flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL} ({exc}); set TEST_REDIS_URL")
    started = _start_nodes(_node_env() | {"REDIS_URL": REDIS_URL}, tmp_path_factory.mktemp("redis-nodes"))
    try:
        for node in started:
            _wait_ready(node)
        yield started
    finally:
        _stop(started)
        store.flushdb()


@pytest.fixture(autouse=True)
def _quiet_nodes(nodes: list[Node]) -> Iterator[None]:
    """Each test waits for its requests; the nodes then hold no transaction while the database is
    emptied (their idle connections hold no lock)."""
    yield


def _call(method: str, url: str, *, token: str, body: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=body.encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _json(exc.read())


def _json(raw: bytes) -> Any:
    import json

    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Every call on its own thread, all released at once."""
    import threading

    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _token(member: Any) -> str:
    return api_token_create(member=member, name="multinode")[1]


def test_the_double_booking_race_has_one_winner_across_nodes(nodes, workspace, owner, therapist):
    workspace.prevent_double_booking = True
    workspace.save()
    clients = [Client.objects.create(workspace=workspace, name=f"Client {i}") for i in range(REQUESTS)]
    tokens = [_token(owner) for _ in range(REQUESTS)]

    def book(i: int) -> tuple[int, Any]:
        body = (
            f'{{"name": "Booking {i}", "client_id": {clients[i].pk}, "practitioner_id": {therapist.pk},'
            ' "starts_at": "2026-03-10T10:00", "duration_minutes": 60}'
        )
        return _call(
            "POST", nodes[i % 2].url + "/api/v1/workspaces/serena/sessions", token=tokens[i], body=body
        )

    answers = _at_once([lambda i=i: book(i) for i in range(REQUESTS)])
    assert Counter(status for status, _ in answers) == {201: 1, 409: REQUESTS - 1}, answers
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"overlap"}
    assert Session.objects.filter(practitioner=therapist).count() == 1


def test_edits_of_one_version_give_one_write_across_nodes(nodes, workspace, owner):
    client = Client.objects.create(workspace=workspace, name="Ana")
    session = session_create(
        member=owner, client_id=client.pk, name="Original", starts_at="2026-03-10T10:00"
    ).session
    tokens = [_token(owner) for _ in range(REQUESTS)]
    url = f"/api/v1/workspaces/serena/sessions/{session.pk}"

    def edit(i: int) -> tuple[int, Any]:
        body = f'{{"version": 1, "name": "Edit {i}"}}'
        return _call("PATCH", nodes[i % 2].url + url, token=tokens[i], body=body)

    answers = _at_once([lambda i=i: edit(i) for i in range(REQUESTS)])
    assert Counter(status for status, _ in answers) == {200: 1, 409: REQUESTS - 1}, answers
    winner = next(body for status, body in answers if status == 200)["session"]
    stored = Session.objects.get(pk=session.pk)
    assert stored.version == 2 and stored.name == winner["name"]
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"version_conflict"}


def test_invoice_numbers_stay_gapless_across_nodes(nodes, workspace, owner, therapist):
    drafts = []
    for i in range(12):
        client = ClientFactory(workspace=workspace, name=f"Invoice client {i}")
        session = SessionFactory(client=client, practitioner=therapist, by=owner, status="completed")
        drafts.append(InvoiceFactory(sessions=[session], by=owner))
    tokens = [_token(owner) for _ in drafts]

    def issue(i: int) -> tuple[int, Any]:
        url = f"{nodes[i % 2].url}/api/v1/workspaces/serena/invoices/{drafts[i].pk}/issue"
        return _call("POST", url, token=tokens[i], body="{}")

    answers = _at_once([lambda i=i: issue(i) for i in range(len(drafts))])
    assert [status for status, _ in answers] == [200] * len(drafts), answers
    numbers = sorted(Invoice.objects.filter(workspace=workspace).values_list("number", flat=True))
    assert numbers == list(range(1, len(drafts) + 1))
    assert sorted(body["number"] for _, body in answers) == numbers


class Browser:
    """A cookie jar and the login form, like a person's browser, on one node."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def login(self, email: str, password: str) -> tuple[int, str]:
        with self.opener.open(self._request("/login/"), timeout=60) as page:
            html = page.read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert csrf, html[:500]
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf.group(1), "username": email, "password": password}
        ).encode()
        try:
            with self.opener.open(self._request("/login/", form), timeout=60) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def _request(self, path: str, data: bytes | None = None) -> urllib.request.Request:
        return urllib.request.Request(
            self.node.url + path,
            data=data,
            headers={"Accept-Language": "en", "Referer": self.node.url + "/login/"},
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_failed_logins_count_across_nodes(nodes, workspace, settings):
    member = MemberFactory(workspace=workspace, email="throttled@serena.test", role="Assistant")
    control = MemberFactory(workspace=workspace, email="control@serena.test", role="Assistant")
    limit = settings.LOGIN_THROTTLE_MAX_FAILURES
    answers = _at_once(
        [lambda i=i: Browser(nodes[i % 2]).login(member.user.email, "wrong password") for i in range(limit)]
    )
    assert all(status != 302 for status, _ in answers)
    for node in nodes:  # the right password is now refused on either node
        status, html = Browser(node).login(member.user.email, PASSWORD)
        assert status != 302 and "Too many failed log-in attempts" in html, (status, html[:300])
    status, _html = Browser(nodes[1]).login(control.user.email, PASSWORD)
    assert status == 302  # the limit is per account: another one still gets in


WORKER = """
import datetime as dt, sys, time, django
django.setup()
from atendo.reminders import sending
now = dt.datetime.fromisoformat(sys.argv[1]); start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
sending.plan_due(now)
print(sending.send_due(now))
"""


def test_two_workers_on_two_machines_send_each_reminder_once(nodes, workspace, owner, therapist):
    rs, _ = ReminderSettings.objects.get_or_create(workspace=workspace)
    rs.enabled, rs.channels, rs.offsets_minutes = True, ["email"], [1440, 120]
    rs.quiet_start = rs.quiet_end = dt.time(0, 0)
    rs.save()
    starts = (dt.datetime.now(SP) + dt.timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    for i in range(8):
        client = ClientFactory(workspace=workspace, name=f"Racer {i}", email=f"c{i}@example.com")
        SessionFactory(
            client=client, practitioner=therapist, by=owner, starts_at=starts - dt.timedelta(minutes=5 * i)
        )
    now = starts - dt.timedelta(minutes=119)  # every session's 120-minute reminder is due
    for smtp in smtp_server():
        env = _node_env() | {
            "DJANGO_SETTINGS_MODULE": "atendo.settings",
            "EMAIL_HOST": smtp.host,
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_USE_TLS": "0",
        }
        start = time.time() + 8  # both workers start sending at the same moment, after Django loads
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, now.isoformat(), str(start)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=120) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        sent = Notification.objects.filter(workspace=workspace, status="sent")
        assert (
            Notification.objects.filter(workspace=workspace, status__in=["pending", "sending"]).count() == 0
        )
        assert sum(int(out.split()[-1]) for out, _err in outputs) == sent.count() >= 8
        per_session = Counter(sent.values_list("session__client__email", flat=True))
        assert set(per_session) == {f"c{i}@example.com" for i in range(8)}
        assert Counter(m["To"] for m in smtp.messages) == per_session  # each sent once, none twice


def _signup(node: Node, i: int) -> int:
    browser = Browser(node)
    with browser.opener.open(browser._request("/signup/"), timeout=60) as page:
        html = page.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert csrf, html[:300]
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf.group(1), "name": "", "email": f"x{i}@"}
    ).encode()
    try:
        with browser.opener.open(browser._request("/signup/", form), timeout=60) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_shared_cache_counts_rate_limits_across_nodes(shared_cache_nodes, settings):
    """The public doors' limits live in the cache: with REDIS_URL every node and worker counts
    together (here the sign-up page's per-address limit; online booking and the portal use the
    same kind of counter)."""
    limit = settings.SIGNUP_THROTTLE_MAX_PER_IP
    statuses = [_signup(shared_cache_nodes[i % 2], i) for i in range(limit)]
    assert 429 not in statuses, statuses  # bad forms, answered as such
    assert [_signup(node, limit + i) for i, node in enumerate(shared_cache_nodes)] == [429, 429]
