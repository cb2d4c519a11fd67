"""Staff pages: a client's forms (send one, see the requests and their status), one request (its
link, status, the signed consent's PDF), revoking it, and Settings › Consent documents (owner).

No page shows a submitted value: the values are in the client's or the session's record, where the
clinical barrier decides who reads them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from atendo.clients.selectors import client_get_for
from atendo.core.errors import ValidationFailed
from atendo.core.http import PageRequest
from atendo.intake import selectors, services
from atendo.intake.links import request_url
from atendo.intake.models import FormKind, FormRequest
from atendo.scheduling.models import Session
from atendo.scheduling.selectors import sessions_for
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page

STATUS_LABELS = {
    "open": gettext_lazy("Waiting for the client"),
    "submitted": gettext_lazy("Submitted"),
    "expired": gettext_lazy("Expired"),
    "revoked": gettext_lazy("Withdrawn"),
}


class SendForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Form"), choices=FormKind.choices)
    session_id = forms.TypedChoiceField(
        label=gettext_lazy("Session (for a form before the session)"), coerce=int, required=False
    )
    consent_document_id = forms.TypedChoiceField(
        label=gettext_lazy("Consent document (for a consent)"), coerce=int, required=False
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("The link works for (days)"),
        min_value=1,
        max_value=services.MAX_EXPIRY_DAYS,
        initial=services.DEFAULT_EXPIRY_DAYS,
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the form"))
    send_sms = forms.BooleanField(label=gettext_lazy("Also send the link by SMS"), required=False)

    def __init__(
        self, *args: Any, sessions: list[Session], documents: list[Any], sms: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not sms:
            del self.fields["send_sms"]

        self.fields["session_id"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (s.pk, _session_label(s)) for s in sessions
        ]
        self.fields["consent_document_id"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (d.pk, str(d)) for d in documents
        ]
        self.fields["language"].choices = settings.LANGUAGES  # type: ignore[attr-defined]


def _session_label(session: Session) -> str:
    local = timezone.localtime(session.starts_at)
    return (
        formats.date_format(local, "SHORT_DATE_FORMAT") + " " + local.strftime("%H:%M") + " · " + session.name
    )


def _sessions(member: Membership, client_id: int) -> list[Session]:
    """The client's sessions a pre-session form can be for: not cancelled, not signed, from today."""
    if not (member.has_perm("session.read") and member.has_perm("session.update")):
        return []
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        sessions_for(member)
        .filter(client_id=client_id, starts_at__gte=start, signed_at__isnull=True)
        .exclude(status="cancelled")
        .order_by("starts_at", "pk")[:30]
    )


def _rows(form_requests: list[FormRequest]) -> list[dict[str, Any]]:
    return [
        {"request": fr, "status": fr.status, "status_label": STATUS_LABELS[fr.status]} for fr in form_requests
    ]


@workspace_page("client.read")
def client_forms(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = request.member
    client = client_get_for(member, client_id)
    documents = list(selectors.consent_documents(member).filter(archived=False))
    can_send = member.has_perm("client.update")
    form = SendForm(
        request.POST if request.method == "POST" else None,
        sessions=_sessions(member, client.pk),
        documents=documents,
        sms=bool(settings.SMS_WEBHOOK_URL) and services.sms_number(client) is not None,
        initial={"language": member.workspace.language},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            cd = form.cleaned_data
            try:
                sent = services.form_request_create(
                    member=member,
                    kind=cd["kind"],
                    client_id=client.pk,
                    session_id=cd.get("session_id"),
                    consent_document_id=cd.get("consent_document_id"),
                    expires_in_days=cd["expires_in_days"],
                    language=cd["language"],
                    send_sms=bool(cd.get("send_sms")),
                )
            except ValidationFailed as exc:
                for error in exc.fields:
                    key = error.path if error.path in form.fields else None
                    form.add_error(key, error.message)
            else:
                if sent.emailed:
                    messages.success(request, _("The form was sent to %(email)s.") % {"email": client.email})
                else:
                    messages.success(request, _("The form is ready: give the client its link."))
                return redirect(
                    "intake:request", workspace_slug=workspace_slug, form_request_id=sent.form_request.pk
                )
        status = 422
    context = {
        "nav": "clients",
        "client": client,
        "form": form,
        "can_send": can_send,
        "rows": _rows(selectors.requests_for_client(member, client.pk)),
    }
    return render(request, "intake/client_forms.html", context, status=status)


@workspace_page("client.read")
def request_detail(request: PageRequest, workspace_slug: str, form_request_id: int) -> HttpResponse:
    member = request.member
    form_request = selectors.request_get_for(member, form_request_id)
    client_get_for(member, form_request.client_id)
    pdf_url = None
    if form_request.consent_pdf_id:
        pdf_url = reverse(
            "files:download",
            kwargs={"workspace_slug": workspace_slug, "attachment_id": form_request.consent_pdf_id},
        )
    context = {
        "nav": "clients",
        "fr": form_request,
        "status": form_request.status,
        "status_label": STATUS_LABELS[form_request.status],
        "url": request_url(form_request) if form_request.status == "open" else "",
        "labels": [d.label for d in services.covered_definitions(form_request)],
        "pdf_url": pdf_url,
        "can_revoke": member.has_perm("client.update") and form_request.status == "open",
        "session_url": reverse(
            "scheduling:detail",
            kwargs={"workspace_slug": workspace_slug, "session_id": form_request.session_id},
        )
        if form_request.session_id and member.has_perm("session.read")
        else None,
    }
    return render(request, "intake/request.html", context)


@require_POST
@workspace_page("client.read")
def request_revoke(request: PageRequest, workspace_slug: str, form_request_id: int) -> HttpResponse:
    try:
        services.form_request_revoke(member=request.member, request_id=form_request_id)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The form was withdrawn: its link no longer opens it."))
    return redirect("intake:request", workspace_slug=workspace_slug, form_request_id=form_request_id)


class ConsentForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.MAX_TITLE)
    text = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=services.MAX_TEXT,
        strip=False,
    )
    archived = forms.BooleanField(label=gettext_lazy("Archived (not offered for new forms)"), required=False)


def _consent_save(request: PageRequest, form: ConsentForm, document_id: int | None) -> HttpResponse | None:
    if not form.is_valid():
        return None
    cd = form.cleaned_data
    try:
        if document_id is None:
            services.consent_document_create(member=request.member, title=cd["title"], text=cd["text"])
        else:
            services.consent_document_update(
                member=request.member,
                document_id=document_id,
                changes={"title": cd["title"], "text": cd["text"], "archived": cd["archived"]},
            )
    except ValidationFailed as exc:
        for error in exc.fields:
            form.add_error(error.path if error.path in form.fields else None, error.message)
        return None
    messages.success(request, _("The consent document was saved."))
    return redirect("intake:consent_list", workspace_slug=request.member.workspace.slug)


@workspace_page("workspace.manage")
def consent_list(request: PageRequest, workspace_slug: str) -> HttpResponse:
    form = ConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        done = _consent_save(request, form, None)
        if done is not None:
            return done
    context = {
        "nav": "settings",
        "settings_active": "consent",
        "documents": list(selectors.consent_documents(request.member)),
        "form": form,
    }
    return render(request, "intake/consent_list.html", context, status=422 if form.errors else 200)


@workspace_page("workspace.manage")
def consent_edit(request: PageRequest, workspace_slug: str, consent_document_id: int) -> HttpResponse:
    document = selectors.consent_document_get_for(request.member, consent_document_id)
    initial = {"title": document.title, "text": document.text, "archived": document.archived}
    form = ConsentForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and not document.superseded:
        done = _consent_save(request, form, document.pk)
        if done is not None:
            return done
    context = {
        "nav": "settings",
        "settings_active": "consent",
        "document": document,
        "used": services.document_used(document),
        "form": form,
    }
    return render(request, "intake/consent_edit.html", context, status=422 if form.errors else 200)
