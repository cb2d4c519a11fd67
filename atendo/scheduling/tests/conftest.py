"""Fixtures for the scheduling tests: clients of the `serena` workspace, a member without
`session.read`, and `book`, which books sessions through the real service with the start written
as the API takes it (`tests.factories.SessionFactory` builds sessions everywhere else)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from atendo.clients.models import Client
from atendo.scheduling.services import session_create
from atendo.workspaces.models import Membership, Workspace
from tests.factories import ClientFactory, MemberFactory, RoleFactory


@pytest.fixture
def client_ana(workspace: Workspace) -> Client:
    return ClientFactory(workspace=workspace, name="Ana Cliente")


@pytest.fixture
def client_bia(workspace: Workspace) -> Client:
    return ClientFactory(workspace=workspace, name="Bia Cliente")


@pytest.fixture
def foreign_client(other_workspace: Workspace) -> Client:
    return ClientFactory(workspace=other_workspace, name="Outra Cliente")


@pytest.fixture
def receptionist(workspace: Workspace) -> Membership:
    """A member whose role lacks `session.read` (sees clients, never sessions)."""
    role = RoleFactory(workspace=workspace, name="Reception", permissions=["client.read"])
    return MemberFactory(workspace=workspace, email="reception@serena.test", role=role)


@pytest.fixture
def book(owner: Membership) -> Any:
    """`book(client, "2026-03-10T10:00", minutes=60, member=owner, **extra)` -> saved Session."""

    def make(
        client: Client, starts_at: str, minutes: int = 60, member: Membership | None = None, **extra: Any
    ):
        return session_create(
            member=member or owner,
            client_id=client.pk,
            name=extra.pop("name", "Sessão"),
            starts_at=starts_at,
            duration_minutes=minutes,
            **extra,
        ).session

    return make


def local(workspace: Workspace, text: str) -> dt.datetime:
    """'2026-03-10T10:00' in the workspace zone, as an aware datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=workspace.tz)
