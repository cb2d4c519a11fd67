"""Pages: "Your exports" (the member's exports with their status, refreshed by htmx while one is on
the way, a download link when ready) and the forms that ask for one (the client page's "Export
record") or delete one. The work is the services'; a sensitive export without a recent sign-in
sends the browser to confirm the password (the `workspace_page` decorator)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from atendo.accounts.signin import ReauthRequired
from atendo.clients.selectors import client_get_for
from atendo.clinical.access import can_read_clinical
from atendo.core.clean import MAX_ID
from atendo.core.errors import DomainError
from atendo.core.http import PageRequest
from atendo.exports import kinds, selectors, services
from atendo.exports.client.record import PARTS, scope_of
from atendo.exports.models import ExportStatus
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page

PAGE = 50
CLIENT_FORMATS = [
    ("pdf", gettext_lazy("PDF — readable")),
    ("json", gettext_lazy("JSON — complete, with the field definitions")),
    ("fhir", gettext_lazy("FHIR R4 — for another health system")),
    ("zip", gettext_lazy("ZIP — all of the above and the attachments")),
]


class ExportForm(forms.Form):
    kind = forms.CharField(max_length=20)
    format = forms.CharField(max_length=10)
    client_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


def _rows(member: Membership) -> list[dict[str, object]]:
    """The member's exports as the API shows them, with their times as datetimes for the page."""
    return [
        {**selectors.export_to_json(e), "created": e.created_at, "expires": e.expires_at}
        for e in selectors.exports_for(member)[:PAGE]
    ]


@workspace_page()
def index(request: PageRequest, workspace_slug: str) -> HttpResponse:
    rows = _rows(request.member)
    context = {
        "nav": "exports",
        "exports": rows,
        "polling": any(r["status"] in (ExportStatus.QUEUED, ExportStatus.RUNNING) for r in rows),
        "kinds": kinds.registered(),
        "ttl_hours": int(float(settings.EXPORT_TTL_HOURS)),
    }
    template = "exports/_list.html" if request.htmx else "exports/index.html"
    return render(request, template, context)


@workspace_page("client.read")
def client(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    """What an export of this client's record holds for this member, and the format to choose."""
    member = request.member
    record_client = client_get_for(member, client_id)
    included, left_out = scope_of(member, client_id)
    context = {
        "nav": "clients",
        "client": record_client,
        "formats": CLIENT_FORMATS,
        "included": included,
        "left_out": [PARTS[code] for code in left_out],
        "sensitive": can_read_clinical(member, client_id),
    }
    return render(request, "exports/client.html", context)


@require_POST
@workspace_page()
def create(request: PageRequest, workspace_slug: str) -> HttpResponse:
    form = ExportForm(request.POST)
    back = reverse("exports:index", args=[workspace_slug])
    if not form.is_valid():
        messages.error(request, _("Choose what to export."))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    try:
        services.export_request(
            member=request.member, kind=data["kind"], format=data["format"], client_id=data["client_id"]
        )
    except ReauthRequired:
        raise
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    messages.success(request, _("Your export is on the way; it appears below when it is ready."))
    return HttpResponseRedirect(back)


@require_POST
@workspace_page()
def delete(request: PageRequest, workspace_slug: str, export_id: int) -> HttpResponse:
    services.export_delete(member=request.member, export_id=export_id)
    messages.success(request, _("The export and its file were deleted."))
    return HttpResponseRedirect(reverse("exports:index", args=[workspace_slug]))
