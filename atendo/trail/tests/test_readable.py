"""The trail reads like a log for an owner: translated actions, object names (redacted per reader),
local times and readable changes, in English and Portuguese."""

from __future__ import annotations

import pytest

from atendo.audit.services import audit_record
from atendo.clients.models import Client
from atendo.scheduling.services import session_create, session_update
from atendo.workspaces.services import workspace_update_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(owner, therapist):
    client = Client.objects.create(workspace=owner.workspace, name="Mariana Souza")
    session = session_create(
        member=owner,
        client_id=client.pk,
        practitioner_id=therapist.pk,
        name="Psicoterapia",
        starts_at="2026-12-01T14:00",
        duration_minutes=50,
    ).session
    session_update(
        member=owner,
        session_id=session.pk,
        version=session.version,
        changes={"starts_at": "2026-12-01T15:00"},
    )
    return session


def _rows(page_client, member, language="en", **params):
    client = page_client(member)
    html = client.get("/w/serena/settings/audit/", params, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return html.split("<tbody>")[1].split("</tbody>")[0]


def test_actions_are_words_and_ids_are_names(page_client, owner, booked):
    rows = _rows(page_client, owner, action="session.")
    assert "Booked a session" in rows and "Changed a session" in rows
    assert "session.create" not in rows.replace('data-action="session.create"', "")
    assert "Theo Therapist" in rows and "Mariana Souza" in rows  # practitioner_id, client_id
    assert f"/w/serena/sessions/{booked.pk}/" in rows  # the object links to the session


def test_times_are_local_and_in_the_readers_format(page_client, owner, booked):
    rows = _rows(page_client, owner, action="session.update")
    # 15:00 in São Paulo (18:00 UTC), never the stored UTC ISO string
    assert "Dec 1, 2026, 14:00 → Dec 1, 2026, 15:00" in rows
    assert "+00:00" not in rows and "T18:00" not in rows
    rows_pt = _rows(page_client, owner, language="pt-br", action="session.update")
    assert "01/12/2026 14:00 → 01/12/2026 15:00" in rows_pt


def test_portuguese_reads_portuguese_keys_and_values(page_client, owner):
    workspace_update_settings(member=owner, prevent_double_booking=True)
    rows = _rows(page_client, owner, language="pt-br", action="workspace.")
    assert "Não → Sim" in rows


def test_an_unknown_action_shows_its_code_and_a_missing_label_the_object_kind(page_client, owner):
    audit_record(workspace=owner.workspace, actor=owner, action="custom.thing", changes={"session_id": 999})
    rows = _rows(page_client, owner, action="custom.")
    assert "custom.thing" in rows and "#999" in rows


def test_the_readable_page_runs_a_bounded_number_of_queries(
    page_client, owner, booked, django_assert_max_num_queries
):
    for _ in range(30):
        session_update(
            member=owner,
            session_id=booked.pk,
            version=type(booked).objects.get(pk=booked.pk).version,
            changes={"duration_minutes": 45 if _ % 2 else 50},
        )
    client = page_client(owner)
    with django_assert_max_num_queries(14):
        assert client.get("/w/serena/settings/audit/").status_code == 200
