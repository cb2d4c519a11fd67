"""The link in the booking e-mail: `/book/confirm/<token>/`, signed, single-purpose, expiring.

Django's `TimestampSigner` over (workspace id, booking id), salted for this one purpose, so no
other signed value of the app opens it. It expires with the hold on the slot
(`BOOKING_HOLD_MINUTES`), and is single-use in effect: once the booking is confirmed (or its hold
lapsed) the page says so instead of offering the button.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "atendo.booking.confirm"


def hold_minutes() -> int:
    return max(1, int(getattr(settings, "BOOKING_HOLD_MINUTES", 30)))


@dataclass(frozen=True)
class LinkTarget:
    workspace_id: int
    booking_id: int


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def make_token(*, workspace_id: int, booking_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(f"{workspace_id}.{booking_id}")


def link_url(token: str) -> str:
    return settings.ATENDO_PUBLIC_URL.rstrip("/") + reverse("booking_public:confirm", args=[token])


def read_token(token: str) -> LinkTarget:
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=dt.timedelta(minutes=hold_minutes()))
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    try:
        workspace_id, booking_id = (int(part) for part in value.split("."))
    except ValueError as exc:
        raise LinkInvalid from exc
    return LinkTarget(workspace_id, booking_id)
