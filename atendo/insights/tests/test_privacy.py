"""Insights and the record's privacy: a private note never feeds an insight, a search or a question;
every door is in the read audit, a cached answer too; what the search index stores is keyed."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from atendo.audit.models import AuditEvent
from atendo.insights.keys import index_key
from atendo.insights.models import SearchDocument
from atendo.insights.search import token
from atendo.insights.text import index_lemmas
from atendo.scheduling.services.private_notes import private_note_save

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|name="csrf-token" content=|"X-CSRFToken": )"[^"]*"')
SECRET = "Zanzibarquartzo"  # a word of a private note, nowhere else


@pytest.fixture
def private(practice, therapist):
    """A private note on every one of Marina's sessions, written by her therapist."""
    for session in practice.sessions["marina"]:
        private_note_save(
            member=therapist,
            session_id=session.pk,
            text=f"{SECRET}: sono, ansiedade e a mãe. Só para mim, {SECRET.lower()} de novo.",
        )
    return SECRET


def test_a_private_note_never_feeds_insights_search_or_questions(practice, api, therapist, private):
    client = api(therapist)
    marina = practice.marina.pk
    bodies = [
        client.get(f"clients/{marina}/insights").content,
        client.get(f"sessions/{practice.upcoming['marina'].pk}/briefing").content,
        client.post(f"clients/{marina}/ask", {"question": f"Quando falou de {private}?"}).content,
        client.post(f"clients/{marina}/ask", {"question": "sono e ansiedade"}).content,
        client.get("search", q=private).content,
        client.get(f"clients/{marina}/progress-report.pdf").content,
    ]
    for body in bodies:
        assert private.lower().encode() not in body.lower()
    assert client.get("search", q=private).json()["items"] == []
    # Not in the index either, under its own key.
    key = index_key(practice.marina.workspace)
    stored = " ".join(SearchDocument.objects.values_list("tokens", flat=True)).split()
    (secret,) = index_lemmas(private, "pt")
    (shared,) = index_lemmas("ansiedade", "pt")
    assert token(key, shared) in stored  # the key and the lemmas are the index's own
    assert token(key, secret) not in stored
    # The question is answered from the notes: the shared words are found in them.
    answer = client.post(f"clients/{marina}/ask", {"question": "sono e ansiedade"}).json()
    assert answer["citations"]
    assert all(c["text"] in practice.notes[c["session_id"]] for c in answer["citations"])


def _reads(therapist, client_id):
    return list(
        AuditEvent.objects.filter(action="clinical.read", actor_id=therapist.user_id, client_id=client_id)
        .order_by("pk")
        .values_list("changes", flat=True)
    )


@pytest.mark.parametrize(
    "door",
    ["insights", "briefing", "ask", "report"],
)
def test_every_door_is_in_the_read_audit_a_cached_answer_too(practice, api, therapist, door):
    client = api(therapist)
    marina = practice.marina.pk

    def call():
        if door == "insights":
            return client.get(f"clients/{marina}/insights")
        if door == "briefing":
            return client.get(f"sessions/{practice.upcoming['marina'].pk}/briefing")
        if door == "ask":
            return client.post(f"clients/{marina}/ask", {"question": "sono"})
        return client.get(f"clients/{marina}/progress-report.pdf")

    before = len(_reads(therapist, marina))
    assert call().status_code == 200
    assert call().status_code == 200  # the second answer comes from the cache
    events = _reads(therapist, marina)[before:]
    assert len(events) == 2, "one clinical.read event per request, cached or not"
    for changes in events:
        assert changes["insights"] == [marina] and changes["clients"] == [marina]
        assert changes["sessions"], "the sessions quoted are named"
        marinas = {s.pk for s in practice.sessions["marina"]} | {practice.upcoming["marina"].pk}
        assert set(changes["sessions"]) <= marinas
        assert "sono" not in str(changes)  # never the content, never the question
    assert events[0] == events[1]


def test_a_non_reader_is_not_recorded_as_reading_insights(practice, api, other_therapist):
    client = api(other_therapist)
    client.get(f"clients/{practice.marina.pk}/insights")
    client.post(f"clients/{practice.marina.pk}/ask", {"question": "sono"})
    events = AuditEvent.objects.filter(action="clinical.read", actor_id=other_therapist.user_id)
    assert not [e for e in events if "insights" in e.changes]


def test_a_search_for_a_hidden_word_answers_a_non_reader_as_for_a_made_up_one(
    practice, api, page_client, other_therapist
):
    client = api(other_therapist)
    hidden = client.get("search", q="insônia")
    made_up = client.get("search", q="xyzzyplugh")
    assert hidden.status_code == made_up.status_code == 200
    assert hidden.json() == made_up.json() == {"items": [], "next_cursor": None}
    pages = page_client(other_therapist)
    url = f"/w/{practice.marina.workspace.slug}/search/"
    a, b = pages.get(url, {"q": "insônia"}), pages.get(url, {"q": "xyzzyplugh"})
    assert a.status_code == b.status_code == 200

    def shown(response, q):
        body = response.content.decode().replace(q, "Q").replace(quote(q), "Q")
        return CSRF.sub("", body)

    assert shown(a, "insônia") == shown(b, "xyzzyplugh")
