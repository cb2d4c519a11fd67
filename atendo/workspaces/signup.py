"""Starting a practice from the web: /signup/ creates the user and their workspace (they are its
owner) and lands them on the new workspace's home, where the "get started" checklist waits.

- Off with `ATENDO_SIGNUP=0` (a single-practice install): the page answers 404 and the login page
  does not offer it.
- Throttled per client address (`SIGNUP_THROTTLE_MAX_PER_IP` per `SIGNUP_THROTTLE_WINDOW_SECONDS`,
  counted in the cache): beyond it the page answers 429 and creates nothing.
- CSRF-protected like every form; the password goes through Django's password validators; the
  workspace's slug is made from its name, unique (`clinica-serena`, `clinica-serena-2`, …).
- The service (`practice_signup`) does the writes in one transaction, through `workspace_create`
  (default roles, the owner membership, the audit event).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from atendo.accounts.models import User
from atendo.core.errors import DomainError, FieldError, ValidationFailed
from atendo.workspaces.models import Membership, Workspace
from atendo.workspaces.pages import start_page
from atendo.workspaces.services import workspace_create
from atendo.workspaces.settings_registry import known_time_zones

TIMEZONE_CHOICES = [
    ("America/Sao_Paulo", "America/Sao_Paulo (Brasília)"),
    ("America/Manaus", "America/Manaus"),
    ("America/Recife", "America/Recife"),
    ("America/New_York", "America/New_York"),
    ("America/Chicago", "America/Chicago"),
    ("America/Denver", "America/Denver"),
    ("America/Los_Angeles", "America/Los_Angeles"),
    ("Europe/Lisbon", "Europe/Lisbon"),
    ("UTC", "UTC"),
]


def signup_enabled() -> bool:
    return bool(getattr(settings, "ATENDO_SIGNUP", True))


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _throttled(request: HttpRequest) -> bool:
    """Count this attempt for the address; True when it is over the limit."""
    key = f"signup:{_client_ip(request)}"
    window = int(getattr(settings, "SIGNUP_THROTTLE_WINDOW_SECONDS", 3600))
    limit = int(getattr(settings, "SIGNUP_THROTTLE_MAX_PER_IP", 5))
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def _free_slug(name: str) -> str:
    base = (slugify(name) or "practice")[:50]
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def practice_signup(
    *, name: str, email: str, password: str, practice: str, timezone: str, language: str
) -> Membership:
    """A new user and a new workspace they own. Refuses an e-mail that already has an account (they
    log in and are added to workspaces instead) and a password the validators reject."""
    errors: list[FieldError] = []
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        errors.append(FieldError("email", _("This e-mail already has an account: log in instead.")))
    try:
        validate_password(password, User(email=email, name=name))
    except DjangoValidationError as exc:
        errors.append(FieldError("password", " ".join(exc.messages)))
    if errors:
        raise ValidationFailed(errors)
    workspace = workspace_create(
        name=practice,
        slug=_free_slug(practice),
        timezone=timezone,
        owner_email=email,
        owner_password=password,
        language="pt-br" if language.lower().startswith("pt") else "en",
    )
    owner = Membership.objects.select_related("user", "workspace", "role").get(workspace=workspace)
    if name.strip():
        owner.user.name = name.strip()[:150]
        owner.user.save(update_fields=["name"])
    return owner


class SignupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=254)
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    practice = forms.CharField(
        label=gettext_lazy("Practice name"),
        max_length=150,
        help_text=gettext_lazy("e.g. Clínica Serena. You can change it later."),
    )
    timezone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=TIMEZONE_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_timezone(self) -> str:
        value = str(self.cleaned_data["timezone"])
        if value not in known_time_zones() and value != "UTC":
            raise forms.ValidationError(_("Choose a time zone from the list."))
        return value


@sensitive_post_parameters("password")
@csrf_protect
def signup(request: HttpRequest) -> HttpResponse:
    if not signup_enabled():
        raise Http404
    if request.user.is_authenticated and request.method != "POST":
        return redirect("home")
    form = SignupForm(request.POST or None, initial={"timezone": "America/Sao_Paulo"})
    status = 200
    if request.method == "POST":
        if _throttled(request):
            form.add_error(None, _("Too many practices were started from this address. Try again later."))
            return render(request, "workspaces/signup.html", {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                owner = practice_signup(
                    name=data["name"],
                    email=data["email"],
                    password=data["password"],
                    practice=data["practice"],
                    timezone=data["timezone"],
                    language=get_language() or "en",
                )
            except DomainError as exc:
                for error in exc.fields or []:
                    form.add_error(error.path if error.path in form.fields else None, error.message)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                login(request, owner.user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(start_page(owner))
        status = 422
    return render(request, "workspaces/signup.html", {"form": form}, status=status)
