"""Pages of a workspace: `workspace_page` turns the logged-in user into the member every workspace
page acts as (through the same access helper as the API), and `home` sends a user to their workspace.

They live in workspaces, not core: turning a user into a member is what workspaces own, and core
imports no other app.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from atendo.accounts import signin
from atendo.core.errors import DomainError, Forbidden, NotFound
from atendo.core.http import PageRequest
from atendo.workspaces.access import get_member, require
from atendo.workspaces.models import Membership
from atendo.workspaces.security import mfa_gate

# The workspace last opened is remembered in the session and, so that it survives logging out, in a
# cookie holding only its slug (which grants nothing: every page still checks the membership).
LAST_WORKSPACE_SESSION_KEY = "workspace_slug"
LAST_WORKSPACE_COOKIE = "atendo_workspace"
LAST_WORKSPACE_MAX_AGE = 365 * 24 * 3600


def remember_workspace(request: HttpRequest, workspace_slug: str) -> None:
    if request.session.get(LAST_WORKSPACE_SESSION_KEY) != workspace_slug:
        request.session[LAST_WORKSPACE_SESSION_KEY] = workspace_slug


def _mfa_redirect(request: HttpRequest, gate: str) -> HttpResponse:
    """To set up two-step verification, or to pass it in this session, then back here."""
    name = "account_mfa_setup" if gate == "setup" else "account_confirm"
    url = f"{reverse(name)}?{urlencode({'next': signin.back_url(request)})}"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def workspace_page(
    *codes: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a page view taking `workspace_slug`: sets `request.member`, checks `codes`.

    Non-members get 404; members without a permission get a 403 page. A `NotFound` or `Forbidden`
    raised by the view (from a service or selector) gets the same pages, so views need not catch
    them; any other `DomainError` shows its message with its status. The view runs in the
    workspace's time zone: dates in its templates show as the practice sees them. Views annotate
    their request as `core.http.PageRequest`.

    Sign-in security: where the workspace requires two-step verification of this member and the
    session has not passed it, every page sends them to set it up (or to enter a code) first. A
    `ReauthRequired` from a service (a sensitive act without a recent sign-in) sends them to confirm
    their password and come back (a view that shows `DomainError`s in its form re-raises it).
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapper(request: PageRequest, workspace_slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                member = get_member(request.user, workspace_slug)
            except NotFound:
                raise Http404 from None
            member.sign_in = signin.session_sign_in(request)
            gate = mfa_gate(request, member)
            if gate is not None:
                return _mfa_redirect(request, gate)
            request.member = member
            remember_workspace(request, workspace_slug)
            try:
                require(member, *codes)
            except Forbidden as exc:
                return render(request, "403.html", {"message": exc.message}, status=403)
            try:
                with timezone.override(member.workspace.tz):
                    response = view(request, workspace_slug, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except signin.ReauthRequired:
                return signin.confirm_redirect(request)
            except Forbidden as exc:
                return render(request, "403.html", {"message": exc.message}, status=403)
            except DomainError as exc:  # e.g. a receipt of an unpaid payment: the message, its status
                return render(request, "error.html", {"message": exc.message}, status=exc.status)
            if request.COOKIES.get(LAST_WORKSPACE_COOKIE) != workspace_slug:
                response.set_cookie(
                    LAST_WORKSPACE_COOKIE,
                    workspace_slug,
                    max_age=LAST_WORKSPACE_MAX_AGE,
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
            return response

        return wrapper

    return decorator


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the home of their (last used) workspace."""
    memberships = list(
        request.user.memberships.filter(is_active=True)  # type: ignore[union-attr,misc]
        .select_related("workspace", "role")
        .order_by("workspace__name", "pk")
    )
    remembered = [
        request.session.get(LAST_WORKSPACE_SESSION_KEY),
        request.COOKIES.get(LAST_WORKSPACE_COOKIE),
    ]
    by_slug = {m.workspace.slug: m for m in memberships}
    chosen = next((by_slug[slug] for slug in remembered if slug in by_slug), None)
    if chosen is None and memberships:
        chosen = memberships[0]
    if chosen is None:
        return render(request, "no_workspace.html")
    return redirect(start_page(chosen))


def start_page(member: Membership) -> str:
    """Where a member starts: the home (their day and what needs doing) when it has something for
    them, else the first page their role lets them open."""
    kwargs = {"workspace_slug": member.workspace.slug}
    if any(member.has_perm(code) for code in ("session.read", "billing.read", "workspace.manage")):
        return reverse("home:today", kwargs=kwargs)
    if member.has_perm("client.read"):
        return reverse("clients:list", kwargs=kwargs)
    return reverse("workspaces:settings", kwargs=kwargs)
