"""How the person behind a request signed in, and the one re-authentication check.

A browser session carries stamps (epoch seconds, UTC) set when the user logs in
(`user_logged_in`, so every way of logging in sets them) and renewed by the confirm page:

- `LOGIN_AT`: when the session began (the absolute lifetime counts from it);
- `AUTH_AT`: when the password (and, for users with an authenticator, a code) was last entered;
- `MFA_AT`: when a second factor was last passed in this session (absent: never);
- `SEEN_AT`: the last activity, renewed at most once a `ACTIVITY_RESOLUTION` by the middleware;
- `IDLE`: the idle timeout in force for this user (seconds), recomputed with `SEEN_AT`.

**Sensitive acts** (role and membership changes, assigning practitioners, security settings,
tokens with the `sensitive` scope, exports…) call `require_recent_sign_in(member)` in their
service: one check for every door. The doors put the request's `SignIn` on the member they resolve
(`workspaces.pages.workspace_page`, `workspaces.api_auth`):

- a browser session passes when its `AUTH_AT` is within `REAUTH_WINDOW_SECONDS` (default 15
  minutes); otherwise `ReauthRequired` (403 `reauth_required`): the API answers it in the error
  shape, pages send the browser to the confirm page and back;
- an API token passes only when it was created with the `sensitive` scope (creating one is itself
  a sensitive act); otherwise 403 `reauth_required` — a token cannot type a password;
- a member without a `SignIn` was not resolved by a web door (a `manage.py` command, the task
  worker): the operator of the server acts, and passes.

Account pages outside a workspace use the `recent_sign_in_required` decorator (same rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from atendo.core.errors import Forbidden
from atendo.core.http import safe_next

if TYPE_CHECKING:
    from atendo.workspaces.models import Membership

LOGIN_AT = "_atendo_login_at"
AUTH_AT = "_atendo_auth_at"
MFA_AT = "_atendo_mfa_at"
SEEN_AT = "_atendo_seen_at"
IDLE = "_atendo_idle"

SENSITIVE_SCOPE = "sensitive"
TOKEN_SCOPES = {
    SENSITIVE_SCOPE: gettext_lazy(
        "Sensitive acts: changing roles and members, assigning practitioners, security settings, full exports"
    ),
}

# Activity is written to the session at most this often (seconds), so most requests write nothing.
ACTIVITY_RESOLUTION = 60


def now() -> float:
    return timezone.now().timestamp()


def reauth_window() -> int:
    return int(settings.REAUTH_WINDOW_SECONDS)


def session_max_age() -> int:
    return int(settings.SESSION_MAX_AGE_SECONDS)


def _stamp(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class SignIn:
    """How the person acting in this request proved who they are."""

    via: Literal["session", "token"]
    authenticated_at: float | None = None
    mfa_at: float | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def recent(self) -> bool:
        if self.via == "token":
            return SENSITIVE_SCOPE in self.scopes
        return self.authenticated_at is not None and now() - self.authenticated_at <= reauth_window()

    @property
    def passed_mfa(self) -> bool:
        return self.via == "session" and self.mfa_at is not None


def session_sign_in(request: HttpRequest) -> SignIn:
    session = request.session
    return SignIn(
        via="session", authenticated_at=_stamp(session.get(AUTH_AT)), mfa_at=_stamp(session.get(MFA_AT))
    )


def token_sign_in(scopes: Collection[str]) -> SignIn:
    return SignIn(via="token", scopes=frozenset(scopes or ()))


class ReauthRequired(Forbidden):
    """403 `reauth_required`: this act needs a recent sign-in (or a token with the sensitive scope)."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("For your security, confirm your password to do this."), code="reauth_required"
        )


def require_recent_sign_in(member: Membership) -> None:
    """Raise `ReauthRequired` unless the member's sign-in is recent enough for a sensitive act."""
    sign_in: SignIn | None = getattr(member, "sign_in", None)
    if sign_in is None or sign_in.recent:
        return
    if sign_in.via == "token":
        raise ReauthRequired(
            _(
                "This API token may not do sensitive acts. Create a token with the “sensitive” scope "
                "for this, or do it signed in to the web app."
            )
        )
    raise ReauthRequired()


def mark_signed_in(request: HttpRequest, *, mfa: bool, logged_in: Any = None) -> None:
    """Stamp the session: the user just entered their password (and a second factor when `mfa`).
    `logged_in`: the user who has just logged in (a new session: its lifetime starts now)."""
    moment = now()
    session = request.session
    if logged_in is not None:
        session[LOGIN_AT] = moment
        session[SEEN_AT] = moment
        session[IDLE] = idle_seconds(logged_in)
        session.pop(MFA_AT, None)
    session[AUTH_AT] = moment
    if mfa:
        session[MFA_AT] = moment


def mark_mfa_passed(request: HttpRequest) -> None:
    request.session[MFA_AT] = now()


# --- the idle timeout, decided above accounts -----------------------------------------------------

_idle_policy: Callable[[Any], int | None] | None = None


def register_idle_policy(policy: Callable[[Any], int | None]) -> None:
    """`policy(user)` -> the idle timeout in seconds for that user's sessions (None: none but the
    absolute lifetime). Registered by workspaces, which knows the settings and the roles."""
    global _idle_policy
    _idle_policy = policy


def idle_seconds(user: Any) -> int | None:
    if _idle_policy is None or not getattr(user, "is_authenticated", False):
        return None
    return _idle_policy(user)


_mfa_policy: Callable[[Any], list[str]] | None = None


def register_mfa_policy(policy: Callable[[Any], list[str]]) -> None:
    """`policy(user)` -> the names of the workspaces that require two-step verification of that
    user (registered by workspaces). A user they name cannot turn it off."""
    global _mfa_policy
    _mfa_policy = policy


def mfa_required_by(user: Any) -> list[str]:
    if _mfa_policy is None or not getattr(user, "is_authenticated", False):
        return []
    return _mfa_policy(user)


@dataclass(frozen=True)
class SessionState:
    ended: Literal["idle", "lifetime"] | None
    idle_timeout: int | None
    idle_left: int | None
    lifetime_left: int


def session_state(session: Any, moment: float) -> SessionState:
    """Whether a logged-in session has ended, and how long it has left."""
    login_at = _stamp(session.get(LOGIN_AT)) or moment
    seen_at = _stamp(session.get(SEEN_AT)) or login_at
    idle = session.get(IDLE)
    idle = idle if isinstance(idle, int) and not isinstance(idle, bool) and idle > 0 else None
    lifetime_left = int(login_at + session_max_age() - moment)
    idle_left = int(seen_at + idle - moment) if idle is not None else None
    ended: Literal["idle", "lifetime"] | None = None
    if lifetime_left <= 0:
        ended = "lifetime"
    elif idle_left is not None and idle_left <= 0:
        ended = "idle"
    return SessionState(ended=ended, idle_timeout=idle, idle_left=idle_left, lifetime_left=lifetime_left)


def session_began(session: Any) -> dt.datetime | None:
    stamp = _stamp(session.get(LOGIN_AT))
    return dt.datetime.fromtimestamp(stamp, tz=dt.UTC) if stamp is not None else None


# --- pages ------------------------------------------------------------------------------------------


def back_url(request: HttpRequest) -> str:
    """Where to come back after confirming: this page for a GET, the page the form was on (or the
    path posted to) otherwise."""
    if request.method in {"GET", "HEAD"}:
        return request.get_full_path()
    referer = safe_next(request, request.META.get("HTTP_REFERER"))
    if referer:
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.path


def confirm_redirect(request: HttpRequest) -> HttpResponse:
    """Send the browser to the confirm page, coming back to `back_url` (htmx follows `HX-Redirect`)."""
    url = f"{reverse('account_confirm')}?{urlencode({'next': back_url(request)})}"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def recent_sign_in_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An account page (outside a workspace) that is itself a sensitive act: confirm first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not session_sign_in(request).recent:
            return confirm_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper
