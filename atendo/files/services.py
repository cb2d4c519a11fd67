"""Writes on attachments: store an upload (type from its bytes, size-limited, random name) and delete.

The bytes go to a dedicated FileSystemStorage under `settings.ATTACHMENTS_ROOT`, never MEDIA, so no
public URL can reach them. A deleted attachment's file is removed from disk after the transaction
commits (and a failed upload's file right away), so the database and the disk never disagree.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.core.errors import DomainError, NotFound, ValidationFailed
from atendo.files.detect import EXTENSIONS, IMAGE_TYPES, PNG, detect_content_type
from atendo.files.models import Attachment, AttachmentKind
from atendo.files.selectors import attachment_get_for
from atendo.workspaces.access import require_any
from atendo.workspaces.models import Membership

UPLOAD_PERMISSIONS = ("client.create", "client.update", "session.create", "session.update")


def attachment_storage() -> FileSystemStorage:
    """The attachments' own storage (read from settings on every call, so tests can move it)."""
    return FileSystemStorage(location=str(settings.ATTACHMENTS_ROOT), base_url=None)


class TooLarge(DomainError):
    def __init__(self, limit: int, path: str = "file"):
        from atendo.core.errors import FieldError

        message = _("The file is larger than the limit of {value}.").format(value=_human(limit))
        super().__init__(message=message, code="too_large", status=413, fields=[FieldError(path, message)])


class UnsupportedType(DomainError):
    def __init__(self, message: str, path: str = "file"):
        from atendo.core.errors import FieldError

        super().__init__(
            message=message, code="unsupported_media_type", status=415, fields=[FieldError(path, message)]
        )


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def _safe_name(name: str, content_type: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*')[:200]
    return name or f"attachment.{EXTENSIONS.get(content_type, 'bin')}"


@transaction.atomic
def attachment_create(
    *,
    member: Membership,
    uploaded_file: UploadedFile,
    kind: str = "file",
    clinical: bool = True,
    client: Any = None,
    session: Any = None,
    allowed_types: Iterable[str] | None = None,
    max_bytes: int | None = None,
) -> Attachment:
    """Store an upload. 413 when too large, 415 when the bytes are not a supported type, 422 when
    they are not what `kind` needs (an image for image and signature) or not in `allowed_types`."""
    require_any(member, *UPLOAD_PERMISSIONS)
    if kind not in AttachmentKind.values:
        raise ValidationFailed.single("kind", _("kind must be file, image or signature."))
    if client is not None and client.workspace_id != member.workspace_id:
        raise NotFound()
    if session is not None and session.workspace_id != member.workspace_id:
        raise NotFound()
    limit = int(settings.ATTACHMENT_MAX_BYTES)
    if max_bytes:
        limit = min(limit, int(max_bytes))
    size = uploaded_file.size or 0
    if size > limit:
        raise TooLarge(limit)
    if size == 0:
        raise ValidationFailed.single("file", _("The file is empty."))
    content_type = detect_content_type(uploaded_file)
    if content_type is None:
        raise UnsupportedType(
            _(
                "This kind of file is not accepted; upload an image (PNG, JPEG, GIF, WebP), a PDF, "
                "a plain-text file or an office document."
            )
        )
    if kind == AttachmentKind.IMAGE and content_type not in IMAGE_TYPES:
        raise ValidationFailed.single(
            "file", _("This file is not an image (its content was checked, not its name).")
        )
    if kind == AttachmentKind.SIGNATURE and content_type != PNG:
        raise ValidationFailed.single("file", _("A signature must be a PNG image."))
    allowed = list(allowed_types or [])
    if allowed and content_type not in allowed:
        raise ValidationFailed.single(
            "file",
            _("Only {value} are accepted here, not {content_type}.").format(
                value=", ".join(allowed), content_type=content_type
            ),
        )
    storage = attachment_storage()
    name = f"{member.workspace_id}/{secrets.token_hex(2)}/{secrets.token_urlsafe(24)}"
    uploaded_file.seek(0)
    stored_name = storage.save(name, uploaded_file)
    # If the row cannot be written, remove the file at once. (A rollback of a caller's outer
    # transaction can still leave an unreferenced file behind: harmless, never served.)
    try:
        attachment = Attachment.objects.create(
            workspace=member.workspace,
            kind=kind,
            original_name=_safe_name(uploaded_file.name or "", content_type),
            content_type=content_type,
            size=size,
            storage_name=stored_name,
            clinical=clinical,
            uploaded_by=member,
            client=client,
            session=session,
        )
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="attachment.create",
            obj=attachment,
            changes={"kind": kind, "content_type": content_type, "size": size},
        )
    except Exception:
        storage.delete(stored_name)
        raise
    return attachment


def delete_files_after_commit(names: Iterable[str]) -> None:
    """Remove stored files once the surrounding transaction has committed."""
    names = [n for n in names if n]
    if not names:
        return
    storage = attachment_storage()

    def remove() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove)


@transaction.atomic
def attachment_delete(*, member: Membership, attachment_id: int) -> None:
    """Delete the record now and its file from disk after commit (see `files.signals`)."""
    attachment = attachment_get_for(member, attachment_id)
    require_any(member, *UPLOAD_PERMISSIONS)
    audit_record(workspace=member.workspace, actor=member, action="attachment.delete", obj=attachment)
    attachment.delete()


def attachments_link(
    *,
    workspace_id: int,
    ids: Iterable[int],
    uploaded_by_ids: Iterable[int | None],
    client: Any = None,
    session: Any = None,
) -> int:
    """Attach just-uploaded attachments (referenced by saved field values) to their record, so
    they follow that record's access rules (and its clinical barrier).

    Only attachments not linked yet, uploaded by one of `uploaded_by_ids`, are claimed: a value
    can never move another record's attachment elsewhere, nor adopt someone else's upload by
    guessing its id.
    """
    ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}
    uploaders = {i for i in uploaded_by_ids if i}
    if not ids or not uploaders or (client is None and session is None):
        return 0
    qs = Attachment.objects.filter(
        workspace_id=workspace_id,
        pk__in=ids,
        client__isnull=True,
        session__isnull=True,
        uploaded_by_id__in=uploaders,
    )
    return qs.update(session=session) if session is not None else qs.update(client=client)


def attachment_ids_in(values: Any, definitions: Iterable[Any]) -> set[int]:
    """Ids of the attachments referenced by cleaned values of these definitions (nested too)."""
    from atendo.fields.engine import Spec
    from atendo.fields.models import ATTACHMENT_TYPES

    found: set[int] = set()

    def walk(spec: Spec, value: Any) -> None:
        if value is None:
            return
        if spec.type in ATTACHMENT_TYPES and isinstance(value, int):
            found.add(value)
        elif spec.type == "object" and isinstance(value, dict):
            for child in spec.children:
                walk(child, value.get(child.key))
        elif spec.type == "array" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    for child in spec.children:
                        walk(child, item.get(child.key))

    for definition in definitions:
        spec = Spec.from_definition(definition)
        if isinstance(values, dict):
            walk(spec, values.get(spec.key))
    return found
