"""Browser: the assistant sends a client the portal link from the client page; a client asks for a
link, opens it, and on a phone and a desktop sees their sessions, what is owed (PIX) and receipts,
moves one session by keyboard and cancels another (late, with the fee said first)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from atendo.billing.models import PixSettings
from atendo.scheduling.models import Session
from tests.factories import ClientFactory, PaymentFactory, SessionFactory, TherapyTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _practice(owner, therapist):
    workspace = owner.workspace
    workspace.late_cancel_fee = {"type": "percent", "value": "50"}
    workspace.address = "Rua das Flores, 100 — São Paulo"
    workspace.save()
    reiki = TherapyTypeFactory(workspace=workspace, name="Psicoterapia", default_price=Decimal("220.00"))
    alice = ClientFactory(
        workspace=workspace, name="Alice Souza", email="alice@example.com", practitioners=[therapist]
    )
    now = timezone.now().replace(second=0, microsecond=0)
    ahead = SessionFactory(
        client=alice,
        practitioner=therapist,
        therapy_type=reiki,
        starts_at=now + dt.timedelta(days=5),
        notes="private notes",
        video_url="https://meet.example.com/sala-theo",
    )
    soon = SessionFactory(
        client=alice, practitioner=therapist, therapy_type=reiki, starts_at=now + dt.timedelta(hours=5)
    )
    past = SessionFactory(
        client=alice, practitioner=therapist, therapy_type=reiki, starts_at=now - dt.timedelta(days=7)
    )
    older = SessionFactory(
        client=alice, practitioner=therapist, therapy_type=reiki, starts_at=now - dt.timedelta(days=14)
    )
    PaymentFactory(
        session=older, status="paid", method="pix", paid_date=(now - dt.timedelta(days=14)).date().isoformat()
    )
    PaymentFactory(session=past)
    PixSettings.objects.create(
        workspace=workspace,
        key="123e4567-e12b-12d1-a456-426655440000",
        key_type="evp",
        merchant_name="Clinica Serena",
        city="SAO PAULO",
    )
    return alice, ahead, soon


def test_the_assistant_sends_the_portal_link(page, login, owner, therapist, assistant, shot):
    alice, _ahead, _soon = _practice(owner, therapist)
    login(page, assistant)
    page.goto(f"/w/serena/clients/{alice.pk}/")
    page.get_by_role("link", name="Portal", exact=True).click()
    expect(page.get_by_role("heading", name="Portal", exact=True)).to_be_visible()
    shot(page, "portal-staff-send")
    page.get_by_role("button", name="Send portal link").click()
    expect(page.get_by_text("A link to the portal was sent to Alice Souza.")).to_be_visible()
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert page.js_errors == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_a_client_uses_the_portal(page, owner, therapist, shot, width):
    _alice, ahead, soon = _practice(owner, therapist)
    suffix = "-phone" if width == "phone" else ""
    page.set_viewport_size(WIDTHS[width])
    page.goto("/portal/serena/")
    expect(page.get_by_role("heading", name="Your portal")).to_be_visible()
    page.get_by_label("Your e-mail").fill("alice@example.com")
    shot(page, f"portal-ask{suffix}")
    page.keyboard.press("Enter")
    expect(page.get_by_text("a link to your portal is on its way")).to_be_visible()
    link = re.search(r"(/portal/enter/[\w-]+/)", mail.outbox[-1].body)
    assert link
    page.goto(link.group(1))
    page.get_by_role("button", name="Open my portal").click()
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()
    body = page.content()
    assert "private notes" not in body
    expect(page.get_by_role("link", name="Join the video call")).to_have_attribute(
        "href", "https://meet.example.com/sala-theo"
    )
    shot(page, f"portal-home{suffix}")
    page.locator("#portal-owed").evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 80)"
    )
    expect(page.locator(".pix-payload")).to_be_visible()
    shot(page, f"portal-pay{suffix}")
    expect(page.get_by_role("link", name="Receipt (PDF)")).to_be_visible()

    # Move the session five days ahead, by keyboard.
    page.locator(f'[data-testid="visit-{ahead.pk}"]').get_by_role("link", name="Move").click()
    expect(page.get_by_role("heading", name="Move the session")).to_be_visible()
    times = page.locator("button.portal-time")
    expect(times.first).to_be_visible()
    shot(page, f"portal-move{suffix}")
    target = times.nth(1).get_attribute("value")
    times.nth(1).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The session is moved.")).to_be_visible()
    ahead.refresh_from_db()
    assert ahead.starts_at == dt.datetime.fromisoformat(target)

    # Cancel the one in five hours: late, the fee said before the button.
    page.locator(f'[data-testid="visit-{soon.pk}"]').get_by_role("link", name="Cancel").click()
    expect(page.get_by_text("it counts as a late cancellation")).to_be_visible()
    expect(page.get_by_text("The practice charges R$")).to_be_visible()
    shot(page, f"portal-cancel{suffix}")
    page.get_by_role("button", name="Cancel this session").click()
    expect(page.get_by_text("The session is cancelled.")).to_be_visible()
    soon = Session.objects.get(pk=soon.pk)
    assert soon.status == "cancelled" and soon.cancellation_late
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Send me a link")).to_be_visible()
    assert page.js_errors == []
