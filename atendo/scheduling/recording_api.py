"""API: recording a session (`POST sessions/{id}/record`) and a session's attachments.

Mounted by `atendo/billing/api.py` (the scheduling router belongs to the sessions API)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.core.api_auth import api_member
from atendo.core.errors import ValidationFailed
from atendo.scheduling.recording import session_record
from atendo.scheduling.serializers import session_to_json

router = Router(tags=["sessions"])
PREFIX = "/workspaces/{workspace_slug}/sessions/{session_id}"


class RecordPayment(Schema):
    amount: Decimal | None = Field(None, description="Defaults to the therapy type's price.")
    status: str | None = Field(None, description="paid | pending | overdue")
    method: str | None = Field(None, description="cash | pix | card | other")
    due_date: dt.date | None = None
    paid_date: dt.date | None = None


class RecordIn(Schema):
    version: int = Field(description="The version of the session you edited (409 if stale).")
    therapy_type_id: int | None = None
    actual_duration_minutes: int | None = None
    notes: str | None = None
    therapy_fields: dict[str, Any] | None = None
    payment: RecordPayment | None = None


class RecordOut(Schema):
    session: dict[str, Any]
    payment: dict[str, Any] | None


@router.post(PREFIX + "/record", response=RecordOut)
def sessions_record(request: HttpRequest, workspace_slug: str, session_id: int, payload: RecordIn) -> Any:
    """Record a started or completed session in one save: therapy type, actual duration, notes,
    therapy-specific fields and payment. The session becomes completed with `recorded_at` set."""
    from atendo.billing.api import payment_json
    from atendo.billing.selectors import payment_get_for

    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    if data.get("actual_duration_minutes") is None:
        data.pop("actual_duration_minutes", None)
    if "payment" in data and data["payment"] is not None:
        data["payment"] = payload.payment.model_dump(exclude_unset=True) if payload.payment else None
    result = session_record(member=member, session_id=session_id, data=data)
    from atendo.scheduling.selectors import session_get_for

    payment = None
    if result.payment is not None and member.has_perm("billing.read"):
        payment = payment_json(payment_get_for(member, result.payment.pk), member.workspace.tz)
    return {"session": session_to_json(member, session_get_for(member, session_id)), "payment": payment}


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


@router.get(PREFIX + "/attachments", response=AttachmentList)
def sessions_attachments_list(request: HttpRequest, workspace_slug: str, session_id: int) -> Any:
    """A session's attachments. Clinical ones only for readers of this client's clinical content;
    otherwise they are left out and `withheld` says so."""
    from atendo.files.api import attachment_to_json
    from atendo.scheduling.recording import session_attachments

    member = api_member(request, workspace_slug)
    visible, withheld = session_attachments(member, session_id)
    return {
        "items": [attachment_to_json(a, workspace_slug) for a in visible],
        "next_cursor": None,
        "withheld": ["attachments.clinical"] if withheld else [],
    }


@router.post(
    PREFIX + "/attachments",
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
    from atendo.files.api import attachment_to_json
    from atendo.scheduling.recording import session_attachment_add

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
    attachment = session_attachment_add(
        member=member,
        session_id=session_id,
        uploaded_file=upload,
        declared_size=declared_size,
        kind=kind,
        clinical=clinical,
    )
    return Status(201, attachment_to_json(attachment, workspace_slug))


@router.delete(PREFIX + "/attachments/{attachment_id}", response={204: None})
def sessions_attachments_delete(
    request: HttpRequest, workspace_slug: str, session_id: int, attachment_id: int
) -> Any:
    from atendo.scheduling.recording import session_attachment_remove

    member = api_member(request, workspace_slug)
    session_attachment_remove(member=member, session_id=session_id, attachment_id=attachment_id)
    return Status(204, None)
