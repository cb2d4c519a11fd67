"""The "workspace" kind of export: the whole practice as a restorable archive (`writer`), built by
the export job machinery (`atendo/exports`) like a client's record.

Who may: a member holding `workspace.manage` and `clinical.read_all` (the Owner by default), since
the archive holds every record opened; always a sensitive act (a recent sign-in). The machinery
audits the request, the result and each download; the writer adds one `backup.export` event.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from atendo.backup import services
from atendo.core.errors import ValidationFailed
from atendo.exports import kinds
from atendo.workspaces.models import Membership


def prepare(member: Membership, request: kinds.Request) -> kinds.Prepared:
    services.require_backup(member)
    if request.client_id is not None:
        raise ValidationFailed.single("client_id", str(_("A workspace export takes no client.")))
    if request.options:
        raise ValidationFailed.single(
            f"options.{next(iter(request.options))}", str(_("A workspace export takes no options."))
        )
    return kinds.Prepared(sensitive=True, stem=f"workspace-{member.workspace.slug}-backup")


def write(job: kinds.Job) -> None:
    services.backup_write(member=job.member, out=job.out)


WORKSPACE_KIND = kinds.ExportKind(
    name="workspace",
    label=_("Whole workspace (backup)"),
    formats={"zip": kinds.ZIP},
    prepare=prepare,
    write=write,
    description=_(
        "Every record of the practice, opened, as an archive another installation restores with "
        "manage.py import_workspace."
    ),
)
