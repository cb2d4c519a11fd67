"""Users log in with their e-mail address. API tokens are bound to a user in one workspace.

Sign-in security (see docs/security.md): a user's authenticator app (`TotpDevice`) and recovery codes,
wrong second-factor codes kept briefly for throttling (`MfaFailure`), and the browser sessions
(`UserSession`: Django's database session with its user, address, device and last activity).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who can log in. Workspace access comes only from memberships."""

    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: UserManager = UserManager()  # type: ignore[misc]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the raw value is shown once at creation."""

    PREFIX = "atd_"

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="First characters, to recognise the token.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the token may do beyond the member's permissions: "sensitive" lets it do the acts that
    # otherwise need a recent sign-in (accounts/signin.py). Chosen at creation, never widened.
    scopes = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "user"], name="apitoken_ws_user")]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginFailure(models.Model):
    """A failed login, kept briefly to throttle guessing per account and per address."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} from {self.ip} at {self.at:%Y-%m-%d %H:%M}"


class PasswordResetRequest(models.Model):
    """A password-reset e-mail asked for, kept briefly to throttle floods per address and per client
    (see accounts/throttle.py). Recorded whether or not an account has that address."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} from {self.ip} at {self.at:%Y-%m-%d %H:%M}"


class TotpDevice(models.Model):
    """A user's authenticator app (TOTP, RFC 6238; 6 digits every 30 seconds). Only confirmed
    devices are stored: the secret of an enrolment in progress lives in that browser's session.

    `last_step` is the time step of the last code accepted: a code is accepted once, and never one
    of an earlier step, so a code seen over someone's shoulder cannot be replayed."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    last_step = models.BigIntegerField(default=0)
    confirmed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"


class RecoveryCode(models.Model):
    """A single-use code that stands in for the authenticator app. Only its SHA-256 is stored (a
    code carries ~59 random bits); `used_at` marks it spent."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recoverycode_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class MfaFailure(models.Model):
    """A wrong second-factor code, kept briefly to throttle guessing per account (accounts/throttle.py).
    Separate from `LoginFailure`: a right password must not reset the count of wrong codes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    ip = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "at"], name="mfafailure_user_at")]

    def __str__(self) -> str:
        return f"wrong code for {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class UserSession(AbstractBaseSession):
    """A browser session (Django's database session) with what its user's session list shows:
    who, from which address and device, since when, last active when. Written by
    `accounts.session_store.SessionStore`; deleting the row signs that browser out."""

    user = models.ForeignKey(User, null=True, on_delete=models.CASCADE, related_name="browser_sessions")
    ip = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expire_date"], name="usersession_user_expiry")]

    @classmethod
    def get_session_store_class(cls) -> Any:
        from atendo.accounts.session_store import SessionStore  # the store imports this module

        return SessionStore
