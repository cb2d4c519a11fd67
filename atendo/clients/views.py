"""Client pages: list with live search, detail with tabs, create/edit with the custom fields."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from atendo.clients import importing, selectors, services
from atendo.clients.forms import ClientForm
from atendo.clients.serializers import (
    client_definitions,
    client_to_json,
    clients_to_json,
    record_clinical_read,
)
from atendo.clinical.access import may_write
from atendo.core.errors import DomainError, Forbidden, ValidationFailed
from atendo.core.http import PageRequest
from atendo.fields.forms import FieldValuesForm
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page

TABS = ("overview", "sessions", "evaluations", "payments", "progress")


@workspace_page("client.read")
def client_list(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
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
    if request.htmx:
        return render(request, "clients/_rows.html", context)
    return render(request, "clients/list.html", context)


def _members(member: Membership) -> list[Membership]:
    return list(
        Membership.objects.for_workspace(member.workspace).filter(is_active=True).select_related("user")
    )


def _field_form(member: Membership, client_id: int | None, values: dict[str, Any]) -> FieldValuesForm:
    # A new client: a read_own creator becomes its practitioner (see services.client_create).
    can_write = may_write(member, client_id)
    return FieldValuesForm(
        member=member,
        definitions=client_definitions(member.workspace),
        prefix="fields",
        values=values,
        can_write_clinical=can_write,
    )


def _save(request: PageRequest, workspace_slug: str, client_id: int | None) -> HttpResponse:
    member = request.member
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
            "birth_date": existing.birth_date,
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
def client_create(request: PageRequest, workspace_slug: str) -> HttpResponse:
    return _save(request, workspace_slug, None)


@workspace_page("client.read", "client.update")
def client_edit(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    return _save(request, workspace_slug, client_id)


@workspace_page("client.read")
def client_detail(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = request.member
    client = selectors.client_get_for(member, client_id)
    tab = request.GET.get("tab", "overview")
    if tab not in TABS:
        tab = "overview"
    definitions = client_definitions(member.workspace)
    shown = client_to_json(member, client)
    if tab == "overview":
        record_clinical_read(member, client, shown, definitions)
    names = {m.pk: m.user.display_name for m in _members(member)}
    form = FieldValuesForm(member=member, definitions=definitions, values=shown["fields"])
    tab_kwargs = {"workspace_slug": workspace_slug, "client_id": client.pk}
    context: dict[str, Any] = {
        "nav": "clients",
        "client": client,
        "shown": shown,
        "practitioners": [names.get(pid, "") for pid in shown["practitioner_ids"]],
        "field_rows": _display_rows(form.nodes()),
        "tab": tab,
        "can_update": member.has_perm("client.update"),
        "can_delete": member.has_perm("client.delete"),
        # The tabs other apps fill (URL names only: this app imports none of them).
        "sessions_url": reverse("scheduling:client_sessions", kwargs=tab_kwargs)
        if member.has_perm("session.read")
        else None,
        "payments_url": reverse("billing:client_payments", kwargs=tab_kwargs)
        if member.has_perm("billing.read")
        else None,
        "evaluations_url": reverse("evaluations:client_list", kwargs=tab_kwargs),
        # Who opened this record (the read audit, the trail's partial), for the owner (audit.read).
        "reads_url": reverse("trail:client_reads", kwargs=tab_kwargs)
        if member.has_perm("audit.read")
        else None,
        # What the client owes, in the header (billing's partial, loaded with htmx).
        "balance_url": reverse("billing:client_balance", kwargs=tab_kwargs)
        if member.has_perm("billing.read")
        else None,
        # How the client gets reminders and their consent (the reminders app's card).
        "reminders_url": reverse("reminders:client_prefs", kwargs=tab_kwargs),
        "progress_url": reverse("insights:client_progress", kwargs=tab_kwargs)
        if member.has_perm("insights.read") and member.has_perm("session.read")
        else None,
    }
    return render(request, "clients/detail.html", context)


def _display_rows(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Field nodes with a stored value, for the read-only Overview."""
    return [n for n in nodes if n["value"] not in (None, "", [], {})]


def _redirect_detail(workspace_slug: str, client_id: int) -> HttpResponse:
    return redirect("clients:detail", workspace_slug=workspace_slug, client_id=client_id)


@require_POST
@workspace_page("client.read", "client.update")
def client_archive(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = request.member
    if request.POST.get("action") == "unarchive":
        services.client_unarchive(member=member, client_id=client_id)
        messages.success(request, _("The client is active again."))
    else:
        services.client_archive(member=member, client_id=client_id)
        messages.success(request, _("The client was archived."))
    return _redirect_detail(workspace_slug, client_id)


@workspace_page("client.read", "client.delete")
def client_delete(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = request.member
    client = selectors.client_get_for(member, client_id)
    if request.method == "POST":
        try:
            services.client_delete(member=member, client_id=client_id)
        except DomainError as exc:
            messages.error(request, exc.message)
            return _redirect_detail(workspace_slug, client_id)
        messages.success(request, _("The client was deleted."))
        return redirect("clients:list", workspace_slug=workspace_slug)
    return render(request, "clients/delete.html", {"nav": "clients", "client": client})


@workspace_page("client.read", "client.create")
def client_import(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """Import clients from a CSV or XLSX file: choose it, check (the columns mapped automatically,
    each changeable; the dry run's errors, and each duplicate with a choice: skip, merge into the
    existing client, or create anyway), then import all or none.

    Nothing is kept on the server between the steps: each post carries the file again (with htmx
    the chosen file stays in the form while the check is redrawn; without JavaScript the page asks
    for it again). Every step is `importing.clients_import`, as the API and the command."""
    member = request.member
    context: dict[str, Any] = {"nav": "clients", "max_mb": importing.MAX_BYTES // (1024 * 1024)}
    template = "clients/_import_result.html" if request.htmx else "clients/import.html"
    if request.method != "POST":
        return render(request, "clients/import.html", context)
    upload = request.FILES.get("file")
    action = request.POST.get("action", "check")
    status = 200
    try:
        if upload is None:
            raise ValidationFailed.single("file", _("Choose a CSV or Excel (.xlsx) file to import."))
        if (upload.size or 0) > importing.MAX_BYTES:
            raise importing.too_large()
        raw = upload.read(importing.MAX_BYTES + 1)
        # The choices of the last check (sheet, columns, duplicates) hold for the same file and
        # sheet only: another file, or another sheet of it, starts from its own titles again.
        checked = f"{upload.name}:{upload.size}"
        same_file = request.POST.get("checked") == checked
        sheet = (request.POST.get("sheet") or None) if same_file else None
        table = importing.read_table(raw, sheet=sheet)
        same_sheet = same_file and request.POST.get("checked_sheet", "") == table.sheet
        definitions = client_definitions(member.workspace)
        targets = importing.import_targets(member, definitions)
        if request.POST.get("mapped") and same_sheet:
            mapping: dict[str, str] = {
                header: request.POST.get(f"map-{index}", "")
                for index, header in enumerate(table.headers)
                if header
            }
        else:
            mapping = importing.auto_mapping(table.headers, targets)
        sample = [cells for _number, cells in table.rows[:3]]
        context.update(
            columns=[
                {
                    "index": index,
                    "header": header,
                    "chosen": mapping.get(header, ""),
                    "sample": [cells[index] for cells in sample if index < len(cells) and cells[index]],
                }
                for index, header in enumerate(table.headers)
            ],
            targets=targets,
            file_name=upload.name,
            checked=checked,
            sheets=table.sheets,
            sheet=table.sheet,
        )
        if "name" in mapping.values():
            # The choice made for each duplicate row of the last check (skip when none was made).
            duplicates = {
                key[len("dup-") :]: str(value)
                for key, value in request.POST.items()
                if same_sheet and key.startswith("dup-") and key[len("dup-") :].isdigit()
            }
            report = importing.clients_import(
                member=member,
                raw=raw,
                mapping=mapping,
                dry_run=action != "import",
                sheet=table.sheet or None,
                duplicates=duplicates,
            )
            context["report"] = report
            if not report.dry_run:
                messages.success(
                    request,
                    ngettext(
                        "{count} client was imported.", "{count} clients were imported.", report.created
                    ).format(count=report.created),
                )
                if report.merged:
                    messages.success(
                        request,
                        ngettext(
                            "{count} existing client was completed from the file.",
                            "{count} existing clients were completed from the file.",
                            report.merged,
                        ).format(count=report.merged),
                    )
                target = reverse("clients:list", kwargs={"workspace_slug": workspace_slug})
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                return redirect(target)
        else:
            context["needs_name"] = True
    except Forbidden:
        raise
    except importing.ImportInvalid as exc:
        status = exc.status
        context["error"] = exc.message
        context["report"] = importing.ImportReport(
            dry_run=False,
            headers=[],
            mapping={},
            skipped=exc.extra.get("skipped", []),
            duplicates=exc.extra.get("duplicates", []),
            errors=exc.extra.get("errors", []),
        )
    except DomainError as exc:
        status = exc.status
        context["error"] = exc.message
        context["error_fields"] = [f.message for f in exc.fields if f.message != exc.message]
    # htmx swaps only a 2xx answer: the partial carries the error, the full page its status.
    return render(request, template, context, status=200 if request.htmx else status)
