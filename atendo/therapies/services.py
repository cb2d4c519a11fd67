"""Writes on therapy types. Keyword-only, atomic, audited; `therapy_types.manage` governs them."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record, diff
from atendo.core.clean import FieldErrors, clean_bool, clean_money, clean_text
from atendo.core.errors import Conflict, NotFound, ValidationFailed
from atendo.therapies.models import TherapyType
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_NAME_LENGTH = 120
EDITABLE = ("name", "color", "default_duration_minutes", "default_price", "active")


def _clean(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    for key in sorted(set(data) - set(EDITABLE)):
        errors.add(key, _("Unknown field."))
    if "name" in data or not partial:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.add("name", _("A name is required."))
        else:
            cleaned["name"] = errors.check(clean_text, name, "name", max_length=MAX_NAME_LENGTH)
    if "color" in data:
        color = data["color"]
        if not isinstance(color, str) or not COLOR_RE.match(color):
            errors.add("color", _("Use a colour like #4f7cac (# and six hex digits)."))
        else:
            cleaned["color"] = color.lower()
    if "default_duration_minutes" in data:
        minutes = data["default_duration_minutes"]
        if minutes in (None, ""):
            cleaned["default_duration_minutes"] = None
        elif isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
            errors.add("default_duration_minutes", _("Use whole minutes between 1 and 1440."))
        else:
            cleaned["default_duration_minutes"] = minutes
    if "default_price" in data:
        cleaned["default_price"] = errors.check(clean_money, data["default_price"], "default_price")
    if "active" in data:
        active = errors.check(clean_bool, data["active"], "active")
        if active is not None:
            cleaned["active"] = active
    errors.raise_if_any()
    return cleaned


def _snapshot(tt: TherapyType) -> dict[str, Any]:
    return {
        "name": tt.name,
        "color": tt.color,
        "default_duration_minutes": tt.default_duration_minutes,
        "default_price": str(tt.default_price) if tt.default_price is not None else None,
        "active": tt.active,
    }


def _name_taken(member: Membership, name: str, exclude_id: int | None = None) -> bool:
    qs = TherapyType.objects.for_workspace(member.workspace).filter(name__iexact=name)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return bool(qs.exists())


@transaction.atomic
def therapy_type_create(*, member: Membership, data: dict[str, Any]) -> TherapyType:
    require(member, "therapy_types.manage")
    cleaned = _clean(data, partial=False)
    if _name_taken(member, cleaned["name"]):
        raise ValidationFailed.single(
            "name", _("A therapy type with this name already exists."), code="duplicate"
        )
    try:
        with transaction.atomic():
            tt = TherapyType.objects.create(workspace=member.workspace, **cleaned)
    except IntegrityError:
        raise Conflict(_("A therapy type with this name already exists."), code="duplicate") from None
    audit_record(
        workspace=member.workspace, actor=member, action="therapy_type.create", obj=tt, changes=_snapshot(tt)
    )
    return tt


def _get_locked(member: Membership, therapy_type_id: int) -> TherapyType:
    tt = (
        TherapyType.objects.for_workspace(member.workspace)
        .select_for_update()
        .filter(pk=therapy_type_id)
        .first()
    )
    if tt is None:
        raise NotFound()
    return tt


@transaction.atomic
def therapy_type_update(*, member: Membership, therapy_type_id: int, data: dict[str, Any]) -> TherapyType:
    require(member, "therapy_types.manage")
    tt = _get_locked(member, therapy_type_id)
    cleaned = _clean(data, partial=True)
    if "name" in cleaned and _name_taken(member, cleaned["name"], exclude_id=tt.pk):
        raise ValidationFailed.single(
            "name", _("A therapy type with this name already exists."), code="duplicate"
        )
    before = _snapshot(tt)
    for key, value in cleaned.items():
        setattr(tt, key, value)
    try:
        with transaction.atomic():
            tt.save()
    except IntegrityError:
        raise Conflict(_("A therapy type with this name already exists."), code="duplicate") from None
    changes = diff(before, _snapshot(tt))
    if changes:
        audit_record(
            workspace=member.workspace, actor=member, action="therapy_type.update", obj=tt, changes=changes
        )
    return tt


def therapy_type_set_active(*, member: Membership, therapy_type_id: int, active: bool) -> TherapyType:
    """Deactivate (hidden from new sessions; existing sessions keep it) or re-activate."""
    return therapy_type_update(member=member, therapy_type_id=therapy_type_id, data={"active": active})
