"""Settings pages: the index, workspace settings, working hours, members, roles and API tokens.

Views stay thin: `workspace_page` resolves the member and checks the permission, a form parses
the input, a service applies the rules, and its errors are shown next to the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendo.accounts import signin
from atendo.accounts.forms import send_invitation
from atendo.accounts.signin import SENSITIVE_SCOPE, ReauthRequired
from atendo.core.clean import id_or_none
from atendo.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from atendo.core.http import PageRequest
from atendo.workspaces import profile, selectors, services
from atendo.workspaces.forms import (
    ApiTokenForm,
    MemberAddForm,
    ProfileForm,
    RoleForm,
    SecuritySettingsForm,
    VideoRoomForm,
    WorkspaceSettingsForm,
    apply_errors,
    hours_editor_days,
    parse_hours_post,
    permission_groups,
)
from atendo.workspaces.pages import workspace_page
from atendo.workspaces.tokens import api_token_create, api_token_revoke

NEW_TOKEN_SESSION_KEY = "new_api_token"


# --- Index -----------------------------------------------------------------------------------------


@workspace_page()
def settings_index(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """Links to every settings page the member may open (others' pages included)."""
    return render(request, "workspaces/settings_index.html", {"nav": "settings", "settings_active": "index"})


# --- Workspace settings ----------------------------------------------------------------------------


@workspace_page("workspace.manage")
def settings_general(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    if request.method == "POST":
        form = WorkspaceSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.workspace_update_settings(member=member, **form.cleaned_data)
            except ValidationFailed as exc:
                apply_errors(form, exc.fields)
            else:
                messages.success(request, _("Workspace settings saved."))
                return redirect("workspaces:settings_general", workspace_slug=workspace_slug)
    else:
        form = WorkspaceSettingsForm(initial=WorkspaceSettingsForm.initial_from(member.workspace))
    status = 422 if form.errors else 200
    return render(
        request,
        "workspaces/settings_general.html",
        {"nav": "settings", "form": form, "settings_active": "general"},
        status=status,
    )


@workspace_page("workspace.manage")
def settings_security(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """Who must use two-step verification, and the idle timeouts. Saving a change is a sensitive
    act (the service asks for a recent sign-in; `workspace_page` sends the browser to confirm)."""
    member = request.member
    if request.method == "POST":
        form = SecuritySettingsForm(request.POST)
        if form.is_valid():
            try:
                services.workspace_update_settings(member=member, **form.cleaned_data)
            except ValidationFailed as exc:
                apply_errors(form, exc.fields)
            else:
                messages.success(request, _("Sign-in security saved."))
                return redirect("workspaces:settings_security", workspace_slug=workspace_slug)
    else:
        form = SecuritySettingsForm(initial=SecuritySettingsForm.initial_from(member.workspace))
    rows = selectors.members_mfa(member)
    return render(
        request,
        "workspaces/settings_security.html",
        {
            "nav": "settings",
            "form": form,
            "settings_active": "security",
            "rows": rows,
            "session_hours": max(1, signin.session_max_age() // 3600),
        },
        status=422 if form.errors else 200,
    )


def _hours_editor(
    request: PageRequest,
    *,
    hours: dict[str, Any] | None,
    save: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    template: str,
    context: dict[str, Any],
    allow_inherit: bool = False,
) -> HttpResponse:
    """The working-hours editor: a plain form (one empty row per day adds an interval, a ticked
    "remove" drops one), enhanced by app.js (add/remove buttons) and htmx (saves in place).

    `save(hours)` calls the service and returns the hours as saved; with `allow_inherit`, the form
    may ask for None ("the workspace's hours")."""
    errors: list[str] = []
    saved = invalid = False
    status = 200
    inherit = allow_inherit and hours is None
    days = hours_editor_days(hours if hours is not None else context.get("fallback_hours"))
    if request.method == "POST":
        inherit = allow_inherit and request.POST.get("source") == "workspace"
        parsed = parse_hours_post(request.POST)
        if inherit or not parsed.has_errors:
            try:
                result = save(None if inherit else parsed.hours)
            except ValidationFailed as exc:
                errors = parsed.apply_service_errors(exc.fields)
            else:
                if not request.htmx:
                    messages.success(request, _("Working hours saved."))
                    return redirect(request.path)
                saved = True
                parsed.days = hours_editor_days(
                    result if result is not None else context.get("fallback_hours")
                )
                parsed.has_errors = False
        if parsed.has_errors:
            status, invalid = 422, True
        days = parsed.days
    context = {
        "nav": "settings",
        **context,
        "days": days,
        "errors": errors,
        "saved": saved,
        "invalid": invalid,
        "allow_inherit": allow_inherit,
        "inherit": inherit,
    }
    if request.htmx:
        # htmx swaps 2xx responses only; the partial carries its own errors.
        return render(request, "workspaces/_hours_form.html", context)
    return render(request, template, context, status=status)


@workspace_page("workspace.manage")
def settings_hours(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member

    def save(hours: dict[str, Any] | None) -> dict[str, Any]:
        return services.workspace_update_settings(member=member, working_hours=hours).working_hours

    return _hours_editor(
        request,
        hours=member.workspace.working_hours,
        save=save,
        template="workspaces/settings_hours.html",
        context={"settings_active": "hours"},
    )


@workspace_page()
def member_hours(request: PageRequest, workspace_slug: str, membership_id: int) -> HttpResponse:
    """A member's own working hours (or "the workspace's hours"). Members edit their own; with
    `members.manage`, anyone's. The service enforces it; the page checks first to show a 403."""
    member = request.member
    target = selectors.member_get(member, membership_id)
    if target.pk != member.pk and not member.has_perm("members.manage"):
        raise Forbidden(_("Only someone who manages members can change another member's hours."))

    def save(hours: dict[str, Any] | None) -> dict[str, Any] | None:
        return services.member_update(
            member=member, membership_id=target.pk, working_hours=hours
        ).working_hours

    return _hours_editor(
        request,
        hours=target.working_hours,
        save=save,
        template="workspaces/member_hours.html",
        context={
            "settings_active": "my_hours" if target.pk == member.pk else "members",
            "target": target,
            "fallback_hours": member.workspace.working_hours,
        },
        allow_inherit=True,
    )


@workspace_page("members.manage")
def member_video_room(request: PageRequest, workspace_slug: str, membership_id: int) -> HttpResponse:
    """A member's default video room, set by someone who manages members (members set their own on
    their profile). The service checks the link and the permission."""
    member = request.member
    target = selectors.member_get(member, membership_id)
    form = VideoRoomForm(request.POST or None, initial={"video_room_url": target.video_room_url})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(
                member=member,
                membership_id=target.pk,
                video_room_url=form.cleaned_data["video_room_url"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.fields)
        else:
            messages.success(
                request, _("The video room of %(name)s was saved.") % {"name": target.user.display_name}
            )
            return redirect("workspaces:members", workspace_slug=workspace_slug)
    return render(
        request,
        "workspaces/member_video_room.html",
        {"nav": "settings", "form": form, "target": target, "settings_active": "members"},
        status=422 if form.errors else 200,
    )


# --- Members ---------------------------------------------------------------------------------------


@workspace_page("members.manage")
def members(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    roles = list(selectors.roles_list(member))
    form = MemberAddForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.member_add(
                workspace=member.workspace,
                actor=member,
                email=form.cleaned_data["email"],
                role_id=form.cleaned_data["role"],
                name=form.cleaned_data["name"],
                offers_sessions=form.cleaned_data["offers_sessions"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.fields, aliases={"role_id": "role"})
        except ReauthRequired:
            raise  # workspace_page sends them to confirm their password
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(email)s is now a member with the role %(role)s.")
                % {"email": added.user.email, "role": added.role.name},
            )
            if not added.user.has_usable_password():
                send_invitation(
                    request=request,
                    user=added.user,
                    workspace_name=member.workspace.name,
                    inviter=member.display_name,
                )
                messages.info(request, _("We sent them an e-mail with a link to choose their password."))
            return redirect("workspaces:members", workspace_slug=workspace_slug)
    rows = list(selectors.members_list(member))
    status = 422 if form.errors else 200
    return render(
        request,
        "workspaces/members.html",
        {"nav": "settings", "form": form, "rows": rows, "roles": roles, "settings_active": "members"},
        status=status,
    )


@require_POST
@workspace_page("members.manage")
def member_change(request: PageRequest, workspace_slug: str, membership_id: int) -> HttpResponse:
    """Change a member's role or whether they offer sessions, or re-activate them."""
    member = request.member
    changes: dict[str, Any] = {}
    if "role" in request.POST:
        role_id = id_or_none(request.POST.get("role"))
        if role_id is None:
            messages.error(request, _("Choose a role."))
            return redirect("workspaces:members", workspace_slug=workspace_slug)
        changes["role_id"] = role_id
    if request.POST.get("is_active") in {"0", "1"}:
        changes["is_active"] = request.POST["is_active"] == "1"
    if request.POST.get("offers_sessions") in {"0", "1"}:
        changes["offers_sessions"] = request.POST["offers_sessions"] == "1"
    try:
        target = services.member_update(member=member, membership_id=membership_id, **changes)
    except NotFound:
        raise
    except ReauthRequired:
        raise  # workspace_page sends them to confirm their password
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(email)s was updated.") % {"email": target.user.email})
    return redirect("workspaces:members", workspace_slug=workspace_slug)


@require_POST
@workspace_page("members.manage")
def member_remove(request: PageRequest, workspace_slug: str, membership_id: int) -> HttpResponse:
    member = request.member
    try:
        target = services.member_remove(member=member, membership_id=membership_id)
    except NotFound:
        raise
    except ReauthRequired:
        raise  # workspace_page sends them to confirm their password
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(email)s no longer has access to this workspace. Their history is kept.")
            % {"email": target.user.email},
        )
        if target.pk == member.pk:  # they removed themselves: this workspace is closed to them now
            return redirect("home")
    return redirect("workspaces:members", workspace_slug=workspace_slug)


# --- Roles -----------------------------------------------------------------------------------------


@workspace_page("members.manage")
def roles(request: PageRequest, workspace_slug: str) -> HttpResponse:
    rows = list(selectors.roles_list(request.member))
    return render(
        request, "workspaces/roles.html", {"nav": "settings", "rows": rows, "settings_active": "roles"}
    )


@workspace_page("members.manage")
def role_edit(request: PageRequest, workspace_slug: str, role_id: int | None = None) -> HttpResponse:
    """Create (no `role_id`) or edit a role: a name and permission checkboxes from the catalogue."""
    member = request.member
    role = selectors.role_get(member, role_id) if role_id is not None else None
    if request.method == "POST":
        form = RoleForm(request.POST)
        codes = request.POST.getlist("permissions")
        if form.is_valid():
            try:
                if role is None:
                    saved = services.role_create(
                        member=member, name=form.cleaned_data["name"], permissions=codes
                    )
                else:
                    saved = services.role_update(
                        member=member, role_id=role.pk, name=form.cleaned_data["name"], permissions=codes
                    )
            except ValidationFailed as exc:
                apply_errors(form, exc.fields)
            except ReauthRequired:
                raise  # workspace_page sends them to confirm their password
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Role “%(name)s” saved.") % {"name": saved.name})
                return redirect("workspaces:roles", workspace_slug=workspace_slug)
    else:
        form = RoleForm(initial={"name": role.name} if role else None)
        codes = sorted(role.codes) if role else []
    status = 422 if form.errors else 200
    return render(
        request,
        "workspaces/role_edit.html",
        {
            "nav": "settings",
            "form": form,
            "role": role,
            "groups": permission_groups(codes),
            "settings_active": "roles",
        },
        status=status,
    )


@require_POST
@workspace_page("members.manage")
def role_delete(request: PageRequest, workspace_slug: str, role_id: int) -> HttpResponse:
    member = request.member
    role = selectors.role_get(member, role_id)
    try:
        services.role_delete(member=member, role_id=role.pk)
    except ReauthRequired:
        raise  # workspace_page sends them to confirm their password
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Role “%(name)s” deleted.") % {"name": role.name})
    return redirect("workspaces:roles", workspace_slug=workspace_slug)


# --- API tokens ------------------------------------------------------------------------------------


@workspace_page()
def api_tokens(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """Every member manages their own tokens. A new token's value is shown once, after a redirect
    (so reloading the page never creates a second one), then forgotten."""
    member = request.member
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = api_token_create(
                member=member,
                name=form.cleaned_data["name"],
                scopes=[SENSITIVE_SCOPE] if form.cleaned_data["sensitive"] else [],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.fields)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "raw": raw}
            return redirect("workspaces:api_tokens", workspace_slug=workspace_slug)
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None) if request.method == "GET" else None
    rows = list(selectors.api_tokens_list(member))
    status = 422 if form.errors else 200
    response = render(
        request,
        "workspaces/api_tokens.html",
        {
            "nav": "settings",
            "form": form,
            "rows": rows,
            "new_token": new_token,
            "api_base": request.build_absolute_uri(f"/api/v1/workspaces/{workspace_slug}/"),
            "settings_active": "api_tokens",
        },
        status=status,
    )
    if new_token:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@workspace_page()
def api_token_revoke_view(request: PageRequest, workspace_slug: str, token_id: int) -> HttpResponse:
    token = api_token_revoke(member=request.member, token_id=token_id)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect(reverse("workspaces:api_tokens", kwargs={"workspace_slug": workspace_slug}))


# --- Your profile ----------------------------------------------------------------------------------


@workspace_page()
def profile_page(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """The member's own name and the professional details printed on their receipts."""
    member = request.member
    form = ProfileForm(request.POST or None, initial=profile.profile_json(member))
    if request.method == "POST" and form.is_valid():
        try:
            profile.member_profile_update(member=member, data=form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc.fields)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("workspaces:profile", workspace_slug=workspace_slug)
    return render(
        request,
        "workspaces/profile.html",
        {"nav": "settings", "form": form, "settings_active": "profile"},
        status=422 if form.errors else 200,
    )
