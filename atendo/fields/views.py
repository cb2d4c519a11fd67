"""Settings pages: the field definitions of each scope, with create/edit, archive/restore and
drag-to-reorder (keyboard-accessible up/down buttons work without JavaScript too)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from atendo.core.errors import DomainError, NotFound, ValidationFailed
from atendo.core.http import PageRequest
from atendo.fields import note_templates, registry, services
from atendo.fields.definition_forms import DefinitionForm
from atendo.fields.engine import definitions_for
from atendo.fields.models import PERMISSION_FOR_SCOPE, Phase, Scope
from atendo.workspaces.pages import workspace_page

SCOPE_TITLES = {
    "client": gettext_lazy("Client fields"),
    "session": gettext_lazy("Session fields"),
    "evaluation": gettext_lazy("Evaluation fields"),
    "therapy_type": gettext_lazy("Therapy type fields"),
}


def _resolve(request: PageRequest, scope: str, phase: str | None = None) -> tuple[str, str, int | None]:
    """Parse the URL scope and check the member may manage it (404 for unknown scopes)."""
    member = request.member
    raw_phase = phase if scope == "session" else None
    try:
        parsed = services.parse_scope(
            member.workspace, scope, raw_phase or ("pre" if scope == "session" else None)
        )
    except ValidationFailed:
        raise NotFound() from None
    services.require_manage(member, parsed[0])
    return parsed


def _scope_title(scope: str, therapy_type_id: int | None, workspace: Any) -> str:
    if scope == Scope.THERAPY_TYPE and therapy_type_id:
        name = registry.therapy_type_name(workspace.pk, therapy_type_id)
        if name is not None:
            return _("Fields of %(name)s") % {"name": name}
    return str(SCOPE_TITLES.get(scope, scope))


@workspace_page()
def field_list(request: PageRequest, workspace_slug: str, scope: str) -> HttpResponse:
    member = request.member
    scope_, _phase, therapy_type_id = _resolve(request, scope)
    definitions = definitions_for(
        workspace=member.workspace, scope=scope_, therapy_type_id=therapy_type_id, include_archived=True
    )
    phases = [(p.value, p.label) for p in Phase] if scope_ == Scope.SESSION else [("", "")]
    groups = []
    for value, label in phases:
        in_phase = [d for d in definitions if d.phase == value]
        groups.append(
            {
                "phase": value,
                "label": label,
                "live": [d for d in in_phase if not d.archived],
                "archived": [d for d in in_phase if d.archived],
                "reorder_url": reverse(
                    "fields:reorder", kwargs={"workspace_slug": workspace_slug, "scope": scope}
                )
                + (f"?phase={value}" if value else ""),
            }
        )
    return render(
        request,
        "fields/list.html",
        {
            "nav": "settings",
            "settings_active": f"fields_{scope_}",
            "scope": scope,
            "title": _scope_title(scope_, therapy_type_id, member.workspace),
            "groups": groups,
            "permission": PERMISSION_FOR_SCOPE[scope_],
            "note_templates": _templates_card(member, scope_, therapy_type_id, definitions),
        },
    )


# --- note templates: the card of the session fields and of a therapy type's fields ------------------


def _templates_card(
    member: Any, scope: str, therapy_type_id: int | None, definitions: list[Any]
) -> dict[str, Any] | None:
    """Each template with whether this scope already has all its fields (live)."""
    if scope not in (Scope.SESSION, Scope.THERAPY_TYPE):
        return None
    live = {d.key for d in definitions if not d.archived}
    items = [
        {"template": t, "added": all(f["key"] in live for f in t.fields)}
        for t in note_templates.templates_list(member=member)
    ]
    default = note_templates.defaults_map(member=member).get(therapy_type_id) if therapy_type_id else None
    return {"items": items, "therapy_type_id": therapy_type_id, "default": default}


def _templates_scope(request: PageRequest, scope: str) -> tuple[str, int | None]:
    scope_, _phase, therapy_type_id = _resolve(request, scope)
    if scope_ not in (Scope.SESSION, Scope.THERAPY_TYPE):
        raise NotFound()
    return scope_, therapy_type_id


@require_POST
@workspace_page()
def note_template_add(request: PageRequest, workspace_slug: str, scope: str) -> HttpResponse:
    """Add a template's fields to this scope in one click (again: nothing new)."""
    _templates_scope(request, scope)
    try:
        applied = note_templates.template_apply(
            member=request.member, template=request.POST.get("template", ""), scope=scope
        )
    except ValidationFailed as exc:
        messages.error(request, exc.fields[0].message if exc.fields else exc.message)
    else:
        added = len(applied.created) + len(applied.restored)
        if added:
            messages.success(
                request,
                ngettext("%(count)d field added.", "%(count)d fields added.", added) % {"count": added},
            )
        else:
            messages.info(request, _("This template's fields are already here."))
    return redirect(
        reverse("fields:list", kwargs={"workspace_slug": workspace_slug, "scope": scope}) + "#note-templates"
    )


@require_POST
@workspace_page()
def note_template_default(request: PageRequest, workspace_slug: str, scope: str) -> HttpResponse:
    """Choose the template a therapy type's sessions are written with."""
    _scope, therapy_type_id = _templates_scope(request, scope)
    if therapy_type_id is None:
        raise NotFound()
    try:
        note_templates.default_set(
            member=request.member,
            therapy_type_id=therapy_type_id,
            template=request.POST.get("template") or None,
        )
    except ValidationFailed as exc:
        messages.error(request, exc.fields[0].message if exc.fields else exc.message)
    else:
        messages.success(request, _("The default note template was saved."))
    return redirect(
        reverse("fields:list", kwargs={"workspace_slug": workspace_slug, "scope": scope}) + "#note-templates"
    )


@require_POST
@workspace_page()
def note_template_save(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """Save the current during and post fields as the practice's own template."""
    try:
        note_templates.practice_template_from_fields(member=request.member, name=request.POST.get("name", ""))
    except ValidationFailed as exc:
        messages.error(request, exc.fields[0].message if exc.fields else exc.message)
    else:
        messages.success(request, _("The template was saved."))
    return redirect(
        reverse("fields:list", kwargs={"workspace_slug": workspace_slug, "scope": "session"})
        + "#note-templates"
    )


@require_POST
@workspace_page()
def note_template_delete(request: PageRequest, workspace_slug: str, note_template_id: int) -> HttpResponse:
    note_templates.practice_template_delete(member=request.member, template_id=note_template_id)
    messages.success(request, _("The template was deleted; the fields it added stay."))
    return redirect(
        reverse("fields:list", kwargs={"workspace_slug": workspace_slug, "scope": "session"})
        + "#note-templates"
    )


@workspace_page()
def field_create(request: PageRequest, workspace_slug: str, scope: str) -> HttpResponse:
    member = request.member
    phase = request.GET.get("phase") or request.POST.get("phase") or ""
    scope_, phase_, therapy_type_id = _resolve(request, scope, phase)
    form = DefinitionForm(request.POST or None, initial={"clinical": True})
    if request.method == "POST" and form.is_valid():
        try:
            services.field_create(
                member=member,
                scope=scope if scope_ == Scope.THERAPY_TYPE else scope_,
                phase=phase_ or None,
                data=form.to_data(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The field was created."))
            return redirect("fields:list", workspace_slug=workspace_slug, scope=scope)
    return render(
        request,
        "fields/form.html",
        {
            "nav": "settings",
            "settings_active": f"fields_{scope_}",
            "form": form,
            "scope": scope,
            "phase": phase_,
            "title": _scope_title(scope_, therapy_type_id, member.workspace),
            "creating": True,
        },
    )


@workspace_page()
def field_edit(request: PageRequest, workspace_slug: str, scope: str, field_id: int) -> HttpResponse:
    member = request.member
    definition = services.field_get(member=member, definition_id=field_id)
    if definition.scope_label != scope:
        raise NotFound()
    services.require_manage(member, definition.scope)
    form = DefinitionForm(request.POST or None, initial=DefinitionForm.initial_for(definition), editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        data.pop("key", None)
        try:
            services.field_update(member=member, definition_id=definition.pk, data=data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The field was saved."))
            return redirect("fields:list", workspace_slug=workspace_slug, scope=scope)
    return render(
        request,
        "fields/form.html",
        {
            "nav": "settings",
            "settings_active": f"fields_{definition.scope}",
            "form": form,
            "scope": scope,
            "phase": definition.phase,
            "definition": definition,
            "title": _scope_title(definition.scope, definition.therapy_type_id, member.workspace),
            "creating": False,
            "nested_tree": _nested_tree(workspace_slug, scope, definition),
        },
    )


def _nested_url(workspace_slug: str, scope: str, definition_id: int, at: str, index: int | None) -> str:
    url = reverse(
        "fields:nested", kwargs={"workspace_slug": workspace_slug, "scope": scope, "field_id": definition_id}
    )
    query = f"?at={at}" + (f"&index={index}" if index is not None else "")
    return url + query


def _nested_tree(workspace_slug: str, scope: str, definition: Any) -> dict[str, Any] | None:
    """The nested definitions of an array/object field as a tree with edit/add links."""
    if definition.type not in ("array", "object"):
        return None

    def walk(children: list[dict[str, Any]], at: str) -> list[dict[str, Any]]:
        nodes = []
        for index, child in enumerate(children or []):
            here = f"{at}.{index}" if at else str(index)
            nested = child.get("type") in ("array", "object")
            nodes.append(
                {
                    "key": child.get("key"),
                    "label": child.get("label"),
                    "type": child.get("type"),
                    "required": child.get("required"),
                    "edit_url": _nested_url(workspace_slug, scope, definition.pk, at, index),
                    "add_url": _nested_url(workspace_slug, scope, definition.pk, here, None)
                    if nested
                    else None,
                    "children": walk(child.get("fields") or [], here) if nested else [],
                }
            )
        return nodes

    return {
        "add_url": _nested_url(workspace_slug, scope, definition.pk, "", None),
        "children": walk(definition.children or [], ""),
    }


def _container(children: list[dict[str, Any]], at: str) -> tuple[list[dict[str, Any]], str]:
    """The list of nested definitions at `at` ("", "0", "0.2": indexes) and its error-path prefix."""
    container, prefix = children, "fields"
    for part in [p for p in at.split(".") if p]:
        if not part.isdigit() or int(part) >= len(container):
            raise NotFound()
        parent = container[int(part)]
        if parent.get("type") not in ("array", "object"):
            raise NotFound()
        parent.setdefault("fields", [])
        container, prefix = parent["fields"], f"{prefix}[{int(part)}].fields"
    return container, prefix


@workspace_page()
def field_nested(request: PageRequest, workspace_slug: str, scope: str, field_id: int) -> HttpResponse:
    """Add or edit one nested definition of an array/object field (any depth), with the same form."""
    import copy

    member = request.member
    definition = services.field_get(member=member, definition_id=field_id)
    if definition.scope_label != scope or definition.type not in ("array", "object"):
        raise NotFound()
    services.require_manage(member, definition.scope)
    at = request.GET.get("at", "")
    raw_index = request.GET.get("index")
    children = copy.deepcopy(definition.children or [])
    container, prefix = _container(children, at)
    index: int | None = None
    if raw_index is not None:
        if not raw_index.isdigit() or int(raw_index) >= len(container):
            raise NotFound()
        index = int(raw_index)
    existing = container[index] if index is not None else None
    initial = DefinitionForm.initial_for_spec(existing) if existing else {"type": "text"}
    form = DefinitionForm(request.POST or None, initial=initial, editing=existing is not None, nested=True)
    if request.method == "POST" and form.is_valid():
        child = form.to_data()
        for name in ("clinical", "filterable"):
            child.pop(name, None)
        if existing is not None:
            child["key"] = existing["key"]
        position = index if index is not None else len(container)
        if index is not None:
            container[index] = child
        else:
            container.append(child)
        try:
            services.field_update(member=member, definition_id=definition.pk, data={"fields": children})
        except DomainError as exc:
            form.add_domain_error(exc, strip=f"{prefix}[{position}]")
        else:
            messages.success(request, _("The nested field was saved."))
            return redirect("fields:edit", workspace_slug=workspace_slug, scope=scope, field_id=definition.pk)
    return render(
        request,
        "fields/nested_form.html",
        {
            "nav": "settings",
            "settings_active": f"fields_{definition.scope}",
            "form": form,
            "scope": scope,
            "definition": definition,
            "existing": existing,
            "title": _scope_title(definition.scope, definition.therapy_type_id, member.workspace),
        },
    )


@require_POST
@workspace_page()
def field_archive(request: PageRequest, workspace_slug: str, scope: str, field_id: int) -> HttpResponse:
    member = request.member
    restore = request.POST.get("action") == "restore"
    if restore:
        services.field_restore(member=member, definition_id=field_id)
        messages.success(request, _("The field was restored."))
    else:
        services.field_archive(member=member, definition_id=field_id)
        messages.success(request, _("The field was archived; its values are kept."))
    return redirect("fields:list", workspace_slug=workspace_slug, scope=scope)


@require_POST
@workspace_page()
def field_reorder(request: PageRequest, workspace_slug: str, scope: str) -> HttpResponse:
    """The drag-and-drop order (JSON answer), or one step up/down (redirect; works without JS)."""
    member = request.member
    phase = request.GET.get("phase") or request.POST.get("phase") or None
    scope_, phase_, therapy_type_id = _resolve(request, scope, phase)
    move, direction = request.POST.get("move"), request.POST.get("direction")
    try:
        if move:
            current = [
                d.pk
                for d in definitions_for(
                    workspace=member.workspace,
                    scope=scope_,
                    phase=phase_ or None,
                    therapy_type_id=therapy_type_id,
                    include_archived=True,
                )
                if d.phase == phase_
            ]
            moving = int(move) if move.isdigit() else -1
            if moving in current:
                i = current.index(moving)
                j = i - 1 if direction == "up" else i + 1
                if 0 <= j < len(current):
                    current[i], current[j] = current[j], current[i]
            ids = current
        else:
            ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
        services.field_reorder(
            member=member,
            scope=scope if scope_ == Scope.THERAPY_TYPE else scope_,
            phase=phase_ or None,
            ids=ids,
        )
    except DomainError as exc:
        if move:
            messages.error(request, exc.message)
            return redirect("fields:list", workspace_slug=workspace_slug, scope=scope)
        return JsonResponse(exc.as_dict(), status=exc.status)
    if move:
        return redirect(
            reverse("fields:list", kwargs={"workspace_slug": workspace_slug, "scope": scope})
            + f"#field-{move}"
        )
    return JsonResponse({"ids": ids})
