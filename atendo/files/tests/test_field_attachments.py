"""Files put in custom-field values join the record that saved them, through every door that saves
field values (session create and phase save, recording, evaluations, clients; API and pages), and
from then on follow that record's clinical barrier. The services claim them explicitly: the
session services write with bulk_create / .update(), which no post_save signal ever saw."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from atendo.files.models import Attachment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def attachments_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "files"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client, name="scan.png"):
    response = client.http.post(client.url("attachments"), {"file": SimpleUploadedFile(name, png_bytes())})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def define(client, **definition):
    response = client.post("fields", {"label": definition["key"].title(), "type": "file", **definition})
    assert response.status_code == 201, response.json()


def readers(api, attachment_id, *members):
    """The status each member's download gets."""
    return [api(m).get(f"attachments/{attachment_id}/content").status_code for m in members]


@pytest.fixture
def bruna(api, owner, therapist):
    """A client of `therapist`, with a clinical file field in the during-session phase."""
    define(api(owner), scope="session", phase="during", key="scan")
    response = api(owner).post("clients", {"name": "Bruna", "practitioner_ids": [therapist.pk]})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def book(api, owner, client_id, practitioner, **extra):
    response = api(owner).post(
        "sessions",
        {
            "name": "Sessão",
            "client_id": client_id,
            "practitioner_id": practitioner.pk,
            "starts_at": "2026-03-10T10:00",
            **extra,
        },
    )
    assert response.status_code == 201, response.json()
    return response.json()["session"]


def save_during(api, member, session, values):
    response = api(member).put(
        f"sessions/{session['id']}/fields/during", {"version": session["version"], "values": values}
    )
    assert response.status_code == 200, response.json()
    return response.json()["session"]


def test_a_file_in_a_during_phase_field_is_readable_by_the_clients_therapist_and_the_owner_only(
    api, owner, therapist, other_therapist, assistant, bruna
):
    session = book(api, owner, bruna, therapist)
    scan = upload(api(owner))
    save_during(api, owner, session, {"scan": scan})
    assert Attachment.objects.get(pk=scan).session_id == session["id"]
    assert readers(api, scan, owner, therapist, other_therapist, assistant) == [200, 200, 404, 404]


def test_the_uploader_loses_access_to_a_session_file_when_unassigned(api, owner, therapist, bruna):
    session = book(api, owner, bruna, therapist)
    scan = upload(api(therapist))
    save_during(api, therapist, session, {"scan": scan})
    assert readers(api, scan, therapist) == [200]
    unassigned = api(owner).delete(f"clients/{bruna}/practitioners/{therapist.pk}")
    assert unassigned.status_code == 200, unassigned.json()
    assert readers(api, scan, therapist, owner) == [404, 200]


def test_someone_elses_upload_is_never_adopted_by_naming_its_id(
    api, owner, therapist, other_therapist, bruna
):
    session = book(api, owner, bruna, therapist)
    stranger = upload(api(other_therapist))
    save_during(api, therapist, session, {"scan": stranger})
    assert Attachment.objects.get(pk=stranger).session_id is None
    assert readers(api, stranger, therapist, other_therapist) == [404, 200]


def test_a_file_in_pre_session_values_given_at_booking_joins_the_session(api, owner, therapist, bruna):
    define(api(owner), scope="session", phase="pre", key="referral")
    referral = upload(api(owner))
    session = book(api, owner, bruna, therapist, fields={"pre": {"referral": referral}})
    assert Attachment.objects.get(pk=referral).session_id == session["id"]
    assert readers(api, referral, therapist) == [200]


def test_a_file_uploaded_in_the_phase_form_of_the_session_page_joins_the_session(
    api, owner, therapist, other_therapist, page_client, bruna
):
    session = book(api, owner, bruna, therapist)
    response = page_client(therapist).post(
        f"/w/{owner.workspace.slug}/sessions/{session['id']}/fields/during/",
        {
            "version": session["version"],
            "fields.during.scan__upload": SimpleUploadedFile("scan.png", png_bytes()),
        },
    )
    assert response.status_code == 302
    scan = Attachment.objects.get()
    assert scan.session_id == session["id"]
    assert readers(api, scan.pk, therapist, other_therapist) == [200, 404]


def test_a_file_in_a_recorded_sessions_therapy_fields_joins_the_session(
    api, owner, therapist, other_therapist, bruna
):
    therapy = api(owner).post("therapy-types", {"name": "Reiki"}).json()
    define(api(owner), scope=f"therapy_type:{therapy['id']}", key="chart")
    session = book(api, owner, bruna, therapist, starts_at="2026-01-10T10:00")
    chart = upload(api(therapist))
    recorded = api(therapist).post(
        f"sessions/{session['id']}/record",
        {"version": session["version"], "therapy_type_id": therapy["id"], "therapy_fields": {"chart": chart}},
    )
    assert recorded.status_code == 200, recorded.json()
    assert Attachment.objects.get(pk=chart).session_id == session["id"]
    assert readers(api, chart, owner, other_therapist) == [200, 404]


def test_a_file_in_an_evaluation_joins_its_client(api, owner, therapist, other_therapist, bruna):
    define(api(owner), scope="evaluation", key="drawing")
    drawing = upload(api(therapist))
    created = api(therapist).post("evaluations", {"client_id": bruna, "values": {"drawing": drawing}})
    assert created.status_code == 201, created.json()
    assert Attachment.objects.get(pk=drawing).client_id == bruna
    assert readers(api, drawing, owner, other_therapist) == [200, 404]


def test_a_file_in_a_client_field_joins_the_client(api, owner, therapist, other_therapist, bruna):
    define(api(owner), scope="client", key="consent")
    consent = upload(api(therapist))
    updated = api(therapist).patch(f"clients/{bruna}", {"fields": {"consent": consent}})
    assert updated.status_code == 200, updated.json()
    assert Attachment.objects.get(pk=consent).client_id == bruna
    assert readers(api, consent, owner, other_therapist) == [200, 404]
