"""`manage.py export_workspace --workspace S --out FILE [--email E]`: write a workspace's archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.backup.passphrase import EncryptingWriter, read_passphrase
from atendo.backup.services import backup_write
from atendo.core.errors import DomainError
from atendo.workspaces.models import Membership, Workspace


class Command(BaseCommand):
    help = (
        "Write a workspace's backup archive (every record, clinical content opened: keep it as safe "
        "as the master key). With --email, as that member, who must be allowed to back up."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument("--out", required=True, help="The archive to write (.zip); must not exist.")
        parser.add_argument("--email", help="Act as this member (checked like the web export).")
        parser.add_argument(
            "--passphrase-file",
            help="Encrypt the archive with the passphrase on this file's first line (docs/backup.md).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        workspace = Workspace.objects.filter(slug=opts["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with the slug {opts['workspace']!r}.")
        member = None
        if opts["email"]:
            member = (
                Membership.objects.for_workspace(workspace)
                .select_related("user", "role", "workspace")
                .filter(user__email__iexact=opts["email"])
                .first()
            )
            if member is None:
                raise CommandError(f"{opts['email']} is not a member of {workspace.slug}.")
        out = Path(opts["out"])
        if out.exists():
            raise CommandError(f"{out} exists already: choose another file.")
        secret = read_passphrase(opts["passphrase_file"]) if opts["passphrase_file"] else None
        if secret == "":
            raise CommandError("The passphrase file's first line is empty.")
        try:
            with out.open("xb") as handle:
                target: Any = EncryptingWriter(handle, secret) if secret else handle
                manifest = backup_write(member=member, out=target, workspace=workspace)
                if secret:
                    target.close()
        except DomainError as exc:
            out.unlink(missing_ok=True)
            raise CommandError(exc.message) from None
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        out.chmod(0o600)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        sealed = ", encrypted with the passphrase" if secret else ""
        self.stdout.write(f"{out}: {rows} rows, {len(manifest['files'])} file(s){sealed}.")
