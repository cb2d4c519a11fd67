"""The insights pages: the client's Progress tab, the briefing on the session page, the progress
report (page and PDF), the notes search and the question box — for readers, and for those who may
not read (no text, a withheld notice)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from atendo.insights.models import SearchDocument
from atendo.insights.selectors import client_insights, session_briefing
from atendo.insights.tests import corpus
from tests.factories import ClientFactory, FieldDefinitionFactory, StoredSessionFactory

pytestmark = pytest.mark.django_db
SLUG = "serena"


def _url(name: str, **kwargs: int) -> str:
    return reverse(f"insights:{name}", kwargs={"workspace_slug": SLUG, **kwargs})


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_client_page_has_a_progress_tab_loaded_with_htmx(practice, page_client, therapist):
    client = page_client(therapist)
    detail = client.get(reverse("clients:detail", args=[SLUG, practice.marina.pk]) + "?tab=progress")
    assert detail.status_code == 200
    assert _url("client_progress", client_id=practice.marina.pk) in _text(detail)
    tab = client.get(_url("client_progress", client_id=practice.marina.pk), HTTP_HX_REQUEST="true")
    body = _text(tab)
    assert tab.status_code == 200 and "<html" not in body
    summary = client_insights(therapist, practice.marina.pk)["summary"]
    assert all(item["text"] in body for item in summary)
    assert 'id="insights-charts"' in body and "Ansiedade (0–10)" in body
    assert "vendor/chartjs/chart.umd.min.js" in body and "<script>" not in body  # no inline script (CSP)
    assert reverse("scheduling:detail", args=[SLUG, summary[0]["session_id"]]) in body


def test_an_assistant_sees_no_progress_tab(practice, page_client, assistant):
    client = page_client(assistant)
    detail = _text(client.get(reverse("clients:detail", args=[SLUG, practice.marina.pk])))
    assert "?tab=progress" not in detail
    assert client.get(_url("client_progress", client_id=practice.marina.pk)).status_code == 403
    assert client.get(_url("search") + "?q=sono").status_code == 403


def test_a_therapist_not_assigned_sees_attendance_only(practice, page_client, other_therapist):
    body = _text(page_client(other_therapist).get(_url("client_progress", client_id=practice.marina.pk)))
    assert "withheld" in body and "Attendance" in body
    for row in corpus.MARINA:
        for sentence in row[2].split(". ")[:1]:
            assert not sentence or sentence not in body


def test_the_period_filter_keeps_iso_dates_and_reports_bad_ones(practice, page_client, therapist):
    client = page_client(therapist)
    ok = _text(
        client.get(_url("client_progress", client_id=practice.marina.pk) + "?start=2026-01-01&end=2026-12-31")
    )
    assert 'value="2026-01-01"' in ok and 'type="date"' in ok
    bad = client.get(_url("client_progress", client_id=practice.marina.pk) + "?start=31/12/2026")
    assert bad.status_code == 200 and 'role="alert"' in _text(bad)


def test_the_session_page_shows_the_briefing_before_it_starts(practice, page_client, therapist):
    client = page_client(therapist)
    upcoming = practice.upcoming["marina"]
    page = _text(client.get(reverse("scheduling:detail", args=[SLUG, upcoming.pk])))
    assert _url("briefing", session_id=upcoming.pk) in page
    partial = _text(client.get(_url("briefing", session_id=upcoming.pk), HTTP_HX_REQUEST="true"))
    assert 'data-testid="briefing"' in partial and corpus.MARINA[-1][4] in partial
    assert ("R$" in partial and "200,00" in partial) or "200.00" in partial
    past = practice.sessions["marina"][-1]
    assert _url("briefing", session_id=past.pk) not in _text(
        client.get(reverse("scheduling:detail", args=[SLUG, past.pk]))
    )


def test_the_report_page_and_its_pdf(practice, page_client, therapist):
    client = page_client(therapist)
    page = client.get(_url("report", client_id=practice.marina.pk))
    assert page.status_code == 200 and 'data-testid="report"' in _text(page)
    pdf = client.get(_url("report_pdf", client_id=practice.marina.pk))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_asking_from_the_page(practice, page_client, therapist):
    client = page_client(therapist)
    url = _url("ask", client_id=practice.marina.pk)
    answer = client.post(url, {"question": "Quando falou da mãe?"}, HTTP_HX_REQUEST="true")
    body = _text(answer)
    assert answer.status_code == 200 and 'data-testid="answer"' in body and "mãe" in body
    empty = client.post(url, {"question": " "}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 422 and 'role="alert"' in _text(empty)
    assert client.get(url).status_code == 405


def test_the_search_page(practice, page_client, therapist):
    client = page_client(therapist)
    assert 'type="search"' in _text(client.get(_url("search")))
    found = _text(client.get(_url("search") + "?q=respira%C3%A7%C3%A3o"))
    assert "Marina Souza" in found and "respiração" in found
    assert "Search notes" in found  # the menu entry
    nothing = _text(client.get(_url("search") + "?q=de"))
    assert 'role="alert"' in nothing


def test_insights_of_a_long_record_run_a_constant_number_of_queries(
    workspace, owner, therapist, django_assert_max_num_queries
):
    FieldDefinitionFactory(workspace=workspace, scope="session", phase="post", key="mood", type="number")
    client = ClientFactory(workspace=workspace, practitioners=[therapist])
    start = timezone.now() - dt.timedelta(days=400)
    for i in range(60):
        StoredSessionFactory(
            client=client,
            practitioner=therapist,
            starts_at=start + dt.timedelta(days=7 * i),
            status="completed",
            notes="",
            post_fields={"mood": i % 10},
        )
    with django_assert_max_num_queries(16):
        insights = client_insights(therapist, client.pk)
    assert insights["attendance"]["completed"] == 60 and insights["trends"][0]["path"] == "fields.post.mood"
    later = StoredSessionFactory(
        client=client, practitioner=therapist, starts_at=timezone.now() + dt.timedelta(days=1)
    )
    with django_assert_max_num_queries(20):
        briefing = session_briefing(therapist, later.pk)
    assert briefing["days_since_last"] is not None
    assert SearchDocument.objects.count() == 0  # rows written directly are not indexed until reindexed
