"""Writes on attachments: store an upload (type from its bytes, size-limited, random name) and delete.

The bytes go to a dedicated FileSystemStorage under `settings.ATTACHMENTS_ROOT`, never MEDIA, so no
public URL can reach them. A deleted attachment's file is removed from disk after the transaction
commits (and a failed upload's file right away), so the database and the disk never disagree.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from atendo.audit.reads import read_record
from atendo.audit.services import audit_record
from atendo.clinical import crypto
from atendo.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from atendo.fields.registry import AttachmentFacts
from atendo.files.detect import EXTENSIONS, IMAGE_TYPES, PNG, SUPPORTED_TYPES, detect_content_type
from atendo.files.models import Attachment, AttachmentKind
from atendo.files.selectors import (
    attachment_get_for,
    attachment_name,
    attachments_visible,
    can_read_attachment,
)
from atendo.scheduling.selectors import session_get_for
from atendo.scheduling.services.common import signed_conflict
from atendo.workspaces.access import require, require_any
from atendo.workspaces.models import Membership

UPLOAD_PERMISSIONS = ("client.create", "client.update", "session.create", "session.update")


def attachment_storage() -> FileSystemStorage:
    """The attachments' own storage (read from settings on every call, so tests can move it)."""
    return FileSystemStorage(location=str(settings.ATTACHMENTS_ROOT), base_url=None)


class TooLarge(DomainError):
    def __init__(self, limit: int, path: str = "file"):
        message = _("The file is larger than the limit of {value}.").format(value=_human(limit))
        super().__init__(message=message, code="too_large", status=413, fields=[FieldError(path, message)])


class UnsupportedType(DomainError):
    def __init__(self, message: str, path: str = "file"):
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
    if session is not None and clinical and session.signed_at is not None:
        # A clinical file joins the session's record, which its signature closed: an addendum says it.
        raise signed_conflict([session.pk], ["attachments"])
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
    original_name = _safe_name(uploaded_file.name or "", content_type)
    # A clinical file's name and bytes are sealed with the attachment's id (`clinical.crypto`): the
    # row comes first, without its name, then the sealed bytes go to disk. An administrative file
    # is stored as it came.
    attachment = Attachment.objects.create(
        workspace=member.workspace,
        kind=kind,
        original_name="" if clinical else original_name,
        content_type=content_type,
        size=size,
        storage_name=name,
        clinical=clinical,
        uploaded_by=member,
        client=client,
        session=session,
    )
    uploaded_file.seek(0)
    content: Any = uploaded_file
    if clinical:
        seal = crypto.sealer(member.workspace_id)
        content = ContentFile(seal.data(crypto.ATTACHMENT_FILE, attachment.pk, uploaded_file.read()))
        attachment.original_name = seal.text(crypto.ATTACHMENT_NAME, attachment.pk, original_name)
    stored_name = storage.save(name, content)
    # If the row cannot be completed, remove the file at once. (A rollback of a caller's outer
    # transaction can still leave an unreferenced file behind: harmless, never served.)
    try:
        if clinical or stored_name != name:
            attachment.storage_name = stored_name
            Attachment.objects.filter(pk=attachment.pk).update(
                original_name=attachment.original_name, storage_name=stored_name
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


@transaction.atomic
def attachment_delete(*, member: Membership, attachment_id: int) -> None:
    """Delete the record now and its file from disk after commit (see `files.signals`)."""
    attachment = attachment_get_for(member, attachment_id)
    require_any(member, *UPLOAD_PERMISSIONS)
    session = attachment.session
    if attachment.clinical and session is not None and session.signed_at is not None:
        raise signed_conflict([session.pk], ["attachments"])  # its signature covers the file
    audit_record(workspace=member.workspace, actor=member, action="attachment.delete", obj=attachment)
    attachment.delete()


class FieldAttachments:
    """Attachments as the field engine sees them (registered in `fields.registry` by FilesConfig):
    file, image and signature values are attachment ids, uploaded through a field's input and
    claimed by the record whose values name them."""

    supported_types = SUPPORTED_TYPES

    def facts(
        self, *, workspace_id: int, ids: Collection[int], reader: Membership | None = None
    ) -> dict[int, AttachmentFacts]:
        rows = Attachment.objects.for_workspace(workspace_id).filter(pk__in=set(ids))
        if reader is not None:
            rows = rows.select_related("session")
        return {
            a.pk: AttachmentFacts(
                id=a.pk,
                kind=a.kind,
                content_type=a.content_type,
                size=a.size,
                # The name only for a reader who may open the file (validation needs none).
                name=attachment_name(a) if reader is not None else "",
            )
            for a in rows
            if reader is None or can_read_attachment(reader, a)
        }

    def upload(
        self,
        *,
        member: Membership,
        uploaded_file: Any,
        kind: str,
        clinical: bool,
        allowed_types: list[str] | None,
        max_bytes: int | None,
    ) -> int:
        return attachment_create(
            member=member,
            uploaded_file=uploaded_file,
            kind=kind,
            clinical=clinical,
            allowed_types=allowed_types,
            max_bytes=max_bytes,
        ).pk

    def claim(
        self,
        *,
        member: Membership,
        ids: Collection[int],
        client_id: int | None = None,
        session_id: int | None = None,
    ) -> None:
        """Only the member's own uploads that belong to no record yet move (see
        `fields.engine.attachments_claim`)."""
        ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}
        if not ids or (client_id is None) == (session_id is None):
            return
        Attachment.objects.filter(
            workspace_id=member.workspace_id,
            pk__in=ids,
            client__isnull=True,
            session__isnull=True,
            uploaded_by_id=member.pk,
        ).update(**({"session_id": session_id} if session_id is not None else {"client_id": client_id}))


# --- session attachments -------------------------------------------------------------------------
# Files and images attached to a session, each clinical (the default) or administrative. Clinical
# ones are readable only with clinical access to the session's client.


def session_attachments(member: Membership, session_id: int) -> tuple[list[Any], bool]:
    """(attachments the member may see, whether clinical ones were withheld). Two queries."""
    session = session_get_for(member, session_id)
    rows = list(
        Attachment.objects.for_workspace(member.workspace)
        .filter(session=session)
        .order_by("created_at", "pk")
    )
    for attachment in rows:
        attachment.session = session  # their record's client, without a query per row
    visible, withheld = attachments_visible(member, rows)
    for attachment in visible:
        attachment.name = attachment_name(attachment)  # type: ignore[attr-defined]
    clinical = [a.pk for a in visible if a.clinical]
    if clinical:  # the read audit: their names are clinical content
        read_record(member, kind="attachment", ids=clinical, client_ids=[session.client_id])
    return visible, withheld > 0


def session_attachment_add(
    *,
    member: Membership,
    session_id: int,
    uploaded_file: Any,
    declared_size: int = 0,
    kind: str = "file",
    clinical: bool = True,
) -> Any:
    """Attach an upload to the session. Too large (also judged from the declared request length,
    so a huge body is refused before it is read): 413; not a file/image kind: 422."""
    require(member, "session.update")
    session = session_get_for(member, session_id)
    limit = int(settings.ATTACHMENT_MAX_BYTES)
    if declared_size > limit + 64 * 1024:
        raise TooLarge(limit)
    if kind not in ("file", "image"):
        raise ValidationFailed.single("kind", _("Use file or image."))
    if uploaded_file is None:
        raise ValidationFailed.single("file", _("Choose a file to upload."))
    return attachment_create(
        member=member, uploaded_file=uploaded_file, kind=kind, clinical=clinical, session=session
    )


def session_attachment_remove(*, member: Membership, session_id: int, attachment_id: int) -> None:
    require(member, "session.update")
    session = session_get_for(member, session_id)
    attachment = attachment_get_for(member, attachment_id)
    if attachment.session_id != session.pk:
        raise NotFound()
    attachment_delete(member=member, attachment_id=attachment.pk)
