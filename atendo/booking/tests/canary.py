"""For the clinical canary's crawl (tests/test_clinical_canary.py `_ids`): online booking turned on
in the planted practice, with one booking, so the public pages, the public API and the booking
e-mail's link are crawled with real data. Returns that link's token."""

from __future__ import annotations

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
