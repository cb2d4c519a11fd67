from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from atendo.core.views import workspace_page


@workspace_page()
def calendar(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    request.session["workspace_slug"] = workspace_slug
    return render(request, "scheduling/calendar.html", {"nav": "sessions"})
