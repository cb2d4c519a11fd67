"""Page helpers: every workspace page resolves its member through the same access helper."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from atendo.core.errors import Forbidden, NotFound
from atendo.workspaces.access import get_member, require


def workspace_page(*codes: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a page view taking `workspace_slug`: sets `request.member`, checks `codes`.

    Non-members get 404; members without a permission get a 403 page.
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
            try:
                require(member, *codes)
            except Forbidden as exc:
                return render(request, "403.html", {"message": exc.message}, status=403)
            return view(request, workspace_slug, *args, **kwargs)

        return wrapper

    return decorator


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the calendar of their (last used) workspace."""
    memberships = request.user.memberships.filter(is_active=True).select_related("workspace")  # type: ignore[union-attr,misc]
    last = request.session.get("workspace_slug")
    chosen = next((m for m in memberships if m.workspace.slug == last), None) or memberships.first()
    if chosen is None:
        return render(request, "no_workspace.html")
    return redirect("scheduling:calendar", workspace_slug=chosen.workspace.slug)
