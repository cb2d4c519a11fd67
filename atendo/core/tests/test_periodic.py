"""Periodic tasks on django-tasks' database backend: one run waiting, whatever happens."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from atendo.core import periodic

INTERVAL = dt.timedelta(minutes=10)
RUNS: list[str] = []


@periodic.periodic_task(interval=INTERVAL)
def tick() -> str:
    RUNS.append("tick")
    return "ticked"


@periodic.periodic_task(interval=INTERVAL)
def broken() -> None:
    raise RuntimeError("this run fails")


@pytest.fixture
def database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    RUNS.clear()


# The worker closes the connection between tasks (like a request does), which ends a test's
# transaction: its tests run on committed data instead.
worker_db = pytest.mark.django_db(transaction=True)


def _results(task, status=None):
    qs = DBTaskResult.objects.filter(task_path=task.module_path)
    return qs.filter(status=status) if status else qs


@pytest.mark.django_db
def test_a_periodic_task_is_registered_by_its_module(database_backend):
    assert periodic.periodic_of(tick).interval == INTERVAL
    assert tick.module_path in [p.path for p in periodic.registered()]


@pytest.mark.django_db
def test_ensure_scheduled_queues_one_run_and_only_one(database_backend):
    assert tick.module_path in periodic.ensure_scheduled()
    assert tick.module_path not in periodic.ensure_scheduled()
    assert _results(tick, TaskResultStatus.READY).count() == 1


@pytest.mark.django_db
def test_extra_waiting_runs_are_dropped(database_backend):
    first = tick.enqueue()
    tick.enqueue()
    tick.enqueue()
    assert periodic.ensure_one_waiting(periodic.periodic_of(tick)) is False
    assert list(_results(tick, TaskResultStatus.READY).values_list("pk", flat=True)) == [uuid.UUID(first.id)]


@worker_db
def test_a_run_queues_the_next_one_an_interval_later(database_backend):
    periodic.ensure_one_waiting(periodic.periodic_of(tick))
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert RUNS == ["tick"]
    assert _results(tick, TaskResultStatus.SUCCESSFUL).count() == 1
    waiting = _results(tick, TaskResultStatus.READY).get()
    assert (
        timezone.now() + INTERVAL - dt.timedelta(minutes=1) < waiting.run_after <= timezone.now() + INTERVAL
    )


@worker_db
def test_a_failed_run_still_queues_the_next_one(database_backend):
    periodic.ensure_one_waiting(periodic.periodic_of(broken))
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert _results(broken, TaskResultStatus.FAILED).count() == 1
    assert _results(broken, TaskResultStatus.READY).count() == 1


@worker_db
def test_starting_the_worker_queues_every_periodic_task(database_backend):
    assert not _results(tick).exists()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    # Queued to run at once, run by this batch, and queued again for the next interval.
    assert RUNS == ["tick"]
    assert _results(tick, TaskResultStatus.READY).count() == 1


@pytest.mark.django_db
def test_billing_marks_overdue_payments_periodically(database_backend):
    from atendo.billing.tasks import mark_overdue_payments

    assert periodic.periodic_of(mark_overdue_payments).interval == dt.timedelta(hours=1)


def test_backends_that_cannot_defer_queue_nothing_ahead(db):
    assert periodic.ensure_scheduled() == []
    assert tick.enqueue().return_value == "ticked"
    assert not _results(tick).exists()
