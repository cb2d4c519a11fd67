"""The to-do lists against their definitions, for each persona and scope, on a day where every list
has items; and the home's cost, which must not grow with the practice.

The reference lists below are the plain definitions (the filters of `selectors`' docstrings, with no
index bound), so a speed-up that bounds a scan differently cannot change what a list holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from atendo.billing.models import Payment
from atendo.booking.models import Approval, Booking
from atendo.home import selectors
from atendo.home.tests.conftest import DAY, NOTE, at
from atendo.scheduling.models import Session, SessionStatus
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

SCOPES: tuple[dict[str, Any], ...] = ({}, {"everyone": True})


def _reference(member, practitioner_id: int | None, now: dt.datetime) -> dict[str, list[int]]:
    """What each list holds by definition (ids, in the list's order, at most TODO_LIMIT)."""
    limit = selectors.TODO_LIMIT
    sessions = Session.objects.filter(workspace=member.workspace)
    if practitioner_id is not None:
        sessions = sessions.filter(practitioner_id=practitioner_id)
    ids = lambda qs: list(qs.values_list("id", flat=True)[:limit])  # noqa: E731
    window = now - dt.timedelta(days=selectors.RECORD_WINDOW_DAYS)
    start, end = selectors._day_bounds(member, DAY + dt.timedelta(days=1))
    payments = Payment.objects.filter(workspace=member.workspace, status__in=["pending", "overdue"])
    if practitioner_id is not None:
        payments = payments.filter(session__practitioner_id=practitioner_id)
    requests = Booking.objects.filter(
        workspace=member.workspace,
        approval=Approval.REQUESTED,
        expired_at__isnull=True,
        session__status=SessionStatus.SCHEDULED,
        session__starts_at__gt=now,
    )
    if not (member.has_perm("workspace.manage") or not member.offers_sessions):
        requests = requests.filter(session__practitioner=member)
    return {
        "to_record": ids(
            sessions.filter(
                ends_at__gte=window,
                ends_at__lte=now,
                recorded_at__isnull=True,
                status__in=selectors.UNRECORDED,
            ).order_by("-starts_at", "-id")
        ),
        "to_sign": ids(
            sessions.filter(status=SessionStatus.COMPLETED, signed_at__isnull=True)
            .filter(Q(recorded_at__isnull=False) | ~Q(notes=""))
            .order_by("-starts_at", "-id")
        ),
        "unconfirmed": ids(
            sessions.filter(
                starts_at__gte=max(start, now),
                starts_at__lt=end,
                status=SessionStatus.SCHEDULED,
                confirmed_at__isnull=True,
            ).order_by("starts_at", "id")
        ),
        "booking_requests": ids(
            sessions.filter(pk__in=requests.values("session_id")).order_by("starts_at", "id")
        ),
        "payments_due": list(payments.order_by("due_date", "id").values_list("id", flat=True)[:limit]),
    }


def _lists(today: selectors.Today) -> dict[str, list[int]]:
    key = {"payments_due": "payment_id"}
    return {
        name: [item[key.get(name, "session_id")] for item in items]
        for name, items in today.todo.items()
        if name != "to_sign" or items
    }


@pytest.fixture
def busy(practice, owner, therapist, other_therapist, workspace) -> dict[str, Any]:
    """Every list non-empty, with the to-record window's edges and sessions booked far ahead."""
    book = practice["book"]
    ana, bia = practice["ana"], practice["bia"]
    now = timezone.now()
    made = {
        # Started more than the window ago, ended inside it (a long session): to record.
        "long": book(ana, therapist, now - dt.timedelta(days=30, hours=20), duration_minutes=23 * 60),
        # Ended just before the window: not.
        "old": book(ana, therapist, now - dt.timedelta(days=30, hours=3), status="completed"),
        # Running now: not yet.
        "running": book(bia, other_therapist, now - dt.timedelta(minutes=30), status="in_progress"),
        # Ahead, months of them: never to record; a completed one ahead is still to sign.
        "ahead_completed": book(ana, therapist, now + dt.timedelta(days=90), status="completed", notes=NOTE),
        # Written, not signed: to sign.
        "written": book(
            bia, other_therapist, now - dt.timedelta(days=5), status="completed", recorded_at=now
        ),
    }
    for week in range(1, 30):
        book(ana, therapist, now + dt.timedelta(weeks=week), status="scheduled")
        book(bia, other_therapist, now + dt.timedelta(weeks=week, hours=2), status="scheduled")
    for days in (6, 7, 8):  # more to record than one list shows for everyone
        for hour in range(8):
            who, client = (therapist, ana) if hour % 2 else (other_therapist, bia)
            book(client, who, now - dt.timedelta(days=days, hours=hour), status="completed")
    PaymentFactory(session=practice["ana_past"], status="overdue", due_date=now.date() - dt.timedelta(days=5))
    PaymentFactory(session=made["written"], status="pending", due_date=now.date() + dt.timedelta(days=3))
    request = book(bia, other_therapist, now + dt.timedelta(days=2), status="scheduled")
    Booking.objects.create(
        workspace=workspace, session=request, client=bia, email="bia@example.com", approval=Approval.REQUESTED
    )
    return made


def test_each_list_holds_what_it_defines_for_each_persona_and_scope(
    owner, therapist, other_therapist, assistant, practice, busy
):
    seen: dict[str, int] = {}
    for member in (owner, therapist, other_therapist, assistant):
        for scope in (*SCOPES, {"practitioner_id": other_therapist.pk}):
            today = selectors.today_for(member, day=DAY, **scope)
            got = _lists(today)
            expected = _reference(member, today.practitioner_id, timezone.now())
            if "to_sign" not in got:
                expected.pop("to_sign")
            assert got == expected, (member.role.name, scope)
            for name, ids in got.items():
                seen[name] = seen.get(name, 0) + len(ids)
    assert all(seen.values()) and len(seen) == 5, seen  # every list was exercised with items
    items, more = selectors.to_record(owner, None, now=timezone.now(), limit=100)
    to_record = [i["session_id"] for i in items]
    assert not more and busy["long"].pk in to_record
    assert busy["old"].pk not in to_record and busy["running"].pk not in to_record
    assert busy["ahead_completed"].pk in _lists(selectors.today_for(therapist, day=DAY))["to_sign"]


def test_the_clinical_barrier_holds_on_the_busy_day(api, assistant, other_therapist, practice, busy):
    for member, params in ((assistant, {}), (other_therapist, {"everyone": "true"})):
        response = api(member).get("today", date=DAY.isoformat(), **params)
        assert response.status_code == 200
        assert NOTE not in response.content.decode(), member


@pytest.mark.parametrize("persona", ["owner", "therapist", "assistant"])
def test_the_home_of_each_persona_costs_the_same_queries_as_the_practice_grows(
    request, persona, practice, therapist, other_therapist, workspace
):
    member = request.getfixturevalue(persona)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            selectors.today_for(member, day=DAY)
        return len(queries)

    count()
    before = count()
    now = timezone.now()
    for hour in range(9, 17):
        for who, client in ((therapist, practice["ana"]), (other_therapist, practice["bia"])):
            day = practice["book"](
                client, who, at(DAY, hour, tz=workspace.tz), status="scheduled", notes=NOTE
            )
            PaymentFactory(session=day, status="pending")
            practice["book"](client, who, now - dt.timedelta(days=1, hours=hour), status="completed")
            practice["book"](client, who, at(DAY + dt.timedelta(days=1), hour, tz=workspace.tz))
    assert count() == before
