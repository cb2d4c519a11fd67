"""Reads on workspaces: members, roles and API tokens, scoped to the member. (The audit trail is
read in `atendo.trail`.)"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from atendo.accounts.models import ApiToken, TotpDevice
from atendo.core.errors import NotFound
from atendo.workspaces.models import Membership, Role


def members_list(member: Membership, *, include_inactive: bool = True) -> QuerySet[Membership]:
    """Every member of the workspace (any member may see who works here), with user and role."""
    qs = Membership.objects.for_workspace(member.workspace_id).select_related("user", "role")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "user__name", "user__email", "pk")


def members_mfa(member: Membership) -> QuerySet[Membership]:
    """The active members with `has_mfa` (an authenticator set up), for the sign-in security page."""
    has_mfa = Exists(TotpDevice.objects.filter(user_id=OuterRef("user_id")))
    return members_list(member, include_inactive=False).annotate(has_mfa=has_mfa)


def practitioners_list(member: Membership, *, include: int | None = None) -> QuerySet[Membership]:
    """The active members who offer sessions (what practitioner pickers, the calendar's filter and
    the free-slot finder offer), plus `include` (a session's current practitioner, kept on its
    form even if they no longer offer sessions)."""
    chosen = Q(is_active=True, offers_sessions=True)
    if include is not None:
        chosen |= Q(pk=include)
    return members_list(member).filter(chosen)


def member_get(member: Membership, membership_id: int) -> Membership:
    found = members_list(member).filter(pk=membership_id).first()
    if found is None:
        raise NotFound()
    return found


def roles_list(member: Membership) -> QuerySet[Role]:
    """The workspace's roles with `member_count` (active members holding each), Owner first."""
    return (
        Role.objects.for_workspace(member.workspace_id)
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("-is_owner", "name", "pk")
    )


def role_get(member: Membership, role_id: int) -> Role:
    found = roles_list(member).filter(pk=role_id).first()
    if found is None:
        raise NotFound()
    return found


def api_tokens_list(member: Membership) -> QuerySet[ApiToken]:
    """The member's own tokens in this workspace, newest first (revoked ones included)."""
    return ApiToken.objects.filter(workspace_id=member.workspace_id, user_id=member.user_id).order_by(
        "-created_at", "-pk"
    )
