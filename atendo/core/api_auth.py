"""API authentication: bearer tokens (stored hashed) or the logged-in browser session (with CSRF)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from atendo.accounts.models import ApiToken, hash_token
from atendo.core.errors import NotFound
from atendo.workspaces.access import get_member
from atendo.workspaces.models import Membership

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token or len(token) > 200:
            return None
        api_token = (
            ApiToken.objects.select_related("user", "workspace")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if api_token is None:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


AUTH = [BearerToken(), django_auth]


def api_member(request: HttpRequest, workspace_slug: str) -> Membership:
    """The acting member for an API call. A token only opens the workspace it was made in."""
    api_token: ApiToken | None = getattr(request, "api_token", None)
    if api_token is not None and api_token.workspace.slug != workspace_slug:
        raise NotFound()
    return get_member(request.auth, workspace_slug)  # type: ignore[attr-defined]
