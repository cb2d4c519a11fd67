"""Private notes reach their author alone: not the owner, not the session JSON, lists, exports or
pages of anyone else; audited (read and write); not part of the signed record."""

from __future__ import annotations

import pytest

from atendo.audit.models import AuditEvent
from atendo.scheduling.models import Session, SessionPrivateNote
from tests.factories import ClientFactory, SessionFactory, ago

pytestmark = pytest.mark.django_db

SECRET = "Contratransferência forte hoje."


@pytest.fixture
def session(workspace, therapist):
    client = ClientFactory(workspace=workspace, name="Maria", practitioners=[therapist])
    return SessionFactory(client=client, practitioner=therapist, notes="Notas do prontuário.", days_ago=2)


def test_the_author_writes_and_reads_their_private_note(api, therapist, session):
    theo = api(therapist)
    assert theo.get(f"sessions/{session.pk}/private-note").json() == {
        "session_id": session.pk,
        "text": "",
        "version": 0,
        "updated_at": None,
    }
    saved = theo.put(f"sessions/{session.pk}/private-note", {"text": SECRET, "version": 0})
    assert saved.status_code == 200, saved.content
    assert (saved.json()["text"], saved.json()["version"]) == (SECRET, 1)
    assert theo.get(f"sessions/{session.pk}/private-note").json()["text"] == SECRET
    edited = theo.put(f"sessions/{session.pk}/private-note", {"text": SECRET + " Mais.", "version": 1})
    assert edited.json()["version"] == 2
    stale = theo.put(f"sessions/{session.pk}/private-note", {"text": "velho", "version": 1})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "version_conflict")
    assert stale.json()["error"]["current"]["text"] == SECRET + " Mais."
    assert SECRET not in SessionPrivateNote.objects.get().text  # sealed at rest
    emptied = theo.put(f"sessions/{session.pk}/private-note", {"text": ""})
    assert emptied.json()["version"] == 0 and not SessionPrivateNote.objects.exists()


def test_a_private_note_reaches_no_one_but_its_author(
    api, page_client, owner, therapist, other_therapist, assistant, outsider, session
):
    api(therapist).put(f"sessions/{session.pk}/private-note", {"text": SECRET})
    # The owner reads every clinical record, and still not someone's private note: their own is empty.
    boss = api(owner)
    assert boss.get(f"sessions/{session.pk}/private-note").json()["text"] == ""
    assert boss.put(f"sessions/{session.pk}/private-note", {"text": "Nota da dona."}).status_code == 200
    assert api(therapist).get(f"sessions/{session.pk}/private-note").json()["text"] == SECRET
    for member in (other_therapist, assistant):
        denied = api(member).get(f"sessions/{session.pk}/private-note")
        assert (denied.status_code, denied.json()["error"]["code"]) == (403, "clinical_forbidden")
        assert api(member).put(f"sessions/{session.pk}/private-note", {"text": "x"}).status_code == 403
    assert (
        api(outsider).get(f"/api/v1/workspaces/serena/sessions/{session.pk}/private-note").status_code == 404
    )
    span = {"start": ago(5).date().isoformat(), "end": ago(-1).date().isoformat()}
    for member in (owner, therapist, other_therapist, assistant):
        client = api(member)
        seen = [
            client.get(f"sessions/{session.pk}").content,
            client.get("sessions", **span).content,
            client.get("sessions").content,
            b"".join(client.get("sessions/export.csv").streaming_content),
            client.get(f"clients/{session.client_id}/sessions").content,
        ]
        if member != owner:
            seen.append(client.get("audit-events").content if member.has_perm("audit.read") else b"")
        text = b"\n".join(seen).decode()
        assert SECRET not in text and "Nota da dona." not in text
    owner_page = page_client(owner).get(f"/w/serena/sessions/{session.pk}/").content.decode()
    assert SECRET not in owner_page and "Nota da dona." in owner_page
    theo_page = page_client(therapist).get(f"/w/serena/sessions/{session.pk}/").content.decode()
    assert SECRET in theo_page and "Nota da dona." not in theo_page


def test_private_notes_are_audited_without_their_text(api, therapist, session):
    theo = api(therapist)
    theo.put(f"sessions/{session.pk}/private-note", {"text": SECRET})
    theo.get(f"sessions/{session.pk}/private-note")
    saved = AuditEvent.objects.get(action="private_note.save")
    assert (saved.object_type, saved.object_id, saved.actor_label) == (
        "session",
        str(session.pk),
        therapist.user.email,
    )
    read = AuditEvent.objects.filter(action="clinical.read").order_by("-seq")[0]
    assert read.changes["private_notes"] == [session.pk]
    events = list(AuditEvent.objects.values_list("changes", "object_label"))
    assert SECRET not in str(events)


def test_a_private_note_is_not_locked_by_the_signature_and_keeps_the_session(api, owner, therapist, session):
    theo = api(therapist)
    version = Session.objects.get(pk=session.pk).version
    assert theo.post(f"sessions/{session.pk}/sign", {"version": version}).status_code == 200
    assert theo.put(f"sessions/{session.pk}/private-note", {"text": SECRET}).status_code == 200


def test_a_session_holding_someone_elses_private_note_is_not_deleted(api, owner, therapist, session):
    api(therapist).put(f"sessions/{session.pk}/private-note", {"text": SECRET})
    refused = api(owner).delete(f"sessions/{session.pk}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "private_notes")
    assert Session.objects.filter(pk=session.pk).exists()
    api(therapist).put(f"sessions/{session.pk}/private-note", {"text": ""})  # its author removes it
    assert api(owner).delete(f"sessions/{session.pk}").status_code == 200
