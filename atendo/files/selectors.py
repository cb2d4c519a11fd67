"""Reads of attachments, with the access rules (workspace, permission, clinical barrier) applied."""

from __future__ import annotations

from collections.abc import Sequence

from atendo.clinical import crypto
from atendo.clinical.redact import redact
from atendo.core.errors import NotFound
from atendo.files.models import Attachment
from atendo.workspaces.models import Membership


def attachment_owner_client_id(attachment: Attachment) -> int | None:
    """The client whose record the attachment belongs to (directly, or through its session)."""
    if attachment.client_id:
        return attachment.client_id
    if attachment.session_id:
        return attachment.session.client_id  # type: ignore[union-attr]
    return None


def can_read_attachment(member: Membership, attachment: Attachment) -> bool:
    """Session attachments need `session.read`, client ones `client.read`; clinical ones also need
    clinical access to that client. An attachment not yet linked to a record (just uploaded for a
    form) is readable by its uploader and by members who read all clinical content."""
    if attachment.workspace_id != member.workspace_id or not member.is_active:
        return False
    if attachment.session_id and not member.has_perm("session.read"):
        return False
    if attachment.client_id and not member.has_perm("client.read"):
        return False
    if attachment_owner_client_id(attachment) is None:
        return attachment.uploaded_by_id == member.pk or member.has_perm("clinical.read_all")
    return bool(attachments_visible(member, [attachment])[0])


def attachments_visible(
    member: Membership, attachments: Sequence[Attachment], *, readable: set[int] | None = None
) -> tuple[list[Attachment], int]:
    """(the attachments of records whose clinical barrier lets `member` see them, how many clinical
    ones were withheld), decided by `clinical.redact`. One query at most (none with `readable`)."""
    rows = [
        {"id": a.pk, "clinical": a.clinical, "record_client_id": attachment_owner_client_id(a)}
        for a in attachments
    ]
    shown = redact(member, rows, "attachment", readable=readable)
    ids = {r["id"] for r in shown}
    return [a for a in attachments if a.pk in ids], shown.left_out


def attachment_name(attachment: Attachment) -> str:
    """The file's name in plaintext (a clinical one is sealed at rest). Only for a member the
    access rules above let see the attachment: the callers ask them first."""
    if attachment.clinical and crypto.is_token(attachment.original_name):
        return crypto.open_text(
            attachment.workspace_id, crypto.ATTACHMENT_NAME, attachment.pk, attachment.original_name
        )
    return attachment.original_name


def attachment_bytes(attachment: Attachment, data: bytes) -> bytes:
    """The file's bytes as uploaded, from what the storage holds (sealed when clinical). Only
    after the access checks, like `attachment_name`."""
    if not attachment.clinical:
        return data
    return crypto.open_data(attachment.workspace_id, crypto.ATTACHMENT_FILE, attachment.pk, data)


def attachment_get_for(member: Membership, attachment_id: int) -> Attachment:
    """The attachment if `member` may read it; NotFound otherwise (never revealing which)."""
    attachment = (
        Attachment.objects.for_workspace(member.workspace)
        .select_related("session")
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None or not can_read_attachment(member, attachment):
        raise NotFound()
    return attachment
