"""Personas shared by every test: owner, therapist, other_therapist, assistant, and an outsider
who owns another workspace. API clients send a real bearer token. Everything else a test needs is
built with `tests.factories` (see its docstring for when a factory goes through a service)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as HttpClient

from atendo.workspaces.models import Membership, Workspace
from atendo.workspaces.tokens import api_token_create
from tests.factories import MemberFactory, WorkspaceFactory, owner_of


@pytest.fixture(scope="session", autouse=True)
def _attachments_in_a_temporary_directory(tmp_path_factory: Any) -> Iterator[None]:
    """Uploaded bytes of the test run go to a temporary directory (one per xdist worker), never
    to var/files beside the development data. A test may still move them with `settings`."""
    from django.conf import settings

    previous = settings.ATTACHMENTS_ROOT, settings.EXPORTS_ROOT
    settings.ATTACHMENTS_ROOT = tmp_path_factory.mktemp("attachments")
    settings.EXPORTS_ROOT = tmp_path_factory.mktemp("exports")  # export files, likewise
    yield
    settings.ATTACHMENTS_ROOT, settings.EXPORTS_ROOT = previous


@pytest.fixture
def smtp(settings: Any) -> Iterator[Any]:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives (`.messages`), with
    Django's SMTP backend pointed at it."""
    from atendo.reminders.tests.servers import smtp_server

    for server in smtp_server():
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.host
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield server


@pytest.fixture(autouse=True)
def _nothing_carries_over_between_tests() -> Iterator[None]:
    """Each test starts from an empty cache (rate-limit counters, cached feeds and insights live
    there, and would otherwise count one test's requests against the next) and the default
    language (a request through the test client leaves its language active in the thread)."""
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    yield
    cache.clear()
    translation.deactivate()


@pytest.fixture
def totp_clock(monkeypatch: Any) -> Any:
    """The authenticator's clock held still for the test, in the middle of a 30-second step: a
    code made by the test and the code the server expects belong to the same step, however long
    the test takes (a step boundary between them made a code "one step old" at random). Returns
    the moment; `totp_clock + timedelta(seconds=30)` is the next step."""
    import types

    from django.utils import timezone

    from atendo.accounts import mfa

    real = timezone.now()
    still = real.replace(second=15 if real.second < 30 else 45, microsecond=0)
    monkeypatch.setattr(mfa, "timezone", types.SimpleNamespace(now=lambda: still))
    return still


@pytest.fixture
def workspace(db: Any) -> Workspace:
    return WorkspaceFactory(
        name="Clínica Serena", slug="serena", timezone="America/Sao_Paulo", owner_email="owner@serena.test"
    )


@pytest.fixture
def owner(workspace: Workspace) -> Membership:
    return owner_of(workspace)


@pytest.fixture
def therapist(workspace: Workspace) -> Membership:
    return MemberFactory(workspace=workspace, email="therapist@serena.test", name="Theo Therapist")


@pytest.fixture
def other_therapist(workspace: Workspace) -> Membership:
    return MemberFactory(workspace=workspace, email="other@serena.test", name="Olga Other")


@pytest.fixture
def assistant(workspace: Workspace) -> Membership:
    return MemberFactory(
        workspace=workspace, email="assistant@serena.test", name="Ana Assistant", role="Assistant"
    )


@pytest.fixture
def other_workspace(db: Any) -> Workspace:
    return WorkspaceFactory(
        name="Outra Prática", slug="outra", timezone="Europe/Lisbon", owner_email="outsider@outra.test"
    )


@pytest.fixture
def outsider(other_workspace: Workspace) -> Membership:
    return owner_of(other_workspace)


class ApiClient:
    """A test client that speaks JSON to /api/v1/workspaces/<slug>/ with a bearer token. The token
    has the "sensitive" scope (an integration trusted with role changes, assignments, exports);
    `scopes=[]` gives one that is refused those (403 `reauth_required`)."""

    def __init__(self, member: Membership, workspace_slug: str | None = None, scopes: Any = ("sensitive",)):
        _token, raw = api_token_create(member=member, name="tests", scopes=scopes)
        self.member = member
        self.slug = workspace_slug or member.workspace.slug
        self.http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
        self.raw_token = raw

    def url(self, path: str) -> str:
        if path.startswith("/api/"):
            return path
        return f"/api/v1/workspaces/{self.slug}/{path.lstrip('/')}"

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(self.url(path), params)

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.http.post(self.url(path), data, content_type="application/json", **extra)

    def put(self, path: str, data: Any = None) -> Any:
        return self.http.put(self.url(path), data, content_type="application/json")

    def patch(self, path: str, data: Any = None) -> Any:
        return self.http.patch(self.url(path), data, content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.http.delete(self.url(path))


@pytest.fixture
def api() -> Any:
    """`api(member)` -> an ApiClient acting as that member (optionally for another slug)."""
    return ApiClient


@pytest.fixture
def page_client() -> Any:
    """`page_client(member)` -> a logged-in Django test client for the pages."""

    def make(member: Membership) -> HttpClient:
        client = HttpClient()
        client.force_login(member.user)
        return client

    return make
