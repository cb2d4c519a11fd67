"""Background work of billing (django-tasks; the database backend runs it with `manage.py db_worker`).

`mark_overdue_payments` turns pending payments past their due date into overdue (idempotent), then
queues its own next run an hour later, so one queued run keeps it going for ever. `ensure_scheduled`
queues the first run (after `migrate`, and from `manage.py mark_overdue_payments --schedule`)
unless one is already waiting. Backends that cannot defer (the immediate backend of the tests)
simply run it once.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from atendo.billing.services import payments_mark_overdue

INTERVAL = dt.timedelta(hours=1)


@task()
def mark_overdue_payments() -> int:
    changed = payments_mark_overdue()
    schedule_next()
    return changed


def _task_path() -> str:
    return f"{mark_overdue_payments.func.__module__}.{mark_overdue_payments.func.__qualname__}"


def _already_queued() -> bool:
    backend = mark_overdue_payments.get_backend()
    if not backend.__class__.__module__.startswith("django_tasks_db"):
        return False
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return bool(DBTaskResult.objects.filter(task_path=_task_path(), status=TaskResultStatus.READY).exists())


def schedule_next(delay: dt.timedelta = INTERVAL) -> bool:
    """Queue the next run `delay` from now, if the backend can defer and none is waiting."""
    if not mark_overdue_payments.get_backend().supports_defer or _already_queued():
        return False
    mark_overdue_payments.using(run_after=timezone.now() + delay).enqueue()
    return True


def ensure_scheduled() -> bool:
    """Queue a run now unless one is already waiting (safe to call any number of times)."""
    return schedule_next(delay=dt.timedelta(0))
