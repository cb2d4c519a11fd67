"""Every minute: plan the reminders that are due, then send this worker's share of them.

A `core.periodic` task (queued after `migrate` and when `db_worker` starts). Reminders that fell due
while no worker ran go out when one comes back, unless too late (`sending.plan_workspace`).
"""

from __future__ import annotations

import datetime as dt

from atendo.core.periodic import periodic_task
from atendo.reminders.sending import plan_due, send_due

INTERVAL = dt.timedelta(minutes=1)


@periodic_task(interval=INTERVAL)
def send_reminders() -> int:
    plan_due()
    return send_due()
