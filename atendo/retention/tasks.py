"""Background work of retention: `purge_expired_clients`, daily (a `core.periodic` task), purges the
clients past retention in every workspace and records each purge in the request log."""

from __future__ import annotations

import datetime as dt

from atendo.core.periodic import periodic_task
from atendo.retention.services import purge_expired

INTERVAL = dt.timedelta(days=1)


@periodic_task(interval=INTERVAL)
def purge_expired_clients() -> int:
    return sum(1 for p in purge_expired() if not p.error)
