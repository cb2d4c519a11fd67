"""The client's link, the WhatsApp webhook, the API and pages of reminders, per persona."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.core import mail
from django.test import Client as HttpClient

from atendo.reminders import sending
from atendo.reminders.links import make_token
from atendo.reminders.models import ClientReminderPrefs, Notification
from atendo.scheduling.models import Session
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _future(workspace, practitioner, *, hours=48) -> Session:
    client = ClientFactory(
        workspace=workspace, name="Maria Souza", email="maria@example.com", phone="+5511987654321"
    )
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)
    return SessionFactory(client=client, practitioner=practitioner, starts_at=start)


def _link(session: Session) -> str:
    return (
        "/r/"
        + make_token(workspace_id=session.workspace_id, session_id=session.pk, starts_at=session.starts_at)
        + "/"
    )


def test_the_link_shows_the_session_and_get_changes_nothing(owner, therapist):
    session = _future(owner.workspace, therapist)
    response = HttpClient().get(_link(session))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Theo Therapist" in text and "I will come" in text
    session.refresh_from_db()
    assert session.confirmed_at is None


def test_confirming_from_the_link_sets_confirmed_at_and_tells_the_practitioner(owner, therapist):
    session = _future(owner.workspace, therapist)
    http = HttpClient(enforce_csrf_checks=False)
    with pytest.MonkeyPatch.context():
        response = http.post(_link(session), {"action": "confirm"})
    assert response.status_code == 200 and "confirmed" in response.content.decode()
    session.refresh_from_db()
    assert session.confirmed_at is not None and session.confirmed_by is None
    # Used: the link now says so, and a second answer changes nothing.
    again = http.post(_link(session), {"action": "cancel"})
    assert "confirmed" in again.content.decode()
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_cancelling_late_from_the_link_is_a_late_client_cancellation(
    owner, therapist, workspace, django_capture_on_commit_callbacks
):
    workspace.cancellation_window_hours = 24
    workspace.save()
    session = _future(workspace, therapist, hours=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = HttpClient().post(_link(session), {"action": "cancel"})
    assert response.status_code == 200
    session.refresh_from_db()
    assert (session.status, session.cancelled_by, session.cancellation_late) == ("cancelled", "client", True)
    assert [m.to for m in mail.outbox] == [["therapist@serena.test"]]
    assert "cancelled" in mail.outbox[0].subject and "late" in mail.outbox[0].subject


def test_a_moved_session_makes_the_old_link_say_so(owner, therapist):
    session = _future(owner.workspace, therapist)
    link = _link(session)
    Session.objects.filter(pk=session.pk).update(starts_at=session.starts_at + dt.timedelta(days=1))
    response = HttpClient().post(link, {"action": "confirm"})
    assert "moved" in response.content.decode()
    session.refresh_from_db()
    assert session.confirmed_at is None


def test_a_tampered_or_expired_link_answers_a_clear_page(owner, therapist, settings):
    session = _future(owner.workspace, therapist)
    link = _link(session)
    bad = HttpClient().get(link[:-3] + "xx/")
    assert bad.status_code == 200 and "does not work" in bad.content.decode()
    settings.REMINDER_LINK_MAX_AGE_DAYS = -1
    assert "expired" in HttpClient().get(link).content.decode()


def test_stop_from_the_link_records_the_opt_out_with_how(owner, therapist):
    session = _future(owner.workspace, therapist)
    HttpClient().post(_link(session), {"action": "stop"})
    prefs = ClientReminderPrefs.objects.get(client=session.client)
    assert prefs.email_opt_out_at and prefs.whatsapp_opt_out_at
    assert prefs.email_opt_out_how == "client (reminder link)"


def _signed(body: bytes, secret: str = "app-secret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_webhook_checks_its_signature_and_records_delivery(owner, therapist, settings):
    settings.WHATSAPP_APP_SECRET = "app-secret"
    session = _future(owner.workspace, therapist)
    row = Notification.objects.create(
        workspace=owner.workspace,
        session=session,
        channel="whatsapp",
        offset_minutes=120,
        planned_start=session.starts_at,
        due_at=session.starts_at,
        next_attempt_at=session.starts_at,
        status="sent",
        provider_message_id="wamid.ABC",
    )
    statuses = [{"id": "wamid.ABC", "status": "delivered", "timestamp": "1", "recipient_id": "5511987654321"}]
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"statuses": statuses}}]}],
        }
    ).encode()
    http = HttpClient()
    assert http.post("/hooks/whatsapp/", body, content_type="application/json").status_code == 403
    assert (
        http.post(
            "/hooks/whatsapp/",
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=_signed(body, "wrong"),
        ).status_code
        == 403
    )
    row.refresh_from_db()
    assert row.status == "sent"
    ok = http.post(
        "/hooks/whatsapp/", body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=_signed(body)
    )
    assert ok.status_code == 200 and ok.json() == {"updated": 1}
    row.refresh_from_db()
    assert row.status == "delivered"
    # A late "sent" never takes it back.
    statuses[0]["status"] = "sent"
    body = json.dumps({"entry": [{"changes": [{"value": {"statuses": statuses}}]}]}).encode()
    http.post(
        "/hooks/whatsapp/", body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=_signed(body)
    )
    row.refresh_from_db()
    assert row.status == "delivered"


def test_the_webhook_subscription_check(settings):
    settings.WHATSAPP_VERIFY_TOKEN = "verify-me"
    http = HttpClient()
    ok = http.get(
        "/hooks/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
    )
    assert ok.status_code == 200 and ok.content == b"42"
    assert (
        http.get(
            "/hooks/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": "no", "hub.challenge": "42"}
        ).status_code
        == 403
    )


def test_settings_api_for_every_persona(api, owner, therapist, assistant, outsider):
    assert api(therapist).get("reminder-settings").status_code == 403
    assert api(assistant).get("reminder-settings").status_code == 403
    assert api(outsider, "serena").get("reminder-settings").status_code == 404
    got = api(owner).get("reminder-settings").json()
    assert got["enabled"] is False and got["offsets_minutes"] == [1440, 120]
    assert got["templates"]["pt-BR"]["subject"].startswith("Lembrete")
    changed = api(owner).patch(
        "reminder-settings",
        {
            "enabled": True,
            "channels": ["email", "whatsapp"],
            "offsets_minutes": [120, 1440, 120],
            "quiet_hours": {"start": "22:00"},
            "templates": {"en": {"subject": "See you {date} at {time}"}},
        },
    )
    assert changed.status_code == 200, changed.content
    data = changed.json()
    assert data["offsets_minutes"] == [1440, 120] and data["quiet_hours"]["start"] == "22:00"
    assert data["templates"]["en"]["subject"] == "See you {date} at {time}" and data["customized"] == ["en"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"channels": ["fax"]}, "channels.0"),
        ({"offsets_minutes": [5]}, "offsets_minutes.0"),
        ({"quiet_hours": {"start": "25:00"}}, "quiet_hours.start"),
        ({"templates": {"en": {"body": "Your notes: {notes}"}}}, "templates.en.body"),
        ({"templates": {"en": {"body": "Broken {"}}}, "templates.en.body"),
        ({"templates": {"fr": {"body": "x"}}}, "templates.fr"),
        ({"whatsapp_template": "Bad Name"}, "whatsapp_template"),
        ({"enabled": True, "channels": []}, "channels"),
    ],
)
def test_bad_settings_answer_422_at_their_path(api, owner, body, path):
    response = api(owner).patch("reminder-settings", body)
    assert response.status_code == 422, response.content
    assert [f["path"] for f in response.json()["error"]["fields"]] == [path]


def test_client_preferences_and_consent(api, owner, therapist, assistant, workspace):
    client = ClientFactory(workspace=workspace, name="Maria Souza", phone="(11) 98765-4321")
    got = api(assistant).get(f"clients/{client.pk}/reminders").json()
    assert got["phone_e164"] == "+5511987654321" and got["reminders_opt_out"]["email"]["opted_out"] is False
    put = api(assistant).put(
        f"clients/{client.pk}/reminders",
        {"reminder_channel": "whatsapp", "reminders_opt_out": {"email": True}},
    )
    assert put.status_code == 200, put.content
    data = put.json()
    assert data["reminder_channel"] == "whatsapp" and data["reminders_opt_out"]["email"]["opted_out"] is True
    assert (
        "Ana Assistant" in data["reminders_opt_out"]["email"]["how"]
        and data["reminders_opt_out"]["email"]["changed_at"]
    )
    bad = api(owner).put(f"clients/{client.pk}/reminders", {"reminders_opt_out": {"fax": True}})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "reminders_opt_out.fax"


def test_the_log_for_every_persona(api, page_client, owner, therapist, assistant, outsider, workspace):
    session = _future(workspace, therapist)
    Notification.objects.create(
        workspace=workspace,
        session=session,
        channel="email",
        offset_minutes=120,
        planned_start=session.starts_at,
        due_at=session.starts_at,
        next_attempt_at=session.starts_at,
        status="failed",
        error_code="smtp",
    )
    for member in (owner, therapist, assistant):
        items = api(member).get("notifications").json()["items"]
        assert [(i["session_id"], i["status"]) for i in items] == [(session.pk, "failed")]
        assert page_client(member).get("/w/serena/notifications/").status_code == 200
    assert api(outsider, "serena").get("notifications").status_code == 404


def test_the_log_pages_through_every_notification(api, page_client, owner, therapist, workspace):
    session = _future(workspace, therapist)
    Notification.objects.bulk_create(
        Notification(
            workspace=workspace,
            session=session,
            channel="email",
            offset_minutes=15 + i,
            planned_start=session.starts_at,
            due_at=session.starts_at,
            next_attempt_at=session.starts_at,
            status="sent",
        )
        for i in range(130)
    )
    seen, cursor = [], None
    while True:
        page = api(owner).get("notifications", limit=50, **({"cursor": cursor} if cursor else {})).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 130 == len(set(seen)) and seen == sorted(seen, reverse=True)
    assert api(owner).get("notifications", cursor="forged").status_code == 422
    assert api(owner).get("notifications", limit=0).status_code == 422
    http = page_client(owner)
    first = http.get("/w/serena/notifications/").content.decode()
    assert first.count("<tr>") == 101  # the header row and a page of 100
    older = first.split('href="?cursor=')[1].split('"')[0]
    second = http.get(f"/w/serena/notifications/?cursor={older}").content.decode()
    assert second.count("<tr>") == 31 and "Older notifications" not in second
    assert http.get("/w/serena/notifications/?cursor=forged").status_code == 200  # the first page


def test_the_settings_page_saves_and_sends_a_test(page_client, owner, therapist, assistant, smtp):
    assert page_client(therapist).get("/w/serena/settings/reminders/").status_code == 403
    assert page_client(assistant).get("/w/serena/settings/reminders/").status_code == 403
    http = page_client(owner)
    page = http.get("/w/serena/settings/reminders/")
    assert page.status_code == 200 and "Lembrete" in page.content.decode()
    form = {
        "enabled": "on",
        "channels": ["email"],
        "offsets_minutes": ["1440"],
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "whatsapp_template": "session_reminder",
        "subject_pt": "Lembrete {date}",
        "body_pt": "Oi {first_name} {link}",
        "subject_en": "Reminder {date}",
        "body_en": "Hi {first_name} {nope}",
    }
    bad = http.post("/w/serena/settings/reminders/", form)
    assert bad.status_code == 200 and "Unknown placeholder" in bad.content.decode()
    form["body_en"] = "Hi {first_name} {link}"
    assert http.post("/w/serena/settings/reminders/", form).status_code == 302
    assert http.get("/api/v1/workspaces/serena/reminder-settings").json()["offsets_minutes"] == [1440]
    http.post("/w/serena/settings/reminders/", {"test": "1", "test_channel": "email"})
    assert [m["To"] for m in smtp.messages] == ["owner@serena.test"]
    assert sending.settings_of(owner.workspace).enabled is True


def test_the_client_page_shows_and_saves_reminder_preferences(
    page_client, owner, therapist, assistant, outsider, workspace, reminders_on
):
    client = ClientFactory(workspace=workspace, name="Maria Souza", phone="(11) 98765-4321")
    url = f"/w/serena/clients/{client.pk}/reminders/"
    detail = page_client(owner).get(f"/w/serena/clients/{client.pk}/").content.decode()
    assert f'hx-get="{url}"' in detail
    for member in (owner, therapist, assistant):
        card = page_client(member).get(url)
        assert card.status_code == 200
        assert "Preferred channel" in card.content.decode() and 'name="opt_out_sms"' in card.content.decode()
    assert page_client(outsider).get(url).status_code == 404
    saved = page_client(assistant).post(
        url,
        {"reminder_channel": "sms", "language": "pt-BR", "opt_out_email": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200 and "Reminder preferences saved." in saved.content.decode()
    prefs = ClientReminderPrefs.objects.get(client=client)
    assert (prefs.channel, prefs.language) == ("sms", "pt-BR")
    assert prefs.email_opt_out_at is not None and "Ana Assistant" in prefs.email_opt_out_how
    assert prefs.sms_opt_out_at is None and prefs.whatsapp_opt_out_at is None
    assert "since " in saved.content.decode()  # when and who recorded the opt-out
    bad = page_client(owner).post(url, {"reminder_channel": "fax"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and 'role="alert"' in bad.content.decode()
    assert ClientReminderPrefs.objects.get(client=client).channel == "sms"  # unchanged
    plain = page_client(owner).post(url, {"reminder_channel": ""})
    assert plain.status_code == 302 and plain["Location"] == f"/w/serena/clients/{client.pk}/"
