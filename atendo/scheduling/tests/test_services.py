"""The session services: create with defaults, bad input stores nothing, versions, status history,
phases, delete. (HTTP behaviour is in test_api.py.)"""

from __future__ import annotations

import datetime as dt

import pytest

from atendo.audit.models import AuditEvent
from atendo.clinical.models import ClientPractitioner
from atendo.core.errors import Conflict, Forbidden, ValidationFailed
from atendo.scheduling.models import Session, SessionStatusChange
from atendo.scheduling.services import (
    session_create,
    session_delete,
    session_delete_preview,
    session_save_phase,
    session_set_status,
    session_update,
)
from atendo.scheduling.tests.conftest import local
from tests.factories import AttachmentFactory, PaymentFactory, TherapyTypeFactory, pdf_bytes

pytestmark = pytest.mark.django_db


def test_create_uses_the_workspace_defaults(owner, client_ana, workspace):
    result = session_create(member=owner, client_id=client_ana.pk, name="Primeira", date="2026-03-10")
    s = result.session
    assert s.starts_at == local(workspace, "2026-03-10T09:00")
    assert s.duration_minutes == 60 and s.ends_at == local(workspace, "2026-03-10T10:00")
    assert s.status == "scheduled" and s.version == 1
    assert s.practitioner_id == owner.pk
    assert result.warnings == []


def test_create_reads_a_naive_starts_at_in_the_workspace_zone(owner, client_ana, workspace):
    s = session_create(member=owner, client_id=client_ana.pk, name="x", starts_at="2026-03-10T14:30").session
    assert s.starts_at == dt.datetime(2026, 3, 10, 17, 30, tzinfo=dt.UTC)


def test_create_keeps_an_explicit_offset(owner, client_ana):
    s = session_create(member=owner, client_id=client_ana.pk, name="x", starts_at="2026-03-10T14:30Z").session
    assert s.starts_at == dt.datetime(2026, 3, 10, 14, 30, tzinfo=dt.UTC)


def test_therapy_type_duration_is_the_default(owner, client_ana, workspace):
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", default_duration_minutes=45)
    s = session_create(
        member=owner, client_id=client_ana.pk, name="x", date="2026-03-10", therapy_type_id=reiki.pk
    ).session
    assert s.duration_minutes == 45


def test_scheduling_assigns_the_practitioner_to_the_client(owner, therapist, client_ana):
    session_create(
        member=owner,
        client_id=client_ana.pk,
        name="x",
        date="2026-03-10",
        practitioner_id=therapist.pk,
    )
    assert ClientPractitioner.objects.filter(client=client_ana, member=therapist).exists()


def test_creation_is_recorded_in_status_history_and_audit(owner, client_ana):
    s = session_create(member=owner, client_id=client_ana.pk, name="x", date="2026-03-10").session
    change = SessionStatusChange.objects.get(session=s)
    assert (change.from_status, change.to_status, change.changed_by_id) == ("", "scheduled", owner.pk)
    assert AuditEvent.objects.filter(action="session.create", object_id=str(s.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 1.5}, "duration_minutes"),
        ({"duration_minutes": 1441}, "duration_minutes"),
        ({"duration_minutes": "60"}, "duration_minutes"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": "2026-03-10", "start_time": "25:00"}, "start_time"),
        ({"date": "2026-03-10", "start_time": "9:00"}, "start_time"),
        ({"starts_at": "2026-03-10T09:00", "date": "2026-03-10"}, "starts_at"),
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"status": "done"}, "status"),
        ({"name": "  "}, "name"),
        ({"fields": {"during": {"mood": "calm"}}}, "fields.during"),
        ({"fields": {"post": {"x": 1}}}, "fields.post"),
        ({"practitioner_id": 999999}, "practitioner_id"),
        ({"therapy_type_id": 999999}, "therapy_type_id"),
        ({"recurrence": {"rrule": "FREQ=DAILY;COUNT=3"}}, "recurrence.rrule"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(owner, client_ana, changes, path):
    when = {} if "starts_at" in changes else {"date": "2026-03-10"}
    data = {"client_id": client_ana.pk, "name": "x", **when, **changes}
    with pytest.raises(ValidationFailed) as info:
        session_create(member=owner, **data)
    assert path in [f.path for f in info.value.fields]
    assert not Session.objects.exists()


def test_a_client_of_another_workspace_is_refused(owner, foreign_client):
    with pytest.raises(ValidationFailed) as info:
        session_create(member=owner, client_id=foreign_client.pk, name="x", date="2026-03-10")
    assert [f.path for f in info.value.fields] == ["client_id"]
    assert not Session.objects.exists()


def test_a_practitioner_of_another_workspace_is_refused(owner, outsider, client_ana):
    with pytest.raises(ValidationFailed) as info:
        session_create(
            member=owner, client_id=client_ana.pk, name="x", date="2026-03-10", practitioner_id=outsider.pk
        )
    assert [f.path for f in info.value.fields] == ["practitioner_id"]


def test_several_bad_fields_are_reported_together(owner, client_ana):
    with pytest.raises(ValidationFailed) as info:
        session_create(member=owner, client_id=client_ana.pk, name="", date="2026-13-01", duration_minutes=0)
    assert {f.path for f in info.value.fields} == {"name", "date", "duration_minutes"}


def test_update_increments_the_version(owner, client_ana, book, workspace):
    s = book(client_ana, "2026-03-10T10:00")
    result = session_update(member=owner, session_id=s.pk, version=1, changes={"name": "Renamed"})
    assert result.session.name == "Renamed" and result.session.version == 2


def test_stale_version_is_refused_with_the_current_session(owner, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    session_update(member=owner, session_id=s.pk, version=1, changes={"name": "First edit"})
    with pytest.raises(Conflict) as info:
        session_update(member=owner, session_id=s.pk, version=1, changes={"name": "Lost edit"})
    assert info.value.code == "version_conflict"
    assert info.value.extra["current"]["name"] == "First edit"
    assert info.value.extra["current"]["version"] == 2
    assert Session.objects.get(pk=s.pk).name == "First edit"


def test_moving_by_date_keeps_the_local_time(owner, client_ana, book, workspace):
    s = book(client_ana, "2026-03-10T10:00")
    moved = session_update(member=owner, session_id=s.pk, version=1, changes={"date": "2026-03-12"}).session
    assert moved.starts_at == local(workspace, "2026-03-12T10:00")
    assert moved.ends_at == local(workspace, "2026-03-12T11:00")


def test_status_workflow_is_kept_with_who_and_when(owner, therapist, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00", practitioner_id=therapist.pk)
    session_set_status(member=therapist, session_id=s.pk, status="in_progress", version=1)
    session_set_status(member=therapist, session_id=s.pk, status="completed", version=2)
    session_set_status(member=owner, session_id=s.pk, status="scheduled", version=3)  # manual change
    history = list(
        SessionStatusChange.objects.filter(session=s)
        .order_by("created_at", "id")
        .values_list("from_status", "to_status", "changed_by_id")
    )
    assert history == [
        ("", "scheduled", owner.pk),
        ("scheduled", "in_progress", therapist.pk),
        ("in_progress", "completed", therapist.pk),
        ("completed", "scheduled", owner.pk),
    ]


def test_unknown_status_is_refused(owner, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    with pytest.raises(ValidationFailed) as info:
        session_set_status(member=owner, session_id=s.pk, status="finished", version=1)
    assert info.value.fields[0].path == "status"


def test_assistant_cannot_write_notes(owner, assistant, client_ana):
    with pytest.raises(Forbidden):
        session_create(
            member=assistant,
            client_id=client_ana.pk,
            practitioner_id=owner.pk,
            name="x",
            date="2026-03-10",
            notes="secret",
        )
    assert not Session.objects.exists()


def test_assistant_cannot_delete_without_the_permission(assistant, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    with pytest.raises(Forbidden):
        session_delete(member=assistant, session_id=s.pk)


def test_delete_reports_what_went_with_it(owner, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    session_set_status(member=owner, session_id=s.pk, status="completed", version=1)
    preview = session_delete_preview(member=owner, session_id=s.pk)
    assert preview == {"sessions": 1, "session_status_changes": 2}
    assert Session.objects.filter(pk=s.pk).exists()
    assert session_delete(member=owner, session_id=s.pk) == preview
    assert not Session.objects.filter(pk=s.pk).exists()
    assert AuditEvent.objects.filter(action="session.delete", object_id=str(s.pk)).exists()


def test_phase_save_without_definitions_refuses_unknown_keys(owner, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    with pytest.raises(ValidationFailed) as info:
        session_save_phase(member=owner, session_id=s.pk, phase="during", values={"mood": "calm"}, version=1)
    assert info.value.fields[0].path == "fields.during.mood"


def test_delete_takes_payment_and_attachments_along(owner, client_ana, book):
    from atendo.files.models import Attachment

    s = book(client_ana, "2026-03-10T10:00")
    PaymentFactory(session=s, amount="100.00")
    for i in range(2):
        AttachmentFactory(session=s, name=f"scan{i}.pdf", content=pdf_bytes())
    expected = {"attachments": 2, "payments": 1, "session_status_changes": 1, "sessions": 1}
    assert session_delete_preview(member=owner, session_id=s.pk) == expected
    assert session_delete(member=owner, session_id=s.pk) == expected
    assert not Attachment.objects.filter(session_id=s.pk).exists()


def test_an_invoiced_session_cannot_be_deleted(api, owner, client_ana, book):
    from atendo.billing.models import Payment
    from atendo.billing.services import invoice_create, payment_create

    s = book(client_ana, "2026-03-10T10:00")
    payment_create(member=owner, session_id=s.pk, data={"amount": "100.00"})
    invoice_create(member=owner, session_ids=[s.pk])
    with pytest.raises(Conflict) as info:
        session_delete(member=owner, session_id=s.pk)
    assert info.value.code == "invoiced"
    response = api(owner).delete(f"sessions/{s.pk}")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invoiced"
    assert api(owner).get(f"sessions/{s.pk}/delete-preview").status_code == 409
    assert Session.objects.filter(pk=s.pk).exists() and Payment.objects.filter(session_id=s.pk).exists()


def test_an_ambiguous_local_time_is_its_first_occurrence(owner, client_ana, workspace):
    workspace.timezone = "America/New_York"
    workspace.save()
    owner.workspace = workspace
    s = session_create(member=owner, client_id=client_ana.pk, name="x", starts_at="2026-11-01T01:30").session
    assert s.starts_at == dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC)  # 01:30 EDT, not EST


def test_a_skipped_local_time_is_refused_by_date_and_time_too(owner, client_ana, workspace):
    workspace.timezone = "America/New_York"
    workspace.save()
    owner.workspace = workspace
    with pytest.raises(ValidationFailed) as info:
        session_create(member=owner, client_id=client_ana.pk, name="x", date="2026-03-08", start_time="02:15")
    assert info.value.fields[0].path == "start_time" and "does not exist" in info.value.fields[0].message
    assert not Session.objects.exists()
