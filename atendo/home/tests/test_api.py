"""`GET /workspaces/{slug}/today`: whose day, the to-do lists, who may see what, and its cost."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from atendo.home.tests.conftest import DAY, NOTE, at
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def _today(api, member, **params):
    response = api(member).get("today", date=DAY.isoformat(), **params)
    assert response.status_code == 200, response.content
    return response.json()


def _clients(body):
    return sorted(s["client_name"] for s in body["sessions"])


def test_a_therapist_lands_on_their_own_day(api, therapist, practice):
    body = _today(api, therapist)
    assert body["date"] == "2027-03-10"
    assert [s["id"] for s in body["sessions"]] == [practice["ana_day"].pk]
    session = body["sessions"][0]
    assert session["client_name"] == "Ana Cliente" and session["therapy_type_name"] == "Reiki"
    assert session["starts_at"] == "2027-03-10T09:00:00-03:00"
    assert session["notes"] == NOTE  # their own client's notes: they may read them
    assert [i["session_id"] for i in body["todo"]["to_record"]] == [practice["ana_past"].pk]
    assert [i["session_id"] for i in body["todo"]["unconfirmed"]] == [practice["ana_next"].pk]


def test_a_therapist_may_switch_to_a_colleague_or_everyone(api, therapist, other_therapist, practice):
    colleague = _today(api, therapist, practitioner_id=other_therapist.pk)
    assert _clients(colleague) == ["Bia Cliente"]
    everyone = _today(api, therapist, everyone="true")
    assert _clients(everyone) == ["Ana Cliente", "Bia Cliente"]
    assert {i["session_id"] for i in everyone["todo"]["to_record"]} == {
        practice["ana_past"].pk,
        practice["bia_past"].pk,
    }


def test_the_owner_and_the_assistant_see_everyone_by_default(api, owner, assistant, practice):
    for member in (owner, assistant):
        body = _today(api, member)
        assert _clients(body) == ["Ana Cliente", "Bia Cliente"], member
        # The confirmed session of the next day is not a to-do; the unconfirmed one is.
        assert [i["session_id"] for i in body["todo"]["unconfirmed"]] == [practice["ana_next"].pk]
        # Recorded and cancelled sessions are not to record.
        assert {i["session_id"] for i in body["todo"]["to_record"]} == {
            practice["ana_past"].pk,
            practice["bia_past"].pk,
        }


def test_no_clinical_content_for_those_who_may_not_read_it(api, assistant, other_therapist, practice):
    for member, params in ((assistant, {}), (other_therapist, {"everyone": "true"})):
        response = api(member).get("today", date=DAY.isoformat(), **params)
        assert NOTE not in response.content.decode(), member
        ana = next(s for s in response.json()["sessions"] if s["client_name"] == "Ana Cliente")
        assert "notes" not in ana and "notes" in ana["withheld"]


def test_a_to_do_item_carries_administrative_columns_only(api, owner, practice):
    body = _today(api, owner)
    item = body["todo"]["to_record"][0]
    assert set(item) == {
        "session_id",
        "client_id",
        "client_name",
        "practitioner_id",
        "practitioner_name",
        "therapy_type_name",
        "starts_at",
        "ends_at",
        "status",
    }
    assert NOTE not in json.dumps(body["todo"])


def test_payments_due_pending_and_overdue_oldest_first(api, owner, therapist, other_therapist, practice):
    today = timezone.now().date()
    late = PaymentFactory(
        session=practice["ana_past"], status="overdue", due_date=today - dt.timedelta(days=5)
    )
    pending = PaymentFactory(
        session=practice["bia_past"], status="pending", due_date=today + dt.timedelta(days=3)
    )
    PaymentFactory(session=practice["ana_recorded"], status="paid", method="pix")
    body = _today(api, owner)
    due = body["todo"]["payments_due"]
    assert [p["payment_id"] for p in due] == [late.pk, pending.pk]
    assert due[0]["status"] == "overdue" and due[0]["amount"] == "150.00" and due[0]["fee"] is None
    # A therapist's list holds their own sessions' payments.
    assert [p["payment_id"] for p in _today(api, therapist)["todo"]["payments_due"]] == [late.pk]


def test_a_member_without_session_or_billing_read_gets_empty_lists(api, receptionist, practice):
    body = _today(api, receptionist)
    assert body["sessions"] == []
    assert body["todo"] == {
        "to_record": [],
        "to_sign": [],
        "payments_due": [],
        "unconfirmed": [],
        "booking_requests": [],
    }


def test_another_workspace_and_bad_input(api, outsider, owner, practice):
    assert api(outsider, workspace_slug="serena").get("today").status_code == 404
    response = api(owner).get("today", date="10/03/2027")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "date"
    assert api(owner).get("today", practitioner_id="abc").status_code == 422


def test_a_session_past_midnight_stays_on_the_day_it_starts(api, therapist, practice, workspace):
    late = practice["book"](
        practice["ana"], therapist, at(DAY - dt.timedelta(days=1), 23, tz=workspace.tz), status="scheduled"
    )
    ids = [s["id"] for s in _today(api, therapist)["sessions"]]
    assert late.pk not in ids
    assert late.pk in [s["id"] for s in api(therapist).get("today", date="2027-03-09").json()["sessions"]]


def test_the_day_costs_a_constant_number_of_queries(
    api, owner, therapist, other_therapist, practice, workspace
):
    client = api(owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("today", date=DAY.isoformat()).status_code == 200
        return len(queries)

    count()  # the first request of a token also notes its use
    before = count()
    for hour in range(11, 18):
        session = practice["book"](
            practice["bia"], other_therapist, at(DAY, hour, tz=workspace.tz), status="scheduled"
        )
        PaymentFactory(session=session, status="pending")
        practice["book"](practice["ana"], therapist, timezone.now() - dt.timedelta(days=1, hours=hour))
        practice["book"](practice["ana"], therapist, at(DAY + dt.timedelta(days=1), hour, tz=workspace.tz))
    assert count() == before


def _request(practice, practitioner, starts_at):
    """An online booking waiting for approval (booking.approval), as the public page leaves it."""
    from atendo.booking.models import Approval, Booking

    session = practice["book"](practice["bia"], practitioner, starts_at, status="scheduled")
    Booking.objects.create(
        workspace=session.workspace,
        session=session,
        client=session.client,
        email="bia@example.com",
        approval=Approval.REQUESTED,
    )
    return session


def test_booking_requests_wait_on_the_home_of_who_may_decide(
    api, owner, therapist, other_therapist, assistant, receptionist, practice, workspace
):
    soon = timezone.now() + dt.timedelta(days=2)
    mine = _request(practice, other_therapist, soon)
    theirs = _request(practice, therapist, soon + dt.timedelta(hours=3))
    decided = _request(practice, therapist, soon + dt.timedelta(hours=5))
    from atendo.booking.models import Approval, Booking

    Booking.objects.filter(session=decided).update(approval=Approval.ACCEPTED)

    def requests(member, **params):
        return [i["session_id"] for i in _today(api, member, **params)["todo"]["booking_requests"]]

    assert requests(owner) == [mine.pk, theirs.pk]  # soonest first; a decided one is gone
    assert requests(owner, practitioner_id=therapist.pk) == [theirs.pk]
    # A therapist decides for their own sessions only, whatever scope they look at.
    assert requests(other_therapist) == [mine.pk]
    assert requests(other_therapist, everyone="true") == [mine.pk]
    assert requests(receptionist) == []  # no session.read / session.update
    item = _today(api, owner)["todo"]["booking_requests"][0]
    assert set(item) == {
        "session_id", "client_id", "client_name", "practitioner_id", "practitioner_name",
        "therapy_type_name", "starts_at", "ends_at", "status",
    }  # fmt: skip
