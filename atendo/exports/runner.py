"""The worker's side of an export: claim the queued row, build the file as the member who asked,
and mark it ready (or failed). Called by the `tasks.run_export` task, once per export.

- The claim is a conditional UPDATE (queued → running): a job delivered twice runs once.
- The member is read fresh, and the kind reads through the same selectors, serializers and
  `clinical.redact` as every other door, as that member: what they lost since asking is lost for
  the export too; a member no longer active gets nothing.
- The words come out in the language the member asked in, times in the workspace's zone; the
  reads of clinical content are recorded by the read audit as the member's (one batch per job).
- Failures: `ExportFailed` and the `core.errors` exceptions keep their message; anything else is
  logged (the export id and the exception, never content) and shown as a generic message. The
  half-written file is deleted either way.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import IO, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from atendo.audit.reads import read_batch
from atendo.audit.services import audit_record
from atendo.core.errors import DomainError
from atendo.exports import kinds, storage
from atendo.exports.models import Export, ExportStatus
from atendo.workspaces.models import Membership

logger = logging.getLogger("atendo.exports")


def ttl() -> dt.timedelta:
    """How long a ready export's file is kept (`EXPORT_TTL_HOURS`)."""
    return dt.timedelta(hours=float(settings.EXPORT_TTL_HOURS))


def _fail(export: Export, code: str, message: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        changed = Export.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED,
            storage_name="",
            error_code=code[:50],
            error_message=message,
            finished_at=now,
            updated_at=now,
        )
        if changed:
            audit_record(
                workspace=export.workspace,
                actor=None,
                action="export.fail",
                obj=export,
                changes={"kind": export.kind, "format": export.format, "error": code},
                client_id=export.client_id,
            )
    return "failed"


def run(export_id: int) -> str:
    """Build export `export_id`. -> "ready", "failed", or "skipped" (not queued any more)."""
    now = timezone.now()
    name_holder = Export.objects.filter(pk=export_id).values_list("workspace_id", flat=True).first()
    if name_holder is None:
        return "skipped"
    storage_name = storage.new_name(name_holder)
    claimed = Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now, storage_name=storage_name, updated_at=now
    )
    if not claimed:
        return "skipped"
    export = Export.objects.select_related("workspace", "client").get(pk=export_id)
    params = export.params or {}
    language = params.get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        member = (
            Membership.objects.select_related("workspace", "role", "user")
            .filter(pk=export.requested_by_id, workspace_id=export.workspace_id, is_active=True)
            .first()
        )
        if member is None:
            return _fail(export, "member_inactive", _("You are no longer an active member of this practice."))
        spec = kinds.get(export.kind)
        if spec is None:
            return _fail(export, "unknown_kind", _("This kind of export is not available any more."))
        writer = storage.Writer(storage_name)
        job = kinds.Job(export=export, member=member, out=cast(IO[bytes], writer))
        try:
            with timezone.override(member.workspace.tz), read_batch(f"export #{export.pk}"):
                spec.write(job)
            writer.commit()
        except DomainError as exc:
            writer.discard()
            return _fail(export, exc.code, exc.message)
        except Exception:
            writer.discard()
            logger.exception("Export %s (%s, %s) failed", export.pk, export.kind, export.format)
            return _fail(
                export, "export_error", _("The export could not be made. Try again, or ask for help.")
            )
        finished = timezone.now()
        with transaction.atomic():
            done = Export.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
                status=ExportStatus.READY,
                size=writer.size,
                sha256=writer.sha256,
                withheld=sorted(job.withheld),
                finished_at=finished,
                expires_at=finished + ttl(),
                updated_at=finished,
            )
            if done:
                audit_record(
                    workspace=export.workspace,
                    actor=None,
                    action="export.ready",
                    obj=export,
                    changes={"kind": export.kind, "format": export.format, "size": writer.size},
                    client_id=export.client_id,
                )
        if not done:  # deleted (or swept) while it ran: its file goes too
            storage.delete(storage_name)
            return "skipped"
    return "ready"
