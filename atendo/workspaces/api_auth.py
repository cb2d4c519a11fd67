"""API authentication: bearer tokens (stored hashed) or the logged-in browser session (with CSRF).

For paths under `/workspaces/{workspace_slug}/`, authentication also settles membership, before
any input is validated: a token made for another workspace, or a user who is not an active member,
gets 404 whatever the body says. The member found is kept for `api_member`.

This lives in workspaces (not core) because it turns a user or a token into a member.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from atendo.accounts import signin
from atendo.accounts.models import ApiToken, hash_token
from atendo.core.errors import Forbidden, NotFound
from atendo.workspaces.access import get_member
from atendo.workspaces.models import Membership
from atendo.workspaces.security import mfa_gate

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _path_workspace_slug(request: HttpRequest) -> str | None:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    slug = match.kwargs.get("workspace_slug")
    return slug if isinstance(slug, str) else None


def _enter_workspace(request: HttpRequest, user: Any) -> None:
    """404 unless `user` (and their token, if any) may act in the path's workspace."""
    slug = _path_workspace_slug(request)
    if slug is None:
        return
    api_token: ApiToken | None = getattr(request, "api_token", None)
    if api_token is not None and api_token.workspace.slug != slug:
        raise NotFound()
    member = get_member(user, slug)
    _sign_in(request, member)
    request._atendo_member = member  # type: ignore[attr-defined]


def _sign_in(request: HttpRequest, member: Membership) -> None:
    """Put the request's sign-in on the member (for `require_recent_sign_in`). A browser session
    (the pages' own calls) must have passed two-step verification where the workspace requires it."""
    api_token: ApiToken | None = getattr(request, "api_token", None)
    if api_token is not None:
        member.sign_in = signin.token_sign_in(api_token.scopes)
        return
    member.sign_in = signin.session_sign_in(request)
    if mfa_gate(request, member) is not None:
        raise Forbidden(
            _(
                "This workspace requires two-step verification: set it up, or enter a code, "
                "in the web app first."
            ),
            code="mfa_required",
        )


def _token_member(slug: str, token_hash: str) -> tuple[ApiToken, Membership] | None:
    """The common case in one query: a live token of an active user, made in workspace `slug`,
    whose user is an active member there. None when anything is off (the caller then decides
    between 401 and 404 the long way)."""
    member = (
        Membership.objects.select_related("workspace", "role", "user")
        .filter(
            workspace__slug=slug,
            is_active=True,
            user__is_active=True,
            user__api_tokens__token_hash=token_hash,
            user__api_tokens__revoked_at__isnull=True,
            user__api_tokens__workspace=F("workspace"),
        )
        .annotate(**{f"_token_{name}": F(f"user__api_tokens__{name}") for name in _TOKEN_FIELDS})
        .first()
    )
    if member is None:
        return None
    api_token = ApiToken(
        workspace=member.workspace,
        user=member.user,
        token_hash=token_hash,
        revoked_at=None,
        **{name: getattr(member, f"_token_{name}") for name in _TOKEN_FIELDS},
    )
    api_token._state.adding = False
    api_token._state.db = member._state.db
    return api_token, member


_TOKEN_FIELDS = ("id", "name", "hint", "created_at", "last_used_at", "scopes")


def _touch(api_token: ApiToken) -> None:
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token or len(token) > 200:
            return None
        token_hash = hash_token(token)
        slug = _path_workspace_slug(request)
        found = _token_member(slug, token_hash) if slug is not None else None
        if found is not None:
            known, member = found
            _touch(known)
            request.api_token = known  # type: ignore[attr-defined]
            _sign_in(request, member)
            request._atendo_member = member  # type: ignore[attr-defined]
            return known.user
        # No such token, or it may not act here: the original two steps decide between 401 and 404.
        api_token = (
            ApiToken.objects.select_related("user", "workspace")
            .filter(token_hash=token_hash, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if api_token is None:
            return None
        _touch(api_token)
        request.api_token = api_token  # type: ignore[attr-defined]
        _enter_workspace(request, api_token.user)
        return api_token.user


class SessionAuth(NinjaSessionAuth):
    """Django's session (CSRF-checked), plus the workspace membership check."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user:
            _enter_workspace(request, user)
        return user


AUTH = [BearerToken(), SessionAuth()]


def api_member(request: HttpRequest, workspace_slug: str) -> Membership:
    """The acting member for an API call. A token only opens the workspace it was made in."""
    member: Membership | None = getattr(request, "_atendo_member", None)
    if member is not None and member.workspace.slug == workspace_slug:
        return member
    api_token: ApiToken | None = getattr(request, "api_token", None)
    if api_token is not None and api_token.workspace.slug != workspace_slug:
        raise NotFound()
    member = get_member(request.auth, workspace_slug)  # type: ignore[attr-defined]
    _sign_in(request, member)
    return member
