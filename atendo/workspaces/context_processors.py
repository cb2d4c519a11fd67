from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict[str, Any]:
    """Expose the current member (set by page views) and the user's workspaces to templates."""
    member = getattr(request, "member", None)
    user = getattr(request, "user", None)
    memberships: Any = []
    if user is not None and user.is_authenticated:
        memberships = user.memberships.filter(is_active=True).select_related("workspace")
    return {
        "member": member,
        "workspace": getattr(member, "workspace", None),
        "my_memberships": memberships,
        "signup_enabled": bool(getattr(settings, "ATENDO_SIGNUP", True)),
    }
