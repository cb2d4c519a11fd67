"""`manage.py verify_signatures [--workspace SLUG]`: recompute the hash of every signed session.

A signature stores the SHA-256 of what was signed (`recording.signing.canonical`); a session whose
signed record (notes, during/post values, therapy fields, clinical attachments, the encounter) or
signature (who, when) was changed since, around the application, no longer matches. Prints each
mismatch and a summary; exits 1 if any.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.recording.signing import signatures_verify
from atendo.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Verify the signature hashes of the signed session records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="The slug of one workspace (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace_id = None
        if options.get("workspace"):
            workspace = Workspace.objects.filter(slug=options["workspace"]).first()
            if workspace is None:
                raise CommandError(f"No workspace {options['workspace']!r}.")
            workspace_id = workspace.pk
        checked = bad = 0
        for check in signatures_verify(workspace_id):
            checked += 1
            if not check.ok:
                bad += 1
                self.stdout.write(f"session {check.session_id} (workspace {check.workspace_id}): MISMATCH")
        self.stdout.write(f"{checked} signed sessions checked, {bad} mismatched.")
        if bad:
            raise CommandError(f"{bad} signature(s) do not match their record.")
