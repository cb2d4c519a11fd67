"""Online booking: settings (API and page, who may), the public API and pages, the e-mail and its
link, known and unknown e-mails answered alike, rate limits, the expiry of unconfirmed holds."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from atendo.audit.models import AuditEvent
from atendo.booking import services
from atendo.booking.models import Booking, BookingSettings
from atendo.booking.tests.conftest import invite_of, next_weekday, text_of
from atendo.clients.models import Client
from atendo.scheduling.models import Session, SessionStatus
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db

PUBLIC = "/api/v1/public/serena"


def _service_id(bs: BookingSettings) -> int:
    return bs.therapy_type_ids[0]


def _body(bs: BookingSettings, practitioner: Any, start: str, **over: Any) -> dict[str, Any]:
    body = {
        "therapy_type_id": _service_id(bs),
        "practitioner_id": practitioner.pk if practitioner else None,
        "starts_at": start,
        "name": "Bia Cliente",
        "email": "bia@example.com",
        "phone": "(11) 91234-5678",
        "consent": True,
    }
    body.update(over)
    return body


def _post(body: dict[str, Any], **extra: Any) -> Any:
    return HttpClient().post(f"{PUBLIC}/bookings", body, content_type="application/json", **extra)


# --- settings -------------------------------------------------------------------------------------


def test_booking_is_off_until_the_owner_turns_it_on(api, owner, therapist, workspace):
    got = api(owner).get("booking-settings")
    assert got.status_code == 200 and got.json()["enabled"] is False
    assert HttpClient().get(f"{PUBLIC}/services").status_code == 404
    assert HttpClient().get("/book/serena/").status_code == 404


def test_off_and_unknown_workspaces_answer_alike(booking_on):
    unknown = HttpClient().get("/api/v1/public/nowhere/services")
    booking_on.enabled = False
    booking_on.save()
    off = HttpClient().get(f"{PUBLIC}/services")
    assert unknown.status_code == off.status_code == 404
    assert unknown.json() == off.json()
    assert (
        HttpClient().get("/book/nowhere/").status_code == HttpClient().get("/book/serena/").status_code == 404
    )


def test_the_owner_sets_booking_through_the_api(api, owner, therapist):
    from tests.factories import TherapyTypeFactory

    service = TherapyTypeFactory(workspace=owner.workspace, name="Avaliação")
    r = api(owner).patch(
        "booking-settings",
        {
            "enabled": True,
            "therapy_type_ids": [service.pk],
            "practitioner_ids": [therapist.pk],
            "buffer_minutes": 10,
        },
    )
    assert r.status_code == 200, r.content
    assert r.json()["enabled"] and r.json()["buffer_minutes"] == 10
    assert r.json()["public_url"].endswith("/book/serena/")
    assert AuditEvent.objects.filter(action="booking.settings_update").exists()


def test_bad_settings_name_their_path(api, owner, assistant, outsider):
    r = api(owner).patch("booking-settings", {"practitioner_ids": [assistant.pk, 10**9], "lead_minutes": -1})
    assert r.status_code == 422
    paths = {f["path"] for f in r.json()["error"]["fields"]}
    assert {"practitioner_ids[0]", "practitioner_ids[1]", "lead_minutes"} <= paths
    assert api(owner).patch("booking-settings", {"enabled": True}).status_code == 422  # nothing bookable
    assert api(owner).patch("booking-settings", {"surprise": 1}).status_code == 422


@pytest.mark.parametrize("who", ["therapist", "assistant"])
def test_only_managers_see_booking_settings(api, page_client, request, who):
    member = request.getfixturevalue(who)
    assert api(member).get("booking-settings").status_code == 403
    assert page_client(member).get("/w/serena/settings/booking/").status_code == 403


def test_an_outsider_gets_404(api, outsider, workspace):
    assert api(outsider, workspace_slug="serena").get("booking-settings").status_code == 404


def test_the_owner_turns_booking_on_in_the_page(page_client, owner, therapist):
    from tests.factories import TherapyTypeFactory

    service = TherapyTypeFactory(workspace=owner.workspace, name="Avaliação")
    client = page_client(owner)
    assert client.get("/w/serena/settings/booking/").status_code == 200
    r = client.post(
        "/w/serena/settings/booking/",
        {
            "enabled": "on",
            "therapy_type_ids": [service.pk],
            "practitioner_ids": [therapist.pk],
            "lead_minutes": 1440,
            "horizon_days": 30,
            "buffer_minutes": 0,
            "new_clients": "on",
        },
    )
    assert r.status_code == 302
    bs = BookingSettings.objects.get(workspace=owner.workspace)
    assert bs.enabled and bs.practitioner_ids == [therapist.pk] and bs.horizon_days == 30


# --- the public API -------------------------------------------------------------------------------


def test_the_public_api_lists_names_only(booking_on, therapist, other_therapist):
    services_ = HttpClient().get(f"{PUBLIC}/services").json()
    assert services_["items"] == [
        {"id": _service_id(booking_on), "name": "Psicoterapia", "duration_minutes": 50}
    ]
    people = HttpClient().get(f"{PUBLIC}/practitioners").json()["items"]
    assert {p["name"] for p in people} == {"Theo Therapist", "Olga Other"}
    assert "@" not in str(people)


def test_slots_skip_sessions_and_buffers_and_reveal_nothing(booking_on, therapist):
    day = next_weekday()
    client = ClientFactory(workspace=therapist.workspace, name="Secret Person")
    SessionFactory(
        client=client,
        practitioner=therapist,
        name="Secret session",
        starts_at=dt.datetime.combine(day, dt.time(10, 0), tzinfo=therapist.workspace.tz),
        duration_minutes=60,
    )
    url = (
        f"{PUBLIC}/slots?therapy_type_id={_service_id(booking_on)}&practitioner_id={therapist.pk}&date={day}"
    )
    r = HttpClient().get(url)
    assert r.status_code == 200
    starts = [s["starts_at"][11:16] for s in r.json()["items"]]
    assert "09:00" in starts and "10:00" not in starts and "09:30" not in starts and "11:00" in starts
    assert "Secret" not in r.content.decode()
    booking_on.buffer_minutes = 15
    booking_on.save()
    starts = [s["starts_at"][11:16] for s in HttpClient().get(url).json()["items"]]
    assert "11:00" not in starts and "09:00" not in starts and "13:00" in starts


def test_slots_honour_notice_and_horizon_and_are_bounded(booking_on, therapist):
    sid = _service_id(booking_on)
    past = HttpClient().get(
        f"{PUBLIC}/slots?therapy_type_id={sid}&date={dt.date.today() - dt.timedelta(days=3)}"
    )
    assert past.status_code == 200 and past.json()["items"] == []
    far = dt.date.today() + dt.timedelta(days=90)
    assert HttpClient().get(f"{PUBLIC}/slots?therapy_type_id={sid}&date={far}").json()["items"] == []
    day = next_weekday()
    wide = HttpClient().get(
        f"{PUBLIC}/slots?therapy_type_id={sid}&date={day}&end={day + dt.timedelta(days=14)}"
    )
    assert wide.status_code == 422 and wide.json()["error"]["fields"][0]["path"] == "end"
    bad = HttpClient().get(f"{PUBLIC}/slots?therapy_type_id={sid}&date=someday")
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "date"
    unknown = HttpClient().get(f"{PUBLIC}/slots?therapy_type_id={sid + 999}&date={day}")
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["path"] == "therapy_type_id"


def test_a_new_client_books_confirms_by_email_and_the_session_is_on_the_calendar(
    booking_on, therapist, smtp, workspace
):
    day = next_weekday()
    r = _post(_body(booking_on, therapist, f"{day}T09:00"))
    assert r.status_code == 202, r.content
    assert r.json()["status"] == "check_email" and r.json()["practitioner"] == "Theo Therapist"
    session = Session.objects.get(practitioner=therapist)
    assert session.status == SessionStatus.SCHEDULED and session.name == "Psicoterapia"
    assert session.client.email == "bia@example.com" and session.client.name == "Bia Cliente"
    booking = Booking.objects.get(session=session)
    assert booking.new_client and booking.confirmed_at is None
    assert [m["To"] for m in smtp.messages] == ["bia@example.com", "therapist@serena.test"]
    body = text_of(smtp.messages[0])
    invite = invite_of(smtp.messages[0])
    assert invite is not None and invite["uid"] == f"session-{session.pk}@serena.atendo"
    assert invite.decoded("dtstart") == session.starts_at
    notice = text_of(smtp.messages[1])
    assert "Bia Cliente booked a session" in notice and f"/w/serena/sessions/{session.pk}/" in notice
    assert "New online booking" in smtp.messages[1]["Subject"]
    link = re.search(r"http://\S+/book/confirm/(\S+)/", body)
    assert link, body
    page = HttpClient().get(f"/book/confirm/{link.group(1)}/")
    assert page.status_code == 200 and "Confirm my booking" in page.content.decode()
    booking.refresh_from_db()
    assert booking.confirmed_at is None  # a GET (a mail scanner) confirms nothing
    done = HttpClient().post(f"/book/confirm/{link.group(1)}/")
    assert "your booking is confirmed" in done.content.decode()
    booking.refresh_from_db()
    session.refresh_from_db()
    assert booking.confirmed_at is not None and session.confirmed_at is not None
    again = HttpClient().get(f"/book/confirm/{link.group(1)}/")
    assert "already confirmed" in again.content.decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"booking.create", "booking.confirm", "session.create", "client.create"} <= actions
    event = AuditEvent.objects.get(action="booking.create")
    assert event.actor_id is None and "online booking" in event.actor_label


def test_a_known_client_is_matched_by_email_and_answered_alike(booking_on, therapist, smtp):
    known = ClientFactory(workspace=therapist.workspace, name="Carla Known", email="carla@example.com")
    day = next_weekday()
    new = _post(_body(booking_on, therapist, f"{day}T09:00"))
    old = _post(_body(booking_on, therapist, f"{day}T11:00", email="CARLA@example.com", name="Someone Else"))
    assert new.status_code == old.status_code == 202
    assert new.json().keys() == old.json().keys() and new.json()["message"] == old.json()["message"]
    session = Session.objects.get(starts_at__time=dt.time(14, 0))  # 11:00 in São Paulo
    assert session.client_id == known.pk
    known.refresh_from_db()
    assert known.name == "Carla Known"  # never overwritten from the public page
    assert Client.objects.filter(email="carla@example.com").count() == 1


def test_without_new_clients_an_unknown_email_gets_the_same_answer_and_nothing_is_held(
    booking_on, therapist, smtp
):
    booking_on.new_clients = False
    booking_on.save()
    ClientFactory(workspace=therapist.workspace, name="Carla Known", email="carla@example.com")
    day = next_weekday()
    unknown = _post(_body(booking_on, therapist, f"{day}T09:00"))
    known = _post(_body(booking_on, therapist, f"{day}T11:00", email="carla@example.com"))
    assert unknown.status_code == known.status_code == 202
    assert unknown.json()["message"] == known.json()["message"]
    assert Session.objects.count() == 1 and not Client.objects.filter(email="bia@example.com").exists()
    to_clients = [m["To"] for m in smtp.messages if m["To"] != "therapist@serena.test"]
    assert sorted(to_clients) == ["bia@example.com", "carla@example.com"]
    refused = text_of(next(m for m in smtp.messages if m["To"] == "bia@example.com"))
    assert "existing clients only" in refused and "/book/confirm/" not in refused


def test_a_taken_slot_answers_409_with_the_next_free_ones(booking_on, therapist, smtp):
    day = next_weekday()
    assert _post(_body(booking_on, therapist, f"{day}T09:00")).status_code == 202
    r = _post(_body(booking_on, therapist, f"{day}T09:00", email="other@example.com"))
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "slot_taken"
    assert [s["starts_at"][11:16] for s in error["next_slots"]] == ["10:00", "10:30", "11:00"]


def test_anyone_takes_the_first_free_practitioner(booking_on, therapist, other_therapist, smtp):
    day = next_weekday()
    first = _post(_body(booking_on, None, f"{day}T09:00"))
    second = _post(_body(booking_on, None, f"{day}T09:00", email="two@example.com"))
    third = _post(_body(booking_on, None, f"{day}T09:00", email="three@example.com"))
    assert (first.status_code, second.status_code, third.status_code) == (202, 202, 409)
    assert {s.practitioner_id for s in Session.objects.all()} == {therapist.pk, other_therapist.pk}


@pytest.mark.parametrize(
    ("over", "path"),
    [
        ({"consent": False}, "consent"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"phone": "call me"}, "phone"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"therapy_type_id": 999999}, "therapy_type_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_422_at_its_path(booking_on, therapist, over, path):
    r = _post(_body(booking_on, therapist, f"{next_weekday()}T09:00", **over))
    assert r.status_code == 422, r.content
    assert path in {f["path"] for f in r.json()["error"]["fields"]}
    assert not Session.objects.exists()


def test_a_time_outside_the_window_is_refused(booking_on, therapist):
    r = _post(_body(booking_on, therapist, f"{dt.date.today() - dt.timedelta(days=1)}T09:00"))
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["path"] == "starts_at"


def test_bookings_are_rate_limited_per_email_and_per_address(booking_on, therapist, smtp, settings):
    settings.BOOKING_THROTTLE_BOOK_EMAIL = (2, 3600)
    settings.BOOKING_THROTTLE_BOOK_IP = (4, 3600)
    day = next_weekday()
    codes = [_post(_body(booking_on, therapist, f"{day}T{h}:00")).status_code for h in ("09", "10", "11")]
    assert codes == [202, 202, 429]
    other = [
        _post(_body(booking_on, therapist, f"{day}T{h}:00", email=f"p{h}@example.com")).status_code
        for h in ("13", "14")
    ]
    assert other == [202, 429]  # the address's fifth attempt
    assert (
        _post(
            _body(booking_on, therapist, f"{day}T15:00", email="new@example.com"), REMOTE_ADDR="10.0.0.9"
        ).status_code
        == 202
    )


def test_reads_are_rate_limited_per_address(booking_on, settings):
    settings.BOOKING_THROTTLE_READ_IP = (3, 60)
    codes = [HttpClient().get(f"{PUBLIC}/services").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert HttpClient().get("/book/serena/").status_code == 429


def test_unconfirmed_bookings_are_cancelled_after_the_hold(booking_on, therapist, smtp):
    day = next_weekday()
    _post(_body(booking_on, therapist, f"{day}T09:00"))
    booking = Booking.objects.get()
    assert services.bookings_expire() == 0
    later = booking.created_at + dt.timedelta(minutes=31)
    assert services.bookings_expire(now=later) == 1
    booking.refresh_from_db()
    booking.session.refresh_from_db()
    assert booking.expired_at is not None and booking.session.status == SessionStatus.CANCELLED
    assert booking.session.cancelled_by == "practice" and not booking.session.cancellation_late
    assert services.bookings_expire(now=later) == 0
    # The slot is free again.
    assert _post(_body(booking_on, therapist, f"{day}T09:00", email="next@example.com")).status_code == 202


def test_an_expired_or_forged_link_does_not_confirm(booking_on, therapist, smtp, settings):
    from atendo.booking.links import make_token

    _post(_body(booking_on, therapist, f"{next_weekday()}T09:00"))
    booking = Booking.objects.get()
    forged = make_token(workspace_id=booking.workspace_id, booking_id=booking.pk) + "x"
    assert "does not work" in HttpClient().post(f"/book/confirm/{forged}/").content.decode()
    from atendo.reminders.links import make_token as reminder_token

    other_salt = reminder_token(
        workspace_id=booking.workspace_id, session_id=booking.session_id, starts_at=booking.session.starts_at
    )
    assert "does not work" in HttpClient().get(f"/book/confirm/{other_salt}/").content.decode()
    settings.BOOKING_HOLD_MINUTES = 0  # max(1) minute: made long ago in effect
    token = make_token(workspace_id=booking.workspace_id, booking_id=booking.pk)
    booking.created_at -= dt.timedelta(minutes=5)
    booking.save(update_fields=["created_at"])
    assert "not confirmed in time" in HttpClient().post(f"/book/confirm/{token}/").content.decode()
    booking.refresh_from_db()
    assert booking.confirmed_at is None


# --- the public page ------------------------------------------------------------------------------


def test_the_page_walks_through_the_steps_and_books(booking_on, therapist, smtp):
    day = next_weekday()
    sid = _service_id(booking_on)
    http = HttpClient()
    first = http.get("/book/serena/")  # one service: straight to the practitioner
    assert first.status_code == 200 and "Anyone available" in first.content.decode()
    times = http.get(f"/book/serena/?service={sid}&with={therapist.pk}&day={day}&week={day}")
    assert "09:00" in times.content.decode()
    at = f"{day}T09:00-03:00"
    form = http.get(f"/book/serena/?service={sid}&with={therapist.pk}&at={at}")
    assert 'name="consent"' in form.content.decode()
    missing = http.post(
        "/book/serena/",
        {"service": sid, "with": therapist.pk, "at": at, "name": "Bia", "email": "bia@example.com"},
    )
    assert missing.status_code == 422 and not Session.objects.exists()
    done = http.post(
        "/book/serena/",
        {
            "service": sid,
            "with": therapist.pk,
            "at": at,
            "name": "Bia",
            "email": "bia@example.com",
            "consent": "on",
        },
    )
    assert done.status_code == 200 and "Check your e-mail" in done.content.decode()
    assert Session.objects.filter(practitioner=therapist).count() == 1
    taken = http.post(
        "/book/serena/",
        {
            "service": sid,
            "with": therapist.pk,
            "at": at,
            "name": "Ze",
            "email": "ze@example.com",
            "consent": "on",
        },
    )
    assert taken.status_code == 409 and "just taken" in taken.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", done.content.decode())  # no inline script


def test_the_page_speaks_portuguese(booking_on, therapist):
    r = HttpClient(HTTP_ACCEPT_LANGUAGE="pt-BR").get(f"/book/serena/?service={_service_id(booking_on)}")
    assert r.status_code == 200 and 'lang="pt-br"' in r.content.decode().lower()


def test_two_weeks_of_slots_take_a_constant_number_of_queries(
    booking_on, therapist, other_therapist, django_assert_max_num_queries
):
    day = next_weekday()
    for hour in (9, 11, 14):  # sessions do not add queries
        SessionFactory(
            client=ClientFactory(workspace=therapist.workspace, name="Busy"),
            practitioner=therapist,
            starts_at=dt.datetime.combine(day, dt.time(hour, 0), tzinfo=therapist.workspace.tz),
        )
    booking_on.buffer_minutes = 10
    booking_on.save()
    last = day + dt.timedelta(days=13)
    url = f"{PUBLIC}/slots?therapy_type_id={_service_id(booking_on)}&date={day}&end={last}"
    with django_assert_max_num_queries(12):
        r = HttpClient().get(url)
    assert r.status_code == 200 and len(r.json()["items"]) > 50
