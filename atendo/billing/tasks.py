"""Background work of billing (django-tasks; the database backend runs it with `manage.py db_worker`).

`mark_overdue_payments` turns pending payments past their due date into overdue (idempotent), every
hour: a `core.periodic` task, queued after `migrate` and when the worker starts, and again after
each run.
"""

from __future__ import annotations

import datetime as dt

from atendo.billing.services import payments_mark_overdue
from atendo.core.periodic import periodic_task

INTERVAL = dt.timedelta(hours=1)


@periodic_task(interval=INTERVAL)
def mark_overdue_payments() -> int:
    return payments_mark_overdue()
