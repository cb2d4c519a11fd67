"""The one redaction point: who may read which client's clinical content.

Clinical content (session notes, clinical custom-field values, therapy fields, evaluations,
clinical attachments, insights) is readable by a member with `clinical.read_all`, or with
`clinical.read_own` for clients they are assigned to. API, pages, exports, feeds and insights all
ask here; none decides on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from atendo.clients.models import ClientPractitioner
from atendo.workspaces.models import Membership


def readable_client_ids(member: Membership, client_ids: Iterable[int]) -> set[int]:
    """Of `client_ids`, those whose clinical content `member` may read. One query at most."""
    ids = {cid for cid in client_ids if cid is not None}
    if not ids:
        return set()
    if member.has_perm("clinical.read_all"):
        return ids
    if not member.has_perm("clinical.read_own"):
        return set()
    return set(
        ClientPractitioner.objects.filter(
            workspace_id=member.workspace_id, member=member, client_id__in=ids
        ).values_list("client_id", flat=True)
    )


def can_read_clinical(member: Membership, client_id: int) -> bool:
    return client_id in readable_client_ids(member, [client_id])


def assign_practitioner(*, client_id: int, member: Membership) -> None:
    """Idempotently assign `member` to the client (scheduling a session with them does this)."""
    ClientPractitioner.objects.get_or_create(
        workspace_id=member.workspace_id, client_id=client_id, member=member
    )
