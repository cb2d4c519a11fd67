"""Sign and lock through the pages and the doors the API suite leaves: the session page's sign,
addendum and private-note forms for every persona; a signed record refuses the edit page, the phase
forms, the record page, the status form, the delete page, the clinical attachments' pages, a change
of practitioner or therapy fields through the API, and the calendar's drag (its session-cookie
PATCH); the home page lists the notes waiting to be signed; reads of the new doors are audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from atendo.audit.models import AuditEvent
from atendo.recording.signing import signatures_verify
from atendo.recording.tests.test_signing import _sign, _stored, record  # noqa: F401  (fixture)
from atendo.scheduling.models import Session, SessionAddendum, SessionPrivateNote
from tests.factories import ago

pytestmark = pytest.mark.django_db

SECRET = "Só eu leio isto."


def _detail(sid: int) -> str:
    return f"/w/serena/sessions/{sid}/"


def _version(sid: int) -> int:
    return Session.objects.get(pk=sid).version


def test_the_practitioner_signs_from_the_session_page(record, page_client, therapist, owner, assistant):  # noqa: F811
    sid = record["session"].pk
    theo = page_client(therapist)
    page = theo.get(_detail(sid)).content.decode()
    assert f"/w/serena/sessions/{sid}/sign/" in page  # the sign button, for its practitioner
    for member in (owner, assistant):  # nobody signs for someone else
        other = page_client(member)
        assert f"/sessions/{sid}/sign/" not in other.get(_detail(sid)).content.decode()
        refused = other.post(f"/w/serena/sessions/{sid}/sign/", {"version": _version(sid)}, follow=True)
        assert refused.status_code in (200, 403)
        assert Session.objects.get(pk=sid).signed_at is None
    signed = theo.post(f"/w/serena/sessions/{sid}/sign/", {"version": _version(sid)}, follow=True)
    assert "The record is signed" in signed.content.decode()
    session = Session.objects.get(pk=sid)
    assert session.signed_by_id == therapist.pk and len(session.signature_hash) == 64
    again = theo.post(f"/w/serena/sessions/{sid}/sign/", {"version": _version(sid)}, follow=True)
    assert "already signed" in again.content.decode()


def test_addenda_from_the_session_page_in_order_for_the_record_readers(
    record,  # noqa: F811
    page_client,
    therapist,
    owner,
    other_therapist,
    assistant,
):
    sid = record["session"].pk
    theo, boss = page_client(therapist), page_client(owner)
    early = theo.post(f"/w/serena/sessions/{sid}/addenda/", {"text": "Cedo demais."}, follow=True)
    assert "not signed" in early.content.decode() and not SessionAddendum.objects.exists()
    _sign(record)
    theo.post(f"/w/serena/sessions/{sid}/addenda/", {"text": "Primeira correção."})
    boss.post(f"/w/serena/sessions/{sid}/addenda/", {"text": "Segunda, da supervisão."})
    for member in (other_therapist, assistant):
        page_client(member).post(f"/w/serena/sessions/{sid}/addenda/", {"text": "Intruso."})
    assert list(SessionAddendum.objects.order_by("pk").values_list("author_id", flat=True)) == [
        therapist.pk,
        owner.pk,
    ]
    for member in (therapist, owner):
        page = page_client(member).get(_detail(sid)).content.decode()
        assert page.index("Primeira correção.") < page.index("Segunda, da supervisão.")
        assert "Intruso." not in page
    for member in (other_therapist, assistant):
        page = page_client(member).get(_detail(sid)).content.decode()
        assert "Primeira correção." not in page
    assert all(check.ok for check in signatures_verify())


def test_a_signed_record_refuses_every_page_door(record, page_client, therapist, owner):  # noqa: F811
    _sign(record)
    sid = record["session"].pk
    before = _stored(sid)
    theo, boss = page_client(therapist), page_client(owner)
    session = Session.objects.get(pk=sid)
    local = session.starts_at.astimezone(session.workspace.tz)
    edit = theo.post(
        f"/w/serena/sessions/{sid}/edit/",
        {
            "name": session.name,
            "client": session.client_id,
            "practitioner": session.practitioner_id,
            "therapy_type": session.therapy_type_id,
            "date": (local - dt.timedelta(days=2)).date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "duration_minutes": 30,
            "status": "completed",
            "notes": "Reescrita.",
            "admin_notes": "",
            "version": session.version,
        },
    )
    assert "signed" in edit.content.decode(), edit.content.decode()[-3000:]
    answers = {"edit": edit.status_code}
    answers["during"] = theo.post(
        f"/w/serena/sessions/{sid}/fields/during/", {"version": _version(sid), "mood": "outra"}
    ).status_code
    answers["post"] = theo.post(
        f"/w/serena/sessions/{sid}/fields/post/", {"version": _version(sid), "plan": "Outro plano."}
    ).status_code
    answers["record"] = theo.post(
        f"/w/serena/sessions/{sid}/record/",
        {"version": _version(sid), "notes": "Nova nota.", "actual_duration_minutes": 10},
    ).status_code
    status = theo.post(
        f"/w/serena/sessions/{sid}/status/", {"version": _version(sid), "status": "scheduled"}, follow=True
    )
    assert "signed" in status.content.decode()  # the session page, with the refusal
    answers["delete"] = boss.post(f"/w/serena/sessions/{sid}/delete/").status_code
    clinical_file = session.attachments.get(clinical=True)
    answers["delete_file"] = theo.post(
        f"/w/serena/sessions/{sid}/attachments/{clinical_file.pk}/delete/"
    ).status_code
    answers["add_file"] = theo.post(
        f"/w/serena/sessions/{sid}/attachments/",
        {"file": SimpleUploadedFile("novo.txt", b"laudo novo\n"), "clinical": "1"},
    ).status_code
    assert {k: v for k, v in answers.items() if v in (200, 201, 302)} == {}, answers
    assert _stored(sid) == before
    assert session.attachments.count() == 2
    assert all(check.ok for check in signatures_verify())
    # The page says why: signed, corrections are addenda.
    assert "addend" in theo.get(_detail(sid)).content.decode().lower()


def test_the_remaining_api_doors_and_the_calendar_drag(record, api, page_client, therapist, other_therapist):  # noqa: F811
    body = _sign(record)
    sid = body["id"]
    before = _stored(sid)
    theo = record["api"]
    answers = {
        "practitioner": theo.patch(
            f"sessions/{sid}", {"version": _version(sid), "practitioner_id": other_therapist.pk}
        ),
        "therapy_fields": theo.patch(
            f"sessions/{sid}", {"version": _version(sid), "therapy_fields": {"sensations": "frio"}}
        ),
    }
    # The calendar's drag: the page's session cookie, the API's PATCH with start and duration.
    drag = page_client(therapist).patch(
        f"/api/v1/workspaces/serena/sessions/{sid}",
        {"starts_at": ago(1).isoformat(), "duration_minutes": 45, "version": _version(sid)},
        content_type="application/json",
    )
    answers["calendar_drag"] = drag
    summary = {}
    for name, response in answers.items():
        error = response.json().get("error") or {}
        summary[name] = (response.status_code, error.get("code"))
    assert summary["calendar_drag"] == (409, "signed")
    assert summary["practitioner"] == (409, "signed")
    # A session's PATCH takes no therapy fields at all (they are written by the record door, refused
    # with 409 `signed` in the record tests): an unknown key, whatever the signature.
    assert summary["therapy_fields"] == (422, "validation_error")
    assert _stored(sid) == before


def test_private_note_page_for_every_persona(
    record,  # noqa: F811
    page_client,
    therapist,
    owner,
    other_therapist,
    assistant,
    outsider,
):
    sid = record["session"].pk
    theo = page_client(therapist)
    saved = theo.post(
        f"/w/serena/sessions/{sid}/private-note/", {"text": SECRET, "version": "0"}, follow=True
    )
    assert "Private note saved." in saved.content.decode()
    assert SECRET in theo.get(_detail(sid)).content.decode()
    stale = theo.post(
        f"/w/serena/sessions/{sid}/private-note/", {"text": "Velho.", "version": "0"}, follow=True
    )
    assert "reload it" in stale.content.decode()
    note = SessionPrivateNote.objects.get()
    assert note.version == 1 and SECRET not in note.text  # sealed
    for member in (owner, other_therapist, assistant):
        page = page_client(member).get(_detail(sid)).content.decode()
        assert SECRET not in page
        page_client(member).post(f"/w/serena/sessions/{sid}/private-note/", {"text": "Meu."})
    # The owner writes their own (they read the record), the others may not write one at all.
    assert sorted(SessionPrivateNote.objects.values_list("author_id", flat=True)) == sorted(
        [therapist.pk, owner.pk]
    )
    assert (
        page_client(outsider).post(f"/w/serena/sessions/{sid}/private-note/", {"text": "x"}).status_code
        == 404
    )
    # Signed: the private note stays the author's to edit.
    _sign(record)
    theo.post(f"/w/serena/sessions/{sid}/private-note/", {"text": SECRET + " Depois.", "version": "1"})
    assert SessionPrivateNote.objects.get(author=therapist).version == 2
    # Reading it through the page is audited as a private-note read of that session.
    theo.get(_detail(sid))
    read = AuditEvent.objects.filter(action="clinical.read", actor_label=therapist.user.email).order_by(
        "-seq"
    )[0]
    assert sid in read.changes.get("private_notes", [])
    assert SECRET not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_private_notes_reach_no_insight_search_or_export(record, api, therapist, owner):  # noqa: F811
    sid = record["session"].pk
    api(therapist).put(f"sessions/{sid}/private-note", {"text": SECRET})
    boss, theo = api(owner), api(therapist)
    client_id = record["client"].pk
    seen = []
    for http in (boss, theo):
        for path, params in (
            (f"clients/{client_id}/insights", {}),
            ("search", {"q": "leio"}),
            (f"clients/{client_id}/sessions", {}),
            (f"sessions/{sid}", {}),
        ):
            response = http.get(path, **params)
            if response.status_code == 200:
                seen.append(response.content.decode())
    exported = boss.post("exports", {"kind": "client", "client_id": client_id, "format": "json"})
    if exported.status_code in (200, 201, 202):
        seen.append(exported.content.decode())
    assert seen and all(SECRET not in text for text in seen)


def test_the_home_page_lists_the_notes_to_sign(record, page_client, therapist, owner):  # noqa: F811
    sid = record["session"].pk
    home = page_client(therapist).get("/w/serena/").content.decode()
    assert 'data-todo="to_sign"' in home and f"/w/serena/sessions/{sid}/" in home
    _sign(record)
    home = page_client(therapist).get("/w/serena/").content.decode()
    section = home[home.index('data-todo="to_sign"') :]
    section = section[: section.index("</section>")]
    assert f"/sessions/{sid}/" not in section
