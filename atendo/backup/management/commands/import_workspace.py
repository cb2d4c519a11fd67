"""`manage.py import_workspace --file FILE --slug NEW_SLUG [--owner-email E]`: restore an archive."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.backup.restore import RestoreFailed, restore_archive
from atendo.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Restore a workspace archive (export_workspace, or a backup from the web) as a new workspace. "
        "Members are linked by e-mail or created without a password (they reset it). All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", required=True, help="The archive (.zip).")
        parser.add_argument("--slug", required=True, help="The new workspace's slug (must not exist).")
        parser.add_argument("--owner-email", help="Also make this person an owner of the new workspace.")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            workspace = restore_archive(opts["file"], slug=opts["slug"], owner_email=opts["owner_email"])
        except (RestoreFailed, DomainError) as exc:
            message = exc.message if isinstance(exc, DomainError) else str(exc)
            raise CommandError(f"Nothing was imported: {message}") from None
        self.stdout.write(f"Restored as the workspace {workspace.slug!r} (id {workspace.pk}).")
