"""Writes on workspaces, roles and memberships. Keyword-only, atomic, audited, permission-checked.

Every failure raises an `atendo.core.errors` exception inside the transaction, so nothing is left
half-written. Two invariants are guarded here and nowhere else:

- a workspace always keeps at least one active owner (a member whose role `is_owner`);
- a member who is not an owner cannot hand out more than they hold (no privilege escalation):
  only owners grant or take away the Owner role, and a non-owner with `members.manage` can only
  put permission codes they hold themselves into a role or onto a member.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from atendo.accounts.models import ApiToken
from atendo.accounts.signin import require_recent_sign_in
from atendo.audit.services import audit_record, diff
from atendo.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from atendo.workspaces import permissions, settings_registry
from atendo.workspaces.access import require
from atendo.workspaces.hours import validate_working_hours
from atendo.workspaces.models import Membership, Role, Workspace
from atendo.workspaces.video import clean_video_url

User = get_user_model()


class _Unset(enum.Enum):
    """Marks an argument that was not given (distinct from an explicit None)."""

    token = 0


UNSET = _Unset.token


# --- Validation helpers (shared by forms, API and commands through the services) ----------------


def validate_permission_codes(codes: Any, path: str = "permissions") -> list[str]:
    if not isinstance(codes, list | tuple | set | frozenset):
        raise ValidationFailed.single(path, _("Permissions must be a list of permission codes."))
    errors = [
        FieldError(f"{path}[{i}]", _("Unknown permission code '%(code)s'.") % {"code": code})
        for i, code in enumerate(codes)
        if not isinstance(code, str) or code not in permissions.ALL
    ]
    if errors:
        raise ValidationFailed(errors)
    return sorted(set(codes))


def _validate_name(value: Any, path: str, max_length: int, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.single(path, _("%(what)s is required.") % {"what": what})
    value = value.strip()
    if len(value) > max_length:
        raise ValidationFailed.single(
            path, _("%(what)s is longer than %(max)d characters.") % {"what": what, "max": max_length}
        )
    return value


def _validate_email(value: Any, path: str = "email") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.single(path, _("An e-mail address is required."))
    email = User.objects.normalize_email(value.strip()).lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed.single(
            path, _("'%(value)s' is not a valid e-mail address.") % {"value": value}
        ) from None
    return email


# --- Users and workspaces -------------------------------------------------------------------------


def user_get_or_create(*, email: str, password: str | None = None, name: str = "") -> Any:
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, name=name)
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def workspace_create(
    *,
    name: str,
    slug: str | None = None,
    timezone: str = "UTC",
    owner_email: str,
    owner_password: str | None = None,
    currency: str = "BRL",
    language: str = "en",
) -> Workspace:
    """A new workspace with the three default roles, and its first owner."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.single("name", _("A workspace name is required."))
    slug = slugify(slug or name)
    if not slug:
        raise ValidationFailed.single("slug", _("The slug must contain letters or digits."))
    timezone = settings_registry.SETTINGS["timezone"].clean(timezone)
    currency = settings_registry.SETTINGS["currency"].clean(currency)
    owner_email = _validate_email(owner_email, "owner")
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationFailed.single(
            "slug", _("The slug '%(slug)s' is already taken.") % {"slug": slug}, code="duplicate"
        )
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(
                name=name, slug=slug, timezone=timezone, currency=currency, language=language
            )
    except IntegrityError:
        raise Conflict(
            _("The slug '%(slug)s' is already taken.") % {"slug": slug}, code="duplicate"
        ) from None
    roles = {
        role_name: Role.objects.create(
            workspace=workspace,
            name=role_name,
            permissions=sorted(codes),
            is_owner=role_name == permissions.OWNER,
        )
        for role_name, codes in permissions.DEFAULT_ROLES.items()
    }
    owner = user_get_or_create(email=owner_email, password=owner_password)
    membership = Membership.objects.create(workspace=workspace, user=owner, role=roles[permissions.OWNER])
    audit_record(workspace=workspace, actor=membership, action="workspace.create", obj=workspace)
    return workspace


@transaction.atomic
def workspace_update_settings(*, member: Membership, **values: Any) -> Workspace:
    """Change any of the settings of `settings_registry` (a partial update). Needs `workspace.manage`.

    Returns the updated workspace (also `member.workspace`). The audit event records what changed.
    """
    require(member, "workspace.manage")
    cleaned = settings_registry.clean(values)
    if any(settings_registry.SETTINGS[key].sensitive for key in cleaned):
        require_recent_sign_in(member)
    workspace = Workspace.objects.select_for_update().get(pk=member.workspace_id)
    owner_only = sorted(
        k
        for k, v in cleaned.items()
        if settings_registry.SETTINGS[k].owner_only and getattr(workspace, k) != v
    )
    if owner_only and not member.is_owner:
        raise Forbidden(_("Only an owner may change %(keys)s.") % {"keys": ", ".join(owner_only)})
    before = settings_registry.to_json(workspace)
    for key, value in cleaned.items():
        setattr(workspace, key, value)
    after = settings_registry.to_json(workspace)
    changes = diff(before, after)
    if changes:
        workspace.save(update_fields=[*changes, "updated_at"])
        audit_record(
            workspace=workspace, actor=member, action="workspace.update", obj=workspace, changes=changes
        )
    member.workspace = workspace
    return workspace


# --- Guards ---------------------------------------------------------------------------------------


def _lock_memberships(workspace_id: int) -> None:
    """Serialize changes to who the owners are: lock every membership row of the workspace.

    A concurrent demotion of the other owner waits here and then re-counts, so two owners
    demoting each other at once cannot leave the workspace without one.
    """
    list(
        Membership.objects.select_for_update()
        .filter(workspace_id=workspace_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _reload_actor(actor: Membership, *codes: str) -> Membership:
    """Call after `_lock_memberships`: the actor as committed now (a concurrent change may have
    demoted or removed them while they waited), re-checked for `codes`."""
    fresh = (
        Membership.objects.select_related("user", "role", "workspace")
        .filter(pk=actor.pk, workspace_id=actor.workspace_id, is_active=True)
        .first()
    )
    if fresh is None:
        raise Forbidden(_("You are no longer an active member of this workspace."))
    require(fresh, *codes)
    return fresh


def _active_owner_count(workspace_id: int) -> int:
    return Membership.objects.filter(workspace_id=workspace_id, is_active=True, role__is_owner=True).count()


def _refuse_losing_last_owner(target: Membership) -> None:
    """Call with the memberships locked, when `target` is about to stop being an active owner."""
    if target.is_active and target.role.is_owner and _active_owner_count(target.workspace_id) <= 1:
        raise Conflict(
            _(
                "This is the last owner of the workspace and cannot be demoted, deactivated or removed. "
                "Make another member an owner first."
            ),
            code="last_owner",
        )


def _refuse_escalation(actor: Membership | None, codes: Iterable[str], *, grants_owner: bool) -> None:
    """A non-owner cannot grant what they do not hold, nor the Owner role."""
    if actor is None or actor.is_owner:
        return
    if grants_owner:
        raise Forbidden(_("Only an owner can grant or take away the Owner role."))
    beyond = sorted(set(codes) - set(actor.role.codes))
    if beyond:
        raise Forbidden(
            _("You cannot grant permissions you do not hold: %(codes)s.") % {"codes": ", ".join(beyond)}
        )


def _role_in(workspace_id: int, role_id: Any, path: str = "role_id") -> Role:
    if isinstance(role_id, bool) or not isinstance(role_id, int):
        raise ValidationFailed.single(path, _("A role id is required."))
    role = Role.objects.for_workspace(workspace_id).filter(pk=role_id).first()
    if role is None:
        raise ValidationFailed.single(path, _("There is no such role in this workspace."))
    return role


def _membership_in(workspace_id: int, membership_id: Any) -> Membership:
    if isinstance(membership_id, bool) or not isinstance(membership_id, int):
        raise NotFound()
    target = (
        Membership.objects.for_workspace(workspace_id)
        .select_related("user", "role")
        .filter(pk=membership_id)
        .first()
    )
    if target is None:
        raise NotFound()
    return target


# --- Roles ----------------------------------------------------------------------------------------


@transaction.atomic
def role_create(*, member: Membership, name: str, permissions: Iterable[str] = ()) -> Role:
    """A new role of this workspace. Needs `members.manage` and a recent sign-in; unknown codes name
    `permissions[i]`."""
    require(member, "members.manage")
    require_recent_sign_in(member)
    name = _validate_name(name, "name", 60, "The role name")
    codes = validate_permission_codes(list(permissions) if not isinstance(permissions, str) else permissions)
    _refuse_escalation(member, codes, grants_owner=False)
    if Role.objects.for_workspace(member.workspace_id).filter(name__iexact=name).exists():
        raise ValidationFailed.single(
            "name", _("There is already a role named '%(name)s'.") % {"name": name}, code="duplicate"
        )
    try:
        with transaction.atomic():
            role = Role.objects.create(workspace_id=member.workspace_id, name=name, permissions=codes)
    except IntegrityError:
        raise Conflict(
            _("There is already a role named '%(name)s'.") % {"name": name}, code="duplicate"
        ) from None
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="role.create",
        obj=role,
        changes={"name": name, "permissions": codes},
    )
    return role


@transaction.atomic
def role_update(
    *,
    member: Membership,
    role_id: int,
    name: str | _Unset = UNSET,
    permissions: Iterable[str] | _Unset = UNSET,
) -> Role:
    """Rename a role or replace its permission codes (a recent sign-in). The Owner role cannot be changed."""
    require(member, "members.manage")
    require_recent_sign_in(member)
    role = Role.objects.for_workspace(member.workspace_id).select_for_update().filter(pk=role_id).first()
    if role is None:
        raise NotFound()
    before: dict[str, Any] = {"name": role.name, "permissions": sorted(role.permissions)}
    after: dict[str, Any] = dict(before)
    errors: list[FieldError] = []
    if name is not UNSET:
        try:
            after["name"] = _validate_name(name, "name", 60, "The role name")
        except ValidationFailed as exc:
            errors += exc.fields
    if permissions is not UNSET:
        try:
            after["permissions"] = validate_permission_codes(
                list(permissions) if not isinstance(permissions, str) else permissions
            )
        except ValidationFailed as exc:
            errors += exc.fields
    if errors:
        raise ValidationFailed(errors)
    changes = diff(before, after)
    if not changes:
        return role
    if role.is_owner:
        raise Conflict(
            _(
                "The Owner role always holds every permission and keeps its name; "
                "it cannot be changed or deleted."
            ),
            code="owner_role",
        )
    _refuse_escalation(member, after["permissions"], grants_owner=False)
    if (
        "name" in changes
        and Role.objects.for_workspace(member.workspace_id)
        .filter(name__iexact=after["name"])
        .exclude(pk=role.pk)
        .exists()
    ):
        raise ValidationFailed.single(
            "name", _("There is already a role named '%(name)s'.") % {"name": after["name"]}, code="duplicate"
        )
    role.name = after["name"]
    role.permissions = after["permissions"]
    role.save(update_fields=["name", "permissions", "updated_at"])
    audit_record(workspace=member.workspace, actor=member, action="role.update", obj=role, changes=changes)
    return role


@transaction.atomic
def role_delete(*, member: Membership, role_id: int) -> None:
    """Delete an unused role. The Owner role and roles still held by members are refused (409)."""
    require(member, "members.manage")
    require_recent_sign_in(member)
    role = Role.objects.for_workspace(member.workspace_id).select_for_update().filter(pk=role_id).first()
    if role is None:
        raise NotFound()
    if role.is_owner:
        raise Conflict(
            _(
                "The Owner role always holds every permission and keeps its name; "
                "it cannot be changed or deleted."
            ),
            code="owner_role",
        )
    _refuse_escalation(member, role.codes, grants_owner=False)
    in_use = Membership.objects.for_workspace(member.workspace_id).filter(role=role).count()
    if in_use:
        raise Conflict(
            _("Members still hold this role; give them another role first."),
            code="role_in_use",
            members=in_use,
        )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="role.delete",
        obj=role,
        changes={"name": role.name, "permissions": sorted(role.permissions)},
    )
    role.delete()


# --- Memberships ----------------------------------------------------------------------------------


@transaction.atomic
def member_add(
    *,
    workspace: Workspace,
    actor: Membership | None,
    email: str,
    role_name: str = "",
    role_id: int | None = None,
    password: str | None = None,
    name: str = "",
    offers_sessions: bool | None = None,
) -> Membership:
    """Add (or re-activate) a user as a member with a role (by id, or by name). `actor` None = a command.

    Adding someone who is already a member changes their role (with the last-owner guard).
    `offers_sessions` None: a new member offers sessions when the role has clinical access
    (`Role.offers_sessions_by_default`); a returning one keeps what they had.
    """
    if offers_sessions is not None and not isinstance(offers_sessions, bool):
        raise ValidationFailed.single("offers_sessions", _("Must be true or false."))
    if actor is not None:
        require(actor, "members.manage")
        if actor.workspace_id != workspace.pk:
            raise NotFound()
        require_recent_sign_in(actor)
    email = _validate_email(email)
    if role_id is not None:
        role = _role_in(workspace.pk, role_id)
    else:
        found = Role.objects.for_workspace(workspace).filter(name=role_name).first()
        if found is None:
            raise ValidationFailed.single(
                "role", _("There is no role named '%(name)s' in this workspace.") % {"name": role_name}
            )
        role = found
    _lock_memberships(workspace.pk)
    if actor is not None:
        actor = _reload_actor(actor, "members.manage")
    existing = Membership.objects.select_related("user", "role").filter(
        workspace=workspace, user__email=email
    )
    membership = existing.first()
    _refuse_escalation(
        actor,
        role.codes,
        grants_owner=role.is_owner or bool(membership and membership.is_active and membership.role.is_owner),
    )
    if membership is None:
        user = user_get_or_create(email=email, password=password, name=name)
        membership = Membership.objects.create(
            workspace=workspace,
            user=user,
            role=role,
            offers_sessions=role.offers_sessions_by_default if offers_sessions is None else offers_sessions,
        )
        before_role = None
    else:
        user = membership.user
        if password and actor is None:
            user.set_password(password)
            user.save(update_fields=["password"])
        if name and not user.name:
            user.name = name
            user.save(update_fields=["name"])
        before_role = membership.role.name if membership.is_active else None
        if membership.role_id != role.pk and not role.is_owner:
            _refuse_losing_last_owner(membership)
        membership.role = role
        membership.is_active = True
        if offers_sessions is not None:
            membership.offers_sessions = offers_sessions
        membership.save(update_fields=["role", "is_active", "offers_sessions", "updated_at"])
    audit_record(
        workspace=workspace,
        actor=actor,
        action="member.add",
        obj=membership,
        object_label=user.email,
        changes={
            "role": [before_role, role.name] if before_role else role.name,
            "offers_sessions": membership.offers_sessions,
        },
    )
    return membership


@transaction.atomic
def member_update(
    *,
    member: Membership,
    membership_id: int,
    role_id: int | _Unset = UNSET,
    is_active: bool | _Unset = UNSET,
    working_hours: dict[str, Any] | _Unset | None = UNSET,
    offers_sessions: bool | _Unset = UNSET,
    video_room_url: str | _Unset = UNSET,
) -> Membership:
    """Change a member's role, active flag, whether they offer sessions, own working hours (None
    = the workspace's hours) or default video room ("" = none; `workspaces.video`).

    Role, active flag and "offers sessions" need `members.manage`; a member may set their own
    working hours and video room (someone else's needs `members.manage`). The last active owner can
    never be demoted or deactivated (409 `last_owner`).
    """
    target = _membership_in(member.workspace_id, membership_id)
    own_hours_only = (
        role_id is UNSET and is_active is UNSET and offers_sessions is UNSET and target.pk == member.pk
    )
    if not own_hours_only:
        require(member, "members.manage")
    if role_id is not UNSET or is_active is not UNSET:
        require_recent_sign_in(member)  # who holds which role is who may read what
    errors: list[FieldError] = []
    new_role: Role | None = None
    if role_id is not UNSET:
        try:
            new_role = _role_in(member.workspace_id, role_id)
        except ValidationFailed as exc:
            errors += exc.fields
    if is_active is not UNSET and not isinstance(is_active, bool):
        errors.append(FieldError("is_active", _("Must be true or false.")))
    if offers_sessions is not UNSET and not isinstance(offers_sessions, bool):
        errors.append(FieldError("offers_sessions", _("Must be true or false.")))
    hours: dict[str, Any] | None = None
    if working_hours is not UNSET and working_hours is not None:
        try:
            hours = validate_working_hours(working_hours)
        except ValidationFailed as exc:
            errors += exc.fields
    room: str | None = None
    if video_room_url is not UNSET:
        try:
            room = clean_video_url(video_room_url, "video_room_url")
        except ValidationFailed as exc:
            errors += exc.fields
    if errors:
        raise ValidationFailed(errors)

    _lock_memberships(member.workspace_id)
    actor = _reload_actor(member, *(() if own_hours_only else ("members.manage",)))
    target = _membership_in(member.workspace_id, membership_id)  # re-read under the lock
    before = _member_state(target)
    changes_owner = (new_role is not None and new_role.is_owner != target.role.is_owner) or (
        is_active is not UNSET and is_active != target.is_active and target.role.is_owner
    )
    if new_role is not None and new_role.pk != target.role_id:
        _refuse_escalation(actor, new_role.codes, grants_owner=changes_owner)
        if not new_role.is_owner:
            _refuse_losing_last_owner(target)
        target.role = new_role
    if is_active is not UNSET and is_active != target.is_active:
        _refuse_escalation(actor, target.role.codes, grants_owner=changes_owner)
        if not is_active:
            _refuse_losing_last_owner(target)
        target.is_active = bool(is_active)
    if working_hours is not UNSET:
        target.working_hours = hours
    if isinstance(offers_sessions, bool):
        target.offers_sessions = offers_sessions
    if room is not None:
        target.video_room_url = room
    after = _member_state(target)
    changes = diff(before, after)
    if changes:
        target.save(
            update_fields=[
                "role",
                "is_active",
                "working_hours",
                "offers_sessions",
                "video_room_url",
                "updated_at",
            ]
        )
        if "is_active" in changes and not target.is_active:
            _revoke_tokens(target)
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="member.update",
            obj=target,
            object_label=target.user.email,
            changes=changes,
        )
    return target


@transaction.atomic
def member_remove(*, member: Membership, membership_id: int) -> Membership:
    """Take someone out of the workspace: the membership is deactivated (their sessions and history
    stay attributed to them) and their API tokens for this workspace are revoked. Re-adding them
    with `member_add` brings them back. The last active owner cannot be removed (409)."""
    require(member, "members.manage")
    require_recent_sign_in(member)
    _lock_memberships(member.workspace_id)
    actor = _reload_actor(member, "members.manage")
    target = _membership_in(member.workspace_id, membership_id)
    if not target.is_active:
        return target
    _refuse_escalation(actor, target.role.codes, grants_owner=target.role.is_owner)
    _refuse_losing_last_owner(target)
    target.is_active = False
    target.save(update_fields=["is_active", "updated_at"])
    _revoke_tokens(target)
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="member.remove",
        obj=target,
        object_label=target.user.email,
        changes={"role": target.role.name},
    )
    return target


def _member_state(target: Membership) -> dict[str, Any]:
    return {
        "role": target.role.name,
        "is_active": target.is_active,
        "working_hours": target.working_hours,
        "offers_sessions": target.offers_sessions,
        "video_room_url": target.video_room_url,
    }


def _revoke_tokens(target: Membership) -> None:
    ApiToken.objects.filter(
        workspace_id=target.workspace_id, user_id=target.user_id, revoked_at__isnull=True
    ).update(revoked_at=dj_timezone.now())
