from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from atendo.billing.services import payments_mark_overdue
from atendo.billing.tasks import mark_overdue_payments
from atendo.core import periodic


class Command(BaseCommand):
    help = (
        "Turn pending payments past their due date into overdue (idempotent). With --schedule, "
        "queue the hourly background task instead (run the worker with `manage.py db_worker`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="Queue the recurring background task.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["schedule"]:
            queued = periodic.ensure_one_waiting(periodic.periodic_of(mark_overdue_payments))
            self.stdout.write(
                "Queued the overdue-payments task." if queued else "The task is already queued."
            )
            return
        changed = payments_mark_overdue()
        self.stdout.write(f"{changed} payment(s) marked overdue.")
