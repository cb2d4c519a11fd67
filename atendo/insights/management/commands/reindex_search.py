"""`manage.py reindex_search [--workspace SLUG]`: rebuild the notes search index (keyed tokens)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from atendo.insights.models import SearchDocument
from atendo.insights.search import reindex_workspace
from atendo.workspaces.models import Workspace


class Command(BaseCommand):
    help = (
        "Rebuild the search index of the notes, clinical field values and evaluations (keyed tokens, "
        "never words): after restoring a backup, changing SECRET_KEY or the master key, or upgrading."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="Only this workspace (its slug); default: every workspace.")

    def handle(self, *args: Any, **opts: Any) -> None:
        workspaces = Workspace.objects.order_by("pk")
        if opts["workspace"]:
            workspaces = workspaces.filter(slug=opts["workspace"])
            if not workspaces.exists():
                raise CommandError(f"No workspace with the slug {opts['workspace']!r}.")
        for workspace in workspaces:
            started = time.monotonic()
            with transaction.atomic():
                count = reindex_workspace(workspace)
            self.stdout.write(f"{workspace.slug}: {count} document(s) in {time.monotonic() - started:.1f} s")
        # Fresh statistics for the planner: an index rebuilt from empty was analysed empty, and
        # PostgreSQL then searched a common word by sorting every document that holds it.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(SearchDocument._meta.db_table)}")
