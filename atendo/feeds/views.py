"""Pages: Settings › Calendar feed (make, see, revoke), and the feed itself (no log-in: the URL is
the secret)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from atendo.core.errors import NotFound
from atendo.core.http import PageRequest
from atendo.feeds import services
from atendo.feeds.models import CalendarFeed, FeedScope
from atendo.workspaces.pages import workspace_page


@workspace_page("session.read")
def feeds_page(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    new_url = ""
    if request.method == "POST":
        _feed, new_url = services.feed_create(
            member=member,
            scope=request.POST.get("scope", FeedScope.MINE),
            initials_only=request.POST.get("initials_only") == "on",
        )
    context = {
        "nav": "settings",
        "settings_active": "calendar_feed",
        "feeds": list(services.feeds_for(member).order_by("-created_at")),
        "new_url": new_url,
        "may_feed_workspace": services.may_feed_workspace(member),
        "scopes": FeedScope.choices,
    }
    return render(request, "feeds/feeds.html", context)


@require_POST
@workspace_page("session.read")
def feed_revoke(request: PageRequest, workspace_slug: str, feed_id: int) -> HttpResponse:
    services.feed_revoke(member=request.member, feed_id=feed_id)
    messages.success(request, _("The feed's address no longer works."))
    return redirect("feeds:index", workspace_slug=workspace_slug)


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feed: CalendarFeed = services.feed_by_token(token)
    except NotFound:
        raise Http404 from None
    sessions = services.feed_sessions(feed)
    version = services.feed_version(feed, sessions)
    if request.headers.get("If-None-Match") == version.etag:
        return HttpResponseNotModified()
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if (
        since is not None
        and version.last_modified is not None
        and int(version.last_modified.timestamp()) <= since
        and "If-None-Match" not in request.headers
    ):
        return HttpResponseNotModified()
    body = services.feed_body(feed, sessions, version)
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = version.etag
    if version.last_modified is not None:
        response["Last-Modified"] = http_date(version.last_modified.timestamp())
    response["Content-Disposition"] = 'inline; filename="atendo.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
