"""API: exports. `POST exports` asks for one and answers at once (202) with its id and status; the
file is built in the background; `GET exports/{id}` gives the status and, once `ready`, a
`download_url` (this API, so a bearer token downloads it too). A member sees, downloads and
deletes only the exports they asked for."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from atendo.audit.reads import read_record
from atendo.core.api_schemas import Id, InputSchema
from atendo.core.errors import Conflict
from atendo.core.pagination import DEFAULT_PAGE, keyset_page
from atendo.exports import selectors, services
from atendo.exports.client.record import CLINICAL_PARTS
from atendo.exports.models import ExportStatus
from atendo.workspaces.api_auth import api_member

router = Router(tags=["exports"])
PREFIX = "/workspaces/{workspace_slug}/exports"


class ExportIn(InputSchema):
    kind: str = Field(description='"client" (a client\'s record) or "workspace" (the whole practice)')
    client_id: Id | None = Field(None, description="The client, for a client export")
    format: str = Field(
        "json",
        description='A client export: "json" (complete, with the field definitions), "pdf" (readable), '
        '"fhir" (an R4 Bundle) or "zip" (all three and the attachments)',
    )
    options: dict[str, Any] = Field(default_factory=dict, description="Options of the kind, if it has any")


class ExportError(Schema):
    code: str
    message: str


class ExportOut(Schema):
    id: int
    kind: str
    kind_label: str
    format: str
    client_id: int | None
    client_name: str | None
    status: str = Field(description="queued, running, ready, failed or expired")
    status_label: str
    file_name: str
    content_type: str
    size: int | None
    sha256: str | None
    withheld: list[str] = Field(description="The parts of the record left out for you")
    error: ExportError | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    expires_at: str | None = Field(description="When the file is deleted")
    downloaded_at: str | None
    download_url: str | None = Field(description="Present when the status is ready")


class ExportList(Schema):
    items: list[ExportOut]
    next_cursor: str | None


@router.post(PREFIX, response={202: ExportOut})
def exports_create(request: HttpRequest, workspace_slug: str, payload: ExportIn) -> Any:
    """Ask for an export. A client export holds what you may read of the record (the rest is listed
    in `withheld`); one with clinical content needs a recent sign-in (a token with the `sensitive`
    scope)."""
    member = api_member(request, workspace_slug)
    export = services.export_request(
        member=member,
        kind=payload.kind,
        format=payload.format,
        client_id=payload.client_id,
        options=payload.options,
    )
    export.refresh_from_db()
    return Status(202, selectors.export_to_json(export))


@router.get(PREFIX, response=ExportList)
def exports_list(
    request: HttpRequest, workspace_slug: str, cursor: str | None = None, limit: int = DEFAULT_PAGE
) -> Any:
    """Your exports, newest first."""
    member = api_member(request, workspace_slug)
    rows, next_cursor = keyset_page(selectors.exports_for(member), cursor=cursor, limit=limit)
    return {"items": selectors.exports_to_json(rows), "next_cursor": next_cursor}


@router.get(PREFIX + "/{export_id}", response=ExportOut)
def exports_read(request: HttpRequest, workspace_slug: str, export_id: Id) -> Any:
    member = api_member(request, workspace_slug)
    return selectors.export_to_json(selectors.export_get_for(member, export_id))


@router.delete(PREFIX + "/{export_id}", response={204: None})
def exports_delete(request: HttpRequest, workspace_slug: str, export_id: Id) -> Any:
    """Delete the export and its file now (otherwise it expires by itself)."""
    member = api_member(request, workspace_slug)
    services.export_delete(member=member, export_id=export_id)
    return Status(204, None)


@router.get(PREFIX + "/{export_id}/download", response={200: None})
def exports_download(request: HttpRequest, workspace_slug: str, export_id: Id) -> HttpResponse:
    """The file (409 `not_ready` before it is ready, `expired` after its time)."""
    member = api_member(request, workspace_slug)
    return download_response(member, selectors.export_get_for(member, export_id))


def download_response(member: Any, export: Any) -> HttpResponse:
    """The export's file as a download, for its own member (the callers checked): audited, and
    noted for the read audit when it may hold clinical content."""
    if export.status == ExportStatus.EXPIRED:
        raise Conflict(
            _("This export has expired and its file was deleted. Ask for a new one."), code="expired"
        )
    if not selectors.downloadable(export):
        raise Conflict(_("This export is not ready yet."), code="not_ready")
    chunks = selectors.file_chunks(export)
    services.export_downloaded(member=member, export=export)
    if export.client_id and not set(CLINICAL_PARTS) <= set(export.withheld or []):
        # It holds clinical content (a reader's export): the read audit names it.
        read_record(member, kind="export", ids=[export.pk], client_ids=[export.client_id])
    response = StreamingHttpResponse(chunks, content_type=export.content_type)
    response["Content-Length"] = str(export.size)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response  # type: ignore[return-value]
