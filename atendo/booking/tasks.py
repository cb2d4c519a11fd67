"""Every five minutes: cancel the sessions of online bookings whose e-mail was not confirmed within
the hold (`BOOKING_HOLD_MINUTES`), so an unconfirmed booking frees its slot. A `core.periodic` task."""

from __future__ import annotations

import datetime as dt

from atendo.booking.services import bookings_expire
from atendo.core.periodic import periodic_task

INTERVAL = dt.timedelta(minutes=5)


@periodic_task(interval=INTERVAL)
def expire_unconfirmed_bookings() -> int:
    return bookings_expire()
