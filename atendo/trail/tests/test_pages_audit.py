"""The audit trail page: owners (or `audit.read`) browse, filter and page through events."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from atendo.audit.models import AuditEvent
from atendo.audit.services import audit_record
from atendo.workspaces.services import role_create, workspace_update_settings

pytestmark = pytest.mark.django_db


def test_owner_sees_what_changed(owner, page_client):
    workspace_update_settings(member=owner, timezone="Europe/Lisbon")
    html = page_client(owner).get("/w/serena/settings/audit/").content.decode()
    assert "workspace.update" in html
    assert "America/Sao_Paulo → Europe/Lisbon" in html
    assert "owner@serena.test" in html


def test_filters_by_action_and_actor(owner, therapist, page_client):
    role_create(member=owner, name="Reception", permissions=["session.read"])
    client = page_client(owner)
    rows = client.get("/w/serena/settings/audit/", {"action": "role."}).content.decode().split("<tbody>")[1]
    assert 'data-action="role.create"' in rows and "member.add" not in rows
    html = client.get("/w/serena/settings/audit/", {"actor": owner.user_id}).content.decode()
    assert "role.create" in html and "therapist@serena.test" not in html.split("<tbody>")[1]


def test_pages_through_many_events_in_constant_queries(owner, page_client, django_assert_max_num_queries):
    for i in range(120):
        audit_record(
            workspace=owner.workspace, actor=owner, action="test.event", object_label=f"event-{i:03d}"
        )
    client = page_client(owner)
    with django_assert_max_num_queries(10):
        first = client.get("/w/serena/settings/audit/", {"action": "test."})
    html = first.content.decode()
    assert "event-119" in html and "event-070" in html and "event-069" not in html
    next_url = re.search(r'href="(\?[^"]*cursor=[^"]+)"', html)
    assert next_url
    second = client.get(
        "/w/serena/settings/audit/" + next_url.group(1).replace("&amp;", "&")
    ).content.decode()
    assert "event-069" in second and "event-070" not in second and "event-119" not in second
    assert "Newest" in second


def test_bad_filters_are_refused_with_a_message(owner, page_client):
    client = page_client(owner)
    response = client.get("/w/serena/settings/audit/", {"cursor": "garbage"})
    assert response.status_code == 400
    assert "This cursor is not valid" in response.content.decode()
    response = client.get("/w/serena/settings/audit/", {"since": "2026-02-10", "until": "2026-01-01"})
    assert response.status_code == 400
    response = client.get("/w/serena/settings/audit/", {"since": "yesterday"})
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


def test_date_range_uses_the_workspace_day(owner, page_client):
    # 01:30 UTC on 2026-03-11 is still 10 March in São Paulo (UTC-3). (Events never change: it is
    # written at that moment.)
    late = dt.datetime(2026, 3, 11, 1, 30, tzinfo=dt.UTC)
    AuditEvent.objects.create(
        workspace=owner.workspace, actor_label=owner.user.email, action="test.late", at=late
    )
    client = page_client(owner)
    inside = client.get("/w/serena/settings/audit/", {"since": "2026-03-10", "until": "2026-03-10"})
    assert "test.late" in inside.content.decode()
    outside = client.get("/w/serena/settings/audit/", {"since": "2026-03-11", "until": "2026-03-11"})
    assert "test.late" not in outside.content.decode()


def test_audit_page_checks_access(owner, therapist, outsider, page_client):
    assert page_client(therapist).get("/w/serena/settings/audit/").status_code == 403
    assert page_client(outsider).get("/w/serena/settings/audit/").status_code == 404
    role_create(member=owner, name="Auditor", permissions=["audit.read"])
    from atendo.workspaces.services import member_add

    auditor = member_add(
        workspace=owner.workspace, actor=None, email="audit@serena.test", role_name="Auditor"
    )
    assert page_client(auditor).get("/w/serena/settings/audit/").status_code == 200


def test_events_of_another_workspace_never_show(owner, outsider, page_client):
    audit_record(workspace=outsider.workspace, actor=outsider, action="secret.thing")
    assert "secret.thing" not in page_client(owner).get("/w/serena/settings/audit/").content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"since": "9999-12-31", "until": "9999-12-31"},
        {"since": "0001-01-01"},
        {"actor": "99999999999999999999999"},
        {"actor": "abc"},
        {"action": "x" * 500},
        {"object_type": "\x00"},
        {"cursor": "\x00\x01"},
    ],
)
def test_odd_filters_are_refused_not_crashed(owner, page_client, params):
    response = page_client(owner).get("/w/serena/settings/audit/", params)
    assert response.status_code == 400
