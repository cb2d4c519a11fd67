"""Reads of attachments, with the access rules (workspace, permission, clinical barrier) applied."""

from __future__ import annotations

from atendo.clients.clinical import readable_client_ids
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
    client_id = attachment_owner_client_id(attachment)
    if client_id is None:
        return attachment.uploaded_by_id == member.pk or member.has_perm("clinical.read_all")
    if attachment.clinical:
        return client_id in readable_client_ids(member, [client_id])
    return True


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
