"""Approval: with `needs_approval` on, a booking holds its slot as a request ("Requested: <service>"
on the calendar) until a member who may schedule for the practitioner accepts or declines it; the
client is told by e-mail (the acceptance with the invite), the practitioner of every new booking."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from atendo.audit.models import AuditEvent
from atendo.booking.models import Approval, Booking, BookingSettings
from atendo.booking.tests.conftest import invite_of, next_weekday, text_of
from atendo.scheduling.models import Session, SessionStatus

pytestmark = pytest.mark.django_db

PUBLIC = "/api/v1/public/serena"


@pytest.fixture
def approval_on(booking_on: BookingSettings) -> BookingSettings:
    booking_on.needs_approval = True
    booking_on.save()
    return booking_on


def _book(bs: BookingSettings, practitioner: Any, at: str, email: str = "bia@example.com") -> Booking:
    body = {
        "therapy_type_id": bs.therapy_type_ids[0],
        "practitioner_id": practitioner.pk,
        "starts_at": at,
        "name": "Bia Cliente",
        "email": email,
        "consent": True,
    }
    r = HttpClient().post(f"{PUBLIC}/bookings", body, content_type="application/json")
    assert r.status_code == 202, r.content
    return Booking.objects.get(email=email, session__starts_at__isnull=False)


def test_the_owner_turns_approval_on_through_the_api_and_the_page(api, owner, booking_on, page_client):
    r = api(owner).patch("booking-settings", {"needs_approval": True})
    assert r.status_code == 200 and r.json()["needs_approval"] is True
    assert api(owner).get("booking-settings").json()["needs_approval"] is True
    page = page_client(owner).get("/w/serena/settings/booking/")
    assert "A member accepts each booking" in page.content.decode()
    assert api(owner).patch("booking-settings", {"needs_approval": "maybe"}).status_code == 422


def test_a_request_holds_its_slot_and_the_practitioner_is_told(approval_on, therapist, smtp):
    day = next_weekday()
    booking = _book(approval_on, therapist, f"{day}T09:00")
    session = booking.session
    assert booking.approval == Approval.REQUESTED
    assert session.status == SessionStatus.SCHEDULED and session.name == "Requested: Psicoterapia"
    # The slot is held: nobody else is offered it.
    slots = HttpClient().get(
        f"{PUBLIC}/slots?therapy_type_id={approval_on.therapy_type_ids[0]}"
        f"&practitioner_id={therapist.pk}&date={day}"
    )
    offered = {s["starts_at"] for s in slots.json()["items"]}
    assert f"{day}T10:00:00-03:00" in offered and f"{day}T09:00:00-03:00" not in offered
    client_mail, notice = smtp.messages
    assert client_mail["To"] == "bia@example.com" and invite_of(client_mail) is None  # not yet theirs
    assert "you will receive another e-mail when your booking is accepted" in text_of(client_mail)
    assert notice["To"] == "therapist@serena.test" and "request" in notice["Subject"]
    assert "/w/serena/bookings/" in text_of(notice) and "Bia Cliente asked for a session" in text_of(notice)


def test_confirming_the_email_does_not_confirm_a_request(approval_on, therapist, smtp):
    booking = _book(approval_on, therapist, f"{next_weekday()}T09:00")
    link = text_of(smtp.messages[0]).split("/book/confirm/")[1].split("/")[0]
    done = HttpClient().post(f"/book/confirm/{link}/")
    assert "The practice will confirm your booking" in done.content.decode()
    booking.refresh_from_db()
    booking.session.refresh_from_db()
    assert booking.confirmed_at is not None and booking.session.confirmed_at is None


def test_the_practitioner_accepts_and_the_client_gets_the_invite(api, approval_on, therapist, smtp):
    booking = _book(approval_on, therapist, f"{next_weekday()}T09:00")
    listed = api(therapist).get("bookings")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == [booking.pk]
    assert listed.json()["items"][0]["approval"] == "requested"
    before = len(smtp.messages)
    r = api(therapist).post(f"bookings/{booking.pk}/accept", {})
    assert r.status_code == 200, r.content
    assert r.json()["approval"] == "accepted" and r.json()["service"] == "Psicoterapia"
    session = Session.objects.get(pk=booking.session_id)
    assert session.name == "Psicoterapia" and session.status == SessionStatus.SCHEDULED
    (accepted,) = smtp.messages[before:]
    assert accepted["To"] == "bia@example.com" and "is confirmed" in accepted["Subject"]
    invite = invite_of(accepted)
    assert invite is not None and invite["uid"] == f"session-{session.pk}@serena.atendo"
    assert api(therapist).get("bookings").json()["items"] == []
    again = api(therapist).post(f"bookings/{booking.pk}/accept", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_requested"
    event = AuditEvent.objects.get(action="booking.accept")
    assert event.actor_id == therapist.user_id


def test_a_decline_cancels_by_the_practice_and_tells_the_client_why(
    api, approval_on, therapist, assistant, smtp
):
    day = next_weekday()
    booking = _book(approval_on, therapist, f"{day}T09:00")
    before = len(smtp.messages)
    r = api(assistant).post(f"bookings/{booking.pk}/decline", {"reason": "Theo is away that week."})
    assert r.status_code == 200, r.content
    assert r.json()["approval"] == "declined" and r.json()["decline_reason"] == "Theo is away that week."
    session = Session.objects.get(pk=booking.session_id)
    assert session.status == SessionStatus.CANCELLED and session.cancelled_by == "practice"
    assert not session.cancellation_late
    (declined,) = smtp.messages[before:]
    assert declined["To"] == "bia@example.com" and "declined" in declined["Subject"]
    assert "Theo is away that week." in text_of(declined) and "/book/serena/" in text_of(declined)
    # The slot is free again.
    slots = HttpClient().get(
        f"{PUBLIC}/slots?therapy_type_id={approval_on.therapy_type_ids[0]}"
        f"&practitioner_id={therapist.pk}&date={day}"
    )
    assert f"{day}T09:00:00-03:00" in {s["starts_at"] for s in slots.json()["items"]}
    too_long = api(assistant).post(f"bookings/{booking.pk}/decline", {"reason": "x" * 301})
    assert too_long.status_code == 422 and too_long.json()["error"]["fields"][0]["path"] == "reason"


def test_a_therapist_decides_only_their_own_requests(
    api, page_client, approval_on, therapist, other_therapist, owner, smtp
):
    booking = _book(approval_on, therapist, f"{next_weekday()}T09:00")
    assert api(other_therapist).get("bookings").json()["items"] == []
    for door in ("accept", "decline"):
        r = api(other_therapist).post(f"bookings/{booking.pk}/{door}", {})
        missing = api(other_therapist).post(f"bookings/{10**9}/{door}", {})
        assert r.status_code == missing.status_code == 404 and r.json() == missing.json()
    page = page_client(other_therapist)
    assert "Bia Cliente" not in page.get("/w/serena/bookings/").content.decode()
    page.post("/w/serena/bookings/", {"booking": booking.pk, "decision": "accept"})
    booking.refresh_from_db()
    assert booking.approval == Approval.REQUESTED
    # The owner (who manages the workspace) decides for everyone.
    assert [i["id"] for i in api(owner).get("bookings").json()["items"]] == [booking.pk]


def test_the_requests_page_accepts_and_declines(page_client, approval_on, therapist, smtp):
    day = next_weekday()
    first = _book(approval_on, therapist, f"{day}T09:00")
    second = _book(approval_on, therapist, f"{day}T11:00", email="carla@example.com")
    page = page_client(therapist)
    listing = page.get("/w/serena/bookings/")
    assert listing.status_code == 200
    assert listing.content.decode().count('data-testid="booking-request"') == 2
    accepted = page.post("/w/serena/bookings/", {"booking": first.pk, "decision": "accept"}, follow=True)
    assert "Booking accepted" in accepted.content.decode()
    declined = page.post(
        "/w/serena/bookings/", {"booking": second.pk, "decision": "decline", "reason": ""}, follow=True
    )
    assert "Booking declined" in declined.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.approval, second.approval) == (Approval.ACCEPTED, Approval.DECLINED)
    stale = page.post("/w/serena/bookings/", {"booking": first.pk, "decision": "decline"}, follow=True)
    assert "already decided" in stale.content.decode()


def test_without_approval_nothing_waits(api, booking_on, therapist, smtp):
    booking = _book(booking_on, therapist, f"{next_weekday()}T09:00")
    assert booking.approval == Approval.NOT_NEEDED and booking.session.name == "Psicoterapia"
    assert api(therapist).get("bookings").json()["items"] == []
    assert api(therapist).post(f"bookings/{booking.pk}/accept", {}).status_code == 409


def test_an_unconfirmed_request_lapses_like_any_hold(approval_on, therapist, smtp, settings):
    import datetime as dt

    from django.utils import timezone

    from atendo.booking.services import bookings_expire

    booking = _book(approval_on, therapist, f"{next_weekday()}T09:00")
    assert bookings_expire(now=timezone.now() + dt.timedelta(minutes=31)) == 1
    booking.refresh_from_db()
    assert booking.expired_at is not None
    assert Session.objects.get(pk=booking.session_id).status == SessionStatus.CANCELLED


def test_the_workspace_settings_carry_booking_through_the_same_service(api, owner, therapist, booking_on):
    got = api(therapist).get("settings")
    assert got.status_code == 200
    assert got.json()["booking"]["enabled"] is True and got.json()["booking"]["needs_approval"] is False
    assert got.json()["booking"]["practitioner_ids"] == booking_on.practitioner_ids
    r = api(owner).patch(
        "settings", {"slot_minutes": 15, "booking": {"needs_approval": True, "buffer_minutes": 5}}
    )
    assert r.status_code == 200, r.content
    assert r.json()["slot_minutes"] == 15 and r.json()["booking"]["needs_approval"] is True
    booking_on.refresh_from_db()
    assert booking_on.needs_approval and booking_on.buffer_minutes == 5
    assert AuditEvent.objects.filter(action="booking.settings_update").exists()
    # One transaction: a bad booking value refuses the whole change, named under its key.
    bad = api(owner).patch("settings", {"slot_minutes": 30, "booking": {"lead_minutes": -1}})
    assert bad.status_code == 422 and [f["path"] for f in bad.json()["error"]["fields"]] == [
        "booking.lead_minutes"
    ]
    assert api(owner).get("settings").json()["slot_minutes"] == 15
    unknown = api(owner).patch("settings", {"booking": {"surprise": 1}})
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["path"].startswith("booking")
    assert api(therapist).patch("settings", {"booking": {"needs_approval": False}}).status_code == 403


def test_a_front_desk_without_clinical_access_accepts_for_anyone(
    api, approval_on, other_therapist, assistant, smtp
):
    booking = _book(approval_on, other_therapist, f"{next_weekday()}T09:00")
    assert [i["id"] for i in api(assistant).get("bookings").json()["items"]] == [booking.pk]
    r = api(assistant).post(f"bookings/{booking.pk}/accept", {})
    assert r.status_code == 200 and r.json()["approval"] == "accepted"
    booking.refresh_from_db()
    assert booking.decided_by_id == assistant.pk and booking.session.name == "Psicoterapia"


def test_the_requests_take_a_constant_number_of_queries(api, page_client, approval_on, therapist, smtp):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    day = next_weekday()
    _book(approval_on, therapist, f"{day}T09:00")
    counts = []
    for more in ("11:00", "14:00"):
        with CaptureQueriesContext(connection) as api_queries:
            assert api(therapist).get("bookings").status_code == 200
        with CaptureQueriesContext(connection) as page_queries:
            assert page_client(therapist).get("/w/serena/bookings/").status_code == 200
        counts.append((len(api_queries), len(page_queries)))
        _book(approval_on, therapist, f"{day}T{more}", email=f"c{more[:2]}@example.com")
    assert counts[0] == counts[1], counts
