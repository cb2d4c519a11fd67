"""API: the workspace, its settings, members, roles and the permission catalogue."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.core.api_schemas import Id, InputSchema
from atendo.core.errors import ValidationFailed
from atendo.workspaces import permissions, profile, selectors, services, settings_registry, settings_sections
from atendo.workspaces.api_auth import api_member
from atendo.workspaces.models import Membership, Role
from atendo.workspaces.settings_registry import WORKING_HOURS_HELP, WorkingHours

router = Router(tags=["workspace"])


class WorkspaceOut(Schema):
    slug: str
    name: str
    timezone: str
    currency: str
    language: str


@router.get("/workspaces/{workspace_slug}", response=WorkspaceOut)
def workspace_detail(request: HttpRequest, workspace_slug: str) -> Any:
    member = api_member(request, workspace_slug)
    return WorkspaceOut.model_validate(member.workspace, from_attributes=True)


# --- Settings -------------------------------------------------------------------------------------


# Both derived from the one declaration of each setting (`settings_registry.SETTINGS`), plus the
# sections of the apps above (`settings_sections`: "booking").
SettingsOut = settings_sections.with_sections(settings_registry.out_schema(), patch=False)
SettingsPatch = settings_sections.with_sections(settings_registry.patch_schema(InputSchema), patch=True)


@router.get("/workspaces/{workspace_slug}/settings", response=SettingsOut)
def settings_read(request: HttpRequest, workspace_slug: str) -> Any:
    """Any member may read the settings (the calendar needs them)."""
    member = api_member(request, workspace_slug)
    return {**settings_registry.to_json(member.workspace), **settings_sections.read_all(member)}


@router.patch("/workspaces/{workspace_slug}/settings", response=SettingsOut)
def settings_update(request: HttpRequest, workspace_slug: str, payload: SettingsPatch) -> Any:  # type: ignore[valid-type]
    """Needs `workspace.manage`. Bad values answer 422 naming the key, e.g. `working_hours.mon[1]`."""
    member = api_member(request, workspace_slug)
    values = payload.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
    with transaction.atomic():
        sections = settings_sections.split(values)
        workspace = services.workspace_update_settings(member=member, **values)
        settings_sections.update_all(member, sections)
    return {**settings_registry.to_json(workspace), **settings_sections.read_all(member)}


# --- Members --------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    user_id: int
    email: str
    name: str
    role_id: int
    role_name: str
    is_owner: bool
    is_active: bool
    working_hours: WorkingHours | None = Field(description="Own hours; null means the workspace's hours.")
    color: str
    offers_sessions: bool = Field(
        description="A practitioner: offered in practitioner pickers and the free-slot finder."
    )
    profession: str = Field(description="As printed on receipts, e.g. Psicóloga.")
    registration: str = Field(description="Professional registration, e.g. CRP 06/123456.")
    video_room_url: str = Field(
        description="The member's default video room (https), prefilled into new sessions; empty: none."
    )


class MemberList(Schema):
    items: list[MemberOut]
    next_cursor: str | None = Field(description="Always null: a workspace's members come in one page.")


class MemberAdd(InputSchema):
    email: str = Field(max_length=254)
    role_id: Id | None = Field(None, description="The role's id (or give `role` by name).")
    role: str | None = Field(None, max_length=60, description="The role's name, e.g. Therapist.")
    name: str = Field("", max_length=150, description="Used only when the user is new.")
    offers_sessions: bool | None = Field(
        None, description="Default: on for a role with clinical access (Owner, Therapist), else off."
    )


class MemberPatch(InputSchema):
    role_id: Id | None = None
    is_active: bool | None = None
    offers_sessions: bool | None = Field(None, description="Needs `members.manage`.")
    working_hours: WorkingHours | None = Field(
        None, description=WORKING_HOURS_HELP + " null = the workspace's."
    )
    video_room_url: str | None = Field(
        None,
        max_length=500,
        description="Default video room, https ('' clears it). Your own, or anyone's with `members.manage`.",
    )


def member_json(m: Membership) -> dict[str, Any]:
    return {
        "id": m.pk,
        "user_id": m.user_id,
        "email": m.user.email,
        "name": m.user.name,
        "role_id": m.role_id,
        "role_name": m.role.name,
        "is_owner": m.role.is_owner,
        "is_active": m.is_active,
        "working_hours": m.working_hours,
        "color": m.color,
        "offers_sessions": m.offers_sessions,
        "profession": m.profession,
        "registration": m.registration,
        "video_room_url": m.video_room_url,
    }


@router.get("/workspaces/{workspace_slug}/members", response=MemberList)
def members_list(request: HttpRequest, workspace_slug: str, include_inactive: bool = True) -> Any:
    member = api_member(request, workspace_slug)
    rows = selectors.members_list(member, include_inactive=include_inactive)
    return {"items": [member_json(m) for m in rows], "next_cursor": None}


@router.post("/workspaces/{workspace_slug}/members", response={201: MemberOut})
def members_add(request: HttpRequest, workspace_slug: str, payload: MemberAdd) -> Any:
    """Needs `members.manage`. Adds the user (created if new, without a password: they use
    "forgot password") with the role; an existing member gets the role and is re-activated."""
    member = api_member(request, workspace_slug)
    if payload.role_id is None and not payload.role:
        raise ValidationFailed.single("role_id", "Give the role: `role_id`, or `role` by name.")
    added = services.member_add(
        workspace=member.workspace,
        actor=member,
        email=payload.email,
        role_id=payload.role_id,
        role_name=payload.role or "",
        name=payload.name,
        offers_sessions=payload.offers_sessions,
    )
    return Status(201, member_json(selectors.member_get(member, added.pk)))


class ProfileOut(Schema):
    member_id: int
    email: str
    name: str = Field(description="Your name as everyone sees it (empty: your e-mail is shown).")
    display_name: str
    profession: str
    registration: str = Field(description="e.g. CRP 06/123456")
    tax_id: str = Field(description="CPF/CNPJ (checked and formatted) or NPI/EIN, printed on your receipts.")
    video_room_url: str = Field(
        description="Your default video room (https), prefilled into your new sessions."
    )


class ProfilePatch(InputSchema):
    """Only the keys you send change; "" clears one."""

    name: str | None = Field(None, max_length=150)
    profession: str | None = Field(None, max_length=100)
    registration: str | None = Field(None, max_length=60)
    tax_id: str | None = Field(None, max_length=100)
    video_room_url: str | None = Field(None, max_length=500, description="https; '' clears it.")


# Before members/{member_id}, whose path would otherwise take "me" for an id.
@router.get("/workspaces/{workspace_slug}/members/me", response=ProfileOut)
def members_me(request: HttpRequest, workspace_slug: str) -> Any:
    """Your own profile in this workspace: name and the professional details of your receipts."""
    member = api_member(request, workspace_slug)
    return profile.profile_json(member)


@router.patch("/workspaces/{workspace_slug}/members/me", response=ProfileOut)
def members_me_update(request: HttpRequest, workspace_slug: str, payload: ProfilePatch) -> Any:
    """Change your own name and professional details. A CPF or CNPJ is checked (422 at `tax_id`)."""
    member = api_member(request, workspace_slug)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return profile.profile_json(profile.member_profile_update(member=member, data=data))


@router.get("/workspaces/{workspace_slug}/members/{member_id}", response=MemberOut)
def members_read(request: HttpRequest, workspace_slug: str, member_id: Id) -> Any:
    member = api_member(request, workspace_slug)
    return member_json(selectors.member_get(member, member_id))


@router.patch("/workspaces/{workspace_slug}/members/{member_id}", response=MemberOut)
def members_update(request: HttpRequest, workspace_slug: str, member_id: Id, payload: MemberPatch) -> Any:
    """Role and active flag need `members.manage`; anyone may set their own working hours.
    The last active owner cannot be demoted or deactivated (409 `last_owner`)."""
    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    updated = services.member_update(member=member, membership_id=member_id, **data)
    return member_json(selectors.member_get(member, updated.pk))


@router.delete("/workspaces/{workspace_slug}/members/{member_id}", response={204: None})
def members_remove(request: HttpRequest, workspace_slug: str, member_id: Id) -> Any:
    """Needs `members.manage`. The membership is deactivated (history stays attributed) and its
    API tokens revoked. The last active owner cannot be removed (409 `last_owner`)."""
    member = api_member(request, workspace_slug)
    services.member_remove(member=member, membership_id=member_id)
    return Status(204, None)


# --- Roles ----------------------------------------------------------------------------------------


class RoleOut(Schema):
    id: int
    name: str
    permissions: list[str]
    is_owner: bool
    member_count: int = Field(description="Active members holding this role.")


class RoleList(Schema):
    items: list[RoleOut]
    next_cursor: str | None


class RoleCreate(InputSchema):
    name: str = Field(min_length=1, max_length=60)
    permissions: list[str] = Field(default_factory=list, description="Codes from GET /permissions.")


class RolePatch(InputSchema):
    """Only the keys you send change."""

    name: str = Field(None, min_length=1, max_length=60)  # type: ignore[assignment]
    permissions: list[str] = Field(None, description="Codes from GET /permissions.")  # type: ignore[arg-type]


class PermissionOut(Schema):
    code: str
    label: str


class PermissionList(Schema):
    items: list[PermissionOut]
    next_cursor: str | None


def role_json(role: Role) -> dict[str, Any]:
    return {
        "id": role.pk,
        "name": role.name,
        "permissions": sorted(role.codes),
        "is_owner": role.is_owner,
        "member_count": getattr(role, "member_count", 0),
    }


@router.get("/permissions", response=PermissionList, tags=["workspace"])
def permissions_catalogue(request: HttpRequest) -> Any:
    """The permission codes roles are made of, with a human label."""
    items = [{"code": code, "label": str(label)} for code, label in permissions.CATALOGUE.items()]
    return {"items": items, "next_cursor": None}


@router.get("/workspaces/{workspace_slug}/roles", response=RoleList)
def roles_list(request: HttpRequest, workspace_slug: str) -> Any:
    member = api_member(request, workspace_slug)
    return {"items": [role_json(r) for r in selectors.roles_list(member)], "next_cursor": None}


@router.post("/workspaces/{workspace_slug}/roles", response={201: RoleOut})
def roles_create(request: HttpRequest, workspace_slug: str, payload: RoleCreate) -> Any:
    """Needs `members.manage`. Unknown codes answer 422 naming `permissions[i]`."""
    member = api_member(request, workspace_slug)
    role = services.role_create(member=member, name=payload.name, permissions=payload.permissions)
    return Status(201, role_json(selectors.role_get(member, role.pk)))


@router.get("/workspaces/{workspace_slug}/roles/{role_id}", response=RoleOut)
def roles_read(request: HttpRequest, workspace_slug: str, role_id: Id) -> Any:
    member = api_member(request, workspace_slug)
    return role_json(selectors.role_get(member, role_id))


@router.patch("/workspaces/{workspace_slug}/roles/{role_id}", response=RoleOut)
def roles_update(request: HttpRequest, workspace_slug: str, role_id: Id, payload: RolePatch) -> Any:
    """Needs `members.manage`. The Owner role cannot be changed (409 `owner_role`)."""
    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    role = services.role_update(member=member, role_id=role_id, **data)
    return role_json(selectors.role_get(member, role.pk))


@router.delete("/workspaces/{workspace_slug}/roles/{role_id}", response={204: None})
def roles_delete(request: HttpRequest, workspace_slug: str, role_id: Id) -> Any:
    """Needs `members.manage`. The Owner role and roles held by members are refused (409)."""
    member = api_member(request, workspace_slug)
    services.role_delete(member=member, role_id=role_id)
    return Status(204, None)
