"""Ends browser sessions that were idle too long or have reached their absolute lifetime, and
records activity (at most once a minute) for the idle timeout and the session list.

The idle timeout is the strictest of the user's workspaces (a workspace setting, per kind of role:
see `workspaces.security`); the lifetime is `SESSION_MAX_AGE_SECONDS`, counted from the log-in.
An ended session is logged out before the view runs: pages then ask to log in again (with a
message saying why), htmx requests are sent there with `HX-Redirect`, API calls answer 401.

`GET /account/session/` (the page's idle warning asking how long is left) is not activity;
`POST /account/session/keepalive/` (typing, clicking, "Stay signed in") always is.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import ngettext

from atendo.accounts import signin
from atendo.accounts.forms import client_ip


class SessionSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        # What the session list shows, written with the session whenever it is saved.
        session.client_ip = client_ip(request)  # type: ignore[attr-defined]
        session.user_agent = request.META.get("HTTP_USER_AGENT", "")  # type: ignore[attr-defined]
        if SESSION_KEY in session:
            ended = self._check(request)
            if ended is not None:
                return ended
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        moment = signin.now()
        state = signin.session_state(session, moment)
        if state.ended is not None:
            self._end(request, state)
            if request.headers.get("HX-Request") and not request.path.startswith("/api/"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = (
                    f"{reverse('login')}?{urlencode({'next': signin.back_url(request)})}"
                )
                return response
            return None  # the view sees an anonymous request: log-in page, or 401 from the API
        path = request.path
        if path == reverse("account_session_status"):
            return None
        seen = session.get(signin.SEEN_AT)
        stale = not isinstance(seen, int | float) or moment - seen >= signin.ACTIVITY_RESOLUTION
        if stale or (path == reverse("account_session_keepalive") and request.method == "POST"):
            session[signin.SEEN_AT] = moment
            session[signin.IDLE] = signin.idle_seconds(request.user)
        return None

    def _end(self, request: HttpRequest, state: signin.SessionState) -> None:
        logout(request)
        if request.path.startswith("/api/"):
            return
        if state.ended == "idle" and state.idle_timeout:
            minutes = max(1, state.idle_timeout // 60)
            message = ngettext(
                "For your security, you were signed out after %(minutes)d minute without activity.",
                "For your security, you were signed out after %(minutes)d minutes without activity.",
                minutes,
            ) % {"minutes": minutes}
        else:
            hours = max(1, signin.session_max_age() // 3600)
            message = ngettext(
                "For your security, a session lasts at most %(hours)d hour. Please log in again.",
                "For your security, a session lasts at most %(hours)d hours. Please log in again.",
                hours,
            ) % {"hours": hours}
        messages.info(request, message)
