"""Browser: the owner turns reminders on in Settings › Reminders; the client opens the link from a
reminder and confirms (desktop and phone); a therapist downloads their calendar feed and reads it."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from playwright.sync_api import expect

from atendo.reminders.links import make_token
from atendo.reminders.models import ReminderSettings
from atendo.scheduling.models import Session
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _session(owner, therapist) -> Session:
    client = ClientFactory(workspace=owner.workspace, name="Maria Souza", email="maria@example.com")
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    return SessionFactory(client=client, practitioner=therapist, starts_at=start)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_owner_turns_reminders_on(page, login, owner, shot, width):
    page.set_viewport_size(WIDTHS[width])
    login(page, owner)
    page.goto("/w/serena/settings/reminders/")
    expect(page.get_by_role("heading", name="Reminders", exact=True)).to_be_visible()
    page.get_by_label("Send reminders to clients").check()
    page.get_by_label("WhatsApp", exact=True).check()
    shot(page, "reminder-settings" if width == "desktop" else "reminder-settings-phone")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Reminder settings saved.")).to_be_visible()
    rs = ReminderSettings.objects.get(workspace=owner.workspace)
    assert rs.enabled and rs.channels == ["email", "whatsapp"]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_client_confirms_from_the_link(page, owner, therapist, shot, width):
    session = _session(owner, therapist)
    page.set_viewport_size(WIDTHS[width])
    token = make_token(workspace_id=session.workspace_id, session_id=session.pk, starts_at=session.starts_at)
    page.goto(f"/r/{token}/")
    expect(page.get_by_text("With Theo Therapist")).to_be_visible()
    shot(page, "reminder-link" if width == "desktop" else "reminder-link-phone")
    page.get_by_role("button", name="I will come").click()
    expect(page.get_by_text("Thank you: your session is confirmed.")).to_be_visible()
    session.refresh_from_db()
    assert session.confirmed_at is not None


def test_a_therapist_downloads_their_feed(page, login, owner, therapist, shot):
    session = _session(owner, therapist)
    login(page, therapist)
    page.goto("/w/serena/settings/calendar-feed/")
    page.get_by_role("button", name="Make a feed address").click()
    url = page.locator("input.feed-url").input_value()
    shot(page, "calendar-feed")
    response = page.request.get(url.replace("http://127.0.0.1:8000", ""))
    assert response.ok
    events = list(icalendar.Calendar.from_ical(response.body()).walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["Maria S."]
    assert events[0].decoded("dtstart") == session.starts_at


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_assistant_records_how_a_client_gets_reminders(page, login, owner, assistant, shot, width):
    client = ClientFactory(workspace=owner.workspace, name="Maria Souza", phone="(11) 98765-4321")
    page.set_viewport_size(WIDTHS[width])
    login(page, assistant)
    page.goto(f"/w/serena/clients/{client.pk}/")
    card = page.locator("#client-reminders")
    expect(card.get_by_label("Preferred channel")).to_be_visible()
    card.get_by_label("Preferred channel").select_option("sms")
    card.get_by_label("WhatsApp", exact=True).check()
    card.get_by_role("button", name="Save reminder preferences").click()
    expect(page.get_by_text("Reminder preferences saved.")).to_be_visible()
    expect(page.locator("#client-reminders").get_by_text("recorded by Ana Assistant")).to_be_visible()
    page.locator("#client-reminders").scroll_into_view_if_needed()
    shot(page, "client-reminders" if width == "desktop" else "client-reminders-phone")
    prefs = client.reminder_prefs
    prefs.refresh_from_db()
    assert prefs.channel == "sms" and prefs.whatsapp_opt_out_at is not None and prefs.email_opt_out_at is None
    assert page.js_errors == []
