"""Login throttling, per account and per address.

After `LOGIN_THROTTLE_MAX_FAILURES` failed logins for one e-mail address within
`LOGIN_THROTTLE_WINDOW_SECONDS`, that account refuses every login (even with the right password)
until enough failures age out of the window. An IP address gets the same treatment after
`LOGIN_THROTTLE_MAX_FAILURES_PER_IP` failures (higher, because an office shares one address).
A successful login clears the account's failures; failures older than the window are pruned.

The login form is the only caller: `check` before the password is tried, then `record_failure`
or `record_success`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from atendo.accounts.models import LoginFailure


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def _max_per_account() -> int:
    return max(1, int(settings.LOGIN_THROTTLE_MAX_FAILURES))


def _max_per_ip() -> int:
    default = 4 * _max_per_account()
    return max(1, int(getattr(settings, "LOGIN_THROTTLE_MAX_FAILURES_PER_IP", default)))


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()[:254]


@dataclass(frozen=True)
class Lock:
    """Logins are refused until `until`."""

    until: dt.datetime

    @property
    def minutes_left(self) -> int:
        seconds = (self.until - timezone.now()).total_seconds()
        return max(1, math.ceil(seconds / 60))


def _lock_from(failures: QuerySet[LoginFailure], limit: int) -> dt.datetime | None:
    """If `failures` (already limited to the window) hold `limit` or more rows, the moment the
    `limit`-th most recent one leaves the window; otherwise None."""
    nth = failures.order_by("-at").values_list("at", flat=True)[limit - 1 : limit]
    at = next(iter(nth), None)
    if at is None:
        return None
    return at + _window()


def check(*, email: str, ip: str | None) -> Lock | None:
    """The lock in force for this e-mail or this address, or None when a login may be tried."""
    now = timezone.now()
    recent = LoginFailure.objects.filter(at__gt=now - _window())
    untils = [_lock_from(recent.filter(email=normalize_email(email)), _max_per_account())]
    if ip:
        untils.append(_lock_from(recent.filter(ip=ip), _max_per_ip()))
    active = [until for until in untils if until is not None and until > now]
    return Lock(until=max(active)) if active else None


def record_failure(*, email: str, ip: str | None) -> None:
    """Remember a failed login and forget the ones that no longer count."""
    now = timezone.now()
    LoginFailure.objects.filter(at__lte=now - _window()).delete()
    LoginFailure.objects.create(email=normalize_email(email), ip=ip or None, at=now)


def record_success(*, email: str) -> None:
    """A successful login clears the account's failures (the address keeps its count)."""
    LoginFailure.objects.filter(email=normalize_email(email)).delete()
