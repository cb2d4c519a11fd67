"""Sign and lock through the API: the practitioner signs a completed session; from then on its
clinical record refuses every change (409 `signed`) through every door while its administrative
details stay editable; corrections are addenda, shown in order to the record's readers only; the
signature's hash is verified by `manage.py verify_signatures`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from atendo.audit.models import AuditEvent
from atendo.recording.signing import digest, signatures_verify
from atendo.scheduling.models import Session, SessionAddendum
from tests.factories import (
    AttachmentFactory,
    ClientFactory,
    FieldDefinitionFactory,
    SessionFactory,
    TherapyTypeFactory,
    ago,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(workspace, therapist, api):
    """A completed, recorded session of the therapist's client: notes, during and post values,
    therapy fields, a clinical and an administrative attachment."""
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("150.00"))
    FieldDefinitionFactory(workspace=workspace, therapy_type=reiki, key="sensations", type="textarea")
    FieldDefinitionFactory(workspace=workspace, scope="session", phase="pre", key="room", clinical=False)
    FieldDefinitionFactory(workspace=workspace, scope="session", phase="during", key="mood")
    FieldDefinitionFactory(workspace=workspace, scope="session", phase="post", key="plan", type="textarea")
    client = ClientFactory(workspace=workspace, name="Maria Silva", practitioners=[therapist])
    session = SessionFactory(
        client=client,
        practitioner=therapist,
        therapy_type=reiki,
        notes="Relatou ansiedade.",
        pre={"room": "Sala 1"},
        during={"mood": "tensa"},
        post={"plan": "Respiração diária."},
    )
    theo = api(therapist)
    recorded = theo.post(
        f"sessions/{session.pk}/record",
        {"version": session.version, "therapy_fields": {"sensations": "calor nas mãos"}},
    )
    assert recorded.status_code == 200, recorded.content
    AttachmentFactory(session=session, by=therapist, name="laudo.txt", clinical=True)
    AttachmentFactory(session=session, by=therapist, name="recibo.txt", content=b"recibo\n", clinical=False)
    return {"session": Session.objects.get(pk=session.pk), "client": client, "reiki": reiki, "api": theo}


def _sign(record):
    session = Session.objects.get(pk=record["session"].pk)
    response = record["api"].post(f"sessions/{session.pk}/sign", {"version": session.version})
    assert response.status_code == 200, response.content
    return response.json()["session"]


def test_the_practitioner_signs_and_the_session_carries_the_signature(record, therapist):
    body = _sign(record)
    session = Session.objects.get(pk=record["session"].pk)
    assert body["signed_by"] == therapist.pk and body["signed_at"] and body["addenda"] == []
    assert session.signed_by_id == therapist.pk
    assert session.signature_hash == digest(session, signed_by=therapist.pk, signed_at=session.signed_at)
    assert len(session.signature_hash) == 64
    event = AuditEvent.objects.get(action="session.sign", object_id=str(session.pk))
    assert event.changes == {"signature_hash": session.signature_hash}  # never the content


def test_only_the_practitioner_signs_a_completed_session_once(record, api, owner, other_therapist, assistant):
    session = record["session"]
    url = f"sessions/{session.pk}/sign"
    answers = {
        who: (r.status_code, r.json()["error"]["code"])
        for who, r in {
            "owner": api(owner).post(url, {"version": session.version}),
            "other_therapist": api(other_therapist).post(url, {"version": session.version}),
            "assistant": api(assistant).post(url, {"version": session.version}),
        }.items()
    }
    assert answers == {
        "owner": (403, "sign_forbidden"),
        "other_therapist": (403, "clinical_forbidden"),
        "assistant": (403, "clinical_forbidden"),
    }
    stale = record["api"].post(url, {"version": session.version - 1})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "version_conflict")
    _sign(record)
    again = record["api"].post(url, {"version": Session.objects.get(pk=session.pk).version})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_signed")


def test_a_session_not_completed_cannot_be_signed(workspace, therapist, api):
    client = ClientFactory(workspace=workspace, practitioners=[therapist])
    upcoming = SessionFactory(client=client, practitioner=therapist, days_ago=-2)
    response = api(therapist).post(f"sessions/{upcoming.pk}/sign", {"version": upcoming.version})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_signable")
    assert api(therapist).post(f"sessions/{upcoming.pk}/sign", {}).status_code == 422


def _stored(session_id):
    s = Session.objects.get(pk=session_id)
    return (
        s.notes,
        s.during_fields,
        s.post_fields,
        s.therapy_fields,
        s.client_id,
        s.practitioner_id,
        s.therapy_type_id,
        s.starts_at,
        s.duration_minutes,
        s.actual_duration_minutes,
        s.status,
    )


def test_signed_content_refuses_changes_through_every_api_door(record, workspace, therapist, owner, api):
    body = _sign(record)
    sid = body["id"]
    before = _stored(sid)
    theo, boss = record["api"], api(owner)
    other_client = ClientFactory(workspace=workspace, practitioners=[therapist])
    clinical_file = record["session"].attachments.get(clinical=True)

    def version():
        return Session.objects.get(pk=sid).version

    attempts = {
        "notes": lambda: theo.patch(f"sessions/{sid}", {"version": version(), "notes": "Outra coisa."}),
        "move": lambda: theo.patch(
            f"sessions/{sid}", {"version": version(), "starts_at": ago(3).isoformat()}
        ),
        "duration": lambda: theo.patch(f"sessions/{sid}", {"version": version(), "duration_minutes": 30}),
        "client": lambda: boss.patch(f"sessions/{sid}", {"version": version(), "client_id": other_client.pk}),
        "therapy_type": lambda: theo.patch(
            f"sessions/{sid}", {"version": version(), "therapy_type_id": None}
        ),
        "status": lambda: theo.post(
            f"sessions/{sid}/status", {"version": version(), "status": "in_progress"}
        ),
        "during": lambda: theo.put(f"sessions/{sid}/fields/during", {"version": version(), "values": {}}),
        "post": lambda: theo.put(
            f"sessions/{sid}/fields/post", {"version": version(), "values": {"plan": "Mudou."}}
        ),
        "record_notes": lambda: theo.post(f"sessions/{sid}/record", {"version": version(), "notes": "Nova."}),
        "record_fields": lambda: theo.post(
            f"sessions/{sid}/record", {"version": version(), "therapy_fields": {"sensations": "frio"}}
        ),
        "record_duration": lambda: theo.post(
            f"sessions/{sid}/record", {"version": version(), "actual_duration_minutes": 20}
        ),
        "delete": lambda: boss.delete(f"sessions/{sid}"),
        "delete_file": lambda: theo.delete(f"sessions/{sid}/attachments/{clinical_file.pk}"),
        "add_file": lambda: theo.http.post(
            theo.url(f"sessions/{sid}/attachments"),
            {"file": SimpleUploadedFile("novo.txt", b"novo laudo\n"), "clinical": "true"},
        ),
    }
    answers = {}
    for name, attempt in attempts.items():
        response = attempt()
        answers[name] = (response.status_code, response.json()["error"]["code"])
    assert answers == dict.fromkeys(attempts, (409, "signed"))
    assert _stored(sid) == before
    assert record["session"].attachments.count() == 2


def test_administrative_details_of_a_signed_session_stay_editable(record, therapist, assistant, api):
    sid = _sign(record)["id"]
    theo = record["api"]

    def version():
        return Session.objects.get(pk=sid).version

    renamed = theo.patch(
        f"sessions/{sid}", {"version": version(), "name": "Reiki 3", "admin_notes": "Recibo"}
    )
    assert renamed.status_code == 200, renamed.content
    assert (
        theo.put(
            f"sessions/{sid}/fields/pre", {"version": version(), "values": {"room": "Sala 2"}}
        ).status_code
        == 200
    )
    # The same notes again are no change; the payment of the record is administrative.
    same = theo.patch(f"sessions/{sid}", {"version": version(), "notes": "Relatou ansiedade."})
    assert same.status_code == 200, same.content
    paid = api(assistant).post(
        f"sessions/{sid}/record", {"version": version(), "payment": {"status": "paid", "method": "pix"}}
    )
    assert paid.status_code == 200, paid.content
    upload = theo.http.post(
        theo.url(f"sessions/{sid}/attachments"),
        {"file": SimpleUploadedFile("nota.txt", b"nota fiscal\n"), "clinical": "false"},
    )
    assert upload.status_code == 201, upload.content
    session = Session.objects.get(pk=sid)
    assert (session.name, session.admin_notes) == ("Reiki 3", "Recibo")
    assert all(c.ok for c in signatures_verify(session.workspace_id))  # nothing it covers moved


def test_a_non_reader_is_refused_by_the_barrier_before_the_lock(record, assistant, api):
    sid = _sign(record)["id"]
    version = Session.objects.get(pk=sid).version
    response = api(assistant).patch(f"sessions/{sid}", {"version": version, "notes": "x"})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "clinical_forbidden")


def test_a_series_edit_never_reaches_a_signed_occurrence(workspace, therapist, api):
    client = ClientFactory(workspace=workspace, practitioners=[therapist])
    theo = api(therapist)
    start = (ago(14)).replace(hour=13, minute=0, second=0, microsecond=0)
    created = theo.post(
        "sessions",
        {
            "name": "Semanal",
            "client_id": client.pk,
            "starts_at": start.isoformat(),
            "duration_minutes": 50,
            "status": "completed",
            "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=4"},
        },
    )
    assert created.status_code == 201, created.content
    first = created.json()["session"]
    signed = theo.post(f"sessions/{first['id']}/sign", {"version": first["version"]})
    assert signed.status_code == 200, signed.content
    later = (
        Session.objects.filter(series_id=first["series_id"]).exclude(pk=first["id"]).order_by("starts_at")[0]
    )
    moved = theo.patch(
        f"sessions/{later.pk}",
        {"version": later.version, "scope": "all", "start_time": "15:00"},
    )
    assert moved.status_code == 409 and moved.json()["error"]["code"] == "signed"
    assert moved.json()["error"]["session_ids"] == [first["id"]]
    renamed = theo.patch(f"sessions/{later.pk}", {"version": later.version, "scope": "all", "name": "Terça"})
    assert renamed.status_code == 200, renamed.content
    assert Session.objects.get(pk=first["id"]).name == "Terça"
    deleted = theo.delete(f"sessions/{later.pk}?scope=all")
    assert deleted.status_code == 409 and deleted.json()["error"]["code"] == "signed"
    assert Session.objects.filter(series_id=first["series_id"]).count() == 4


def test_addenda_are_appended_in_order_and_reach_the_record_readers_only(
    record, owner, therapist, other_therapist, assistant, api
):
    sid = record["session"].pk
    early = record["api"].post(f"sessions/{sid}/addenda", {"text": "Antes de assinar"})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_signed")
    _sign(record)
    first = record["api"].post(f"sessions/{sid}/addenda", {"text": "Correção: a ansiedade é leve."})
    assert first.status_code == 201, first.content
    assert first.json()["author_id"] == therapist.pk
    second = api(owner).post(f"sessions/{sid}/addenda", {"text": "Revisado pela supervisão."})
    assert second.status_code == 201
    assert (
        record["api"].post(f"sessions/{sid}/addenda", {"text": "  "}).json()["error"]["fields"][0]["path"]
        == "text"
    )
    refused = {
        who: api(m).post(f"sessions/{sid}/addenda", {"text": "x"}).status_code
        for who, m in {"other_therapist": other_therapist, "assistant": assistant}.items()
    }
    assert refused == {"other_therapist": 403, "assistant": 403}

    shown = record["api"].get(f"sessions/{sid}").json()
    assert [(a["text"], a["author_id"]) for a in shown["addenda"]] == [
        ("Correção: a ansiedade é leve.", therapist.pk),
        ("Revisado pela supervisão.", owner.pk),
    ]
    assert api(owner).get(f"sessions/{sid}").json()["addenda"] == shown["addenda"]
    for member in (other_therapist, assistant):
        hidden = api(member).get(f"sessions/{sid}").json()
        assert "addenda" not in hidden and "addenda" in hidden["withheld"]
        assert hidden["signed_at"] == shown["signed_at"]  # the signature itself is no secret
        listed = api(member).get(
            "sessions", start=(ago(3)).date().isoformat(), end=(ago(-1)).date().isoformat()
        )
        assert "Correção" not in listed.content.decode()
    assert SessionAddendum.objects.filter(session_id=sid).count() == 2
    # Addenda are not the signed record: the signature still verifies.
    assert all(check.ok for check in signatures_verify())


def test_the_addenda_of_a_range_cost_one_query(record, api, owner, django_assert_max_num_queries):
    _sign(record)
    record["api"].post(f"sessions/{record['session'].pk}/addenda", {"text": "Uma correção."})
    boss = api(owner)
    span = {"start": ago(5).date().isoformat(), "end": ago(-1).date().isoformat()}
    with django_assert_max_num_queries(12) as few:
        assert len(boss.get("sessions", **span).json()["items"]) == 1
    one_signed = len(few.captured_queries)
    for days in (2, 3, 4):
        s = SessionFactory(
            client=record["client"], practitioner=record["session"].practitioner, days_ago=days, notes="n"
        )
        s.refresh_from_db()
        api(s.practitioner).post(f"sessions/{s.pk}/sign", {"version": s.version})
    with django_assert_max_num_queries(one_signed):
        assert len(boss.get("sessions", **span).json()["items"]) == 4


def test_verify_signatures_finds_a_record_changed_around_the_application(record, capsys):
    _sign(record)
    call_command("verify_signatures")
    assert "1 signed sessions checked, 0 mismatched." in capsys.readouterr().out
    sid = record["session"].pk
    with connection.cursor() as cursor:  # someone with the database edits the signed duration
        cursor.execute("UPDATE scheduling_session SET actual_duration_minutes = 5 WHERE id = %s", [sid])
    with pytest.raises(CommandError):
        call_command("verify_signatures")
    assert f"session {sid} " in capsys.readouterr().out
    with connection.cursor() as cursor:  # ...or moves the signature's time
        cursor.execute(
            "UPDATE scheduling_session SET actual_duration_minutes = %s, signed_at = %s WHERE id = %s",
            [record["session"].actual_duration_minutes, ago(1) - dt.timedelta(hours=1), sid],
        )
    assert [c.ok for c in signatures_verify()] == [False]


def test_the_home_lists_the_notes_waiting_for_my_signature(record, api, owner, therapist):
    sid = record["session"].pk
    mine = record["api"].get("today").json()["todo"]["to_sign"]
    assert [item["session_id"] for item in mine] == [sid]
    assert set(mine[0]) >= {"client_name", "starts_at", "practitioner_id"} and "notes" not in mine[0]
    everyone = api(owner).get("today", everyone="true").json()["todo"]["to_sign"]
    assert [item["session_id"] for item in everyone] == [sid]
    _sign(record)
    assert record["api"].get("today").json()["todo"]["to_sign"] == []
