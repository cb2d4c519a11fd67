"""Telehealth links on sessions: `video_url` through the API and the pages, the practitioner's
default video room, the https rule with its field error, the version check, and who sees it."""

from __future__ import annotations

import pytest

from atendo.scheduling.models import Session
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

BASE = "/w/serena/sessions"
ROOM = "https://meet.example.com/theo-room"


def _create(api, member, client, **extra):
    payload = {"name": "Online", "client_id": client.pk, "starts_at": "2026-03-10T10:00", **extra}
    return api(member).post("sessions", payload)


def _field_paths(response) -> list[str]:
    return [f["path"] for f in response.json()["error"]["fields"]]


def test_a_session_is_created_with_its_video_link(api, therapist, client_ana):
    response = _create(api, therapist, client_ana, video_url="https://meet.example.com/abc-defg-hij")
    assert response.status_code == 201, response.content
    assert response.json()["session"]["video_url"] == "https://meet.example.com/abc-defg-hij"
    session = Session.objects.get()
    assert session.video_url == "https://meet.example.com/abc-defg-hij"
    got = api(therapist).get(f"sessions/{session.pk}").json()
    assert got["video_url"] == "https://meet.example.com/abc-defg-hij"


def test_a_session_without_a_link_answers_null(api, therapist, client_ana):
    response = _create(api, therapist, client_ana)
    assert response.status_code == 201
    assert response.json()["session"]["video_url"] is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://meet.example.com/room", "A video link must start with https://."),
        ("ftp://meet.example.com/room", "A video link must start with https://."),
        ("javascript:alert(1)", "Enter a valid video link, e.g. https://meet.example.com/room."),
        ("meet.example.com/room", "Enter a valid video link, e.g. https://meet.example.com/room."),
        (
            "https://user:secret@meet.example.com/",
            "Enter a valid video link, e.g. https://meet.example.com/room.",
        ),
        ("https://meet.example.com/a room", "Enter a valid video link, e.g. https://meet.example.com/room."),
        ("https://[::1", "Enter a valid video link, e.g. https://meet.example.com/room."),
        ("https://meet.example.com:port/", "Enter a valid video link, e.g. https://meet.example.com/room."),
    ],
)
def test_a_bad_link_is_a_422_at_video_url(api, therapist, client_ana, value, message):
    response = _create(api, therapist, client_ana, video_url=value)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == [{"path": "video_url", "message": message}]
    assert not Session.objects.exists()


def test_a_too_long_link_is_a_422_at_video_url(api, therapist, client_ana):
    response = _create(api, therapist, client_ana, video_url="https://meet.example.com/" + "a" * 600)
    assert response.status_code == 422
    assert _field_paths(response) == ["video_url"]


def test_a_link_that_is_not_text_is_a_422_at_video_url(api, therapist, client_ana):
    response = _create(api, therapist, client_ana, video_url=["https://meet.example.com/"])
    assert response.status_code == 422
    assert _field_paths(response) == ["video_url"]


def test_http_on_localhost_is_accepted_only_in_debug(api, therapist, client_ana, settings):
    local = "http://localhost:8443/room"
    assert _create(api, therapist, client_ana, video_url=local).status_code == 422
    settings.DEBUG = True
    response = _create(api, therapist, client_ana, video_url=local)
    assert response.status_code == 201, response.content
    assert response.json()["session"]["video_url"] == local
    # Not another host, even in DEBUG.
    assert _create(api, therapist, client_ana, video_url="http://meet.example.com/").status_code == 422


def test_a_new_session_takes_the_practitioners_default_room(api, therapist, assistant, client_ana):
    therapist.video_room_url = ROOM
    therapist.save(update_fields=["video_room_url"])
    mine = _create(api, therapist, client_ana)
    assert mine.json()["session"]["video_url"] == ROOM
    # Booked by the front desk for the therapist: the therapist's room.
    booked = _create(api, assistant, client_ana, practitioner_id=therapist.pk, starts_at="2026-03-11T10:00")
    assert booked.status_code == 201, booked.content
    assert booked.json()["session"]["video_url"] == ROOM
    # An explicit link wins; an empty one means "no link".
    other = _create(
        api, therapist, client_ana, video_url="https://other.example.com/x", starts_at="2026-03-12T10:00"
    )
    assert other.json()["session"]["video_url"] == "https://other.example.com/x"
    none = _create(api, therapist, client_ana, video_url="", starts_at="2026-03-13T10:00")
    assert none.json()["session"]["video_url"] is None


def test_a_series_carries_the_link_to_every_occurrence(api, therapist, client_ana):
    response = _create(
        api, therapist, client_ana, video_url=ROOM, recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"}
    )
    assert response.status_code == 201, response.content
    assert set(Session.objects.values_list("video_url", flat=True)) == {ROOM}


def test_an_edit_sets_changes_and_removes_the_link_at_its_version(api, therapist, client_ana):
    created = _create(api, therapist, client_ana).json()["session"]
    http = api(therapist)
    set_it = http.patch(f"sessions/{created['id']}", {"version": created["version"], "video_url": ROOM})
    assert set_it.status_code == 200, set_it.content
    assert set_it.json()["session"]["video_url"] == ROOM
    assert set_it.json()["session"]["version"] == created["version"] + 1
    # A stale version changes nothing.
    stale = http.patch(f"sessions/{created['id']}", {"version": created["version"], "video_url": ""})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert Session.objects.get().video_url == ROOM
    bad = http.patch(
        f"sessions/{created['id']}", {"version": created["version"] + 1, "video_url": "http://x.example/"}
    )
    assert bad.status_code == 422
    assert _field_paths(bad) == ["video_url"]
    removed = http.patch(f"sessions/{created['id']}", {"version": created["version"] + 1, "video_url": None})
    assert removed.status_code == 200, removed.content
    assert removed.json()["session"]["video_url"] is None
    assert Session.objects.get().video_url == ""


def test_the_practitioners_room_is_not_applied_to_an_edit(api, therapist, client_ana):
    created = _create(api, therapist, client_ana).json()["session"]
    therapist.video_room_url = ROOM
    therapist.save(update_fields=["video_room_url"])
    edited = api(therapist).patch(
        f"sessions/{created['id']}", {"version": created["version"], "name": "Renamed"}
    )
    assert edited.json()["session"]["video_url"] is None


def test_the_assistant_sees_the_link_but_no_notes(api, therapist, assistant, owner, client_ana):
    session = SessionFactory(
        client=client_ana, practitioner=therapist, by=owner, video_url=ROOM, notes="QZXnotesXZQ"
    )
    got = api(assistant).get(f"sessions/{session.pk}").json()
    assert got["video_url"] == ROOM
    assert "notes" not in got and "notes" in got["withheld"]


def test_the_assistant_may_set_the_link(api, therapist, assistant, owner, client_ana):
    session = SessionFactory(client=client_ana, practitioner=therapist, by=owner)
    response = api(assistant).patch(f"sessions/{session.pk}", {"version": session.version, "video_url": ROOM})
    assert response.status_code == 200, response.content
    assert response.json()["session"]["video_url"] == ROOM


def test_an_outsider_cannot_read_or_set_the_link(api, outsider, therapist, owner, client_ana):
    session = SessionFactory(client=client_ana, practitioner=therapist, by=owner, video_url=ROOM)
    http = api(outsider, "serena")
    assert http.get(f"sessions/{session.pk}").status_code in (403, 404)
    assert http.patch(f"sessions/{session.pk}", {"version": 1, "video_url": ""}).status_code in (403, 404)
    assert Session.objects.get().video_url == ROOM


def test_an_edit_is_audited_with_the_link(api, therapist, client_ana):
    from atendo.audit.models import AuditEvent

    created = _create(api, therapist, client_ana).json()["session"]
    api(therapist).patch(f"sessions/{created['id']}", {"version": created["version"], "video_url": ROOM})
    event = AuditEvent.objects.filter(action="session.update").latest("id")
    assert event.changes["video_url"] == ["", ROOM]


# --- pages ---------------------------------------------------------------------------------------


def _form(client_id: int, practitioner_id: int, **extra) -> dict:
    data = {
        "name": "Online",
        "client": client_id,
        "practitioner": practitioner_id,
        "therapy_type": "",
        "date": "2026-03-10",
        "start_time": "10:00",
        "duration_minutes": 50,
        "status": "scheduled",
        "notes": "",
        "admin_notes": "",
        "video_url": "",
    }
    data.update(extra)
    return data


def test_the_new_session_page_is_prefilled_with_the_practitioners_room(page_client, therapist, assistant):
    therapist.video_room_url = ROOM
    therapist.save(update_fields=["video_room_url"])
    body = page_client(therapist).get(f"{BASE}/new/").content.decode()
    assert f'value="{ROOM}"' in body
    # The front desk choosing the practitioner in the link gets their room too.
    body = page_client(assistant).get(f"{BASE}/new/?practitioner={therapist.pk}").content.decode()
    assert f'value="{ROOM}"' in body
    # Without a practitioner chosen there is nothing to prefill.
    body = page_client(assistant).get(f"{BASE}/new/").content.decode()
    assert ROOM not in body


def test_the_page_form_saves_the_link(page_client, therapist, client_ana):
    response = page_client(therapist).post(f"{BASE}/new/", _form(client_ana.pk, therapist.pk, video_url=ROOM))
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.video_url == ROOM
    body = page_client(therapist).get(f"{BASE}/{session.pk}/").content.decode()
    assert "Join video" in body and f'href="{ROOM}"' in body


def test_the_page_form_shows_a_bad_link_next_to_its_field(page_client, therapist, client_ana):
    response = page_client(therapist).post(
        f"{BASE}/new/", _form(client_ana.pk, therapist.pk, video_url="http://meet.example.com/")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["video_url"] == ["A video link must start with https://."]
    assert not Session.objects.exists()


def test_the_edit_page_changes_the_link_at_its_version(page_client, therapist, owner, client_ana):
    session = SessionFactory(client=client_ana, practitioner=therapist, by=owner, starts_at=_at(owner))
    http = page_client(therapist)
    assert "video_url" in http.get(f"{BASE}/{session.pk}/edit/").content.decode()
    data = _form(client_ana.pk, therapist.pk, video_url=ROOM, version=session.version)
    data.pop("notes")
    response = http.post(f"{BASE}/{session.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    session.refresh_from_db()
    assert session.video_url == ROOM
    # The same, stale, form again: refused, nothing changes.
    data["video_url"] = "https://other.example.com/"
    assert http.post(f"{BASE}/{session.pk}/edit/", data).status_code == 409
    session.refresh_from_db()
    assert session.video_url == ROOM


def test_the_session_page_in_portuguese_says_entrar_na_videochamada(
    page_client, therapist, owner, client_ana
):
    session = SessionFactory(client=client_ana, practitioner=therapist, by=owner, video_url=ROOM)
    http = page_client(therapist)
    body = http.get(f"{BASE}/{session.pk}/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert f'href="{ROOM}"' in body
    assert 'rel="noopener noreferrer"' in body


def test_the_home_agenda_links_the_video_call(page_client, therapist, owner, client_ana, workspace):
    import datetime as dt

    from django.utils import timezone

    today = timezone.now().astimezone(workspace.tz).replace(hour=23, minute=0, second=0, microsecond=0)
    SessionFactory(
        client=client_ana,
        practitioner=therapist,
        by=owner,
        starts_at=today - dt.timedelta(minutes=30),
        duration_minutes=20,
        video_url=ROOM,
    )
    body = page_client(therapist).get("/w/serena/").content.decode()
    assert 'data-testid="agenda-video"' in body and f'href="{ROOM}"' in body


def _at(member):
    import datetime as dt

    return dt.datetime(2026, 3, 10, 10, 0, tzinfo=member.workspace.tz)
