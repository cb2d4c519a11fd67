"""A session's video-call link in the calendar feed: the event's LOCATION and a line of its
DESCRIPTION (administrative only: no session name, notes or field value comes with it)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import icalendar
import pytest
from django.test import Client as HttpClient

from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db
ROOM = "https://meet.example.com/theo-room"


def _events(api, member) -> dict[str, icalendar.Event]:
    created = api(member).post("calendar-feeds", {})
    assert created.status_code == 201, created.content
    response = HttpClient().get(urlsplit(created.json()["url"]).path)
    assert response.status_code == 200
    return {str(e["uid"]): e for e in icalendar.Calendar.from_ical(response.content).walk("VEVENT")}


def test_the_feed_carries_the_video_link_and_nothing_clinical(api, workspace, owner, therapist):
    workspace.address = "Rua das Flores, 10\nSão Paulo"
    workspace.save(update_fields=["address"])
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    online = SessionFactory(
        client=ClientFactory(workspace=workspace, name="Maria Clara Souza"),
        practitioner=therapist,
        by=owner,
        starts_at=start,
        name="QZXnameXZQ",
        notes="QZXnotesXZQ",
        video_url=ROOM,
    )
    in_person = SessionFactory(
        client=ClientFactory(workspace=workspace, name="Bruno Lima"),
        practitioner=therapist,
        by=owner,
        starts_at=start + dt.timedelta(hours=2),
    )
    events = _events(api, therapist)
    video = events[f"session-{online.pk}@serena.atendo"]
    assert str(video["location"]) == ROOM
    assert str(video["description"]) == f"Video call: {ROOM}"
    assert str(video["url"]).endswith(f"/w/serena/sessions/{online.pk}/")
    assert "QZX" not in video.to_ical().decode()
    office = events[f"session-{in_person.pk}@serena.atendo"]
    assert str(office["location"]) == "Rua das Flores, 10, São Paulo"
    assert "description" not in office


def test_changing_the_link_changes_the_event(api, workspace, owner, therapist):
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    session = SessionFactory(
        client=ClientFactory(workspace=workspace, name="Maria Souza"),
        practitioner=therapist,
        by=owner,
        starts_at=start,
    )
    response = api(owner).patch(f"sessions/{session.pk}", {"version": session.version, "video_url": ROOM})
    assert response.status_code == 200, response.content
    event = _events(api, therapist)[f"session-{session.pk}@serena.atendo"]
    assert str(event["location"]) == ROOM
    assert int(event["sequence"]) == session.version + 1
