"""Recording a session: one atomic save of therapy type, actual duration, notes,
therapy-specific fields and payment; the clinical barrier; session attachments."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from atendo.audit.models import AuditEvent
from atendo.billing.models import Payment
from atendo.files.models import Attachment
from atendo.scheduling.models import SessionStatusChange
from atendo.workspaces.permissions import DEFAULT_ROLES
from tests.factories import (
    ClientFactory,
    FieldDefinitionFactory,
    MemberFactory,
    RoleFactory,
    SessionFactory,
    TherapyTypeFactory,
    png_bytes,
    unsealed,
)

pytestmark = pytest.mark.django_db

PNG_1PX = png_bytes((4, 4), "#c81e1e")


@pytest.fixture
def rec(workspace, therapist):
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("150.00"))
    FieldDefinitionFactory(
        workspace=workspace,
        therapy_type=reiki,
        key="chakras",
        label="Chakras worked on",
        type="multi_select",
        required=True,
        options=[{"value": "root", "label": "Root"}, {"value": "heart", "label": "Heart"}],
    )
    FieldDefinitionFactory(
        workspace=workspace, therapy_type=reiki, key="sensations", label="Sensations", type="textarea"
    )
    client = ClientFactory(workspace=workspace, name="Maria Silva", practitioners=[therapist])
    session = SessionFactory(
        client=client,
        practitioner=therapist,
        therapy_type=reiki,
        status="in_progress",
        starts_at=timezone.now().replace(microsecond=0) - dt.timedelta(minutes=70),
        duration_minutes=60,
    )
    return {"reiki": reiki, "client": client, "session": session}


def record(api, member, session, **data):
    return api(member).post(f"sessions/{session.pk}/record", {"version": session.version, **data})


def test_therapist_records_everything_in_one_save(api, therapist, rec):
    session = rec["session"]
    response = record(
        api,
        therapist,
        session,
        actual_duration_minutes=75,
        notes="Cliente relaxou bem.",
        therapy_fields={"chakras": ["root", "heart"], "sensations": "calor nas mãos"},
        payment={"status": "paid", "method": "pix"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["session"]["status"] == "completed"
    assert body["session"]["recorded_at"]
    assert body["session"]["actual_duration_minutes"] == 75
    assert body["session"]["therapy_fields"] == {"chakras": ["root", "heart"], "sensations": "calor nas mãos"}
    assert body["session"]["version"] == session.version + 1
    assert body["payment"]["amount"] == "150.00"  # pre-filled from the therapy type
    assert body["payment"]["status"] == "paid"
    assert unsealed(session, "notes") == "Cliente relaxou bem."
    assert SessionStatusChange.objects.filter(session=session, to_status="completed").exists()
    event = AuditEvent.objects.get(action="session.record")
    assert "Cliente" not in str(event.changes)  # never clinical text in the audit trail


def test_actual_duration_is_prefilled_from_the_duration(api, therapist, rec):
    response = record(api, therapist, rec["session"], therapy_fields={"chakras": ["root"]})
    assert response.json()["session"]["actual_duration_minutes"] == 60
    assert response.json()["payment"] is None


def test_every_error_is_named_and_nothing_is_written(api, therapist, rec):
    session = rec["session"]
    response = record(
        api,
        therapist,
        session,
        actual_duration_minutes=0,
        therapy_fields={"chakras": ["crown"], "mood": "x"},
        payment={"amount": "-10", "method": "bitcoin"},
    )
    assert response.status_code == 422, response.content
    paths = {f["path"] for f in response.json()["error"]["fields"]}
    assert {"actual_duration_minutes", "payment.amount", "payment.method"} <= paths
    assert any(p.startswith("therapy_fields.chakras") for p in paths)
    assert "therapy_fields.mood" in paths
    session.refresh_from_db()
    assert session.recorded_at is None and session.status == "in_progress"
    assert not Payment.objects.exists()


def test_required_therapy_fields_are_enforced(api, therapist, rec):
    response = record(api, therapist, rec["session"], therapy_fields={})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "therapy_fields.chakras"


def test_a_stale_version_is_a_409_with_the_current_session(api, owner, therapist, rec):
    session = rec["session"]
    # Someone else saves the session first.
    edited = api(owner).patch(f"sessions/{session.pk}", {"version": session.version, "admin_notes": "Sala 2"})
    assert edited.status_code == 200, edited.content
    response = record(api, therapist, session, notes="x")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "version_conflict"
    assert error["current"]["version"] == session.version + 1
    session.refresh_from_db()
    assert session.notes == ""


def test_cancelled_and_future_sessions_cannot_be_recorded(api, therapist, rec):
    future = SessionFactory(client=rec["client"], practitioner=therapist, status="scheduled", days_ago=-3)
    cancelled = SessionFactory(client=rec["client"], practitioner=therapist, status="cancelled")
    for session in (future, cancelled):
        response = record(api, therapist, session)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "not_recordable"


def test_changing_the_therapy_type_prefills_its_price(api, owner, therapist, rec):
    bars = TherapyTypeFactory(workspace=owner.workspace, name="Access Bars", default_price=Decimal("220.00"))
    response = record(api, therapist, rec["session"], therapy_type_id=bars.pk, payment={})
    assert response.status_code == 200, response.content
    assert response.json()["session"]["therapy_type_id"] == bars.pk
    assert response.json()["payment"]["amount"] == "220.00"
    assert response.json()["payment"]["status"] == "pending"


def test_assistant_takes_payment_but_writes_and_sees_nothing_clinical(api, therapist, assistant, rec):
    session = rec["session"]
    record(api, therapist, session, notes="Segredo clínico", therapy_fields={"chakras": ["heart"]})
    session.refresh_from_db()
    # The assistant cannot write notes or therapy fields…
    response = record(api, assistant, session, notes="x")
    assert response.status_code == 403
    # …but records the payment, and the answer carries no clinical content.
    response = record(api, assistant, session, payment={"status": "paid", "method": "cash"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert "notes" not in body["session"] and "therapy_fields" not in body["session"]
    assert {"notes", "therapy_fields"} <= set(body["session"]["withheld"])
    assert "Segredo" not in response.content.decode()
    assert body["payment"]["status"] == "paid"
    assert unsealed(session, "notes") == "Segredo clínico"


def _assistant_with(workspace, *, without: set[str]):
    """A member whose role is the default Assistant's without some permissions."""
    codes = [code for code in DEFAULT_ROLES["Assistant"] if code not in without]
    return MemberFactory(workspace=workspace, role=RoleFactory(workspace=workspace, permissions=codes))


def test_record_checks_access(api, owner, outsider, workspace, rec):
    session = rec["session"]
    assert record(api, outsider, session).status_code == 404
    assert api(outsider, "serena").post(f"sessions/{session.pk}/record", {"version": 1}).status_code == 404
    no_update = _assistant_with(workspace, without={"session.update", "billing.manage"})
    assert record(api, no_update, session).status_code == 403
    no_billing = _assistant_with(workspace, without={"billing.manage"})
    assert record(api, no_billing, session, payment={"amount": "1"}).status_code == 403
    assert not Payment.objects.exists()


# --- attachments ---------------------------------------------------------------------------------


def upload(api, member, session, name, content, **form):
    client = api(member)
    handle = io.BytesIO(content)
    handle.name = name
    return client.http.post(client.url(f"sessions/{session.pk}/attachments"), {"file": handle, **form})


def test_attach_list_and_delete(api, therapist, rec):
    session = rec["session"]
    response = upload(api, therapist, session, "foto.png", PNG_1PX, kind="image", clinical="false")
    assert response.status_code == 201, response.content
    attachment = response.json()
    assert attachment["content_type"] == "image/png" and attachment["clinical"] is False
    assert attachment["session_id"] == session.pk
    upload(api, therapist, session, "notas.txt", b"clinical notes, plain text\n")
    listed = api(therapist).get(f"sessions/{session.pk}/attachments").json()
    assert [a["original_name"] for a in listed["items"]] == ["foto.png", "notas.txt"]
    assert listed["withheld"] == []
    assert api(therapist).delete(f"sessions/{session.pk}/attachments/{attachment['id']}").status_code == 204
    assert Attachment.objects.count() == 1


def test_assistant_sees_only_administrative_attachments(api, therapist, assistant, rec):
    session = rec["session"]
    upload(api, therapist, session, "recibo.png", PNG_1PX, kind="image", clinical="false")
    clinical = upload(api, therapist, session, "exame.txt", b"results\n").json()
    listed = api(assistant).get(f"sessions/{session.pk}/attachments").json()
    assert [a["original_name"] for a in listed["items"]] == ["recibo.png"]
    assert listed["withheld"] == ["attachments.clinical"]
    assert api(assistant).get(f"attachments/{clinical['id']}/content").status_code == 404
    assert api(assistant).delete(f"sessions/{session.pk}/attachments/{clinical['id']}").status_code == 404


def test_an_executable_named_png_is_refused(api, therapist, rec):
    exe = (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
        + b"\x00" * 200
        + b"This program cannot be run in DOS mode"
    )
    response = upload(api, therapist, rec["session"], "photo.png", exe, kind="image")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert response.json()["error"]["fields"][0]["path"] == "file"
    assert not Attachment.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_a_too_large_upload_is_413(api, therapist, rec):
    response = upload(api, therapist, rec["session"], "big.txt", b"a" * 2048)
    assert response.status_code == 413
    assert not Attachment.objects.exists()


def test_a_200_mb_upload_is_refused_before_the_body_is_read(api, therapist, rec):
    client = api(therapist)
    body = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n' + b"\x00" * 100
    # The declared length is 200 MB but only a few bytes exist: reading the body would fail the
    # test client's FakePayload, so a 413 proves the request was refused from its length alone.
    response = client.http.generic(
        "POST",
        client.url(f"sessions/{rec['session'].pk}/attachments"),
        body,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Attachment.objects.exists()


def test_attachments_check_access(api, owner, outsider, workspace, rec):
    session = rec["session"]
    png = upload(api, owner, session, "a.png", PNG_1PX, kind="image", clinical="false").json()
    for other in (api(outsider), api(outsider, "serena")):
        assert other.get(f"sessions/{session.pk}/attachments").status_code == 404
        assert other.delete(f"sessions/{session.pk}/attachments/{png['id']}").status_code == 404
    assert upload(api, outsider, session, "b.png", PNG_1PX).status_code == 404
    no_update = _assistant_with(workspace, without={"session.update"})
    assert api(no_update).get(f"sessions/{session.pk}/attachments").status_code == 200
    assert upload(api, no_update, session, "b.png", PNG_1PX).status_code == 403
    assert api(no_update).delete(f"sessions/{session.pk}/attachments/{png['id']}").status_code == 403
    no_read = _assistant_with(workspace, without={"session.update", "session.read"})
    assert api(no_read).get(f"sessions/{session.pk}/attachments").status_code == 403
    assert Attachment.objects.count() == 1
