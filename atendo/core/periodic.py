"""Tasks that run every so often, on django-tasks alone (no cron, no second scheduler).

    @periodic_task(interval=dt.timedelta(hours=1))
    def mark_overdue_payments() -> int: ...

makes a django-tasks task that queues its own next run `interval` after each run (even a failed
one, so one error does not stop it for ever), and registers it. `ensure_scheduled()` makes sure
every registered task has exactly one run waiting: it queues one where none is, and drops the
extras where a race queued two. It runs after `migrate` and when the worker starts (`db_worker`,
overridden in core), so a fresh deployment, a restarted worker or a cleared queue all end up with
one run of each task waiting. Apps declare their periodic tasks in `<app>/tasks.py`, which core
imports at start-up (`autodiscover`), so core never names them.

Backends that cannot defer (the immediate backend of the tests) run a task when it is enqueued and
queue nothing ahead; the database backend keeps the waiting runs in `DBTaskResult`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models.signals import post_migrate
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks import TaskResultStatus, task
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

_T = TypeVar("_T")


@dataclass(frozen=True)
class Periodic:
    task: Task[[], Any]
    interval: dt.timedelta

    @property
    def path(self) -> str:
        return self.task.module_path


_REGISTRY: dict[str, Periodic] = {}


def periodic_task(*, interval: dt.timedelta) -> Callable[[Callable[[], _T]], Task[[], _T]]:
    """Decorate a module-level function of no arguments: a task re-queued `interval` after each run."""
    if interval <= dt.timedelta(0):
        raise ValueError("A periodic task needs a positive interval.")

    def decorator(fn: Callable[[], _T]) -> Task[[], _T]:
        @functools.wraps(fn)
        def run() -> _T:
            try:
                return fn()
            finally:
                schedule(_REGISTRY[the_task.module_path], delay=interval)

        the_task: Task[[], _T] = task()(run)
        _REGISTRY[the_task.module_path] = Periodic(the_task, interval)
        return the_task

    return decorator


def registered() -> list[Periodic]:
    return list(_REGISTRY.values())


def periodic_of(periodic: Task[[], Any]) -> Periodic:
    """The registration of a task made by `periodic_task`."""
    return _REGISTRY[periodic.module_path]


def _waiting(periodic: Periodic) -> Any:
    return DBTaskResult.objects.filter(task_path=periodic.path, status=TaskResultStatus.READY)


def _defers(periodic: Periodic) -> bool:
    backend = periodic.task.get_backend()
    return isinstance(backend, DatabaseBackend) and backend.supports_defer


def schedule(periodic: Periodic, *, delay: dt.timedelta) -> bool:
    """Queue a run `delay` from now unless one is already waiting. -> whether one was queued."""
    if not _defers(periodic):
        return False
    with transaction.atomic():
        if _waiting(periodic).exists():
            return False
        periodic.task.using(run_after=timezone.now() + delay).enqueue()
    return True


def ensure_one_waiting(periodic: Periodic) -> bool:
    """Exactly one run of `periodic` waiting: queue one now if none is, drop extras if several are
    (keeping the first queued). -> whether one was queued."""
    if not _defers(periodic):
        return False
    with transaction.atomic():
        waiting = list(_waiting(periodic).order_by("enqueued_at", "pk").values_list("pk", flat=True))
        if len(waiting) > 1:
            DBTaskResult.objects.filter(pk__in=waiting[1:]).delete()
    return schedule(periodic, delay=dt.timedelta(0))


def ensure_scheduled() -> list[str]:
    """`ensure_one_waiting` for every registered task. -> the paths of the tasks queued now."""
    return [p.path for p in registered() if ensure_one_waiting(p)]


def autodiscover() -> None:
    """Import every app's `tasks` module, registering its periodic tasks (called by core's ready)."""
    autodiscover_modules("tasks")


def _after_migrate(**kwargs: Any) -> None:
    ensure_scheduled()


def connect_signals(sender: Any) -> None:
    """After `migrate`, make sure each registered task is waiting (core's ready connects this)."""
    post_migrate.connect(_after_migrate, sender=sender, dispatch_uid="atendo.core.periodic")
