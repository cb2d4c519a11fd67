"""The backup page: what a whole-workspace archive holds and how to restore it, and the button that
asks for one (the export machinery builds it; it appears under "Your exports"). Owner-level
(`services.PERMISSIONS`); asking is a sensitive act, so a stale sign-in is sent to confirm the
password (the `workspace_page` decorator)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendo.backup.services import PERMISSIONS
from atendo.backup.tables import NOT_BACKED_UP
from atendo.core.errors import DomainError
from atendo.core.http import PageRequest
from atendo.exports import services as exports
from atendo.workspaces.pages import workspace_page


@workspace_page(*PERMISSIONS)
def index(request: PageRequest, workspace_slug: str) -> HttpResponse:
    context = {
        "nav": "settings",
        "ttl_hours": int(float(settings.EXPORT_TTL_HOURS)),
        "left_out": len(NOT_BACKED_UP),
    }
    return render(request, "backup/index.html", context)


@require_POST
@workspace_page(*PERMISSIONS)
def create(request: PageRequest, workspace_slug: str) -> HttpResponse:
    try:
        exports.export_request(member=request.member, kind="workspace", format="zip")
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("backup:index", args=[workspace_slug]))
    messages.success(request, _("The backup is on the way; it appears below when it is ready."))
    return HttpResponseRedirect(reverse("exports:index", args=[workspace_slug]))
