"""Pages: Settings › Reminders (with a preview and "send a test"), the notifications log, and the
two doors that need no log-in: the client's link (`/r/<token>/`) and the WhatsApp webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from atendo.core.clean import id_or_none
from atendo.core.errors import DomainError, ValidationFailed
from atendo.core.http import PageRequest
from atendo.core.pagination import keyset_page
from atendo.reminders import sending, services, texts
from atendo.reminders.channels import SendFailed
from atendo.reminders.models import Channel, NotificationStatus
from atendo.workspaces.pages import workspace_page

PAGE = 100  # notifications per page of the log

OFFSET_CHOICES = [
    (2880, gettext_lazy("2 days before")),
    (1440, gettext_lazy("1 day before")),
    (240, gettext_lazy("4 hours before")),
    (120, gettext_lazy("2 hours before")),
    (60, gettext_lazy("1 hour before")),
]


class SettingsForm(forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Send reminders to clients"), required=False)
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    offsets_minutes = forms.TypedMultipleChoiceField(
        label=gettext_lazy("When"),
        choices=OFFSET_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    quiet_start = forms.TimeField(
        label=gettext_lazy("No WhatsApp or SMS from"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=gettext_lazy("until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    whatsapp_template = forms.CharField(
        label=gettext_lazy("WhatsApp template name"), max_length=100, required=False
    )
    subject_pt = forms.CharField(
        label=gettext_lazy("Subject (Português)"), max_length=texts.MAX_SUBJECT, required=False
    )
    body_pt = forms.CharField(
        label=gettext_lazy("Message (Português)"), widget=forms.Textarea(attrs={"rows": 7}), required=False
    )
    subject_en = forms.CharField(
        label=gettext_lazy("Subject (English)"), max_length=texts.MAX_SUBJECT, required=False
    )
    body_en = forms.CharField(
        label=gettext_lazy("Message (English)"), widget=forms.Textarea(attrs={"rows": 7}), required=False
    )
    sms_pt = forms.CharField(
        label=gettext_lazy("SMS (Português)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    sms_en = forms.CharField(
        label=gettext_lazy("SMS (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


FORM_PATHS = {
    "enabled": "enabled",
    "channels": "channels",
    "offsets_minutes": "offsets_minutes",
    "quiet_hours.start": "quiet_start",
    "quiet_hours.end": "quiet_end",
    "whatsapp_template": "whatsapp_template",
    "templates.pt-BR.subject": "subject_pt",
    "templates.pt-BR.body": "body_pt",
    "templates.en.subject": "subject_en",
    "templates.en.body": "body_en",
    "templates.pt-BR.sms": "sms_pt",
    "templates.en.sms": "sms_en",
}


def _initial(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "enabled": data["enabled"],
        "channels": data["channels"],
        "offsets_minutes": data["offsets_minutes"],
        "quiet_start": data["quiet_hours"]["start"],
        "quiet_end": data["quiet_hours"]["end"],
        "whatsapp_template": data["whatsapp_template"],
        "subject_pt": data["templates"]["pt-BR"]["subject"],
        "body_pt": data["templates"]["pt-BR"]["body"],
        "subject_en": data["templates"]["en"]["subject"],
        "body_en": data["templates"]["en"]["body"],
        "sms_pt": data["templates"]["pt-BR"]["sms"],
        "sms_en": data["templates"]["en"]["sms"],
    }


def _changes(cd: dict[str, Any]) -> dict[str, Any]:
    return {
        "enabled": cd["enabled"],
        "channels": list(cd["channels"]),
        "offsets_minutes": [int(o) for o in cd["offsets_minutes"]],
        "quiet_hours": {"start": cd["quiet_start"], "end": cd["quiet_end"]},
        "whatsapp_template": cd["whatsapp_template"],
        "templates": {
            "pt-BR": {"subject": cd["subject_pt"], "body": cd["body_pt"], "sms": cd["sms_pt"]},
            "en": {"subject": cd["subject_en"], "body": cd["body_en"], "sms": cd["sms_en"]},
        },
    }


@workspace_page("workspace.manage")
def settings_page(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    rs = services.reminder_settings_get(member=member)
    form = SettingsForm(request.POST or None, initial=_initial(services.settings_to_json(rs)))
    if request.method == "POST":
        if "test" in request.POST:
            try:
                services.reminder_test_send(
                    member=member,
                    channel=request.POST.get("test_channel", "email"),
                    to=request.POST.get("test_to", ""),
                )
                messages.success(request, _("A test reminder was sent."))
            except ValidationFailed as exc:
                messages.error(request, exc.fields[0].message if exc.fields else exc.message)
            except SendFailed as exc:
                messages.error(request, _("The test could not be sent: %(error)s") % {"error": exc.message})
            return redirect("reminders:settings", workspace_slug=workspace_slug)
        if form.is_valid():
            try:
                services.reminder_settings_update(member=member, changes=_changes(form.cleaned_data))
            except ValidationFailed as exc:
                for error in exc.fields:
                    form.add_error(FORM_PATHS.get(error.path), error.message)
            else:
                messages.success(request, _("Reminder settings saved."))
                return redirect("reminders:settings", workspace_slug=workspace_slug)
    rs = services.reminder_settings_get(member=member)
    previews = []
    for language, label in (("pt-BR", "Português"), ("en", "English")):
        message, sms = (
            sending.test_message(
                rs, to="", channel=channel, language=language, practitioner=member.user.display_name
            )
            for channel in (Channel.EMAIL, Channel.SMS)
        )
        previews.append({"label": label, "subject": message.subject, "body": message.body, "sms": sms.body})
    context = {
        "nav": "settings",
        "settings_active": "reminders",
        "form": form,
        "previews": previews,
        "placeholders": texts.PLACEHOLDERS,
        "whatsapp_configured": bool(settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID),
        "sms_configured": bool(settings.SMS_WEBHOOK_URL),
        "channels": Channel.choices,
        "email_to_console": settings.EMAIL_BACKEND.endswith("console.EmailBackend"),
    }
    return render(request, "reminders/settings.html", context)


@workspace_page("session.read")
def log_page(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    session_id = id_or_none(request.GET.get("session_id"))
    qs = services.notifications_for(member=member, session_id=session_id).select_related(
        "session__practitioner__user"
    )
    try:
        rows, next_cursor = keyset_page(qs, cursor=request.GET.get("cursor"), limit=PAGE)
    except ValidationFailed:  # a stale or edited cursor: the first page
        rows, next_cursor = keyset_page(qs, cursor=None, limit=PAGE)
    return render(
        request,
        "reminders/log.html",
        {
            "nav": "settings",
            "settings_active": "notifications",
            "rows": rows,
            "next_cursor": next_cursor,
            "session_id": session_id,
            "failed": NotificationStatus.FAILED,
        },
    )


@workspace_page("client.read")
@require_http_methods(["GET", "POST"])
def client_prefs(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    """The client page's "Reminders" card: how this client gets reminders and their consent per
    channel (when and who recorded an opt-out); saved by members who may update clients."""
    member = request.member
    error = ""
    if request.method == "POST":
        changes = {
            "reminder_channel": request.POST.get("reminder_channel", ""),
            "language": request.POST.get("language", ""),
            "reminders_opt_out": {c: request.POST.get(f"opt_out_{c}") == "on" for c in services.CHANNELS},
        }
        try:
            services.prefs_set(member=member, client_id=client_id, changes=changes)
        except ValidationFailed as exc:
            error = exc.fields[0].message if exc.fields else exc.message
        else:
            if not request.htmx:
                return redirect("clients:detail", workspace_slug=workspace_slug, client_id=client_id)
    client, prefs = services.prefs_get(member=member, client_id=client_id)
    data = services.prefs_to_json(client, prefs)
    rs = services.settings_of(member.workspace)
    channels = [
        {
            "value": value,
            "label": label,
            "opted_out": data["reminders_opt_out"][value]["opted_out"],
            "since": getattr(prefs, f"{value}_opt_out_at", None) if prefs else None,
            "how": data["reminders_opt_out"][value]["how"],
        }
        for value, label in Channel.choices
    ]
    context = {
        "client": client,
        "prefs": {**data, "opted_out_any": any(c["opted_out"] for c in channels)},
        "channels": channels,
        "languages": [("pt-BR", "Português"), ("en", "English")],
        "enabled": rs.enabled,
        "workspace_channels": [label for value, label in Channel.choices if value in rs.channels],
        "can_update": member.has_perm("client.update"),
        "error": error,
        "saved": request.method == "POST" and not error,
    }
    return render(request, "reminders/_client_prefs.html", context, status=422 if error else 200)


# --- no log-in: the client's link and the provider's webhook ---------------------------------------------


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The client's page: the session's date, time, practitioner and practice, and the buttons.
    GET never changes anything (mail scanners open links); the buttons POST."""
    state = services.link_state(token)
    error = ""
    if request.method == "POST":
        try:
            state = services.link_respond(token, request.POST.get("action", ""))
        except DomainError as exc:
            error = exc.message
            state = services.link_state(token)
    workspace = state.workspace
    language = texts.language_of(workspace.language) if workspace else (translation.get_language() or "en")
    context: dict[str, Any] = {"state": state.state, "error": error, "token": token}
    if state.session is not None and workspace is not None:
        context.update(
            practice=workspace.name,
            address=workspace.address,
            practitioner=state.session.practitioner.user.display_name,
            starts=state.session.starts_at.astimezone(workspace.tz),
            when_date=_long_date(state.session.starts_at.astimezone(workspace.tz), language),
            when_time=state.session.starts_at.astimezone(workspace.tz).strftime("%H:%M"),
            late_window=workspace.cancellation_window_hours,
            # The video call, while the session is still ahead (not once cancelled or moved).
            video_url=state.session.video_url if state.state in ("open", "confirmed") else "",
        )
    with translation.override(language):
        response = render(request, "reminders/respond.html", context)
    # The token must not leak to other sites, but the page's own POST needs its origin (CSRF).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


def _long_date(value: Any, language: str) -> str:
    """ "Friday, 4 December 2026" in the practice's language and zone (the page renders in UTC)."""
    with translation.override(language):
        return formats.date_format(value, "l") + ", " + formats.date_format(value, "DATE_FORMAT")


def _signature_ok(request: HttpRequest) -> bool:
    secret = settings.WHATSAPP_APP_SECRET
    given = request.headers.get("X-Hub-Signature-256", "")
    if not secret or not given.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.removeprefix("sha256="), expected)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    """Meta's webhook: GET is the subscription check (`hub.verify_token`), POST the delivery
    statuses, signed with the app secret (`X-Hub-Signature-256`); an unsigned or badly signed body
    is refused with 403 and read no further."""
    if request.method == "GET":
        token = settings.WHATSAPP_VERIFY_TOKEN
        if (
            token
            and request.GET.get("hub.mode") == "subscribe"
            and hmac.compare_digest(request.GET.get("hub.verify_token", ""), token)
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden()
    if not _signature_ok(request):
        return HttpResponseForbidden()
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest()
    changed = 0
    for entry in payload.get("entry") or [] if isinstance(payload, dict) else []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            for status in (value or {}).get("statuses") or [] if isinstance(value, dict) else []:
                if not isinstance(status, dict):
                    continue
                errors = status.get("errors") or []
                error = str(errors[0].get("title", "")) if errors and isinstance(errors[0], dict) else ""
                changed += sending.whatsapp_status(
                    str(status.get("id", "")), str(status.get("status", "")), error
                )
    return HttpResponse(json.dumps({"updated": changed}), content_type="application/json")
