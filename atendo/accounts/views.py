"""Account pages: log in (password, then a second factor for users with an authenticator) and
reset the password (both throttled), log out, change the password, choose a language; the account's
security page (two-step verification, recovery codes, active sessions), the confirm page that
sensitive acts send people to, and the idle timeout's status and keep-alive."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from atendo.accounts import mfa, signin, throttle
from atendo.accounts.forms import CodeForm, ConfirmForm, EnrolForm, LoginForm, PasswordResetForm, client_ip
from atendo.accounts.models import TotpDevice, User
from atendo.accounts.sessions import public_id, session_end, sessions_end, sessions_list
from atendo.accounts.tasks import send_password_reset
from atendo.core.errors import DomainError, ValidationFailed
from atendo.core.http import safe_next

logger = logging.getLogger("atendo.accounts")


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _with_language(response: HttpResponse, user: Any) -> HttpResponse:
    """The language a user chose follows them to every device they log in on."""
    if user.language in dict(settings.LANGUAGES):
        _set_language_cookie(response, user.language)
    return response


# The password step passed, the second factor not yet: who, with which backend, since when, going where.
PENDING_KEY = "_atendo_mfa_pending"
PENDING_SECONDS = 300
SETUP_SECRET_KEY = "_atendo_mfa_setup"
NEW_CODES_KEY = "_atendo_recovery_codes"


class LoginView(auth_views.LoginView):
    """Step one: e-mail and password. A user with an authenticator is not logged in yet: step two
    (`login_verify`) asks for a code first."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if TotpDevice.objects.filter(user=user).exists():
            self.request.session[PENDING_KEY] = {
                "user_id": user.pk,
                "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
                "at": signin.now(),
                "next": self.get_redirect_url(),
            }
            return redirect("login_verify")
        return _with_language(super().form_valid(form), user)


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or signin.now() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user_id = pending.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    return (user, pending) if user is not None else None


@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    """Step two of logging in: a code from the authenticator app, or a recovery code."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING_KEY, None)
        if request.method == "POST":
            messages.info(request, _("That took too long. Please log in again."))
        return redirect("login")
    user, pending = found
    form = CodeForm(request.POST or None, label_suffix="")
    if request.method == "POST" and form.is_valid():
        try:
            used = mfa.verify_second_factor(user=user, code=form.cleaned_data["code"], ip=client_ip(request))
        except DomainError as exc:
            form.add_error("code" if isinstance(exc, ValidationFailed) else None, exc.message)
        else:
            del request.session[PENDING_KEY]
            auth_login(request, user, backend=pending["backend"])
            signin.mark_mfa_passed(request)
            if used == "recovery":
                left = mfa.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code; %(count)d is left. Make new ones on your security page.",
                        "You used a recovery code; %(count)d are left. Make new ones on your security page.",
                        left,
                    )
                    % {"count": left},
                )
            target = safe_next(request, pending.get("next")) or reverse(settings.LOGIN_REDIRECT_URL)
            return _with_language(HttpResponseRedirect(target), user)
    status = 422 if form.errors else 200
    return render(
        request, "registration/login_verify.html", {"form": form, "email": user.email}, status=status
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers the choice on the user's account."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, throttled per e-mail and per client address (accounts/throttle.py).
    A throttled request is answered exactly like a served one, and sends nothing. A served one
    does the same work for a known and an unknown address: it looks the accounts up and queues
    `tasks.send_password_reset` with their ids (none, for an unknown address); the worker writes
    the e-mail, so the answer's time does not tell whether the account exists."""

    form_class = PasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: auth_forms.PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        ip = client_ip(self.request)
        if not throttle.reset_allowed(email=email, ip=ip):
            logger.warning("Password reset throttled for a request from %s", ip)
            return HttpResponseRedirect(self.get_success_url())
        throttle.record_reset(email=email, ip=ip)
        send_password_reset.enqueue(
            [user.pk for user in form.get_users(email)],
            get_current_site(self.request).domain,
            self.request.is_secure(),
            translation.get_language(),
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password chosen through the e-mailed link signs the account out everywhere."""

    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        sessions_end(user=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password keeps this session (Django rotates its hash) and signs out the others."""

    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        ended = sessions_end(user=form.user, keep_key=self.request.session.session_key)
        signin.mark_signed_in(self.request, mfa=False)
        if ended:
            messages.info(
                self.request,
                ngettext(
                    "Your %(count)d other session was signed out.",
                    "Your %(count)d other sessions were signed out.",
                    ended,
                )
                % {"count": ended},
            )
        return response


# --- Confirming it is you (sensitive acts) ----------------------------------------------------------


@login_required
@never_cache
def confirm(request: HttpRequest) -> HttpResponse:
    """The password again (and a code, for an account with an authenticator) before a sensitive act,
    or where a workspace requires two-step verification this session has not passed yet."""
    user: Any = request.user
    with_code = TotpDevice.objects.filter(user=user).exists()
    target = safe_next(request, request.POST.get("next") or request.GET.get("next")) or reverse(
        "account_security"
    )
    form = ConfirmForm(request.POST or None, with_code=with_code)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        lock = throttle.check(email=user.email, ip=ip)
        if lock is not None:
            form.add_error(
                None,
                ngettext(
                    "Too many failed attempts. For your security, try again in %(minutes)d minute.",
                    "Too many failed attempts. For your security, try again in %(minutes)d minutes.",
                    lock.minutes_left,
                )
                % {"minutes": lock.minutes_left},
            )
        elif not user.check_password(form.cleaned_data["password"]):
            throttle.record_failure(email=user.email, ip=ip)
            form.add_error("password", _("That is not your password."))
        else:
            try:
                if with_code:
                    mfa.verify_second_factor(user=user, code=form.cleaned_data.get("code", ""), ip=ip)
            except DomainError as exc:
                form.add_error("code" if isinstance(exc, ValidationFailed) else None, exc.message)
            else:
                throttle.record_success(email=user.email)
                signin.mark_signed_in(request, mfa=with_code)
                return HttpResponseRedirect(target)
    status = 422 if form.errors else 200
    return render(
        request,
        "accounts/confirm.html",
        {"form": form, "next": target, "with_code": with_code, "minutes": signin.reauth_window() // 60},
        status=status,
    )


# --- The security page: two-step verification and sessions ------------------------------------------


@login_required
@never_cache
def security(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    device = TotpDevice.objects.filter(user=user).first()
    return render(
        request,
        "accounts/security.html",
        {
            "device": device,
            "recovery_left": mfa.recovery_codes_left(user) if device else 0,
            "required_by": signin.mfa_required_by(user),
            "sessions": sessions_list(user=user, current_key=request.session.session_key),
            # Times as the practice reads them: the zone of the user's (first) workspace.
            "time_zone": user.memberships.filter(is_active=True)
            .order_by("pk")
            .values_list("workspace__timezone", flat=True)
            .first()
            or "UTC",
        },
    )


@login_required
@never_cache
@signin.recent_sign_in_required
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Scan a QR code (or type the key) into an authenticator app, then enter the code it shows.
    Setting up again replaces the earlier app (and its recovery codes)."""
    user: Any = request.user
    secret = request.session.get(SETUP_SECRET_KEY)
    if not isinstance(secret, str) or not secret:
        secret = request.session[SETUP_SECRET_KEY] = mfa.new_secret()
    target = safe_next(request, request.POST.get("next") or request.GET.get("next")) or ""
    form = EnrolForm(request.POST or None, label_suffix="")
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.totp_enable(
                user=user, secret=secret, code=form.cleaned_data["code"], ip=client_ip(request)
            )
        except DomainError as exc:
            form.add_error("code" if isinstance(exc, ValidationFailed) else None, exc.message)
        else:
            del request.session[SETUP_SECRET_KEY]
            request.session[NEW_CODES_KEY] = codes
            signin.mark_mfa_passed(request)
            messages.success(request, _("Two-step verification is on."))
            url = reverse("account_recovery_codes")
            return redirect(f"{url}?{urlencode({'next': target})}" if target else url)
    uri = mfa.provisioning_uri(secret=secret, email=user.email)
    status = 422 if form.errors else 200
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "qr": mfa.qr_data_uri(uri),
            "secret": mfa.grouped(secret),
            "next": target,
            "replacing": TotpDevice.objects.filter(user=user).exists(),
            "required_by": signin.mfa_required_by(user),
        },
        status=status,
    )


@login_required
@never_cache
@require_GET
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once (right after they are made), then forgotten (never cached)."""
    codes = request.session.pop(NEW_CODES_KEY, None)
    if not codes:
        return redirect("account_security")
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": safe_next(request, request.GET.get("next")) or reverse("account_security")},
    )


@login_required
@require_POST
@signin.recent_sign_in_required
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not TotpDevice.objects.filter(user=user).exists():
        return redirect("account_security")
    request.session[NEW_CODES_KEY] = mfa.recovery_codes_regenerate(user=user)
    return redirect("account_recovery_codes")


@login_required
@require_POST
@signin.recent_sign_in_required
def mfa_disable(request: HttpRequest) -> HttpResponse:
    required_by = signin.mfa_required_by(request.user)
    if required_by:
        messages.error(
            request,
            _(
                "%(workspaces)s require two-step verification for you, so it stays on. "
                "You can set up another app instead."
            )
            % {"workspaces": ", ".join(required_by)},
        )
    else:
        mfa.totp_disable(user=request.user)
        request.session.pop(signin.MFA_AT, None)
        messages.success(request, _("Two-step verification is off."))
    return redirect("account_security")


@login_required
@require_POST
def session_sign_out(request: HttpRequest) -> HttpResponse:
    """Sign out one session (another device, or this one)."""
    session_id = request.POST.get("session", "")
    if request.session.session_key and public_id(request.session.session_key) == session_id:
        logout(request)
        return redirect("login")
    if session_end(user=request.user, session_id=session_id):
        messages.success(request, _("That session was signed out."))
    else:
        messages.info(request, _("That session had already ended."))
    return redirect("account_security")


@login_required
@require_POST
def sessions_sign_out(request: HttpRequest) -> HttpResponse:
    """Sign out every other session ("everywhere else"), or every session, this one too (`all`)."""
    if request.POST.get("scope") == "all":
        user = request.user
        logout(request)
        sessions_end(user=user)
        messages.info(request, _("You were signed out everywhere."))
        return redirect("login")
    ended = sessions_end(user=request.user, keep_key=request.session.session_key)
    messages.success(
        request,
        ngettext(
            "%(count)d other session was signed out.", "%(count)d other sessions were signed out.", ended
        )
        % {"count": ended},
    )
    return redirect("account_security")


# --- The idle timeout's status, for the page's warning ------------------------------------------------


@never_cache
@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """How long this session has left (asking is not activity)."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False})
    state = signin.session_state(request.session, signin.now())
    return JsonResponse(
        {
            "authenticated": True,
            "idle_timeout": state.idle_timeout,
            "idle_left": state.idle_left,
            "lifetime_left": state.lifetime_left,
            "warn_before": settings.IDLE_WARNING_SECONDS,
        }
    )


@require_POST
def session_keepalive(request: HttpRequest) -> HttpResponse:
    """The person is here (typing, clicking, "Stay signed in"): the middleware records it."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    return HttpResponse(status=204)
