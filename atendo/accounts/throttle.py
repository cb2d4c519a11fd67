"""Throttling per account and per address: failed logins, and password-reset e-mails.

One mechanism for both: each attempt is a row (e-mail, client address, time), rows older than the
window are pruned, and once `limit` rows for an e-mail or an address fall inside the window, the
next attempt waits until the oldest of them ages out (`_lock_from`).

Logins: after `LOGIN_THROTTLE_MAX_FAILURES` failed logins for one e-mail address within
`LOGIN_THROTTLE_WINDOW_SECONDS`, that account refuses every login (even with the right password)
until enough failures age out of the window. An IP address gets the same treatment after
`LOGIN_THROTTLE_MAX_FAILURES_PER_IP` failures (higher, because an office shares one address).
A successful login clears the account's failures. The login form calls `check` before the
password is tried, then `record_failure` or `record_success`.

Password resets: at most `PASSWORD_RESET_THROTTLE_MAX_PER_EMAIL` reset e-mails go to one address,
and at most `PASSWORD_RESET_THROTTLE_MAX_PER_IP` requests are served for one client address,
within `PASSWORD_RESET_THROTTLE_WINDOW_SECONDS`, so nobody can flood a mailbox. The reset page
calls `reset_allowed` and, when allowed, `record_reset`; a refused request gets the same answer as
any other (no e-mail is sent), so it reveals neither the throttle nor whether the account exists.

Second-factor codes: after `MFA_THROTTLE_MAX_FAILURES` wrong codes for one account within
`MFA_THROTTLE_WINDOW_SECONDS`, every code is refused (the right one too) until they age out. A
right password does not clear them (only a right code does), so guessing codes needs no fewer
tries for someone who knows the password.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from atendo.accounts.models import LoginFailure, MfaFailure, PasswordResetRequest


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


def _lock_from(
    attempts: QuerySet[LoginFailure] | QuerySet[PasswordResetRequest] | QuerySet[MfaFailure],
    limit: int,
    window: dt.timedelta,
) -> dt.datetime | None:
    """If `attempts` (already limited to the window) hold `limit` or more rows, the moment the
    `limit`-th most recent one leaves the window; otherwise None."""
    nth = attempts.order_by("-at").values_list("at", flat=True)[limit - 1 : limit]
    at = next(iter(nth), None)
    if at is None:
        return None
    return at + window


def check(*, email: str, ip: str | None) -> Lock | None:
    """The lock in force for this e-mail or this address, or None when a login may be tried."""
    now = timezone.now()
    recent = LoginFailure.objects.filter(at__gt=now - _window())
    untils = [_lock_from(recent.filter(email=normalize_email(email)), _max_per_account(), _window())]
    if ip:
        untils.append(_lock_from(recent.filter(ip=ip), _max_per_ip(), _window()))
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


# --- password resets ------------------------------------------------------------------------------


def _reset_window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PASSWORD_RESET_THROTTLE_WINDOW_SECONDS)


def reset_allowed(*, email: str, ip: str | None) -> bool:
    """Whether a reset e-mail may be sent for `email` to a request from `ip` now."""
    now = timezone.now()
    window = _reset_window()
    recent = PasswordResetRequest.objects.filter(at__gt=now - window)
    limits = [(recent.filter(email=normalize_email(email)), settings.PASSWORD_RESET_THROTTLE_MAX_PER_EMAIL)]
    if ip:
        limits.append((recent.filter(ip=ip), settings.PASSWORD_RESET_THROTTLE_MAX_PER_IP))
    for attempts, limit in limits:
        until = _lock_from(attempts, max(1, int(limit)), window)
        if until is not None and until > now:
            return False
    return True


def record_reset(*, email: str, ip: str | None) -> None:
    """Remember a served reset request and forget the ones that no longer count."""
    now = timezone.now()
    PasswordResetRequest.objects.filter(at__lte=now - _reset_window()).delete()
    PasswordResetRequest.objects.create(email=normalize_email(email), ip=ip or None, at=now)


# --- second-factor codes --------------------------------------------------------------------------


def _mfa_window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.MFA_THROTTLE_WINDOW_SECONDS)


def mfa_check(*, user_id: int) -> Lock | None:
    """The lock in force for this account's codes, or None when a code may be tried."""
    now = timezone.now()
    recent = MfaFailure.objects.filter(user_id=user_id, at__gt=now - _mfa_window())
    until = _lock_from(recent, max(1, int(settings.MFA_THROTTLE_MAX_FAILURES)), _mfa_window())
    return Lock(until=until) if until is not None and until > now else None


def mfa_record_failure(*, user_id: int, ip: str | None) -> None:
    now = timezone.now()
    MfaFailure.objects.filter(at__lte=now - _mfa_window()).delete()
    MfaFailure.objects.create(user_id=user_id, ip=ip or None, at=now)


def mfa_record_success(*, user_id: int) -> None:
    MfaFailure.objects.filter(user_id=user_id).delete()
