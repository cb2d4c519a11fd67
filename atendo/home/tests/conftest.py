"""A small practice's day for the home's tests: two therapists, their clients and sessions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership
from tests.factories import (
    ClientFactory,
    MemberFactory,
    RoleFactory,
    StoredSessionFactory,
    TherapyTypeFactory,
)

DAY = dt.date(2027, 3, 10)  # a Wednesday well ahead: the agenda's day in the tests
NOTE = "CANARY-HOME-NOTE the client spoke of her divorce"


def at(day: dt.date, hour: int, minute: int = 0, tz: Any = None) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


@pytest.fixture
def receptionist(workspace) -> Membership:
    """A member whose role lacks `session.read` and `billing.read`."""
    role = RoleFactory(workspace=workspace, name="Reception", permissions=["client.read"])
    return MemberFactory(workspace=workspace, email="reception@serena.test", role=role)


@pytest.fixture
def practice(workspace, owner, therapist, other_therapist) -> dict[str, Any]:
    tz = workspace.tz
    reiki = TherapyTypeFactory(
        workspace=workspace, name="Reiki", color="#2f9e8f", default_price=Decimal("150.00")
    )
    ana = ClientFactory(workspace=workspace, name="Ana Cliente", practitioners=[therapist])
    bia = ClientFactory(workspace=workspace, name="Bia Cliente", practitioners=[other_therapist])

    def book(client, practitioner, starts_at, **extra) -> Session:
        return StoredSessionFactory(
            client=client,
            workspace=workspace,
            practitioner=practitioner,
            therapy_type=reiki,
            starts_at=starts_at,
            created_by=owner,
            **extra,
        )

    ana_day = book(ana, therapist, at(DAY, 9, tz=tz), notes=NOTE, status="scheduled")
    bia_day = book(bia, other_therapist, at(DAY, 10, tz=tz), status="scheduled")
    now = timezone.now()
    return {
        "reiki": reiki,
        "ana": ana,
        "bia": bia,
        "book": book,
        "ana_day": ana_day,
        "bia_day": bia_day,
        # Past, not recorded: to record; one recorded, one cancelled: not.
        "ana_past": book(ana, therapist, now - dt.timedelta(days=2), status="completed", notes=NOTE),
        "ana_recorded": book(ana, therapist, now - dt.timedelta(days=3), status="completed", recorded_at=now),
        "ana_cancelled": book(ana, therapist, now - dt.timedelta(days=4), status="cancelled"),
        "bia_past": book(bia, other_therapist, now - dt.timedelta(days=2), status="completed"),
        # The next day: one unconfirmed, one confirmed.
        "ana_next": book(ana, therapist, at(DAY + dt.timedelta(days=1), 9, tz=tz), status="scheduled"),
        "bia_next_confirmed": book(
            bia,
            other_therapist,
            at(DAY + dt.timedelta(days=1), 11, tz=tz),
            status="scheduled",
            confirmed_at=now,
        ),
    }
