"""Pages: "Retention and data requests" (the policy, for `workspace.manage`, and the whole request
log) and a client's "Data requests" page (their log, recording a request, and the erasure with what
it clears). Each page GETs and POSTs on its own URL, so a sensitive act that first asks for the
password comes back to it. The work is the services'."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from atendo.accounts.signin import ReauthRequired
from atendo.clients.selectors import client_get_for
from atendo.clinical.access import can_read_clinical
from atendo.core.errors import DomainError
from atendo.core.http import PageRequest
from atendo.retention import selectors, services
from atendo.retention.models import RECORDED_KINDS, AskedBy, DataRequest, RequestKind, RequestStatus
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page

PAGE = 100
REQUESTERS = [(v, label) for v, label in AskedBy.choices if v != AskedBy.RETENTION]


def _entries(member: Membership, rows: list[DataRequest]) -> list[dict[str, Any]]:
    """The log's entries with their details as (key, text) rows for the page."""
    entries = selectors.data_requests_to_json(member, rows)
    for e in entries:
        e["detail_rows"] = [(key, _detail_text(value)) for key, value in e["details"].items()]
    return entries


def _detail_text(value: Any) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _failed(request: PageRequest, exc: DomainError) -> None:
    if isinstance(exc, ReauthRequired) or exc.status == 404:
        raise exc
    details = "; ".join(f"{f.path}: {f.message}" for f in getattr(exc, "fields", []) or [])
    messages.error(request, f"{exc.message} {details}".strip() if details else exc.message)


@workspace_page("client.erase")
def index(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    manages = member.has_perm("workspace.manage")
    if request.method == "POST":
        require(member, "workspace.manage")
        raw_years = request.POST.get("years", "")
        years: object = int(raw_years) if raw_years.isascii() and raw_years.isdigit() else raw_years
        try:
            services.policy_update(
                member=member,
                data={"years": years, "identifying_fields": request.POST.getlist("identifying_fields")},
            )
        except DomainError as exc:
            _failed(request, exc)
        else:
            messages.success(request, _("The retention policy was saved."))
        return HttpResponseRedirect(reverse("retention:index", args=[workspace_slug]))
    kind = request.GET.get("kind") or None
    if kind not in RequestKind.values:
        kind = None
    rows = list(selectors.data_requests_for(member, kind=kind)[:PAGE])
    context = {
        "nav": "settings",
        "manages": manages,
        "policy": selectors.policy_to_json(member) if manages else None,
        "fields": selectors.client_field_choices(member) if manages else [],
        "entries": _entries(member, rows),
        "kinds": RequestKind.choices,
        "kind": kind,
    }
    return render(request, "retention/index.html", context)


@workspace_page("client.erase")
def client(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = request.member
    the_client = client_get_for(member, client_id)
    here = reverse("retention:client", args=[workspace_slug, client_id])
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "erase":
                if request.POST.get("confirm") != "yes":
                    messages.error(request, _("Tick the box to confirm the erasure."))
                    return HttpResponseRedirect(here)
                services.client_erase(
                    member=member,
                    client_id=the_client.pk,
                    asked_by=request.POST.get("asked_by", "client"),
                    note=request.POST.get("note", ""),
                    received_on=request.POST.get("received_on") or None,
                )
                messages.success(
                    request, _("The client was anonymised. The clinical record is kept until retention ends.")
                )
            else:
                services.data_request_record(
                    member=member,
                    client_id=the_client.pk,
                    kind=request.POST.get("kind", ""),
                    asked_by=request.POST.get("asked_by", "client"),
                    status=request.POST.get("status", "done"),
                    note=request.POST.get("note", ""),
                    received_on=request.POST.get("received_on") or None,
                )
                messages.success(request, _("The request was recorded."))
        except DomainError as exc:
            _failed(request, exc)
        return HttpResponseRedirect(here)
    rows = list(selectors.data_requests_for(member, client_id=the_client.pk)[:PAGE])
    erased = bool(services.erased_client_ids(member.workspace, [the_client.pk]))
    context = {
        "nav": "clients",
        "client": the_client,
        "entries": _entries(member, rows),
        "erased": erased,
        "plan": None if erased else services.erasure_plan(member, the_client),
        "may_erase": can_read_clinical(member, the_client.pk),
        "recorded_kinds": [(k.value, k.label) for k in RECORDED_KINDS],
        "requesters": REQUESTERS,
        "statuses": RequestStatus.choices,
    }
    return render(request, "retention/client.html", context)
