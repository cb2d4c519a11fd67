"""Client pages: list with live search, detail with tabs, create/edit with the custom fields."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendo.clients import selectors, services
from atendo.clients.clinical import can_read_clinical
from atendo.clients.forms import ClientForm
from atendo.clients.serializers import (
    client_definitions,
    client_to_json,
    clients_to_json,
    record_clinical_read,
)
from atendo.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from atendo.core.views import workspace_page
from atendo.fields.forms import FieldValuesForm
from atendo.workspaces.models import Membership

TABS = ("overview", "sessions", "evaluations", "payments")


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


def _optional_url(names: tuple[str, ...], **kwargs: Any) -> str | None:
    """The URL of another app's page if that app provides it (tabs filled by other apps)."""
    for name in names:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


@workspace_page("client.read")
def client_list(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    member = _member(request)
    q = request.GET.get("q", "")
    archived = request.GET.get("archived", "false")
    try:
        rows, next_cursor = selectors.clients_page(
            member, q=q, archived=archived, cursor=request.GET.get("cursor") or None
        )
    except ValidationFailed as exc:
        rows, next_cursor = [], None
        messages.error(request, exc.message)
    names = {m.pk: m.user.display_name for m in _members(member)}
    items = clients_to_json(member, rows)
    for item in items:
        item["practitioner_names"] = [names.get(pid, "") for pid in item["practitioner_ids"]]
    context = {
        "nav": "clients",
        "clients": items,
        "next_cursor": next_cursor,
        "q": q,
        "archived": archived,
        "can_create": member.has_perm("client.create"),
        "appending": bool(request.GET.get("cursor")),
    }
    if getattr(request, "htmx", False):
        return render(request, "clients/_rows.html", context)
    return render(request, "clients/list.html", context)


def _members(member: Membership) -> list[Membership]:
    return list(
        Membership.objects.for_workspace(member.workspace).filter(is_active=True).select_related("user")
    )


def _field_form(member: Membership, client_id: int | None, values: dict[str, Any]) -> FieldValuesForm:
    # A new client: a read_own creator becomes its practitioner (see services.client_create).
    can_write = member.has_perm("clinical.read_all") or (
        member.has_perm("clinical.read_own") and (client_id is None or can_read_clinical(member, client_id))
    )
    return FieldValuesForm(
        member=member,
        definitions=client_definitions(member.workspace),
        prefix="fields",
        values=values,
        can_write_clinical=can_write,
    )


def _save(request: HttpRequest, workspace_slug: str, client_id: int | None) -> HttpResponse:
    member = _member(request)
    existing = selectors.client_get_for(member, client_id) if client_id else None
    initial: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if existing is not None:
        shown = client_to_json(member, existing)
        values = shown["fields"]
        initial = {
            "name": existing.name,
            "email": existing.email,
            "phone": existing.phone,
            "birth_date": existing.birth_date.isoformat() if existing.birth_date else "",
            "practitioner_ids": [str(p) for p in shown["practitioner_ids"]],
        }
    form = ClientForm(request.POST or None, member=member, initial=initial)
    field_form = _field_form(member, client_id, values)
    if request.method == "POST":
        field_values = field_form.parse(request.POST, request.FILES)
        if form.is_valid():
            data = {**form.to_data(), "fields": field_values}
            try:
                field_form.raise_upload_errors()
                if existing is None:
                    client = services.client_create(member=member, data=data)
                else:
                    client = services.client_update(
                        member=member, client_id=existing.pk, data=data, fields_complete=True
                    )
            except Forbidden as exc:
                form.add_error(None, exc.message)
            except DomainError as exc:
                form.add_domain_error(exc)
                field_form.add_errors(exc)
            else:
                messages.success(request, _("The client was saved."))
                return redirect("clients:detail", workspace_slug=workspace_slug, client_id=client.pk)
    return render(
        request,
        "clients/form.html",
        {"nav": "clients", "form": form, "field_form": field_form, "client": existing},
        status=422 if request.method == "POST" else 200,
    )


@workspace_page("client.create")
def client_create(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    return _save(request, workspace_slug, None)


@workspace_page("client.read", "client.update")
def client_edit(request: HttpRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    try:
        return _save(request, workspace_slug, client_id)
    except NotFound:
        raise Http404 from None


@workspace_page("client.read")
def client_detail(request: HttpRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = _member(request)
    try:
        client = selectors.client_get_for(member, client_id)
    except NotFound:
        raise Http404 from None
    tab = request.GET.get("tab", "overview")
    if tab not in TABS:
        tab = "overview"
    definitions = client_definitions(member.workspace)
    shown = client_to_json(member, client, definitions=definitions)
    if tab == "overview":
        record_clinical_read(member, client, shown, definitions)
    names = {m.pk: m.user.display_name for m in _members(member)}
    form = FieldValuesForm(member=member, definitions=definitions, values=shown["fields"])
    context: dict[str, Any] = {
        "nav": "clients",
        "client": client,
        "shown": shown,
        "practitioners": [names.get(pid, "") for pid in shown["practitioner_ids"]],
        "field_rows": _display_rows(form.nodes()),
        "tab": tab,
        "can_update": member.has_perm("client.update"),
        "can_delete": member.has_perm("client.delete"),
        "sessions_url": _optional_url(
            ("scheduling:client_sessions",), workspace_slug=workspace_slug, client_id=client.pk
        )
        if member.has_perm("session.read")
        else None,
        "payments_url": _optional_url(
            ("billing:client_payments",), workspace_slug=workspace_slug, client_id=client.pk
        )
        if member.has_perm("billing.read")
        else None,
        "evaluations_url": _optional_url(
            ("evaluations:client_evaluations", "evaluations:client_list", "evaluations:client"),
            workspace_slug=workspace_slug,
            client_id=client.pk,
        ),
    }
    return render(request, "clients/detail.html", context)


def _display_rows(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Field nodes with a stored value, for the read-only Overview."""
    return [n for n in nodes if n["value"] not in (None, "", [], {})]


def _redirect_detail(workspace_slug: str, client_id: int) -> HttpResponse:
    return redirect("clients:detail", workspace_slug=workspace_slug, client_id=client_id)


@require_POST
@workspace_page("client.read", "client.update")
def client_archive(request: HttpRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = _member(request)
    try:
        if request.POST.get("action") == "unarchive":
            services.client_unarchive(member=member, client_id=client_id)
            messages.success(request, _("The client is active again."))
        else:
            services.client_archive(member=member, client_id=client_id)
            messages.success(request, _("The client was archived."))
    except NotFound:
        raise Http404 from None
    return _redirect_detail(workspace_slug, client_id)


@workspace_page("client.read", "client.delete")
def client_delete(request: HttpRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = _member(request)
    try:
        client = selectors.client_get_for(member, client_id)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        try:
            services.client_delete(member=member, client_id=client_id)
        except DomainError as exc:
            messages.error(request, exc.message)
            return _redirect_detail(workspace_slug, client_id)
        messages.success(request, _("The client was deleted."))
        return redirect("clients:list", workspace_slug=workspace_slug)
    return render(request, "clients/delete.html", {"nav": "clients", "client": client})
