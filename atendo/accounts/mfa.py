"""Two-step verification: an authenticator app (TOTP, RFC 6238, via pyotp) and recovery codes.

- Enrolment: `new_secret()` is kept in the browser's session while the user scans the QR code
  (`qr_data_uri`); `totp_enable` stores it once a code from the app matches, and returns ten new
  recovery codes (shown once; only their hashes are kept).
- Verification: `verify_second_factor` accepts a current code (one step either side for clock drift)
  exactly once — never the same or an earlier time step again — or an unused recovery code, which
  is then spent. Wrong codes are throttled per account (`throttle.mfa_*`): after
  `MFA_THROTTLE_MAX_FAILURES` within `MFA_THROTTLE_WINDOW_SECONDS`, every code is refused until
  they age out, the right one too. A right password never resets that count.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from typing import Any, Literal

import pyotp
import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atendo.accounts import throttle
from atendo.accounts.models import RecoveryCode, TotpDevice
from atendo.core.errors import DomainError, ValidationFailed

logger = logging.getLogger("atendo.security")

ISSUER = "Atendo"
RECOVERY_CODE_COUNT = 10
# 31 letters and digits, none that read alike (no i, l, o, 0, 1): 12 of them carry ~59 bits.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_TOTP = re.compile(r"\d{6}")


class Throttled(DomainError):
    """429: too many wrong codes; `minutes` until the next try."""

    def __init__(self, minutes: int):
        super().__init__(
            message=ngettext(
                "Too many wrong codes. For your security, try again in %(minutes)d minute.",
                "Too many wrong codes. For your security, try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
            code="throttled",
            status=429,
        )


def has_mfa(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and TotpDevice.objects.filter(user=user).exists()


def new_secret() -> str:
    return pyotp.random_base32()


def grouped(secret: str) -> str:
    """The secret as people type it into an app: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(*, secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI (an <img>, allowed by the CSP; no script, no image library)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#1b2430"))


def _normal(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()[:40]


def _totp_step(secret: str, code: str) -> int | None:
    """The time step (30 s) whose code is `code`: now, or one either side for a drifting clock."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(timezone.now())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def _wrong_code() -> ValidationFailed:
    return ValidationFailed.single(
        "code", _("That code is not right. Enter the 6 digits your app shows now, or a recovery code.")
    )


@transaction.atomic
def recovery_codes_regenerate(*, user: Any) -> list[str]:
    """Replace every recovery code of the user with ten new ones; returns them (shown once)."""
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _j in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash(code)) for code in codes])
    logger.info("New recovery codes for user %s", user.pk)
    return codes


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def totp_enable(*, user: Any, secret: str, code: str, ip: str | None = None) -> list[str]:
    """Store the authenticator whose current code is `code` (replacing any earlier one), and give
    the user new recovery codes. A wrong code counts towards the throttle."""
    lock = throttle.mfa_check(user_id=user.pk)
    if lock is not None:
        raise Throttled(lock.minutes_left)
    normal = _normal(code)
    step = _totp_step(secret, normal) if _TOTP.fullmatch(normal) else None
    if step is None:
        throttle.mfa_record_failure(user_id=user.pk, ip=ip)
        raise ValidationFailed.single(
            "code", _("That code does not match. Enter the 6 digits your app shows now for Atendo.")
        )
    with transaction.atomic():
        TotpDevice.objects.update_or_create(
            user=user, defaults={"secret": secret, "last_step": step, "confirmed_at": timezone.now()}
        )
        codes = recovery_codes_regenerate(user=user)
    throttle.mfa_record_success(user_id=user.pk)
    logger.info("Two-step verification turned on for user %s", user.pk)
    return codes


@transaction.atomic
def totp_disable(*, user: Any) -> None:
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    logger.info("Two-step verification turned off for user %s", user.pk)


def verify_second_factor(*, user: Any, code: str, ip: str | None = None) -> Literal["totp", "recovery"]:
    """Accept a current authenticator code (once) or an unused recovery code (then spent), or raise
    `ValidationFailed` at `code` (counted) / `Throttled`. Not atomic as a whole on purpose: a wrong
    code's record must survive the refusal."""
    lock = throttle.mfa_check(user_id=user.pk)
    if lock is not None:
        raise Throttled(lock.minutes_left)
    normal = _normal(code)
    if _TOTP.fullmatch(normal):
        device = TotpDevice.objects.filter(user=user).first()
        step = _totp_step(device.secret, normal) if device is not None else None
        # A conditional update: of two requests with the same code, exactly one wins.
        if (
            step is not None
            and TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step) == 1  # type: ignore[union-attr]
        ):
            throttle.mfa_record_success(user_id=user.pk)
            return "totp"
    elif normal:
        spent = RecoveryCode.objects.filter(user=user, code_hash=_hash(normal), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if spent == 1:
            throttle.mfa_record_success(user_id=user.pk)
            logger.info("Recovery code used by user %s", user.pk)
            return "recovery"
    throttle.mfa_record_failure(user_id=user.pk, ip=ip)
    raise _wrong_code()
