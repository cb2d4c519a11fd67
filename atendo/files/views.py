"""Pages: the access-checked download of an attachment. Shared helpers for the API."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from atendo.core.errors import NotFound, ValidationFailed
from atendo.core.views import workspace_page
from atendo.files.models import Attachment
from atendo.files.selectors import attachment_get_for
from atendo.files.services import attachment_storage
from atendo.workspaces.models import Membership


def attachment_response(attachment: Attachment, member: Membership | None = None) -> FileResponse:
    """Stream the stored bytes with the detected type, as a download, never sniffed or cached.
    A clinical attachment's download is recorded in the audit trail for `member`."""
    try:
        handle = attachment_storage().open(attachment.storage_name, "rb")
    except FileNotFoundError:
        raise NotFound(_("The file of this attachment is missing.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if member is not None and attachment.clinical:
        from atendo.audit.services import audit_record

        audit_record(
            workspace=member.workspace, actor=member, action="attachment.read_clinical", obj=attachment
        )
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
        from atendo.fields.engine import Spec
        from atendo.fields.models import ATTACHMENT_TYPES, FieldDefinition

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
        from atendo.clients.models import Client

        client = Client.objects.for_workspace(member.workspace).filter(pk=client_id).first()
        if client is None or not member.has_perm("client.read"):
            raise NotFound()
        target["client"] = client
    if session_id is not None:
        from atendo.scheduling.models import Session

        session = Session.objects.for_workspace(member.workspace).filter(pk=session_id).first()
        if session is None or not member.has_perm("session.read"):
            raise NotFound()
        target["session"] = session
    return target


@workspace_page()
def download(request: HttpRequest, workspace_slug: str, attachment_id: int) -> Any:
    try:
        attachment = attachment_get_for(request.member, attachment_id)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404 from None
    try:
        return attachment_response(attachment, request.member)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404 from None
