"""Daily: remove the portal's spent rows — links past their expiry (used or not) and sessions that
ended or expired — a day after they stopped working. A `core.periodic` task."""

from __future__ import annotations

import datetime as dt

from atendo.core.periodic import periodic_task
from atendo.portal.services import purge_spent

INTERVAL = dt.timedelta(days=1)


@periodic_task(interval=INTERVAL)
def purge_spent_portal_rows() -> int:
    return purge_spent()
