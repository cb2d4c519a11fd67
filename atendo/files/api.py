"""API: the `attachments` resource — upload (multipart), metadata, content (access-checked), delete."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from atendo.core.api_schemas import Id
from atendo.core.errors import ValidationFailed
from atendo.files import services
from atendo.files.models import Attachment
from atendo.files.selectors import attachment_get_for, attachment_name
from atendo.files.views import attachment_response, upload_target
from atendo.workspaces.api_auth import api_member

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
        "original_name": attachment_name(attachment),  # after the access checks of the callers
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


SESSION = "/workspaces/{workspace_slug}/sessions/{session_id}"
# --- session attachments -------------------------------------------------------------------------

UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and the small form fields around the file


class AttachmentList(Schema):
    items: list[dict[str, Any]]
    next_cursor: str | None
    withheld: list[str] = Field(description="`attachments.clinical` when clinical ones were left out.")


def _truthy(raw: str | None, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValidationFailed.single("clinical", "Use true or false.")


@router.get(SESSION + "/attachments", tags=["sessions"], response=AttachmentList)
def sessions_attachments_list(request: HttpRequest, workspace_slug: str, session_id: int) -> Any:
    """A session's attachments. Clinical ones only for readers of this client's clinical content;
    otherwise they are left out and `withheld` says so."""
    member = api_member(request, workspace_slug)
    visible, withheld = services.session_attachments(member, session_id)
    return {
        "items": [attachment_to_json(a, workspace_slug) for a in visible],
        "next_cursor": None,
        "withheld": ["attachments.clinical"] if withheld else [],
    }


@router.post(
    SESSION + "/attachments",
    tags=["sessions"],
    response={201: dict[str, Any]},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "kind": {"type": "string", "enum": ["file", "image"], "default": "file"},
                            "clinical": {"type": "boolean", "default": True},
                        },
                    }
                }
            },
        }
    },
)
def sessions_attachments_upload(request: HttpRequest, workspace_slug: str, session_id: int) -> Any:
    """Attach a file or an image to the session (multipart: `file`, `kind`, `clinical` — clinical
    by default, or administrative). Type checked from the bytes; over the size limit: 413, refused
    from the declared length before the body is read."""
    member = api_member(request, workspace_slug)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    declared_size = int(declared) if declared.isdigit() else 0
    upload = None
    if declared_size <= settings.ATTACHMENT_MAX_BYTES + UPLOAD_OVERHEAD:
        upload = request.FILES.get("file")
        kind = request.POST.get("kind") or "file"
        clinical = _truthy(request.POST.get("clinical"), True)
    else:
        kind, clinical = "file", True
    attachment = services.session_attachment_add(
        member=member,
        session_id=session_id,
        uploaded_file=upload,
        declared_size=declared_size,
        kind=kind,
        clinical=clinical,
    )
    return Status(201, attachment_to_json(attachment, workspace_slug))


@router.delete(SESSION + "/attachments/{attachment_id}", tags=["sessions"], response={204: None})
def sessions_attachments_delete(
    request: HttpRequest, workspace_slug: str, session_id: int, attachment_id: int
) -> Any:
    member = api_member(request, workspace_slug)
    services.session_attachment_remove(member=member, session_id=session_id, attachment_id=attachment_id)
    return Status(204, None)
