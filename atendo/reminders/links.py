"""The client's link in a reminder: `/r/<token>/`, signed, single-purpose, expiring, no log-in.

The token is Django's `TimestampSigner` over (workspace id, session id, the start it was sent for),
salted for this one purpose: it opens nothing but this session's confirm / cancel / stop page, and
no other signed value of the app is accepted for it. It expires `REMINDER_LINK_MAX_AGE_DAYS` after
it was made, and is spent by the session itself: once the session has started, moved (another
start), been cancelled or confirmed, the page says so instead of offering the buttons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "atendo.reminders.link"


@dataclass(frozen=True)
class LinkTarget:
    workspace_id: int
    session_id: int
    planned_start: int  # epoch seconds of the start the link was made for


def make_token(*, workspace_id: int, session_id: int, starts_at: dt.datetime) -> str:
    value = f"{workspace_id}.{session_id}.{int(starts_at.timestamp())}"
    return signing.TimestampSigner(salt=SALT).sign(value)


def link_url(token: str) -> str:
    return settings.ATENDO_PUBLIC_URL.rstrip("/") + reverse("reminders_public:respond", args=[token])


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def read_token(token: str) -> LinkTarget:
    max_age = dt.timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS)
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    try:
        workspace_id, session_id, start = (int(part) for part in value.split("."))
    except ValueError as exc:
        raise LinkInvalid from exc
    return LinkTarget(workspace_id, session_id, start)
