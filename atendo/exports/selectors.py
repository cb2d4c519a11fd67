"""Reads of exports: a member sees their own exports only (an export is shaped by the permissions
and the clinical access of the member who asked, so nobody else may take it, the owner neither);
someone else's id is a 404, like an id of another workspace."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from atendo.core.errors import NotFound
from atendo.exports import kinds, storage
from atendo.exports.models import Export, ExportStatus
from atendo.workspaces.models import Membership


def exports_for(member: Membership) -> QuerySet[Export]:
    """The member's own exports, newest first."""
    return (
        Export.objects.for_workspace(member.workspace_id)
        .filter(requested_by=member)
        .select_related("client")
        .order_by("-created_at", "-id")
    )


def export_get_for(member: Membership, export_id: int) -> Export:
    export = exports_for(member).filter(pk=export_id).first()
    if export is None:
        raise NotFound(_("No such export."))
    return export


def downloadable(export: Export) -> bool:
    return export.status == ExportStatus.READY and storage.exists(export.storage_name)


def download_url(export: Export) -> str:
    return f"/api/v1/workspaces/{export.workspace.slug}/exports/{export.pk}/download"


def export_to_json(export: Export) -> dict[str, Any]:
    """An export as the API and the page show it (times in the workspace's zone). Nothing clinical:
    kind, format, the client's id and name (who may ask may read it), statuses, sizes, the parts
    withheld."""
    tz = export.workspace.tz
    spec = kinds.get(export.kind)

    def iso(value: Any) -> str | None:
        return value.astimezone(tz).isoformat(timespec="seconds") if value else None

    ready = export.status == ExportStatus.READY
    return {
        "id": export.pk,
        "kind": export.kind,
        "kind_label": str(spec.label) if spec else export.kind,
        "format": export.format,
        "client_id": export.client_id,
        "client_name": export.client.name if export.client_id and export.client else None,
        "status": export.status,
        "status_label": str(ExportStatus(export.status).label),
        "file_name": export.file_name,
        "content_type": export.content_type,
        "size": export.size if ready else None,
        "sha256": export.sha256 if ready else None,
        "withheld": list(export.withheld or []),
        "withheld_labels": [kinds.part_label(export.kind, code) for code in export.withheld or []],
        "error": {"code": export.error_code, "message": export.error_message}
        if export.status == ExportStatus.FAILED
        else None,
        "created_at": iso(export.created_at),
        "started_at": iso(export.started_at),
        "finished_at": iso(export.finished_at),
        "expires_at": iso(export.expires_at),
        "downloaded_at": iso(export.downloaded_at),
        "download_url": download_url(export) if ready else None,
    }


def exports_to_json(exports: Iterable[Export]) -> list[dict[str, Any]]:
    return [export_to_json(e) for e in exports]


def file_chunks(export: Export) -> Iterator[bytes]:
    """The export's bytes (after the access checks: `export_get_for` + `downloadable`)."""
    return storage.read_chunks(export.storage_name)
