"""The read audit: every door that shows clinical content records who read what, once per request
(one `clinical.read` event, whatever the number of rows), linked into the chain, with a client row
per record read; nothing for a reader shown nothing clinical; the owner sees "who opened this
record" on the client page."""

from __future__ import annotations

import pytest

from atendo.audit import chain
from atendo.audit.models import AuditEvent, AuditEventClient
from tests.factories import (
    AttachmentFactory,
    ClientFactory,
    EvaluationFactory,
    FieldDefinitionFactory,
    SessionFactory,
    ago,
)

pytestmark = pytest.mark.django_db


def reads(workspace):
    return list(AuditEvent.objects.for_workspace(workspace).filter(action="clinical.read").order_by("seq"))


@pytest.fixture
def maria(workspace, therapist):
    return ClientFactory(workspace=workspace, name="Maria", practitioners=[therapist])


@pytest.fixture
def noted(maria, therapist):
    return SessionFactory(client=maria, practitioner=therapist, notes="Relatou insônia.", days_ago=2)


def test_a_session_read_through_the_api_is_recorded_once(api, therapist, noted, maria):
    theo = api(therapist)
    assert theo.get(f"sessions/{noted.pk}").json()["notes"] == "Relatou insônia."
    (event,) = reads(therapist.workspace)
    assert event.actor_label == therapist.user.email and event.client_id == maria.pk
    assert event.changes["sessions"] == [noted.pk] and event.changes["clients"] == [maria.pk]
    assert event.changes["door"] == "GET /api/v1/workspaces/<workspace_slug>/sessions/<session_id>"
    assert "insônia" not in str(event.changes)
    assert list(AuditEventClient.objects.filter(event=event).values_list("client_id", flat=True)) == [
        maria.pk
    ]
    theo.get(f"sessions/{noted.pk}")
    assert len(reads(therapist.workspace)) == 2  # a second request is a second read
    assert chain.verify(therapist.workspace_id).ok


def test_the_session_page_is_one_read_however_often_it_serializes(page_client, therapist, noted):
    response = page_client(therapist).get(f"/w/serena/sessions/{noted.pk}/")
    assert response.status_code == 200 and "Relatou insônia." in response.content.decode()
    (event,) = reads(therapist.workspace)
    assert event.changes["sessions"] == [noted.pk]
    assert event.changes["door"] == "GET /w/<slug:workspace_slug>/sessions/<int:session_id>/"


def test_a_calendar_range_of_many_records_is_one_write(
    api, owner, therapist, workspace, django_assert_max_num_queries
):
    clients = [ClientFactory(workspace=workspace, practitioners=[therapist]) for _ in range(3)]
    sessions = [
        SessionFactory(client=c, practitioner=therapist, notes=f"n{i}", days_ago=1 + i % 3)
        for i, c in enumerate(clients * 4)
    ]
    span = {"start": ago(5).date().isoformat(), "end": ago(-1).date().isoformat()}
    boss = api(owner)
    items = boss.get("sessions", **span).json()["items"]
    assert len(items) == 12
    (event,) = reads(workspace)
    assert event.changes["sessions"] == sorted(s.pk for s in sessions)
    assert sorted(AuditEventClient.objects.filter(event=event).values_list("client_id", flat=True)) == sorted(
        c.pk for c in clients
    )
    assert event.client_id is None  # several records: listed, not one object
    with django_assert_max_num_queries(12) as few:
        boss.get("sessions", **span)
    writes = [q for q in few.captured_queries if q["sql"].startswith("INSERT")]
    assert len(writes) == 2  # the event and its client rows, however many rows were read


def test_a_reader_shown_nothing_clinical_records_nothing(
    api, assistant, other_therapist, noted, workspace, maria
):
    for member in (assistant, other_therapist):
        body = api(member).get(f"sessions/{noted.pk}").json()
        assert "notes" not in body
    SessionFactory(client=maria, days_ago=3)  # no notes, no values: nothing clinical to read
    api(assistant).get("sessions", start=ago(5).date().isoformat(), end=ago(-1).date().isoformat())
    assert reads(workspace) == []


def test_every_door_records_what_it_showed(api, page_client, owner, therapist, workspace, maria, noted):
    FieldDefinitionFactory(workspace=workspace, scope="client", key="diagnosis")
    maria.fields = {"diagnosis": "F41"}
    maria.save(update_fields=["fields"])
    evaluation = EvaluationFactory(client=maria, by=therapist, values={})
    attachment = AttachmentFactory(client=maria, by=therapist, clinical=True)
    theo = api(therapist)

    def last():
        return reads(workspace)[-1].changes

    theo.get(f"evaluations/{evaluation.pk}")
    assert last()["evaluations"] == [evaluation.pk]
    response = theo.get(f"attachments/{attachment.pk}/content")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert last()["attachments"] == [attachment.pk]
    theo.get(f"clients/{maria.pk}")
    assert "client_fields" in last()
    body = b"".join(theo.get("sessions/export.csv").streaming_content).decode()
    assert "Relatou insônia." in body
    assert last()["sessions"] == [noted.pk] and last()["door"].endswith("sessions/export.csv")
    theo.put(f"sessions/{noted.pk}/private-note", {"text": "Só minha."})
    theo.get(f"sessions/{noted.pk}/private-note")
    assert last()["private_notes"] == [noted.pk]


def test_the_owner_sees_who_opened_the_record(api, page_client, owner, therapist, assistant, maria, noted):
    api(therapist).get(f"sessions/{noted.pk}")
    page = page_client(owner).get(f"/w/serena/clients/{maria.pk}/")
    assert f'hx-get="/w/serena/settings/audit/clients/{maria.pk}/reads/"' in page.content.decode()
    card = page_client(owner).get(f"/w/serena/settings/audit/clients/{maria.pk}/reads/").content.decode()
    assert "Who opened this record" in card and therapist.display_name in card
    assert "1 session" in card and "sessions/{session_id}" in card
    # Without audit.read there is neither the card nor its partial.
    assert "/reads/" not in page_client(therapist).get(f"/w/serena/clients/{maria.pk}/").content.decode()
    assert (
        page_client(therapist).get(f"/w/serena/settings/audit/clients/{maria.pk}/reads/").status_code == 403
    )
    assert page_client(owner).get("/w/serena/settings/audit/clients/999999/reads/").status_code == 404
