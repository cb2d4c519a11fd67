"""Page helpers: every workspace page resolves its member through the same access helper."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from atendo.core.errors import Forbidden, NotFound
from atendo.workspaces.access import get_member, require
from atendo.workspaces.models import Membership

# The workspace last opened is remembered in the session and, so that it survives logging out, in a
# cookie holding only its slug (which grants nothing: every page still checks the membership).
LAST_WORKSPACE_SESSION_KEY = "workspace_slug"
LAST_WORKSPACE_COOKIE = "atendo_workspace"
LAST_WORKSPACE_MAX_AGE = 365 * 24 * 3600


def remember_workspace(request: HttpRequest, workspace_slug: str) -> None:
    if request.session.get(LAST_WORKSPACE_SESSION_KEY) != workspace_slug:
        request.session[LAST_WORKSPACE_SESSION_KEY] = workspace_slug


def workspace_page(*codes: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a page view taking `workspace_slug`: sets `request.member`, checks `codes`.

    Non-members get 404; members without a permission get a 403 page. A `NotFound` or `Forbidden`
    raised by the view (from a service or selector) gets the same pages.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, workspace_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                member = get_member(request.user, workspace_slug)
            except NotFound:
                raise Http404 from None
            request.member = member  # type: ignore[attr-defined]
            remember_workspace(request, workspace_slug)
            try:
                require(member, *codes)
            except Forbidden as exc:
                return render(request, "403.html", {"message": exc.message}, status=403)
            try:
                response = view(request, workspace_slug, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except Forbidden as exc:
                return render(request, "403.html", {"message": exc.message}, status=403)
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
    """Send the user to the calendar of their (last used) workspace."""
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
    """Where a member starts: the calendar, or the first page their role lets them open."""
    slug = member.workspace.slug
    for code, name, fallback in (
        ("session.read", "scheduling:calendar", f"/w/{slug}/sessions/"),
        ("client.read", "clients:list", f"/w/{slug}/clients/"),
    ):
        if member.has_perm(code):
            try:
                return reverse(name, kwargs={"workspace_slug": slug})
            except NoReverseMatch:
                return fallback
    return reverse("workspaces:settings", kwargs={"workspace_slug": slug})
