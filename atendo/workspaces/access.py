"""Access helpers: the single way to turn (user, workspace slug) into an acting member.

Non-members get NotFound (404), not Forbidden: a slug or an id must reveal nothing.
"""

from __future__ import annotations

from typing import Any

from atendo.core.errors import Forbidden, NotFound
from atendo.workspaces.models import Membership


def get_member(user: Any, workspace_slug: str) -> Membership:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFound()
    member = (
        Membership.objects.select_related("workspace", "role", "user")
        .filter(user=user, workspace__slug=workspace_slug, is_active=True)
        .first()
    )
    if member is None:
        raise NotFound()
    return member


def require(member: Membership, *codes: str) -> None:
    """Raise Forbidden unless the member holds every one of `codes`."""
    missing = [code for code in codes if not member.has_perm(code)]
    if missing:
        raise Forbidden(f"This needs the permission {', '.join(missing)}.")


def require_any(member: Membership, *codes: str) -> None:
    if not any(member.has_perm(code) for code in codes):
        raise Forbidden(f"This needs one of the permissions {', '.join(codes)}.")
