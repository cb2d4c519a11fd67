"""Writes on workspaces, roles and memberships. Keyword-only, atomic, audited."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from atendo.audit.services import audit_record
from atendo.core.errors import Conflict, FieldError, ValidationFailed
from atendo.workspaces import permissions
from atendo.workspaces.hours import validate_working_hours
from atendo.workspaces.models import Membership, Role, Workspace

User = get_user_model()


def validate_timezone(name: Any, path: str = "timezone") -> str:
    if not isinstance(name, str) or not name:
        raise ValidationFailed.single(path, "A time zone is required, e.g. America/Sao_Paulo.")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.single(
            path, f"Unknown time zone '{name}'; use an IANA name like America/Sao_Paulo."
        ) from None
    if name not in zoneinfo.available_timezones() and name != "UTC":
        raise ValidationFailed.single(
            path, f"Unknown time zone '{name}'; use an IANA name like America/Sao_Paulo."
        )
    return name


def validate_permission_codes(codes: Any, path: str = "permissions") -> list[str]:
    if not isinstance(codes, list | tuple | set | frozenset):
        raise ValidationFailed.single(path, "Permissions must be a list of permission codes.")
    errors = [
        FieldError(f"{path}[{i}]", f"Unknown permission code '{code}'.")
        for i, code in enumerate(codes)
        if code not in permissions.ALL
    ]
    if errors:
        raise ValidationFailed(errors)
    return sorted(set(codes))


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
        raise ValidationFailed.single("name", "A workspace name is required.")
    slug = slugify(slug or name)
    if not slug:
        raise ValidationFailed.single("slug", "The slug must contain letters or digits.")
    validate_timezone(timezone)
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationFailed.single("slug", f"The slug '{slug}' is already taken.", code="duplicate")
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(
                name=name, slug=slug, timezone=timezone, currency=currency, language=language
            )
    except IntegrityError:
        raise Conflict(f"The slug '{slug}' is already taken.", code="duplicate") from None
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
def member_add(
    *,
    workspace: Workspace,
    actor: Membership | None,
    email: str,
    role_name: str,
    password: str | None = None,
    name: str = "",
) -> Membership:
    """Add (or re-activate) a user as a member with the named role. `actor` None = a command."""
    if actor is not None:
        from atendo.workspaces.access import require

        require(actor, "members.manage")
    role = Role.objects.for_workspace(workspace).filter(name=role_name).first()
    if role is None:
        raise ValidationFailed.single("role", f"There is no role named '{role_name}' in this workspace.")
    user = user_get_or_create(email=email, password=password, name=name)
    membership, created = Membership.objects.get_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    if not created:
        membership.role = role
        membership.is_active = True
        membership.save(update_fields=["role", "is_active", "updated_at"])
    audit_record(
        workspace=workspace,
        actor=actor,
        action="member.add",
        obj=membership,
        object_label=user.email,
        changes={"role": role.name},
    )
    return membership


def validate_workspace_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial settings update; returns the cleaned values."""
    cleaned = dict(data)
    if "timezone" in data:
        cleaned["timezone"] = validate_timezone(data["timezone"])
    if "working_hours" in data:
        cleaned["working_hours"] = validate_working_hours(data["working_hours"])
    return cleaned
