"""Private calendar feeds: made and revoked through the API and the page, read with `icalendar`."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import icalendar
import pytest
from django.test import Client as HttpClient

from atendo.scheduling.services.status import session_cancel
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def booked(workspace, owner, therapist, other_therapist):
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    mine = SessionFactory(
        client=ClientFactory(workspace=workspace, name="Maria Clara Souza"),
        practitioner=therapist,
        by=owner,
        starts_at=start,
        name="QZXnameXZQ",
        notes="QZXnotesXZQ",
    )
    theirs = SessionFactory(
        client=ClientFactory(workspace=workspace, name="Bruno Lima"),
        practitioner=other_therapist,
        by=owner,
        starts_at=start + dt.timedelta(hours=2),
    )
    return mine, theirs


def _events(response) -> list:
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].startswith("text/calendar")
    return list(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


def test_a_therapists_feed_has_only_their_sessions_and_no_clinical_content(api, therapist, booked):
    mine, _theirs = booked
    created = api(therapist).post("calendar-feeds", {})
    assert created.status_code == 201, created.content
    body = created.json()
    assert "/feeds/" in body["url"] and body["url"].endswith(".ics")
    response = HttpClient().get(_path(body["url"]))
    events = _events(response)
    assert [str(e["uid"]) for e in events] == [f"session-{mine.pk}@serena.atendo"]
    event = events[0]
    assert str(event["summary"]) == "Maria S."
    assert event.decoded("dtstart") == mine.starts_at
    assert str(event["dtstart"].params["TZID"]) == "America/Sao_Paulo"
    assert int(event["sequence"]) == mine.version
    assert str(event["status"]) == "TENTATIVE"
    assert b"QZX" not in response.content
    calendar = icalendar.Calendar.from_ical(response.content)
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Sao_Paulo"]


def test_initials_only_and_cancelled_sessions(api, therapist, booked, workspace):
    mine, _ = booked
    session_cancel(workspace=workspace, member=None, session_id=mine.pk, by="client", actor_label="test")
    url = api(therapist).post("calendar-feeds", {"initials_only": True}).json()["url"]
    event = _events(HttpClient().get(_path(url)))[0]
    assert str(event["summary"]) == "M. C. S."
    assert str(event["status"]) == "CANCELLED"


def test_the_front_desk_and_owner_feeds_of_the_whole_practice(api, owner, assistant, therapist, booked):
    for member in (owner, assistant):
        url = api(member).post("calendar-feeds", {"scope": "workspace"}).json()["url"]
        events = _events(HttpClient().get(_path(url)))
        assert len(events) == 2
        assert any("Theo Therapist" in str(e["summary"]) for e in events)
        assert b"QZX" not in HttpClient().get(_path(url)).content
    refused = api(therapist).post("calendar-feeds", {"scope": "workspace"})
    assert refused.status_code == 403


def test_etag_and_last_modified(api, therapist, booked):
    url = _path(api(therapist).post("calendar-feeds", {}).json()["url"])
    first = HttpClient().get(url)
    assert first["ETag"] and first["Last-Modified"]
    assert HttpClient().get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert HttpClient().get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_revoking_and_regenerating(api, therapist, other_therapist, owner, booked):
    created = api(therapist).post("calendar-feeds", {}).json()
    assert [f["id"] for f in api(therapist).get("calendar-feeds").json()["items"]] == [created["id"]]
    assert api(other_therapist).delete(f"calendar-feeds/{created['id']}").status_code == 404
    assert api(therapist).delete(f"calendar-feeds/{created['id']}").status_code == 204
    assert HttpClient().get(_path(created["url"])).status_code == 404
    again = api(therapist).post("calendar-feeds", {}).json()
    assert again["url"] != created["url"] and HttpClient().get(_path(again["url"])).status_code == 200


def test_a_feed_follows_its_members_access(api, therapist, booked):
    url = _path(api(therapist).post("calendar-feeds", {}).json()["url"])
    therapist.is_active = False
    therapist.save()
    assert HttpClient().get(url).status_code == 404
    assert HttpClient().get("/feeds/not-a-token.ics").status_code == 404


def test_a_feed_for_another_member_needs_members_manage(api, owner, therapist, other_therapist):
    assert api(therapist).post("calendar-feeds", {"member_id": other_therapist.pk}).status_code == 403
    made = api(owner).post("calendar-feeds", {"member_id": therapist.pk})
    assert made.status_code == 201 and made.json()["member_id"] == therapist.pk
    assert api(owner).post("calendar-feeds", {"member_id": 999999}).status_code == 404


def test_the_page_makes_shows_and_revokes(page_client, therapist, assistant, booked):
    http = page_client(therapist)
    assert http.get("/w/serena/settings/calendar-feed/").status_code == 200
    made = http.post("/w/serena/settings/calendar-feed/", {"scope": "mine"})
    text = made.content.decode()
    assert made.status_code == 200 and "/feeds/" in text and "Every session" not in text
    from atendo.feeds.models import CalendarFeed

    feed = CalendarFeed.objects.get(member=therapist)
    assert http.post(f"/w/serena/settings/calendar-feed/{feed.pk}/revoke/").status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert "Every session" in page_client(assistant).get("/w/serena/settings/calendar-feed/").content.decode()


def test_an_unchanged_feed_is_served_from_the_cache_and_a_change_shows(api, therapist, booked, workspace):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mine, _theirs = booked
    url = _path(api(therapist).post("calendar-feeds", {}).json()["url"])
    with CaptureQueriesContext(connection) as built:
        first = HttpClient().get(url)
    with CaptureQueriesContext(connection) as cached:
        second = HttpClient().get(url)
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert len(cached.captured_queries) == len(built.captured_queries) - 1  # no read of the events
    # A renamed client is a new version: the title follows at once.
    client = mine.client
    client.name = "Mariana Costa"
    client.save()
    renamed = HttpClient().get(url)
    assert renamed["ETag"] != first["ETag"]
    assert [str(e["summary"]) for e in _events(renamed)] == ["Mariana C."]
    # A member who can no longer read clients gets titles without names, not the cached ones.
    role = therapist.role
    role.permissions = [p for p in role.permissions if p != "client.read"]
    role.save()
    therapist.refresh_from_db()
    nameless = HttpClient().get(url)
    assert nameless.status_code == 200 and nameless["ETag"] != renamed["ETag"]
    assert [str(e["summary"]) for e in _events(nameless)] == ["Session"]
