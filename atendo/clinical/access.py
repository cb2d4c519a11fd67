"""The clinical barrier's first half: who may read which client's clinical content, and who may
widen that.

Clinical content (session notes, clinical custom-field values, therapy fields, evaluations,
clinical attachments, insights) is readable by a member with `clinical.read_all`, or with
`clinical.read_own` for clients they are assigned to. API, pages, exports, feeds and insights all
ask here; none decides on its own.

Being assigned opens a client's whole record, so assignments are written here only, under one rule
(`may_assign`): assigning needs `client.assign`, and no member ever widens their own clinical
access. Writes that used to assign as a side effect (booking a session, moving it) call
`assign_if_allowed`, which assigns only what the writer could have assigned explicitly.

Writes obey the barrier too (`require_clinical_read`): whatever a write would move to new readers
or erase needs read access to it, and the refusal is the same whatever the hidden content is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from atendo.accounts.signin import require_recent_sign_in
from atendo.clinical.models import ClientPractitioner
from atendo.core.errors import Forbidden
from atendo.workspaces.access import require
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


def reads_clinical(member: Membership) -> bool:
    """Whether `member` reads any client's clinical content at all (e.g. whether an export has a
    notes column for them). Which clients: `readable_client_ids` / `readable_clients_q`."""
    return member.has_perm("clinical.read_all") or member.has_perm("clinical.read_own")


def assigned_clients(*, workspace_id: int, member_id: int) -> QuerySet[ClientPractitioner, Any]:
    """The ids of the clients `member_id` is assigned to, as a subquery (`client_id__in=...`)."""
    return ClientPractitioner.objects.filter(workspace_id=workspace_id, member_id=member_id).values(
        "client_id"
    )


def readable_clients_q(member: Membership, client_field: str = "client_id") -> Q:
    """The same rule as `readable_client_ids`, as a filter on `client_field` (SQL, no query of its
    own): rows of clients whose clinical content `member` may read. `Q()` matches everything."""
    if member.has_perm("clinical.read_all"):
        return Q()
    if member.has_perm("clinical.read_own"):
        own = assigned_clients(workspace_id=member.workspace_id, member_id=member.pk)
        return Q(**{f"{client_field}__in": own})
    return Q(**{f"{client_field}__in": []})


def may_write(member: Membership, client_id: int | None) -> bool:
    """Whether `member` may write the client's clinical content: exactly whether they may read it
    (nobody writes what they cannot see, so nobody overwrites it blind). `client_id` None is a
    client being created, whose creator becomes its practitioner: any clinical reader may."""
    if client_id is None:
        return reads_clinical(member)
    return can_read_clinical(member, client_id)


def require_clinical_read(member: Membership, client_ids: Iterable[int], message: str) -> None:
    """403 `clinical_forbidden` unless `member` may read the clinical content of every client.

    Asked on what the write touches (the clients of the sessions, never their content), so a
    non-reader gets the same answer whether hidden content exists or not.
    """
    ids = {cid for cid in client_ids if cid is not None}
    if ids - readable_client_ids(member, ids):
        raise Forbidden(message, code="clinical_forbidden")


# --- assignments ------------------------------------------------------------------------------


def may_assign(member: Membership, practitioner: Membership, *, new_client: bool = False) -> bool:
    """Whether `member` may make `practitioner` an assigned practitioner of a client.

    Assigning needs `client.assign`. Oneself only where it opens nothing: to a brand-new client
    (no content yet, so its creator is assigned without the permission), or with `client.assign`
    by a member who reads every client's clinical content already (`clinical.read_all`).
    """
    if practitioner.workspace_id != member.workspace_id:
        return False
    if practitioner.pk == member.pk:
        return new_client or (member.has_perm("client.assign") and member.has_perm("clinical.read_all"))
    return member.has_perm("client.assign")


def assigned_ids(*, workspace_id: int, client_id: int) -> set[int]:
    """Ids of the members assigned to the client."""
    return set(
        ClientPractitioner.objects.filter(workspace_id=workspace_id, client_id=client_id).values_list(
            "member_id", flat=True
        )
    )


def practitioners_assign(
    *, member: Membership, client_id: int, practitioners: Sequence[Membership], new_client: bool = False
) -> list[Membership]:
    """Assign `practitioners` to the client, as `member` explicitly asks. Returns the newly assigned.

    Those already assigned are left as they are; each new one must pass `may_assign`, or nothing is
    written (403 `assign_forbidden`). Opening an existing client's record to someone is a sensitive
    act: it needs a recent sign-in (a brand-new client has nothing to open yet). The caller records
    the audit event.
    """
    current = set() if new_client else assigned_ids(workspace_id=member.workspace_id, client_id=client_id)
    added = [p for p in {p.pk: p for p in practitioners}.values() if p.pk not in current]
    for practitioner in added:
        if may_assign(member, practitioner, new_client=new_client):
            continue
        if practitioner.pk == member.pk:
            raise Forbidden(
                _("You cannot assign yourself to this client: no member widens their own clinical access."),
                code="assign_forbidden",
            )
        raise Forbidden(
            _("Assigning practitioners to clients needs the client.assign permission."),
            code="assign_forbidden",
        )
    if added and not new_client:
        require_recent_sign_in(member)
    ClientPractitioner.objects.bulk_create(
        [ClientPractitioner(workspace_id=member.workspace_id, client_id=client_id, member=p) for p in added]
    )
    return added


def practitioners_unassign(*, member: Membership, client_id: int, practitioner_ids: Iterable[int]) -> int:
    """Remove assignments (`client.assign`: choosing who reads a client is one privilege, and a
    sensitive act: a recent sign-in). How many."""
    require(member, "client.assign")
    require_recent_sign_in(member)
    deleted, _by_model = ClientPractitioner.objects.filter(
        workspace_id=member.workspace_id, client_id=client_id, member_id__in=list(practitioner_ids)
    ).delete()
    return deleted


def assign_if_allowed(*, member: Membership, client_id: int, practitioner: Membership) -> bool:
    """The assignment a write by `member` implies (booking or moving a session with `practitioner`).

    Made only when `member` could have made it explicitly (`may_assign`); otherwise nothing happens
    and the write goes on. True if an assignment was added.
    """
    if not may_assign(member, practitioner):
        return False
    _obj, created = ClientPractitioner.objects.get_or_create(
        workspace_id=member.workspace_id, client_id=client_id, member=practitioner
    )
    return created
