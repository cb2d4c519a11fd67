"""`manage.py seed_demo` makes the demo workspace once, through every app's own seeding."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from atendo.clients.models import Client
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_the_demo_workspace_with_its_people_clients_and_sessions():
    assert "Created the demo workspace" in seed()
    emails = set(Membership.objects.filter(workspace__slug="demo").values_list("user__email", flat=True))
    assert emails == {"owner@example.com", "therapist@example.com", "assistant@example.com"}
    assert Client.objects.filter(workspace__slug="demo").exists()
    assert Session.objects.filter(workspace__slug="demo").exists()


def test_seed_demo_run_again_changes_nothing():
    seed()
    sessions = Session.objects.count()
    assert "already exists" in seed()
    assert Session.objects.count() == sessions
