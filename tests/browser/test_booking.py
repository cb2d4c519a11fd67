"""Browser: the owner turns online booking on; a client books a slot on the public page from a
phone and from a desktop (keyboard for the time), confirms from the e-mail's link, and the session
is on the practitioner's calendar. With approval: a client books on a phone, the practitioner
accepts the request on a phone, and the client's e-mail carries the invite."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from atendo.booking.models import Booking, BookingSettings
from atendo.scheduling.models import Session
from tests.factories import TherapyTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _booking_on(owner, therapist, other_therapist) -> BookingSettings:
    first = TherapyTypeFactory(workspace=owner.workspace, name="Psicoterapia", default_duration_minutes=50)
    TherapyTypeFactory(workspace=owner.workspace, name="Avaliação", default_duration_minutes=90)
    return BookingSettings.objects.create(
        workspace=owner.workspace,
        enabled=True,
        therapy_type_ids=[first.pk],
        practitioner_ids=[therapist.pk, other_therapist.pk],
        lead_minutes=120,
    )


def test_the_owner_turns_booking_on(page, login, owner, therapist, shot):
    TherapyTypeFactory(workspace=owner.workspace, name="Psicoterapia", default_duration_minutes=50)
    login(page, owner)
    page.goto("/w/serena/settings/booking/")
    expect(page.get_by_role("heading", name="Online booking", exact=True)).to_be_visible()
    page.get_by_label("Clients may book online").check()
    page.get_by_label("Psicoterapia").check()
    page.get_by_label("Theo Therapist").check()
    shot(page, "booking-settings")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Online booking settings saved.")).to_be_visible()
    bs = BookingSettings.objects.get(workspace=owner.workspace)
    assert bs.enabled and bs.practitioner_ids == [therapist.pk]
    expect(page.get_by_test_id("public-url")).to_be_visible()


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_a_client_books_and_confirms(page, owner, therapist, other_therapist, shot, width):
    _booking_on(owner, therapist, other_therapist)
    suffix = "-phone" if width == "phone" else ""
    page.set_viewport_size(WIDTHS[width])
    page.goto("/book/serena/")
    # One service: straight to who.
    expect(page.get_by_role("heading", name="2. Choose who you will see")).to_be_visible()
    shot(page, f"booking-practitioner{suffix}")
    page.get_by_role("link", name="Theo Therapist").click()
    expect(page.get_by_role("heading", name="3. Choose a day and a time")).to_be_visible()
    times = page.locator("a.booking-time")
    expect(times.first).to_be_visible()
    shot(page, f"booking-times{suffix}")
    chosen = times.first.inner_text()
    times.first.focus()
    page.keyboard.press("Enter")  # the keyboard works: links and one form
    expect(page.get_by_role("heading", name="4. Your details")).to_be_visible()
    page.get_by_label("Your name").fill("Bia Cliente")
    page.get_by_label("E-mail").fill("bia@example.com")
    page.get_by_label("Phone").fill("(11) 91234-5678")
    page.get_by_text("Privacy notice", exact=True).click()
    page.get_by_label(re.compile("I have read the privacy notice")).check()
    shot(page, f"booking-details{suffix}")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    shot(page, f"booking-done{suffix}")
    session = Session.objects.get(practitioner=therapist)
    assert session.starts_at.astimezone(owner.workspace.tz).strftime("%H:%M") == chosen
    assert page.js_errors == []
    # The e-mail's link.
    # One to the client, one to the practitioner (a new online booking).
    assert [m.to for m in mail.outbox] == [["bia@example.com"], ["therapist@serena.test"]]
    assert mail.outbox[0].attachments[0][0] == "session.ics"  # the invite
    link = re.search(r"(/book/confirm/\S+/)", mail.outbox[0].body)
    assert link
    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm my booking").click()
    expect(page.get_by_text("Thank you: your booking is confirmed.")).to_be_visible()
    shot(page, f"booking-confirmed{suffix}")
    assert Booking.objects.get().confirmed_at is not None


def test_the_session_is_on_the_calendar(page, login, owner, therapist, other_therapist, shot):
    from django.utils import timezone

    from atendo.booking.selectors import next_slots, offer_for
    from atendo.booking.services import booking_create

    bs = _booking_on(owner, therapist, other_therapist)
    offer = offer_for("serena")
    slot = next_slots(
        offer, therapy_type_id=bs.therapy_type_ids[0], practitioner_id=therapist.pk, after=timezone.now()
    )[0]
    booking_create(
        workspace_slug="serena",
        therapy_type_id=bs.therapy_type_ids[0],
        practitioner_id=therapist.pk,
        starts_at=slot.start,
        name="Bia Cliente",
        email="bia@example.com",
        consent=True,
    )
    login(page, therapist)
    page.goto("/w/serena/sessions/list/")
    expect(page.locator("td", has_text="Bia Cliente").first).to_be_visible()
    shot(page, "booking-in-sessions-list")


def test_a_request_is_accepted_by_the_practitioner_on_a_phone(
    page, login, owner, therapist, other_therapist, shot
):
    bs = _booking_on(owner, therapist, other_therapist)
    bs.needs_approval = True
    bs.save()
    page.set_viewport_size(WIDTHS["phone"])
    page.goto("/book/serena/")
    page.get_by_role("link", name="Theo Therapist").click()
    page.locator("a.booking-time").first.click()
    page.get_by_label("Your name").fill("Bia Cliente")
    page.get_by_label("E-mail").fill("bia@example.com")
    page.get_by_label(re.compile("I have read the privacy notice")).check()
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    client_mail, notice = mail.outbox
    assert client_mail.to == ["bia@example.com"] and client_mail.attachments == []  # not yet theirs
    assert notice.to == ["therapist@serena.test"] and "/w/serena/bookings/" in notice.body
    link = re.search(r"(/book/confirm/\S+/)", client_mail.body)
    assert link
    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm my booking").click()
    expect(page.get_by_text("The practice will confirm your booking by e-mail.")).to_be_visible()
    shot(page, "booking-request-email-confirmed-phone")
    session = Session.objects.get(practitioner=therapist)
    assert session.name == "Requested: Psicoterapia"
    # The practitioner, on a phone: the request on the list, then on the requests page.
    login(page, therapist)
    page.goto("/w/serena/sessions/list/")
    expect(page.get_by_text("Requested: Psicoterapia").first).to_be_visible()
    shot(page, "booking-request-in-list-phone")
    page.goto("/w/serena/bookings/")
    request = page.get_by_test_id("booking-request")
    expect(request).to_have_count(1)
    expect(request).to_contain_text("Bia Cliente")
    expect(request).to_contain_text("The client confirmed their e-mail.")
    shot(page, "booking-requests-phone")
    page.set_viewport_size(WIDTHS["desktop"])
    shot(page, "booking-requests")
    page.set_viewport_size(WIDTHS["phone"])
    request.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Booking accepted; the client was told by e-mail.")).to_be_visible()
    expect(page.get_by_text("No booking requests are waiting.")).to_be_visible()
    shot(page, "booking-request-accepted-phone")
    assert page.js_errors == []
    booking = Booking.objects.get()
    session.refresh_from_db()
    assert booking.approval == "accepted" and session.name == "Psicoterapia"
    assert session.confirmed_at is not None  # the address was confirmed before
    accepted = mail.outbox[-1]
    assert accepted.to == ["bia@example.com"] and "is confirmed" in accepted.subject
    name, invite, mimetype = accepted.attachments[0]
    assert name == "session.ics" and mimetype.startswith("text/calendar")
    assert f"UID:session-{session.pk}@serena.atendo" in (
        invite.decode() if isinstance(invite, bytes) else invite
    )
