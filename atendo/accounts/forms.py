"""The login form: e-mail + password, throttled per account and per address."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from atendo.accounts import throttle


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address. Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn's
    --forwarded-allow-ips) rather than trusting a client-supplied header here."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That e-mail address and password do not match. Both are case-sensitive."),
        "inactive": _("This account is inactive."),
    }

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            ip = client_ip(self.request)
            lock = throttle.check(email=email, ip=ip)
            if lock is not None:
                minutes = lock.minutes_left
                raise forms.ValidationError(
                    ngettext(
                        "Too many failed log-in attempts. For your security, logging in is paused; "
                        "try again in %(minutes)d minute.",
                        "Too many failed log-in attempts. For your security, logging in is paused; "
                        "try again in %(minutes)d minutes.",
                        minutes,
                    )
                    % {"minutes": minutes},
                    code="throttled",
                )
            self.user_cache = authenticate(self.request, username=email.lower(), password=password)
            if self.user_cache is None:
                throttle.record_failure(email=email, ip=ip)
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
            throttle.record_success(email=email)
        return self.cleaned_data


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, also for people who never had a password: someone an owner added to a
    workspace chooses their first password through the same kind of link."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email: str) -> Iterator[Any]:
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.casefold() == email.casefold())


RESET_SUBJECT = "registration/password_reset_subject.txt"
RESET_BODY = "registration/password_reset_email.txt"


def reset_mail_send(user_ids: list[int], *, domain: str, use_https: bool, language: str) -> int:
    """The worker's half of the reset page (`tasks.send_password_reset`): Django's
    `PasswordResetForm.save` for the address of each of these accounts still active, in the language
    the page was read in. -> addresses written to."""
    users = get_user_model()._default_manager.filter(pk__in=user_ids, is_active=True)
    emails = sorted({user.email for user in users})
    with translation.override(language):
        for email in emails:
            form = PasswordResetForm({"email": email})
            if form.is_valid():
                form.save(
                    domain_override=domain,
                    use_https=use_https,
                    subject_template_name=RESET_SUBJECT,
                    email_template_name=RESET_BODY,
                )
    return len(emails)


def send_invitation(*, request: HttpRequest, user: Any, workspace_name: str, inviter: str) -> None:
    """E-mail a new member a link to choose their password (the reset link, with other words)."""
    form = PasswordResetForm({"email": user.email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="registration/invitation_subject.txt",
            email_template_name="registration/invitation_email.txt",
            extra_email_context={"workspace_name": workspace_name, "inviter": inviter},
        )


class CodeForm(forms.Form):
    """A second-factor code: 6 digits from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        strip=True,
        help_text=_("The 6 digits your authenticator app shows for Atendo, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
                "inputmode": "text",
            }
        ),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        strip=True,
        help_text=_("After scanning, the app shows 6 digits that change every 30 seconds."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ConfirmForm(forms.Form):
    """Confirm it is you: the password, and a code when the account has an authenticator."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args: Any, with_code: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if with_code:
            code = copy.deepcopy(CodeForm.base_fields["code"])
            code.widget.attrs.pop("autofocus", None)
            self.fields["code"] = code
