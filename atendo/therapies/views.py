"""Settings › Therapy types: list, create, edit, deactivate/re-activate."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendo.core.errors import ValidationFailed
from atendo.core.http import PageRequest
from atendo.therapies import selectors, services
from atendo.therapies.forms import TherapyTypeForm, apply_errors
from atendo.workspaces.pages import workspace_page


def fields_settings_url(workspace_slug: str, therapy_type_id: int) -> str:
    """The settings page of a therapy type's own field definitions."""
    scope = selectors.therapy_type_scope(therapy_type_id)
    return reverse("fields:list", kwargs={"workspace_slug": workspace_slug, "scope": scope})


@workspace_page("therapy_types.manage")
def therapy_type_list(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    form = TherapyTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tt = services.therapy_type_create(member=member, data=form.to_data())
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Therapy type “%(name)s” created.") % {"name": tt.name})
            return redirect("therapies:list", workspace_slug=workspace_slug)
    types = list(selectors.therapy_types_for(member, include_inactive=True))
    rows = [(tt, fields_settings_url(workspace_slug, tt.pk)) for tt in types]
    return render(
        request,
        "therapies/therapy_type_list.html",
        {"nav": "settings", "settings_active": "therapy_types", "rows": rows, "form": form},
        status=400 if form.errors else 200,
    )


@workspace_page("therapy_types.manage")
def therapy_type_edit(request: PageRequest, workspace_slug: str, therapy_type_id: int) -> HttpResponse:
    member = request.member
    tt = selectors.therapy_type_get_for(member, therapy_type_id)
    initial = {
        "name": tt.name,
        "color": tt.color,
        "default_duration_minutes": tt.default_duration_minutes,
        "default_price": tt.default_price,
        "active": tt.active,
    }
    form = TherapyTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.therapy_type_update(member=member, therapy_type_id=tt.pk, data=form.to_data())
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Therapy type saved."))
            return redirect("therapies:list", workspace_slug=workspace_slug)
    return render(
        request,
        "therapies/therapy_type_edit.html",
        {
            "nav": "settings",
            "settings_active": "therapy_types",
            "tt": tt,
            "form": form,
            "fields_url": fields_settings_url(workspace_slug, tt.pk),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@workspace_page("therapy_types.manage")
def therapy_type_active(request: PageRequest, workspace_slug: str, therapy_type_id: int) -> HttpResponse:
    member = request.member
    active = request.POST.get("active") == "1"
    services.therapy_type_set_active(member=member, therapy_type_id=therapy_type_id, active=active)
    messages.success(request, _("Therapy type re-activated.") if active else _("Therapy type deactivated."))
    return redirect("therapies:list", workspace_slug=workspace_slug)
