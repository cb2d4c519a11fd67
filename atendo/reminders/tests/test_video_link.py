"""The telehealth link in reminders: `{video_link}` fills the session's video-call link, and the
built-in texts (pt-BR and en) carry their video line only when the session has a link. Sent
through the real SMTP server on loopback (`servers.py`); the link's page shows the call too."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import Client as HttpClient

from atendo.reminders import sending, texts
from atendo.reminders.links import make_token
from atendo.reminders.models import ClientReminderPrefs
from atendo.reminders.services import reminder_settings_update
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db
SP = zoneinfo.ZoneInfo("America/Sao_Paulo")
ROOM = "https://meet.example.com/theo-maria"


def _session(workspace, therapist, *, video_url: str = "", language: str = "") -> Session:
    client = ClientFactory(
        workspace=workspace, name="Maria Souza", email="maria@example.com", phone="(11) 98765-4321"
    )
    if language:
        ClientReminderPrefs.objects.create(workspace=workspace, client=client, language=language)
    starts_at = (dt.datetime.now(SP) + dt.timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    owner = Membership.objects.for_workspace(workspace).get(role__name="Owner")
    return SessionFactory(
        client=client,
        practitioner=therapist,
        by=owner,
        starts_at=starts_at,
        name="QZXnameXZQ",
        notes="QZXnotesXZQ",
        video_url=video_url,
    )


def _send(session: Session) -> None:
    now = session.starts_at - dt.timedelta(hours=24) + dt.timedelta(minutes=1)
    sending.plan_due(now)
    sending.send_due(now)


def _body(smtp) -> str:
    assert len(smtp.messages) == 1
    return smtp.messages[0].get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize(
    ("language", "line"), [("en", "Video call: " + ROOM), ("pt-BR", "Link da videochamada: " + ROOM)]
)
def test_the_reminder_carries_the_video_link(workspace, therapist, reminders_on, smtp, language, line):
    reminders_on.channels = ["email"]
    reminders_on.save()
    _send(_session(workspace, therapist, video_url=ROOM, language=language))
    body = _body(smtp)
    assert line in body.splitlines()
    assert "/r/" in body and "QZX" not in smtp.messages[0].as_string()


@pytest.mark.parametrize("language", ["en", "pt-BR"])
def test_a_reminder_without_a_link_has_no_video_line(workspace, therapist, reminders_on, smtp, language):
    reminders_on.channels = ["email"]
    reminders_on.save()
    _send(_session(workspace, therapist, language=language))
    body = _body(smtp)
    assert "Video call" not in body and "videochamada" not in body and "https://meet" not in body
    assert "/r/" in body and "{" not in body


def test_a_workspaces_own_text_may_use_video_link(workspace, owner, therapist, reminders_on, smtp):
    reminder_settings_update(
        member=owner,
        changes={
            "channels": ["email"],
            "templates": {
                "en": {"subject": "Session {date}", "body": "Hi {first_name}\nJoin: {video_link}\n{link}"}
            },
        },
    )
    _send(_session(workspace, therapist, video_url=ROOM, language="en"))
    assert "Join: " + ROOM in _body(smtp).splitlines()


def test_the_whatsapp_parameters_stay_the_approved_six(workspace, therapist, reminders_on, smtp, whatsapp):
    _send(_session(workspace, therapist, video_url=ROOM))
    params = [p["text"] for p in whatsapp.requests[0]["template"]["components"][0]["parameters"]]
    assert len(params) == 6 and ROOM not in params


def test_fill_leaves_out_the_video_lines_only_without_a_link():
    text = "Hello {first_name}\nVideo: {video_link}\nBye"
    assert texts.fill(text, {"first_name": "Ana", "video_link": ""}) == "Hello Ana\nBye"
    assert texts.fill(text, {"first_name": "Ana", "video_link": ROOM}) == f"Hello Ana\nVideo: {ROOM}\nBye"
    # A one-line text (a subject) keeps its other words.
    assert texts.fill("Session {video_link}", {"video_link": ""}) == "Session "
    assert texts.check_text("Join {video_link}", "templates.en.body") == []


def _link(session: Session) -> str:
    token = make_token(workspace_id=session.workspace_id, session_id=session.pk, starts_at=session.starts_at)
    return f"/r/{token}/"


def test_the_reminders_page_shows_the_video_call_while_it_is_ahead(workspace, therapist):
    session = _session(workspace, therapist, video_url=ROOM)
    response = HttpClient().get(_link(session))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="{ROOM}"' in body and "Join video" in body and 'rel="noopener noreferrer"' in body
    assert "QZX" not in body
    Session.objects.filter(pk=session.pk).update(status="cancelled")
    assert ROOM not in HttpClient().get(_link(session)).content.decode()


def test_the_reminders_page_without_a_link_shows_none(workspace, therapist):
    session = _session(workspace, therapist)
    assert "Join video" not in HttpClient().get(_link(session)).content.decode()
