"""The home page (`/w/<slug>/`) for every persona, its quick actions, and its cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from atendo.billing.models import Payment
from atendo.home.tests.conftest import DAY, NOTE, at
from atendo.scheduling.models import Session
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
HOME = "/w/serena/"


def _home(page_client, member, **params):
    response = page_client(member).get(HOME, {"date": DAY.isoformat(), **params})
    assert response.status_code == 200
    return response.content.decode()


def test_the_therapist_lands_on_their_own_day(page_client, therapist, practice):
    html = _home(page_client, therapist)
    assert "Ana Cliente" in html and "Bia Cliente" not in html
    assert f'data-session-id="{practice["ana_day"].pk}"' in html
    assert "My sessions" in html  # the picker names their own schedule
    assert 'data-todo="to_record"' in html and 'data-todo="unconfirmed"' in html
    assert "wednesday, 10 march 2027" in html.lower() or "wednesday, march 10, 2027" in html.lower()


def test_the_owner_sees_everyone_and_can_choose_a_practitioner(page_client, owner, other_therapist, practice):
    html = _home(page_client, owner)
    assert "Ana Cliente" in html and "Bia Cliente" in html
    assert '<option value="all" selected>' in html
    one = _home(page_client, owner, practitioner=other_therapist.pk)
    assert "Bia Cliente" in one and f'data-session-id="{practice["ana_day"].pk}"' not in one


def test_the_assistant_sees_the_desk_without_clinical_content(page_client, assistant, practice):
    PaymentFactory(session=practice["ana_past"], status="overdue", due_date=timezone.now().date())
    html = _home(page_client, assistant)
    assert "Ana Cliente" in html and "Bia Cliente" in html
    assert NOTE not in html
    assert 'data-todo="payments_due"' in html and "R$ 150.00" in html
    assert "Mark paid" in html  # the front desk takes payments
    assert 'data-testid="getting-started"' not in html


def test_the_other_therapist_reads_no_colleague_notes(page_client, other_therapist, practice):
    html = _home(page_client, other_therapist, practitioner="all")
    assert "Ana Cliente" in html and NOTE not in html


def test_a_member_without_sessions_sees_no_agenda(page_client, receptionist, practice):
    html = _home(page_client, receptionist)
    assert "Ana Cliente" not in html and 'data-todo="to_record"' not in html


def test_an_empty_practice_shows_the_checklist_to_its_owner(page_client, owner):
    html = page_client(owner).get(HOME).content.decode()
    assert 'data-testid="getting-started"' in html and "Add your first client" in html
    assert "No sessions today." in html


def test_a_bad_date_or_practitioner_falls_back(page_client, owner, practice):
    assert page_client(owner).get(HOME, {"date": "31/02/2027", "practitioner": "x"}).status_code == 200


def test_the_home_costs_a_constant_number_of_queries(
    page_client, owner, therapist, other_therapist, practice, workspace
):
    client = page_client(owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(HOME, {"date": DAY.isoformat()}).status_code == 200
        return len(queries)

    count()
    before = count()
    for hour in range(11, 18):
        session = practice["book"](
            practice["bia"], other_therapist, at(DAY, hour, tz=workspace.tz), status="scheduled"
        )
        PaymentFactory(session=session, status="pending")
        practice["book"](practice["ana"], therapist, timezone.now() - dt.timedelta(days=1, hours=hour))
        practice["book"](practice["ana"], therapist, at(DAY + dt.timedelta(days=1), hour, tz=workspace.tz))
    assert count() == before


# --- quick actions -------------------------------------------------------------------------------


def _session_starting_soon(practice, therapist, workspace):
    return practice["book"](
        practice["ana"], therapist, timezone.now() + dt.timedelta(minutes=30), status="scheduled"
    )


def test_start_confirm_and_mark_paid_from_the_home(page_client, therapist, practice, workspace):
    session = _session_starting_soon(practice, therapist, workspace)
    client = page_client(therapist)
    html = client.get(HOME).content.decode()
    assert f"/home/sessions/{session.pk}/start/" in html and f"/home/sessions/{session.pk}/confirm/" in html
    response = client.post(
        f"{HOME}home/sessions/{session.pk}/confirm/", {"version": session.version}, follow=True
    )
    assert Session.objects.get(pk=session.pk).confirmed_at is not None
    assert "confirmed." in response.content.decode()
    session.refresh_from_db()
    client.post(f"{HOME}home/sessions/{session.pk}/start/", {"version": session.version})
    assert Session.objects.get(pk=session.pk).status == "in_progress"
    response = client.post(f"{HOME}home/sessions/{session.pk}/paid/", {"method": "pix"}, follow=True)
    payment = Payment.objects.get(session=session)
    assert (payment.status, payment.method, payment.amount) == ("paid", "pix", 150)
    assert "Payment marked as paid." in response.content.decode()


def test_a_stale_start_says_so_and_changes_nothing(page_client, therapist, practice, workspace):
    session = _session_starting_soon(practice, therapist, workspace)
    html = (
        page_client(therapist)
        .post(f"{HOME}home/sessions/{session.pk}/start/", {"version": session.version + 5}, follow=True)
        .content.decode()
    )
    assert Session.objects.get(pk=session.pk).status == "scheduled"
    assert 'class="msg-error"' in html


def test_mark_paid_needs_a_method(page_client, assistant, practice):
    html = (
        page_client(assistant)
        .post(f"{HOME}home/sessions/{practice['ana_past'].pk}/paid/", {"method": ""}, follow=True)
        .content.decode()
    )
    assert not Payment.objects.filter(session=practice["ana_past"], status="paid").exists()
    assert 'class="msg-error"' in html


def test_quick_actions_check_access(page_client, outsider, receptionist, practice):
    session = practice["ana_day"]
    for action in ("start", "confirm", "paid"):
        path = f"{HOME}home/sessions/{session.pk}/{action}/"
        assert page_client(outsider).post(path, {"version": session.version}).status_code == 404, path
        assert page_client(receptionist).post(path, {"version": session.version}).status_code == 403, path
        assert page_client(receptionist).get(path).status_code == 405, path
    assert Session.objects.get(pk=session.pk).status == "scheduled"
    assert not Payment.objects.exists()


def test_a_booking_request_is_on_its_practitioners_home_with_the_way_to_decide(
    page_client, therapist, other_therapist, practice
):
    from atendo.home.tests.test_api import _request

    _request(practice, therapist, timezone.now() + dt.timedelta(days=2))
    html = _home(page_client, therapist)
    assert 'data-todo="booking_requests"' in html and "/w/serena/bookings/" in html
    assert 'data-todo="booking_requests"' not in _home(page_client, other_therapist)
