"""Personas shared by every test: owner, therapist, other_therapist, assistant, and an outsider
who owns another workspace. API clients send a real bearer token."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from atendo.accounts.services import api_token_create
from atendo.workspaces.models import Membership, Workspace
from atendo.workspaces.services import member_add, workspace_create

PASSWORD = "correct-horse-battery"


@pytest.fixture
def workspace(db: Any) -> Workspace:
    return workspace_create(
        name="Clínica Serena",
        slug="serena",
        timezone="America/Sao_Paulo",
        owner_email="owner@serena.test",
        owner_password=PASSWORD,
    )


def _member(workspace: Workspace, email: str) -> Membership:
    return Membership.objects.select_related("workspace", "role", "user").get(
        workspace=workspace, user__email=email
    )


@pytest.fixture
def owner(workspace: Workspace) -> Membership:
    return _member(workspace, "owner@serena.test")


@pytest.fixture
def therapist(workspace: Workspace) -> Membership:
    member_add(
        workspace=workspace,
        actor=None,
        email="therapist@serena.test",
        role_name="Therapist",
        password=PASSWORD,
        name="Theo Therapist",
    )
    return _member(workspace, "therapist@serena.test")


@pytest.fixture
def other_therapist(workspace: Workspace) -> Membership:
    member_add(
        workspace=workspace,
        actor=None,
        email="other@serena.test",
        role_name="Therapist",
        password=PASSWORD,
        name="Olga Other",
    )
    return _member(workspace, "other@serena.test")


@pytest.fixture
def assistant(workspace: Workspace) -> Membership:
    member_add(
        workspace=workspace,
        actor=None,
        email="assistant@serena.test",
        role_name="Assistant",
        password=PASSWORD,
        name="Ana Assistant",
    )
    return _member(workspace, "assistant@serena.test")


@pytest.fixture
def other_workspace(db: Any) -> Workspace:
    return workspace_create(
        name="Outra Prática",
        slug="outra",
        timezone="Europe/Lisbon",
        owner_email="outsider@outra.test",
        owner_password=PASSWORD,
    )


@pytest.fixture
def outsider(other_workspace: Workspace) -> Membership:
    return _member(other_workspace, "outsider@outra.test")


class ApiClient:
    """A test client that speaks JSON to /api/v1/workspaces/<slug>/ with a bearer token."""

    def __init__(self, member: Membership, workspace_slug: str | None = None):
        _token, raw = api_token_create(member=member, name="tests")
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
