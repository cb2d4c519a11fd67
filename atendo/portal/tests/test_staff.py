"""The staff side: the client page's Portal action."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_the_client_page_offers_the_portal_to_who_may_update_clients(page_client, owner, assistant, alice):
    page = page_client(owner).get(f"/w/serena/clients/{alice.pk}/")
    assert f"/w/serena/clients/{alice.pk}/portal/".encode() in page.content


def test_assistant_sends_the_link_from_the_page(page_client, assistant, alice):
    http = page_client(assistant)
    page = http.get(f"/w/serena/clients/{alice.pk}/portal/")
    assert page.status_code == 200
    assert b'value="email"' in page.content
    response = http.post(f"/w/serena/clients/{alice.pk}/portal/", {"channel": "email"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["alice@example.com"] and "/portal/enter/" in message.body


def test_the_page_says_when_no_channel_reaches_the_client(page_client, owner, workspace):
    nobody = ClientFactory(workspace=workspace, name="No Mail")
    http = page_client(owner)
    assert b"has no e-mail address" in http.get(f"/w/serena/clients/{nobody.pk}/portal/").content
    response = http.post(f"/w/serena/clients/{nobody.pk}/portal/", {"channel": "email"})
    assert response.status_code == 422
    assert len(mail.outbox) == 0


def test_an_outsider_gets_404(page_client, outsider, alice):
    assert page_client(outsider).get(f"/w/serena/clients/{alice.pk}/portal/").status_code == 404
    assert (
        page_client(outsider).post(f"/w/serena/clients/{alice.pk}/portal/", {"channel": "email"}).status_code
        == 404
    )
    assert len(mail.outbox) == 0


def test_whatsapp_and_sms_are_offered_only_when_configured(page_client, owner, workspace, settings):
    from atendo.reminders.models import ReminderSettings

    client = ClientFactory(workspace=workspace, name="Phone Only", phone="+55 11 91234-5678")
    http = page_client(owner)
    assert b'value="sms"' not in http.get(f"/w/serena/clients/{client.pk}/portal/").content
    settings.SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    ReminderSettings.objects.update_or_create(workspace=workspace, defaults={"channels": ["email", "sms"]})
    assert b'value="sms"' in http.get(f"/w/serena/clients/{client.pk}/portal/").content
