"""The SMS channel: any gateway behind a webhook, tested against a real HTTP server on loopback that
checks the bearer token and the body's signature; quiet hours, retries, consent, the short text,
and never any clinical content."""

from __future__ import annotations

import datetime as dt

import pytest

from atendo.reminders import sending
from atendo.reminders.models import ClientReminderPrefs, Notification
from atendo.reminders.tests.test_sending import SP, _run, _session

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_on(reminders_on):
    reminders_on.channels = ["sms"]
    reminders_on.save()
    return reminders_on


def test_a_reminder_goes_by_sms_signed_and_short(workspace, therapist, sms_on, sms):
    session = _session(workspace, therapist)
    now = session.starts_at - dt.timedelta(hours=2)
    assert _run(now) == 1
    assert _run(now + dt.timedelta(minutes=1)) == 0  # once
    [sent] = sms.requests
    assert sent["to"] == "+5511987654321" and sent["language"] == "en"
    local = session.starts_at.astimezone(SP)
    assert sent["text"].startswith(
        "Hi Maria, a reminder of your session with Theo Therapist (Clínica Serena)"
    )
    assert local.strftime("%H:%M") in sent["text"] and "/r/" in sent["text"]
    assert "QZX" not in str(sent)  # neither the session's name nor its notes
    assert len(sent["text"]) <= 459 and sent["reference"].startswith("atendo-")
    row = Notification.objects.get(session=session)
    assert (row.channel, row.status, row.provider_message_id) == ("sms", "sent", "sms-0001")


def test_the_practice_writes_its_own_sms_text(workspace, therapist, owner, sms_on, sms, api):
    answer = api(owner).patch(
        "reminder-settings",
        {"channels": ["sms"], "templates": {"pt-BR": {"sms": "{first_name}, até {date} {time}: {link}"}}},
    )
    assert answer.status_code == 200, answer.content
    texts = answer.json()["templates"]
    assert texts["pt-BR"]["sms"] == "{first_name}, até {date} {time}: {link}"
    assert texts["pt-BR"]["subject"].startswith("Lembrete")  # the other parts are kept
    workspace.language = "pt-BR"
    workspace.save()
    session = _session(workspace, therapist)
    _run(session.starts_at - dt.timedelta(hours=2))
    assert sms.requests[0]["text"].startswith("Maria, até ")
    bad = api(owner).patch("reminder-settings", {"templates": {"en": {"sms": "Notes: {notes}"}}})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "templates.en.sms"
    too_long = api(owner).patch("reminder-settings", {"templates": {"en": {"sms": "x" * 401}}})
    assert too_long.status_code == 422 and too_long.json()["error"]["fields"][0]["path"] == "templates.en.sms"


def test_quiet_hours_hold_sms(workspace, therapist, sms_on, sms):
    sms_on.quiet_start, sms_on.quiet_end = dt.time(21, 0), dt.time(8, 0)
    sms_on.offsets_minutes = [1440]
    sms_on.save()
    start = (dt.datetime.now(SP) + dt.timedelta(days=3)).replace(hour=7, minute=0, second=0, microsecond=0)
    session = _session(workspace, therapist, starts_at=start)
    due = start - dt.timedelta(days=1)
    _run(due)
    assert sms.requests == []
    row = Notification.objects.get(session=session)
    assert row.next_attempt_at.astimezone(SP).time() == dt.time(8, 0)
    _run(due.replace(hour=8))
    assert len(sms.requests) == 1


def test_a_busy_gateway_is_retried_and_a_refusal_is_final(workspace, therapist, sms_on, sms):
    sms.script = [(503, {"error": "busy"})]
    first = _session(workspace, therapist)
    now = first.starts_at - dt.timedelta(hours=2)
    assert _run(now) == 0
    row = Notification.objects.get(session=first)
    assert (row.status, row.error_code) == ("pending", "sms_503")
    assert sending.send_due(now + dt.timedelta(minutes=1)) == 1
    sms.script = [(400, {"error": "number not reachable"})]
    second = _session(workspace, therapist, name="Otto Lima", email="otto@example.com")
    _run(second.starts_at - dt.timedelta(hours=2))
    row = Notification.objects.get(session=second)
    assert (row.status, row.error_code) == ("failed", "sms_400")


def test_a_wrong_token_is_a_permanent_failure_and_no_config_is_said(
    settings, workspace, therapist, sms_on, sms
):
    settings.SMS_WEBHOOK_TOKEN = "wrong"
    session = _session(workspace, therapist)
    _run(session.starts_at - dt.timedelta(hours=2))
    assert Notification.objects.get(session=session).error_code == "sms_401"
    settings.SMS_WEBHOOK_URL = ""
    other = _session(workspace, therapist, name="Otto Lima", email="otto@example.com")
    _run(other.starts_at - dt.timedelta(hours=2))
    row = Notification.objects.get(session=other)
    assert (row.status, row.error_code) == ("failed", "not_configured")


def test_a_client_opted_out_of_sms_gets_none(workspace, therapist, owner, sms_on, sms, api):
    session = _session(workspace, therapist)
    answer = api(owner).put(f"clients/{session.client_id}/reminders", {"reminders_opt_out": {"sms": True}})
    assert answer.status_code == 200, answer.content
    assert answer.json()["reminders_opt_out"]["sms"]["opted_out"] is True
    _run(session.starts_at - dt.timedelta(hours=2))
    assert sms.requests == []
    assert ClientReminderPrefs.objects.get(client=session.client).sms_opt_out_at is not None


def test_send_a_test_sms_from_settings(workspace, owner, sms, page_client):
    client = page_client(owner)
    page = client.get(f"/w/{workspace.slug}/settings/reminders/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="sms"' in html and "SMS (Português)" in html
    client.post(
        f"/w/{workspace.slug}/settings/reminders/",
        {"test": "1", "test_channel": "sms", "test_to": "+55 11 91234-5678"},
    )
    [sent] = sms.requests
    assert sent["to"] == "+5511912345678" and "Ana" in sent["text"]
