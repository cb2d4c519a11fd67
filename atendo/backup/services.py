"""Backups of a whole workspace: who may write one, and writing it (audited). The restore is
`restore.restore_archive` (a command: it creates a workspace, so no member acts)."""

from __future__ import annotations

from typing import IO, Any

from django.db import transaction

from atendo.accounts.signin import require_recent_sign_in
from atendo.audit.services import audit_record
from atendo.backup.writer import write_archive
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

# The archive holds every record opened: the practice's settings and all clinical content.
PERMISSIONS = ("workspace.manage", "clinical.read_all")


def require_backup(member: Membership) -> None:
    """Forbidden unless the member may back up the whole workspace."""
    require(member, *PERMISSIONS)


def backup_write(
    *, member: Membership | None, out: IO[bytes], workspace: Workspace | None = None
) -> dict[str, Any]:
    """Write the archive of `member`'s workspace (or, from the command line with no member,
    `workspace`'s) to `out`, and record a `backup.export` event with its counts. -> the manifest."""
    if member is not None:
        require_backup(member)
        require_recent_sign_in(member)
        workspace = member.workspace
    assert workspace is not None
    manifest = write_archive(workspace, out, created_by=member.user.email if member else "system")
    with transaction.atomic():
        audit_record(
            workspace=workspace,
            actor=member,
            action="backup.export",
            obj=workspace,
            actor_label="" if member else "system (export_workspace)",
            changes={
                "rows": {name: t["rows"] for name, t in manifest["tables"].items()},
                "files": len(manifest["files"]),
            },
        )
    return manifest
