"""Insights through the API: summary, themes, trends and attendance; the briefing; search; questions;
the progress report PDF — and the barrier: whoever may not read the client gets no text from any
door, and `withheld` says so."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from atendo.audit.models import AuditEvent
from atendo.insights.models import SearchDocument
from atendo.insights.tests import corpus
from atendo.insights.tests.conftest import version_of
from atendo.scheduling.services import session_update
from tests.factories import EvaluationFactory

pytestmark = pytest.mark.django_db


def _words_of_corpus() -> set[str]:
    """Distinctive words of the corpus notes (any of them in a response is a leak)."""
    return {
        "insônia",
        "diafragmática",
        "taquicardia",
        "psychoeducation",
        "catastrophic",
        "relapse-prevention",
    }


def _leaks(body: str) -> set[str]:
    return {w for w in _words_of_corpus() if w in body}


# --- the summary and patterns -------------------------------------------------------------------------


def test_every_summary_sentence_is_quoted_from_its_session(practice, api, therapist):
    body = api(therapist).get(f"clients/{practice.marina.pk}/insights").json()
    assert body["withheld"] == [] and len(body["summary"]) >= 5
    for item in body["summary"]:
        assert item["text"] in practice.notes[item["session_id"]]
    sessions = {s.pk for s in practice.sessions["marina"]}
    assert {i["session_id"] for i in body["summary"]} <= sessions


def test_themes_trends_and_attendance_are_found(practice, api, therapist):
    body = api(therapist).get(f"clients/{practice.marina.pk}/insights").json()
    terms = {t["term"] for t in body["themes"]}
    assert {"ansiedade", "sono"} <= terms
    assert not {"marina", "souza"} & terms  # the client's own name is no theme
    for theme in body["themes"]:
        assert len(theme["session_ids"]) == theme["count"] >= 2
    anxiety = next(t for t in body["trends"] if t["path"] == "fields.post.anxiety")
    assert (anxiety["direction"], anxiety["first"], anxiety["last"]) == ("down", 8, 3)
    assert anxiety["label"] == "Ansiedade (0–10)"
    assert [p["value"] for p in anxiety["points"]] == [r[3] for r in corpus.MARINA if r[3] is not None]
    phq = next(t for t in body["trends"] if t["path"] == "evaluations.values.phq9")
    assert (phq["direction"], phq["first"], phq["last"]) == ("down", 15, 6)
    attendance = body["attendance"]
    assert attendance["completed"] == 7 and attendance["cancelled"] == 1 and attendance["no_show"] == 1
    assert attendance["scheduled"] == 1 and attendance["total"] == 10
    assert attendance["rate"] == round(7 / 9, 3)
    assert attendance["mean_interval_days"] == pytest.approx(56 / 6, abs=0.1)


def test_the_period_limits_what_is_summarised(practice, api, therapist):
    sessions = practice.sessions["marina"]
    start = sessions[5].starts_at.astimezone(therapist.workspace.tz).date().isoformat()
    body = api(therapist).get(f"clients/{practice.marina.pk}/insights", start=start).json()
    assert body["start"] == start
    assert {i["session_id"] for i in body["summary"]} <= {s.pk for s in sessions[5:]}
    bad = api(therapist).get(f"clients/{practice.marina.pk}/insights", start="2026-02-30")
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "start"
    backwards = api(therapist).get(
        f"clients/{practice.marina.pk}/insights", start="2026-03-02", end="2026-03-01"
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["fields"][0]["path"] == "end"


def test_english_notes_get_english_themes(practice, api, therapist):
    body = api(therapist).get(f"clients/{practice.daniel.pk}/insights").json()
    terms = " ".join(t["term"] for t in body["themes"])
    assert "panic" in terms and "subway" in terms
    for item in body["summary"]:
        assert item["text"] in practice.notes[item["session_id"]]


def test_the_cache_follows_every_change_of_the_notes(practice, api, therapist):
    client = api(therapist)
    before = client.get(f"clients/{practice.marina.pk}/insights").json()
    last = practice.sessions["marina"][-1]
    new_notes = "Marina decidiu retomar a natação. A natação ajuda a dormir. Natação às terças."
    session_update(
        member=therapist, session_id=last.pk, version=version_of(last), changes={"notes": new_notes}
    )
    after = client.get(f"clients/{practice.marina.pk}/insights").json()
    assert after != before
    assert any(i["text"] in new_notes for i in after["summary"] if i["session_id"] == last.pk)


# --- the briefing -------------------------------------------------------------------------------------


def test_the_briefing_before_the_next_session(practice, api, therapist):
    upcoming = practice.upcoming["marina"]
    body = api(therapist).get(f"sessions/{upcoming.pk}/briefing").json()
    last = practice.sessions["marina"][-1]
    assert [p["session_id"] for p in body["previous"]][:1] == [last.pk]
    for p in body["previous"]:
        assert p["summary"] and all(line in practice.notes[p["session_id"]] for line in p["summary"])
    kinds = {(f["kind"], f["session_id"]) for f in body["follow_ups"]}
    assert ("date", last.pk) in kinds and ("homework", last.pk) in kinds
    homework = next(f for f in body["follow_ups"] if f["kind"] == "homework")
    assert homework["text"] == corpus.MARINA[-1][4]
    assert body["outstanding"] == {"count": 1, "overdue": 0, "amount": "200.00", "currency": "BRL"}
    assert (
        body["days_since_last"]
        == (
            upcoming.starts_at.astimezone(therapist.workspace.tz).date()
            - last.starts_at.astimezone(therapist.workspace.tz).date()
        ).days
    )
    assert body["last_evaluation"]["title"] == "PHQ-9 de controle"
    assert body["last_evaluation"]["scores"] == [{"key": "phq9", "label": "PHQ-9", "value": 6.0}]
    assert body["withheld"] == []


def test_a_briefing_without_billing_read_withholds_the_money(practice, api, therapist, workspace):
    role = therapist.role
    role.permissions = sorted(set(role.permissions) - {"billing.read", "billing.manage"})
    role.save()
    therapist.refresh_from_db()
    body = api(therapist).get(f"sessions/{practice.upcoming['marina'].pk}/briefing").json()
    assert body["outstanding"] is None and body["withheld"] == ["outstanding"]
    assert body["previous"]


# --- the barrier --------------------------------------------------------------------------------------


def test_a_therapist_not_assigned_gets_no_text_from_any_door(practice, api, other_therapist):
    client = api(other_therapist)
    marina = practice.marina.pk
    insights = client.get(f"clients/{marina}/insights")
    assert insights.status_code == 200
    body = insights.json()
    assert body["summary"] == body["themes"] == body["trends"] == body["evaluations"] == []
    assert body["withheld"] == ["summary", "themes", "trends", "evaluations"]
    assert body["attendance"]["completed"] == 7  # statuses are not clinical
    briefing = client.get(f"sessions/{practice.upcoming['marina'].pk}/briefing").json()
    assert briefing["previous"] == briefing["follow_ups"] == [] and briefing["last_evaluation"] is None
    assert set(briefing["withheld"]) == {"previous", "follow_ups", "last_evaluation"}
    right = client.get("search", q="insônia").json()
    wrong = client.get("search", q="zebra").json()
    assert right == wrong == {"items": [], "next_cursor": None}
    asked = [client.post(f"clients/{marina}/ask", {"question": q}).json() for q in ("insônia?", "zebra?")]
    assert asked[0] == asked[1] and asked[0]["citations"] == [] and asked[0]["withheld"] == ["notes"]
    pdf = client.get(f"clients/{marina}/progress-report.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    responses = [insights.content, json.dumps(briefing), json.dumps(asked), text]
    assert [_leaks(r if isinstance(r, str) else r.decode()) for r in responses] == [set()] * 4
    assert "withheld" in text


@pytest.mark.parametrize(
    "path",
    ["clients/{c}/insights", "sessions/{s}/briefing", "search?q=sono", "clients/{c}/progress-report.pdf"],
)
def test_an_assistant_has_no_insights(practice, api, assistant, path):
    url = path.format(c=practice.marina.pk, s=practice.upcoming["marina"].pk)
    response = api(assistant).get(url)
    assert response.status_code == 403 and _leaks(response.content.decode()) == set()
    asked = api(assistant).post(f"clients/{practice.marina.pk}/ask", {"question": "sono?"})
    assert asked.status_code == 403


def test_another_workspace_gets_404(practice, api, outsider):
    client = api(outsider, practice.marina.workspace.slug)
    assert client.get(f"clients/{practice.marina.pk}/insights").status_code == 404
    own = api(outsider)
    assert own.get(f"clients/{practice.marina.pk}/insights").status_code == 404
    assert own.get(f"sessions/{practice.upcoming['marina'].pk}/briefing").status_code == 404
    assert own.get("search", q="sono").json()["items"] == []
    assert own.post(f"clients/{practice.marina.pk}/ask", {"question": "sono?"}).status_code == 404


# --- search -------------------------------------------------------------------------------------------


def test_search_finds_every_form_of_a_word_newest_first(practice, api, therapist):
    items = api(therapist).get("search", q="dormir").json()["items"]
    marina = {s.pk: s for s in practice.sessions["marina"]}
    found = [i["session_id"] for i in items if i["client_id"] == practice.marina.pk]
    expected = [pk for pk in marina if "dorm" in practice.notes[pk].lower()]
    assert sorted(found) == sorted(expected)
    assert [i["date"] for i in items] == sorted((i["date"] for i in items), reverse=True)
    for item in items:
        plain = item["snippet"].strip("… ").removesuffix(" …")
        assert plain in practice.notes[item["session_id"]]
        assert item["path"] == "notes"
    english = api(therapist).get("search", q="slept").json()["items"]  # "sleeps", "sleep"…
    assert {i["client_id"] for i in english} == {practice.daniel.pk}


def test_search_needs_every_word_and_finds_field_values_and_evaluations(practice, api, therapist):
    both = api(therapist).get("search", q="ansiedade trabalho").json()["items"]
    assert both and all(
        "ansiedade" in practice.notes[i["session_id"]].lower()
        and "trabalho" in practice.notes[i["session_id"]].lower()
        for i in both
    )
    homework = api(therapist).get("search", q="carta").json()["items"]
    assert {i["path"] for i in homework} >= {"fields.post.homework"}
    EvaluationFactory(client=practice.daniel, title="Escala de pânico", values={"phq9": 9})
    found = api(therapist).get("search", q="pânico").json()["items"]
    assert [i["kind"] for i in found] == ["evaluation"] and found[0]["path"] == "title"


def test_search_pages_with_a_cursor(practice, api, therapist):
    client = api(therapist)
    first = client.get("search", q="ansiedade", limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get("search", q="ansiedade", limit=2, cursor=first["next_cursor"]).json()
    assert not {i["session_id"] for i in first["items"]} & {i["session_id"] for i in second["items"]}
    assert client.get("search", q="ansiedade", cursor="garbage").status_code == 422
    empty = client.get("search", q="de a o")
    assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["path"] == "q"


def test_search_runs_a_constant_number_of_queries(practice, api, therapist, django_assert_max_num_queries):
    client = api(therapist)
    client.get("search", q="ansiedade")
    with django_assert_max_num_queries(14):
        assert len(client.get("search", q="ansiedade").json()["items"]) >= 6
    with django_assert_max_num_queries(14):
        client.get("search", q="ansiedade", limit=1)


def test_the_index_holds_no_word_of_the_notes(practice):
    stored = " ".join(SearchDocument.objects.values_list("tokens", flat=True))
    assert stored and set(stored) <= set("abcdefghijklmnop ")
    for word in ("insonia", "sono", "dormir", "ansiedade", "panic", "sleep"):
        assert word not in stored.split()
    assert SearchDocument.objects.filter(session__in=practice.sessions["marina"]).count() == 7


def test_deleting_a_session_or_its_notes_drops_them_from_the_index(practice, api, owner):
    first = practice.sessions["marina"][0]
    assert api(owner).get("search", q="equipe").json()["items"][0]["session_id"] == first.pk
    assert api(owner).delete(f"sessions/{first.pk}").status_code == 200
    assert not SearchDocument.objects.filter(session_id=first.pk).exists()
    assert api(owner).get("search", q="equipe").json()["items"] == []
    last = practice.sessions["marina"][-1]
    assert [i["session_id"] for i in api(owner).get("search", q="parque").json()["items"]] == [last.pk]
    session_update(member=owner, session_id=last.pk, version=version_of(last), changes={"notes": ""})
    assert api(owner).get("search", q="parque").json()["items"] == []
    # Its post-session homework is still there, and still found.
    assert last.pk in {i["session_id"] for i in api(owner).get("search", q="caminhar").json()["items"]}


# --- questions ----------------------------------------------------------------------------------------


def test_a_question_is_answered_with_quoted_sentences(practice, api, therapist):
    body = (
        api(therapist)
        .post(f"clients/{practice.marina.pk}/ask", {"question": "Quando ela falou de sono pela última vez?"})
        .json()
    )
    assert body["engine"] == "local" and body["notice"] is None
    assert body["citations"]
    for c in body["citations"]:
        assert c["text"] in practice.notes[c["session_id"]]
    newest = max(c["date"] for c in body["citations"])
    assert body["citations"][0]["date"] == newest
    bad = api(therapist).post(f"clients/{practice.marina.pk}/ask", {"question": ""})
    assert bad.status_code == 422
    unknown = api(therapist).post(f"clients/{practice.marina.pk}/ask", {"question": "x", "extra": 1})
    assert unknown.status_code == 422
    assert not AuditEvent.objects.filter(action="insights.llm_call").exists()  # the model is off


# --- the report ---------------------------------------------------------------------------------------


def test_the_progress_report_pdf_quotes_the_notes_and_draws_the_trend(practice, api, therapist):
    response = api(therapist).get(
        f"clients/{practice.marina.pk}/progress-report.pdf", HTTP_ACCEPT_LANGUAGE="pt-br"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="progress-report-{practice.marina.pk}.pdf"'
    )
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages
    )
    assert "Marina Souza" in text and "Ansiedade (0–10)" in text
    summary = api(therapist).get(f"clients/{practice.marina.pk}/insights").json()["summary"]
    assert " ".join(summary[0]["text"].split()[:6]) in text


def test_reindex_search_rebuilds_the_same_index(practice, api, therapist):
    rows = SearchDocument.objects.values_list("session_id", "evaluation_id", "kind", "tokens")
    before = sorted(rows, key=repr)
    SearchDocument.objects.all().delete()
    assert api(therapist).get("search", q="insônia").json()["items"] == []
    out = io.StringIO()
    call_command("reindex_search", "--workspace", "serena", stdout=out)
    assert out.getvalue().startswith(f"serena: {len(before)} document(s)")
    assert sorted(rows.all(), key=repr) == before
    assert len(api(therapist).get("search", q="insônia").json()["items"]) == 2
