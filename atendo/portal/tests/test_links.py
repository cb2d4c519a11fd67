"""Magic links and portal sessions: sending, asking, expiry, single use, hashing, realms."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from atendo.audit.models import AuditEvent
from atendo.portal.links import COOKIE
from atendo.portal.models import PortalLink, PortalSession
from atendo.portal.tests.conftest import portal_client, token_in
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _send(api, member, client, channel="email"):
    return api(member).post(f"clients/{client.pk}/portal-link", {"channel": channel})


def test_owner_sends_a_link_by_email_through_smtp(api, owner, alice, smtp):
    response = _send(api, owner, alice)
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "email"
    [message] = smtp.messages
    assert message["To"] == "alice@example.com"
    body = message.get_content()
    assert "/portal/enter/" in body
    assert "Clínica Serena" in message["Subject"]
    assert AuditEvent.objects.filter(workspace=owner.workspace, action="portal.link_send").count() == 1


def test_assistant_may_send_a_link(api, assistant, alice):
    assert _send(api, assistant, alice).status_code == 201


def test_a_member_without_client_update_may_not(api, owner, alice, workspace):
    from tests.factories import MemberFactory, RoleFactory

    reader = RoleFactory(workspace=workspace, name="Reader", permissions=["client.read"])
    member = MemberFactory(workspace=workspace, email="reader@serena.test", role=reader.name)
    assert _send(api, member, alice).status_code == 403


def test_a_channel_that_does_not_reach_the_client_is_422_at_channel(api, owner, workspace):
    nobody = ClientFactory(workspace=workspace, name="No Mail")
    response = _send(api, owner, nobody)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "channel"
    response = _send(api, owner, nobody, channel="fax")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "channel"


def test_the_token_is_stored_hashed(owner, alice):
    http = HttpClient()
    from atendo.portal import services

    services.portal_link_send(member=owner, client_id=alice.pk, channel="email")
    token = token_in(mail.outbox[-1].body)
    link = PortalLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM portal_portallink")
        assert token not in repr(cursor.fetchall())
    http.post(f"/portal/enter/{token}/")
    key = http.cookies[COOKIE].value
    assert PortalSession.objects.get().key_hash == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM portal_portalsession")
        assert key not in repr(cursor.fetchall())


def test_a_link_opens_once(owner, alice):
    from atendo.portal import services

    services.portal_link_send(member=owner, client_id=alice.pk, channel="email")
    token = token_in(mail.outbox[-1].body)
    http = HttpClient()
    # Opening the e-mail's link (a mail scanner too) spends nothing: the button does.
    assert b"Open my portal" in http.get(f"/portal/enter/{token}/").content
    assert b"Open my portal" in http.get(f"/portal/enter/{token}/").content
    response = http.post(f"/portal/enter/{token}/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/serena/home/"
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/portal/"
    assert http.get("/portal/serena/home/").status_code == 200
    again = HttpClient().post(f"/portal/enter/{token}/")
    assert again.status_code == 200 and COOKIE not in again.cookies
    assert b"already used" in again.content
    assert PortalSession.objects.count() == 1
    assert AuditEvent.objects.filter(action="portal.link_use").count() == 1


def test_a_link_expires(owner, alice, settings):
    from atendo.portal import services

    services.portal_link_send(member=owner, client_id=alice.pk, channel="email")
    token = token_in(mail.outbox[-1].body)
    link = PortalLink.objects.get()
    assert dt.timedelta(minutes=29) < link.expires_at - timezone.now() <= dt.timedelta(minutes=30)
    PortalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = HttpClient().post(f"/portal/enter/{token}/")
    assert COOKIE not in response.cookies
    assert b"expired" in response.content
    assert PortalSession.objects.count() == 0


def test_a_forged_link_opens_nothing(db):
    response = HttpClient().post("/portal/enter/not-a-real-token/")
    assert response.status_code == 200 and COOKIE not in response.cookies
    assert b"does not work" in response.content


def test_a_portal_session_ends_when_idle_and_at_logout(owner, alice):
    http = portal_client(owner, alice)
    PortalSession.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = http.get("/portal/serena/home/")
    assert response.status_code == 302 and response["Location"] == "/portal/serena/"
    http = portal_client(owner, alice)
    assert http.get("/portal/serena/home/").status_code == 200
    assert http.post("/portal/serena/logout/").status_code == 302
    assert http.get("/portal/serena/home/").status_code == 302
    assert PortalSession.objects.filter(ended_at__isnull=False).count() == 1


def test_a_portal_session_opens_no_staff_page_and_no_staff_api(owner, alice):
    http = portal_client(owner, alice)
    for path in ("/w/serena/", "/w/serena/clients/", f"/w/serena/clients/{alice.pk}/", "/w/serena/sessions/"):
        response = http.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    for path in (
        "/api/v1/workspaces/serena/clients",
        f"/api/v1/workspaces/serena/clients/{alice.pk}",
        "/api/v1/me",
    ):
        assert http.get(path).status_code == 401, path


def test_a_staff_session_opens_no_portal(page_client, owner, alice):
    http = page_client(owner)
    response = http.get("/portal/serena/home/")
    assert response.status_code == 302 and response["Location"] == "/portal/serena/"
    assert http.get("/portal/serena/payments/1/receipt.pdf").status_code == 302


def test_a_portal_session_is_404_under_another_workspace(owner, alice, other_workspace):
    http = portal_client(owner, alice)
    assert http.get("/portal/outra/home/").status_code == 404
    assert http.get("/portal/nowhere/home/").status_code == 404


def test_an_archived_client_loses_the_portal(owner, alice):
    http = portal_client(owner, alice)
    alice.archived = True
    alice.save()
    assert http.get("/portal/serena/home/").status_code == 302


# --- asking for a link on the public page -----------------------------------------------------------


def _ask(http, email, slug="serena"):
    return http.post(f"/portal/{slug}/", {"email": email})


def _without_csrf(content: bytes) -> bytes:
    import re

    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)
    return re.sub(rb'"X-CSRFToken": "[^"]*"', b"", content)


def test_asking_answers_the_same_whether_the_address_is_known(alice, smtp):
    known = _ask(HttpClient(), "ALICE@example.com")
    unknown = _ask(HttpClient(), "stranger@example.com")
    assert known.status_code == unknown.status_code == 200
    assert _without_csrf(known.content) == _without_csrf(unknown.content)
    [message] = smtp.messages
    assert message["To"] == "alice@example.com"
    assert AuditEvent.objects.filter(action="portal.link_send", actor__isnull=True).count() == 1


def test_asking_does_the_same_work_for_a_known_and_an_unknown_address(alice, bruno, settings):
    """No timing tell: the request runs the same statements for both (the lookup, the throttle, one
    queued task) and sends nothing itself; the worker sends, to the known address only."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks import default_task_backend

    from atendo.portal.services import asked_link_send

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    shapes = []
    for address in ("alice@example.com", "stranger@example.com"):
        with CaptureQueriesContext(connection) as queries:
            assert _ask(HttpClient(), address).status_code == 200
        # Statements with their literals and the address blanked (ids, times and tokens differ).
        shapes.append([re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries])
    assert shapes[0] == shapes[1]
    assert mail.outbox == []
    queued = list(default_task_backend.results)
    assert [r.task.name for r in queued] == ["send_asked_link", "send_asked_link"]
    assert [r.args for r in queued] == [[alice.workspace_id, alice.pk], [alice.workspace_id, None]]
    assert "stranger" not in repr([r.args for r in queued])
    assert [asked_link_send(*r.args) for r in queued] == ["sent", "nobody"]
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    bruno.archived = True
    bruno.save()
    assert asked_link_send(bruno.workspace_id, bruno.pk) == "nobody"


def test_the_public_api_answers_the_same_whether_the_address_is_known(alice):
    http = HttpClient()
    known = http.post(
        "/api/v1/public/portal/serena/link", {"email": "alice@example.com"}, content_type="application/json"
    )
    unknown = http.post(
        "/api/v1/public/portal/serena/link", {"email": "x@example.com"}, content_type="application/json"
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(mail.outbox) == 1
    bad = http.post("/api/v1/public/portal/serena/link", {"email": "nope"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "email"
    missing = http.post(
        "/api/v1/public/portal/nowhere/link", {"email": "a@b.co"}, content_type="application/json"
    )
    assert missing.status_code == 404


def test_asking_is_rate_limited_per_email_and_per_address(alice, settings):
    http = HttpClient()
    for _ in range(3):
        assert _ask(http, "alice@example.com").status_code == 200
    assert _ask(http, "alice@example.com").status_code == 429
    assert _ask(http, "someone-else@example.com").status_code == 200
    assert len(mail.outbox) == 3
    settings.PORTAL_THROTTLE_ASK_IP = (2, 3600)
    other = HttpClient(REMOTE_ADDR="10.0.0.9")
    assert _ask(other, "a1@example.com").status_code == 200
    assert _ask(other, "a2@example.com").status_code == 200
    assert _ask(other, "a3@example.com").status_code == 429


def test_the_ask_page_checks_the_address(db, workspace):
    response = _ask(HttpClient(), "not an email")
    assert response.status_code == 422
    assert b"valid email address" in response.content
    assert HttpClient().get("/portal/nowhere/").status_code == 404


def test_the_portal_page_speaks_the_clients_language(owner, alice):
    from atendo.reminders.models import ClientReminderPrefs

    ClientReminderPrefs.objects.create(workspace=owner.workspace, client=alice, language="pt-BR")
    from django.utils import translation

    from atendo.core.formats import format_date
    from tests.factories import SessionFactory

    session = SessionFactory(client=alice, days_ago=-9)
    http = portal_client(owner, alice)
    page = http.get("/portal/serena/home/").content.decode()
    assert '<html lang="pt-br">' in page
    with translation.override("pt-br"):
        long_day = format_date(session.starts_at.astimezone(owner.workspace.tz), "weekday_long")
    assert long_day in page and "de 20" in long_day  # "terça-feira, 8 de dezembro de 2026"
    english = portal_client(
        owner, ClientFactory(workspace=owner.workspace, name="Ed", email="ed@example.com")
    )
    assert b'<html lang="en">' in english.get("/portal/serena/home/").content


# --- WhatsApp and SMS (the reminders' channels, against local stand-ins of the providers) ----------


@pytest.fixture
def phone_client(workspace):
    from atendo.reminders.models import ReminderSettings

    ReminderSettings.objects.update_or_create(
        workspace=workspace, defaults={"channels": ["email", "whatsapp", "sms"]}
    )
    return ClientFactory(workspace=workspace, name="Carla Dias", phone="(11) 91234-5678")


def test_a_link_by_whatsapp_goes_as_the_portal_template(api, owner, phone_client, settings):
    from atendo.reminders.tests.servers import whatsapp_server

    assert _send(api, owner, phone_client, channel="whatsapp").status_code == 422  # not configured
    for fake in whatsapp_server():
        settings.WHATSAPP_API_URL = fake.url
        settings.WHATSAPP_TOKEN = fake.token
        settings.WHATSAPP_PHONE_NUMBER_ID = fake.phone_number_id
        response = _send(api, owner, phone_client, channel="whatsapp")
        assert response.status_code == 201, response.content
        [sent] = fake.requests
        assert sent["to"] == "5511912345678"
        assert sent["template"]["name"] == "atendo_portal_link"
        params = [p["text"] for p in sent["template"]["components"][0]["parameters"]]
        assert params[:2] == ["Carla", "Clínica Serena"] and "/portal/enter/" in params[2]


def test_a_link_by_sms_goes_to_the_gateway(api, owner, phone_client, settings):
    from atendo.reminders.tests.servers import sms_gateway

    for fake in sms_gateway():
        settings.SMS_WEBHOOK_URL = fake.url
        settings.SMS_WEBHOOK_TOKEN = fake.token
        settings.SMS_WEBHOOK_SECRET = fake.secret
        response = _send(api, owner, phone_client, channel="sms")
        assert response.status_code == 201, response.content
        [sent] = fake.requests
        assert sent["to"] == "+5511912345678" and "/portal/enter/" in sent["text"]


def test_a_refused_send_keeps_no_link_and_says_so(api, owner, phone_client, settings):
    from atendo.reminders.tests.servers import UNDELIVERABLE, whatsapp_server

    for fake in whatsapp_server():
        settings.WHATSAPP_API_URL = fake.url
        settings.WHATSAPP_TOKEN = fake.token
        settings.WHATSAPP_PHONE_NUMBER_ID = fake.phone_number_id
        fake.script.append(UNDELIVERABLE)
        response = _send(api, owner, phone_client, channel="whatsapp")
        assert response.status_code == 502
        assert response.json()["error"]["code"] == "send_failed"
        assert PortalLink.objects.count() == 0


def test_spent_links_and_sessions_are_purged_daily(owner, alice, bruno):
    from atendo.core.periodic import periodic_of
    from atendo.portal.services import purge_spent
    from atendo.portal.tasks import purge_spent_portal_rows

    assert periodic_of(purge_spent_portal_rows).interval == dt.timedelta(days=1)
    portal_client(owner, alice)
    live = portal_client(owner, bruno)
    PortalSession.objects.filter(client=alice).update(expires_at=timezone.now() - dt.timedelta(days=2))
    PortalLink.objects.filter(client=alice).update(expires_at=timezone.now() - dt.timedelta(days=2))
    assert purge_spent() == 2
    assert list(PortalSession.objects.values_list("client_id", flat=True)) == [bruno.pk]
    assert live.get("/portal/serena/home/").status_code == 200
