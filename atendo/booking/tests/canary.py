"""For the clinical canary's crawl (tests/test_clinical_canary.py `_ids`): online booking turned on
in the planted practice, with one booking waiting for approval, so the public pages, the public API,
the booking e-mail's link and the requests (list, page) are crawled with real data. Returns that
link's token."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

# The booking is made in each test's transaction (rolled back after it): a new address each time, so
# the per-e-mail rate limit (counted in the cache, which outlives the transaction) never trips.
_CALLS = itertools.count()


def booking_token(planted: Any) -> str:
    from atendo.booking.links import make_token
    from atendo.booking.models import Booking, BookingSettings
    from atendo.booking.selectors import next_slots, offer_for
    from atendo.booking.services import booking_create

    workspace = planted.workspace
    BookingSettings.objects.update_or_create(
        workspace=workspace,
        defaults={
            "enabled": True,
            "therapy_type_ids": [planted.therapy_type_id],
            "practitioner_ids": [planted.therapist.pk],
            "lead_minutes": 0,
            "needs_approval": True,
        },
    )
    booking = Booking.objects.for_workspace(workspace).first()
    if booking is None:
        offer = offer_for(workspace.slug)
        slots = next_slots(
            offer,
            therapy_type_id=planted.therapy_type_id,
            practitioner_id=planted.therapist.pk,
            after=timezone.now(),
        )
        assert slots, "the planted therapist has a free slot in the next two weeks"
        booking_create(
            workspace_slug=workspace.slug,
            therapy_type_id=planted.therapy_type_id,
            practitioner_id=planted.therapist.pk,
            starts_at=slots[0].start,
            name="Canary Booker",
            email=f"canary-booker-{next(_CALLS)}@example.com",
            consent=True,
        )
        booking = Booking.objects.for_workspace(workspace).get()
    return make_token(workspace_id=workspace.pk, booking_id=booking.pk)


def slot_days() -> list[str]:
    """The `date` of the public slots the crawl asks for: tomorrow (free slots to show)."""
    return [(timezone.localdate() + dt.timedelta(days=1)).isoformat()]


def booking_request(owner: Any) -> int:
    """For tests/test_tenant_isolation.py's `ID_FACTORIES`: an online booking waiting for approval
    in the owner's workspace (its session in a week). -> the booking's id."""
    from atendo.booking.models import Approval, Booking
    from tests.factories import ClientFactory, SessionFactory

    client = ClientFactory(workspace=owner.workspace, name="Isolated Booker", email="booker@example.com")
    session = SessionFactory(client=client, name="Requested", days_ago=-7)
    return Booking.objects.create(
        workspace=owner.workspace,
        session=session,
        client=client,
        email=client.email,
        approval=Approval.REQUESTED,
    ).pk


def booking_open(owner: Any) -> None:
    """For tests/test_api_fuzz.py: online booking on in the owner's workspace (a service, the owner
    bookable, no notice), so the public operations are fuzzed past their gate."""
    from atendo.booking.models import BookingSettings
    from tests.factories import TherapyTypeFactory

    service = TherapyTypeFactory(
        workspace=owner.workspace, name="Fuzzed service", default_duration_minutes=50
    )
    BookingSettings.objects.update_or_create(
        workspace=owner.workspace,
        defaults={
            "enabled": True,
            "therapy_type_ids": [service.pk],
            "practitioner_ids": [owner.pk],
            "lead_minutes": 0,
        },
    )
