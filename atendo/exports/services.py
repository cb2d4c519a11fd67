"""Writes of exports: asking for one, deleting one, recording a download, and the periodic sweep
(expiry, interrupted jobs, files no export names). The worker's side is `runner.py`.

Asking is one service for every door (API, page): the kind checks what the member may export
(`kinds.ExportKind.prepare`), a sensitive export (clinical content, the whole practice) needs a
recent sign-in, the request is audited (who, which client, what kind and format), and the job is
queued in the same transaction (the database backend's queue row commits with the export's, or
neither does).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from atendo.accounts.signin import require_recent_sign_in
from atendo.audit.services import audit_record
from atendo.core.errors import Conflict, NotFound, ValidationFailed
from atendo.exports import kinds, storage
from atendo.exports.models import LIVE_STATUSES, Export, ExportStatus
from atendo.exports.tasks import run_export
from atendo.workspaces.models import Membership

logger = logging.getLogger("atendo.exports")

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language() -> str:
    """The language the member asked in (the export's words and dates come out in it)."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    return language if language in SUPPORTED_LANGUAGES else settings.LANGUAGE_CODE


@transaction.atomic
def export_request(
    *,
    member: Membership,
    kind: str,
    format: str,
    client_id: int | None = None,
    options: dict[str, Any] | None = None,
) -> Export:
    """Queue an export of `kind` in `format` for `member`. 422 at `kind` / `format` for what is
    not offered, the kind's own errors (404 for a client the member cannot see), 403
    `reauth_required` for a sensitive export without a recent sign-in, 409 `too_many_exports`
    while the member already has `EXPORT_MAX_ACTIVE` exports waiting or running."""
    spec = kinds.get(kind) if isinstance(kind, str) else None
    if spec is None:
        offered = ", ".join(k.name for k in kinds.registered())
        raise ValidationFailed.single("kind", _("Choose one of: %(kinds)s.") % {"kinds": offered})
    fmt = spec.formats.get(format) if isinstance(format, str) else None
    if fmt is None:
        raise ValidationFailed.single(
            "format",
            _("A %(kind)s export is one of: %(formats)s.")
            % {"kind": spec.name, "formats": ", ".join(spec.formats)},
        )
    prepared = spec.prepare(
        member, kinds.Request(kind=kind, format=format, client_id=client_id, options=options or {})
    )
    if prepared.sensitive:
        require_recent_sign_in(member)
    active = (
        Export.objects.for_workspace(member.workspace_id)
        .select_for_update()
        .filter(requested_by=member, status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING))
    )
    if len(list(active.values_list("pk", flat=True))) >= int(settings.EXPORT_MAX_ACTIVE):
        raise Conflict(
            _("You already have %(count)d exports on the way; wait for one to finish.")
            % {"count": int(settings.EXPORT_MAX_ACTIVE)},
            code="too_many_exports",
        )
    export = Export.objects.create(
        workspace_id=member.workspace_id,
        requested_by=member,
        kind=spec.name,
        format=format,
        client=prepared.client,
        params={**prepared.params, "language": _language()},
        file_name=f"{prepared.stem}-{timezone.localdate(timezone=member.workspace.tz).isoformat()}.{fmt.extension}",
        content_type=fmt.content_type,
    )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="export.request",
        obj=export,
        changes={
            "kind": spec.name,
            "format": format,
            "client_id": prepared.client.pk if prepared.client else None,
        },
        client_id=prepared.client.pk if prepared.client else None,
    )
    run_export.enqueue(export.pk)
    return export


@transaction.atomic
def export_delete(*, member: Membership, export_id: int) -> None:
    """Delete one of the member's own exports, its file at once (a running one stops being
    offered: its file is deleted when the worker finds the row gone)."""
    export = (
        Export.objects.for_workspace(member.workspace_id)
        .select_for_update()
        .filter(pk=export_id, requested_by=member)
        .first()
    )
    if export is None:
        raise NotFound(_("No such export."))
    name = export.storage_name
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="export.delete",
        obj=export,
        changes={"kind": export.kind, "format": export.format, "client_id": export.client_id},
        client_id=export.client_id,
    )
    export.delete()
    transaction.on_commit(lambda: storage.delete(name))


def export_downloaded(*, member: Membership, export: Export) -> None:
    """Record a download: the audit event (and the read audit, by the caller's door)."""
    with transaction.atomic():
        Export.objects.filter(pk=export.pk).update(downloaded_at=timezone.now())
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="export.download",
            obj=export,
            changes={"kind": export.kind, "format": export.format, "client_id": export.client_id},
            client_id=export.client_id,
        )


def exports_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic sweep (`tasks.sweep_exports`): ready exports past `expires_at` become expired
    and lose their file; exports running for longer than `EXPORT_STALE_HOURS` (a worker that died)
    fail; files under the root that no waiting, running or ready export names are deleted (a
    crash's leftovers, the file of an export deleted with its client), once older than an hour.
    Idempotent; -> counts."""
    now = now or timezone.now()
    counts = {"expired": 0, "interrupted": 0, "orphans": 0}
    due = list(
        Export.objects.filter(status=ExportStatus.READY, expires_at__lte=now).values_list(
            "pk", "storage_name"
        )
    )
    for pk, name in due:
        with transaction.atomic():
            changed = Export.objects.filter(pk=pk, status=ExportStatus.READY).update(
                status=ExportStatus.EXPIRED, storage_name="", updated_at=now
            )
        if changed:
            storage.delete(name)
            counts["expired"] += 1
    stale = now - dt.timedelta(hours=float(settings.EXPORT_STALE_HOURS))
    counts["interrupted"] = Export.objects.filter(status=ExportStatus.RUNNING, started_at__lt=stale).update(
        status=ExportStatus.FAILED,
        finished_at=now,
        error_code="interrupted",
        error_message=_("The export was interrupted. Ask for it again."),
        updated_at=now,
    )
    live = set(
        Export.objects.filter(status__in=LIVE_STATUSES)
        .exclude(storage_name="")
        .values_list("storage_name", flat=True)
    )
    grace = time.time() - 3600
    for name, modified in list(storage.stored_files()):
        if storage.final_name(name) in live or modified > grace:
            continue
        try:
            storage.path_of(name).unlink(missing_ok=True)
        except (OSError, ValueError):  # pragma: no cover - a file we may not touch: leave it
            logger.warning("Could not delete the export file %s", name)
            continue
        counts["orphans"] += 1
    if any(counts.values()):
        logger.info("Export sweep: %s", counts)
    return counts
