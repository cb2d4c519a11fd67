"""`manage.py purge_expired [--dry-run]`: purge now what the daily task would purge. The report names
clients by workspace and id, with counts: never a name or any content."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from atendo.retention.services import purge_expired


class Command(BaseCommand):
    help = "Purge the clients past their workspace's retention period (--dry-run: only report them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report what would go; change nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        rows = purge_expired(dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        for row in rows:
            counts = ", ".join(f"{k}={v}" for k, v in row.counts.items() if k != "invoice_numbers")
            last = row.last_session.isoformat() if row.last_session else "none"
            if row.error:
                self.stderr.write(f"{row.workspace_slug} client {row.client_id}: not purged ({row.error})")
            else:
                self.stdout.write(
                    f"{row.workspace_slug} client {row.client_id} (last session {last}): {verb} {counts}"
                )
        total = sum(1 for r in rows if not r.error)
        self.stdout.write(f"{total} client(s) {verb}.")
