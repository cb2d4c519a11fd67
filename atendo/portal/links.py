"""Magic links and portal sessions: random secrets of which only the SHA-256 is stored.

A link's token and a session's cookie value are 32 random bytes (`secrets.token_urlsafe`); the
database keeps `sha256(value)` only, so a copy of the tables opens nothing. Lifetimes (settings):
`PORTAL_LINK_MINUTES` (30) for a link, used once; `PORTAL_SESSION_IDLE_MINUTES` (12 h) without
activity and `PORTAL_SESSION_MAX_HOURS` (24 h) whatever the activity for a session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.urls import reverse

COOKIE = "atendo_portal"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def link_lifetime() -> dt.timedelta:
    return dt.timedelta(minutes=max(1, int(getattr(settings, "PORTAL_LINK_MINUTES", 30))))


def session_idle() -> dt.timedelta:
    return dt.timedelta(minutes=max(1, int(getattr(settings, "PORTAL_SESSION_IDLE_MINUTES", 12 * 60))))


def session_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=max(1, int(getattr(settings, "PORTAL_SESSION_MAX_HOURS", 24))))


def link_url(raw: str) -> str:
    return settings.ATENDO_PUBLIC_URL.rstrip("/") + reverse("portal_public:enter", args=[raw])
