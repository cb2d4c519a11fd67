"""A user's browser sessions: the list they see (device, address, signed in, last active) and
signing them out — one, all the others, or all (also what a password change or reset does).

A session is identified to its user by a keyed hash of its key (`public_id`), never by the key
itself: the key is the cookie that logs a browser in.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from atendo.accounts import signin
from atendo.accounts.models import UserSession

logger = logging.getLogger("atendo.security")


def public_id(session_key: str) -> str:
    return salted_hmac("atendo.accounts.session-id", session_key).hexdigest()[:24]


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """ "Chrome on Windows" from a User-Agent header (enough to recognise one's own devices)."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if re.search(r"HeadlessChrome/", user_agent):
        browser = "Chrome (headless)"
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown device")


@dataclass(frozen=True)
class SessionRow:
    id: str
    device: str
    ip: str | None
    signed_in_at: dt.datetime
    last_seen_at: dt.datetime | None
    current: bool


def sessions_list(*, user: Any, current_key: str | None) -> list[SessionRow]:
    """The user's sessions still alive: not expired, within the absolute lifetime and, by their
    last activity, not idle longer than the user's idle timeout. Most recently active first."""
    now = timezone.now()
    qs = UserSession.objects.filter(
        user=user,
        expire_date__gt=now,
        created_at__gt=now - dt.timedelta(seconds=signin.session_max_age()),
    )
    idle = signin.idle_seconds(user)
    rows = []
    for s in qs.order_by("-last_seen_at", "-created_at"):
        seen = s.last_seen_at or s.created_at
        current = s.session_key == current_key
        if idle is not None and not current and (now - seen).total_seconds() > idle:
            continue
        rows.append(
            SessionRow(
                id=public_id(s.session_key),
                device=describe_device(s.user_agent),
                ip=s.ip,
                signed_in_at=s.created_at,
                last_seen_at=s.last_seen_at,
                current=current,
            )
        )
    rows.sort(key=lambda r: not r.current)
    return rows


def session_end(*, user: Any, session_id: str) -> bool:
    """Sign out one of the user's sessions (by its public id). False when there is no such session."""
    for key in UserSession.objects.filter(user=user).values_list("session_key", flat=True):
        if public_id(key) == session_id:
            UserSession.objects.filter(user=user, session_key=key).delete()
            logger.info("User %s signed out one session", user.pk)
            return True
    return False


def sessions_end(*, user: Any, keep_key: str | None = None) -> int:
    """Sign the user out everywhere (but the session `keep_key`, if given). How many ended."""
    qs = UserSession.objects.filter(user=user)
    if keep_key:
        qs = qs.exclude(session_key=keep_key)
    count, _by_model = qs.delete()
    logger.info("User %s: %d session(s) signed out", user.pk, count)
    return count
