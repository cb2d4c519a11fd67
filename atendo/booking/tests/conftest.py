from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest

from atendo.booking.models import BookingSettings
from tests.factories import TherapyTypeFactory


@pytest.fixture
def booking_on(workspace: Any, therapist: Any, other_therapist: Any) -> BookingSettings:
    """Online booking on in serena: one 50-minute service, Theo and Olga bookable, no notice."""
    service = TherapyTypeFactory(workspace=workspace, name="Psicoterapia", default_duration_minutes=50)
    bs, _created = BookingSettings.objects.get_or_create(workspace=workspace)
    bs.enabled = True
    bs.therapy_type_ids = [service.pk]
    bs.practitioner_ids = [therapist.pk, other_therapist.pk]
    bs.lead_minutes = 60
    bs.horizon_days = 60
    bs.save()
    return bs


def next_weekday(days: int = 7) -> dt.date:
    """A Wednesday at least `days` ahead (inside the default working hours)."""
    day = dt.date.today() + dt.timedelta(days=days)
    while day.weekday() != 2:
        day += dt.timedelta(days=1)
    return day


def text_of(message: Any) -> str:
    """The plain-text body of a received e-mail (with or without attachments)."""
    return message.get_body(preferencelist=("plain",)).get_content()


def invite_of(message: Any) -> Any:
    """The event of the e-mail's .ics attachment, or None."""
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
            return next(iter(cal.walk("VEVENT")))
    return None
