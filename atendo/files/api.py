"""API: the `attachments` resource — upload (multipart), metadata, content (access-checked), delete."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from atendo.core.api_auth import api_member
from atendo.core.api_schemas import Id
from atendo.files import services
from atendo.files.models import Attachment
from atendo.files.selectors import attachment_get_for
from atendo.files.views import attachment_response, upload_target

router = Router(tags=["attachments"])


class AttachmentOut(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    clinical: bool
    client_id: int | None
    session_id: int | None
    created_at: str
    content_url: str


def attachment_to_json(attachment: Attachment, workspace_slug: str) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "original_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "clinical": attachment.clinical,
        "client_id": attachment.client_id,
        "session_id": attachment.session_id,
        "created_at": attachment.created_at.isoformat(),
        "content_url": f"/api/v1/workspaces/{workspace_slug}/attachments/{attachment.pk}/content",
    }


@router.post("/workspaces/{workspace_slug}/attachments", response={201: AttachmentOut})
def attachments_upload(
    request: HttpRequest,
    workspace_slug: str,
    file: File[UploadedFile],
    kind: Form[str] = "file",
    clinical: Form[bool | None] = None,
    client_id: Form[Id | None] = None,
    session_id: Form[Id | None] = None,
    field_id: Form[Id | None] = None,
    field_path: Form[str] = "",
) -> Any:
    """Upload a file (multipart). Its type is detected from the bytes. With `field_id` (and
    `field_path` for a nested field, e.g. `follow_up.photo`) the field's kind, allowed types, size
    limit and clinical flag apply. Too large: 413; not a supported type: 415; wrong kind: 422."""
    member = api_member(request, workspace_slug)
    target = upload_target(
        member,
        kind=kind,
        clinical=clinical,
        client_id=client_id,
        session_id=session_id,
        field_id=field_id,
        field_path=field_path,
    )
    attachment = services.attachment_create(member=member, uploaded_file=file, **target)
    return Status(201, attachment_to_json(attachment, workspace_slug))


@router.get("/workspaces/{workspace_slug}/attachments/{attachment_id}", response=AttachmentOut)
def attachments_detail(request: HttpRequest, workspace_slug: str, attachment_id: int) -> Any:
    member = api_member(request, workspace_slug)
    return attachment_to_json(attachment_get_for(member, attachment_id), workspace_slug)


@router.get("/workspaces/{workspace_slug}/attachments/{attachment_id}/content")
def attachments_content(request: HttpRequest, workspace_slug: str, attachment_id: int) -> FileResponse:
    """The bytes, as a download (`Content-Disposition`, `X-Content-Type-Options: nosniff`)."""
    member = api_member(request, workspace_slug)
    return attachment_response(attachment_get_for(member, attachment_id), member)


@router.delete("/workspaces/{workspace_slug}/attachments/{attachment_id}", response={204: None})
def attachments_delete(request: HttpRequest, workspace_slug: str, attachment_id: int) -> Any:
    member = api_member(request, workspace_slug)
    services.attachment_delete(member=member, attachment_id=attachment_id)
    return Status(204, None)
