"""`manage.py db_worker`: django-tasks' database worker, which first makes sure every periodic task
has one run waiting (`core.periodic`), so starting a worker is enough to keep them going.

It takes over django_tasks_db's command because core is listed before django_tasks_db in
INSTALLED_APPS (the first app providing a command wins).
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands import db_worker

from atendo.core import periodic


class Command(db_worker.Command):
    help = f"{db_worker.Command.help} Periodic tasks are queued first (one run of each)."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = periodic.ensure_scheduled()
        if queued:
            self.stdout.write("Queued periodic tasks: " + ", ".join(queued))
        super().handle(*args, **options)
