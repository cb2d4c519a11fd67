"""Pages: the access-checked download of an attachment. Shared helpers for the API."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendo.audit.reads import read_record
from atendo.clients.models import Client
from atendo.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from atendo.core.http import PageRequest
from atendo.fields.engine import Spec
from atendo.fields.models import ATTACHMENT_TYPES, FieldDefinition
from atendo.files import services
from atendo.files.models import Attachment
from atendo.files.selectors import (
    attachment_bytes,
    attachment_get_for,
    attachment_name,
    attachment_owner_client_id,
)
from atendo.files.services import attachment_storage
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page


def attachment_response(attachment: Attachment, member: Membership | None = None) -> FileResponse:
    """Stream the stored bytes with the detected type, as a download, never sniffed or cached.
    A clinical attachment's download is noted for the read audit (`audit.reads`) for `member`."""
    try:
        handle: Any = attachment_storage().open(attachment.storage_name, "rb")
    except FileNotFoundError:
        raise NotFound(_("The file of this attachment is missing.")) from None
    if attachment.clinical:  # sealed at rest: opened in memory (uploads are size-limited)
        with handle:
            handle = io.BytesIO(attachment_bytes(attachment, handle.read()))
    response = FileResponse(
        handle, as_attachment=True, filename=attachment_name(attachment), content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if member is not None and attachment.clinical:
        owner = attachment_owner_client_id(attachment)
        read_record(member, kind="attachment", ids=[attachment.pk], client_ids=[owner])
    return response


def upload_target(
    member: Membership,
    *,
    kind: str = "file",
    clinical: bool | None = None,
    client_id: int | None = None,
    session_id: int | None = None,
    field_id: int | None = None,
    field_path: str = "",
) -> dict[str, Any]:
    """Turn upload parameters into `attachment_create` keyword arguments, checked for this member."""
    target: dict[str, Any] = {"kind": kind, "clinical": True if clinical is None else clinical}
    if field_id is not None:
        definition = FieldDefinition.objects.for_workspace(member.workspace).filter(pk=field_id).first()
        if definition is None:
            raise ValidationFailed.single(
                "field_id", _("There is no field {field_id} in this workspace.").format(field_id=field_id)
            )
        spec = Spec.from_definition(definition)
        for part in [p for p in field_path.split(".") if p]:
            child = next((c for c in spec.children if c.key == part), None)
            if child is None:
                raise ValidationFailed.single(
                    "field_path",
                    _("'{field_path}' is not a nested field of {key}.").format(
                        field_path=field_path, key=definition.key
                    ),
                )
            spec = child
        if spec.type not in ATTACHMENT_TYPES:
            raise ValidationFailed.single(
                "field_id",
                _("{label} is a {type} field, not a file field.").format(label=spec.label, type=spec.type),
            )
        target.update(
            kind=spec.type,
            clinical=definition.clinical if clinical is None else clinical,
            allowed_types=spec.validation.get("allowed_types") or None,
            max_bytes=spec.validation.get("max_bytes") or None,
        )
    if client_id is not None:
        client = Client.objects.for_workspace(member.workspace).filter(pk=client_id).first()
        if client is None or not member.has_perm("client.read"):
            raise NotFound()
        target["client"] = client
    if session_id is not None:
        session = Session.objects.for_workspace(member.workspace).filter(pk=session_id).first()
        if session is None or not member.has_perm("session.read"):
            raise NotFound()
        target["session"] = session
    return target


@workspace_page()
def download(request: PageRequest, workspace_slug: str, attachment_id: int) -> FileResponse:
    attachment = attachment_get_for(request.member, attachment_id)
    return attachment_response(attachment, request.member)


def _session_url(workspace_slug: str, session_id: int) -> str:
    return reverse("scheduling:detail", kwargs={"workspace_slug": workspace_slug, "session_id": session_id})


# --- a session's attachments (included in the session page) ------------------------------------


@workspace_page("session.read")
def session_attachments(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = request.member
    status = 200
    error = ""
    if request.method == "POST":
        declared = request.META.get("CONTENT_LENGTH") or "0"
        declared_size = int(declared) if declared.isdigit() else 0
        small = declared_size <= settings.ATTACHMENT_MAX_BYTES + 64 * 1024
        try:
            services.session_attachment_add(
                member=member,
                session_id=session_id,
                uploaded_file=request.FILES.get("file") if small else None,
                declared_size=declared_size,
                kind=(request.POST.get("kind") or "file") if small else "file",
                clinical=(request.POST.get("clinical", "1") != "0") if small else True,
            )
        except Forbidden as exc:
            error, status = exc.message, 403
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            if not request.htmx:
                messages.success(request, _("File attached."))
                return redirect(_session_url(workspace_slug, session_id))
    rows, withheld = services.session_attachments(member, session_id)
    context = {
        "attachments": rows,
        "withheld": withheld,
        "session_id": session_id,
        "can_update": member.has_perm("session.update"),
        "error": error,
        "max_mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }
    if request.htmx or error:
        return render(request, "files/_session_attachments.html", context, status=status)
    return render(request, "files/session_attachments.html", {**context, "nav": "sessions"}, status=status)


@require_POST
@workspace_page("session.read", "session.update")
def session_attachment_delete(
    request: PageRequest, workspace_slug: str, session_id: int, attachment_id: int
) -> HttpResponse:
    member = request.member
    services.session_attachment_remove(member=member, session_id=session_id, attachment_id=attachment_id)
    messages.success(request, _("Attachment deleted."))
    return redirect(_session_url(workspace_slug, session_id))
