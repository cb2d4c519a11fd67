"""Telehealth links: the one check of a video-call URL, for a session's `video_url` and a member's
default room (`Membership.video_room_url`).

A link is administrative, like the practice's address: the front desk sends it, reminders and the
calendar feed carry it. It must be an absolute https URL (http only for a local address while
DEBUG is on, for development), with a host, no user name or password in it, no spaces, and at
most `MAX_VIDEO_URL` characters. Empty means "no link".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from atendo.core.clean import clean_text
from atendo.core.errors import ValidationFailed

MAX_VIDEO_URL = 500
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def clean_video_url(value: Any, path: str) -> str:
    """The link as stored ("" for none), or a 422 at `path` saying what is wrong with it."""
    text = clean_text(value, path, max_length=MAX_VIDEO_URL)
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ValidationFailed.single(
            path, _("Enter a valid video link, e.g. https://meet.example.com/room.")
        ) from None
    if (
        any(ch.isspace() for ch in text)
        or not host
        or parts.username is not None
        or parts.password is not None
    ):
        raise ValidationFailed.single(
            path, _("Enter a valid video link, e.g. https://meet.example.com/room.")
        )
    scheme = parts.scheme.lower()
    if scheme == "https":
        return text
    if scheme == "http" and settings.DEBUG and host in LOCAL_HOSTS:
        return text
    raise ValidationFailed.single(path, _("A video link must start with https://."))
