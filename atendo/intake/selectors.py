"""Reads of form requests and consent documents, scoped to the workspace."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from atendo.core.errors import NotFound
from atendo.intake.links import token_hash
from atendo.intake.models import ConsentDocument, FormRequest
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership


def _with_related(qs: QuerySet[FormRequest]) -> QuerySet[FormRequest]:
    return qs.select_related("workspace", "client", "session", "consent_document", "sent_by__user")


def open_requests_for_client(client: object) -> list[FormRequest]:
    """The client's open requests (not submitted, not revoked, not expired), newest first, each
    with `.title` and `.url` (the public link) — for the client portal."""
    now = timezone.now()
    qs = FormRequest.objects.for_workspace(client.workspace_id).filter(  # type: ignore[attr-defined]
        client_id=client.pk,  # type: ignore[attr-defined]
        submitted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )
    return list(_with_related(qs).order_by("-sent_at", "-pk"))


def requests_for_client(member: Membership, client_id: int) -> list[FormRequest]:
    """Every request sent to the client (the member must read clients; the client is checked by
    the caller's access helper)."""
    require(member, "client.read")
    qs = FormRequest.objects.for_workspace(member.workspace).filter(client_id=client_id)
    return list(_with_related(qs).order_by("-sent_at", "-pk"))


def requests_for(member: Membership) -> QuerySet[FormRequest]:
    require(member, "client.read")
    return _with_related(FormRequest.objects.for_workspace(member.workspace))


def request_get_for(member: Membership, request_id: int) -> FormRequest:
    found = requests_for(member).filter(pk=request_id).first()
    if found is None:
        raise NotFound()
    return found


def request_by_token(token: str) -> FormRequest | None:
    """The request a link opens (any workspace: the token is the secret), or None."""
    if not token or len(token) > 100:
        return None
    return _with_related(FormRequest.objects.filter(token_hash=token_hash(token))).first()


def consent_documents(member: Membership, *, include_superseded: bool = False) -> QuerySet[ConsentDocument]:
    """The workspace's consent documents (their current versions unless asked otherwise)."""
    require(member, "client.read")
    qs = ConsentDocument.objects.for_workspace(member.workspace)
    if not include_superseded:
        qs = qs.filter(superseded=False)
    return qs.order_by("archived", "title", "pk")


def consent_document_get_for(member: Membership, document_id: int) -> ConsentDocument:
    require(member, "client.read")
    found = ConsentDocument.objects.for_workspace(member.workspace).filter(pk=document_id).first()
    if found is None:
        raise NotFound()
    return found


def with_status(qs: QuerySet[FormRequest], status: str) -> QuerySet[FormRequest]:
    """Requests of one status (see `FormRequest.status`)."""
    now = timezone.now()
    if status == "submitted":
        return qs.filter(submitted_at__isnull=False)
    if status == "revoked":
        return qs.filter(submitted_at__isnull=True, revoked_at__isnull=False)
    if status == "expired":
        return qs.filter(submitted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now)
    return qs.filter(submitted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
