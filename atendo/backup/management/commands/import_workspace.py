"""`manage.py import_workspace --file FILE --slug NEW_SLUG [--owner-email E]`: restore an archive."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.backup.passphrase import WrongPassphrase, decrypt_to, is_encrypted, read_passphrase
from atendo.backup.restore import RestoreFailed, restore_archive
from atendo.core.errors import DomainError
from atendo.workspaces.models import Workspace


class Command(BaseCommand):
    help = (
        "Restore a workspace archive (export_workspace, or a backup from the web) as a new workspace. "
        "Members are linked by e-mail or created without a password (they reset it). All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", required=True, help="The archive (.zip).")
        parser.add_argument("--slug", required=True, help="The new workspace's slug (must not exist).")
        parser.add_argument("--owner-email", help="Also make this person an owner of the new workspace.")
        parser.add_argument(
            "--passphrase-file", help="The passphrase of an encrypted archive, on this file's first line."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            workspace = self._restore(opts)
        except (RestoreFailed, WrongPassphrase, DomainError) as exc:
            message = exc.message if isinstance(exc, DomainError) else str(exc)
            raise CommandError(f"Nothing was imported: {message}") from None
        self.stdout.write(f"Restored as the workspace {workspace.slug!r} (id {workspace.pk}).")

    def _restore(self, opts: dict[str, Any]) -> Workspace:
        path = opts["file"]
        try:
            encrypted = is_encrypted(path)
        except OSError as exc:
            raise RestoreFailed(f"{path}: {exc.strerror}.") from None
        if not encrypted:
            return restore_archive(path, slug=opts["slug"], owner_email=opts["owner_email"])
        if not opts["passphrase_file"]:
            raise RestoreFailed("This archive is encrypted: give its passphrase with --passphrase-file.")
        with tempfile.TemporaryDirectory(prefix="atendo-restore-") as directory:
            opened = str(Path(directory) / "archive.zip")
            decrypt_to(path, opened, read_passphrase(opts["passphrase_file"]))
            return restore_archive(opened, slug=opts["slug"], owner_email=opts["owner_email"])
