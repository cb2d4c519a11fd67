"""Writes on therapy types. Keyword-only, atomic, audited; `therapy_types.manage` governs them."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from atendo.audit.services import audit_record, diff
from atendo.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from atendo.therapies.models import TherapyType
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_PRICE = Decimal("99999999.99")
EDITABLE = ("name", "color", "default_duration_minutes", "default_price", "active")


def clean_money(value: Any, path: str, *, required: bool = False) -> Decimal | None:
    """An exact, non-negative amount with at most two decimals (strings or numbers; never a float's noise)."""
    if value is None or value == "":
        if required:
            raise ValidationFailed.single(path, "An amount is required.")
        return None
    if isinstance(value, bool):
        raise ValidationFailed.single(path, "Must be an amount such as 150.00.")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed.single(path, "Must be an amount such as 150.00.") from None
    if not amount.is_finite():
        raise ValidationFailed.single(path, "Must be an amount such as 150.00.")
    if amount < 0:
        raise ValidationFailed.single(path, "The amount cannot be negative.")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed.single(path, "Use at most two decimal places.")
    if amount > MAX_PRICE:
        raise ValidationFailed.single(path, "The amount is too large.")
    return amount.quantize(Decimal("0.01"))


def _clean(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    unknown = sorted(set(data) - set(EDITABLE))
    errors += [FieldError(key, "Unknown field.") for key in unknown]
    if "name" in data or not partial:
        name = data.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            errors.append(FieldError("name", "A name is required."))
        elif len(name) > 120:
            errors.append(FieldError("name", "Use at most 120 characters."))
        cleaned["name"] = name
    if "color" in data:
        color = data["color"]
        if not isinstance(color, str) or not COLOR_RE.match(color):
            errors.append(FieldError("color", "Use a colour like #4f7cac (# and six hex digits)."))
        else:
            cleaned["color"] = color.lower()
    if "default_duration_minutes" in data:
        minutes = data["default_duration_minutes"]
        if minutes in (None, ""):
            cleaned["default_duration_minutes"] = None
        elif isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
            errors.append(FieldError("default_duration_minutes", "Use whole minutes between 1 and 1440."))
        else:
            cleaned["default_duration_minutes"] = minutes
    if "default_price" in data:
        try:
            cleaned["default_price"] = clean_money(data["default_price"], "default_price")
        except ValidationFailed as exc:
            errors += exc.fields
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors.append(FieldError("active", "Must be true or false."))
        else:
            cleaned["active"] = data["active"]
    if errors:
        raise ValidationFailed(errors)
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
            "name", "A therapy type with this name already exists.", code="duplicate"
        )
    try:
        with transaction.atomic():
            tt = TherapyType.objects.create(workspace=member.workspace, **cleaned)
    except IntegrityError:
        raise Conflict("A therapy type with this name already exists.", code="duplicate") from None
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
            "name", "A therapy type with this name already exists.", code="duplicate"
        )
    before = _snapshot(tt)
    for key, value in cleaned.items():
        setattr(tt, key, value)
    try:
        with transaction.atomic():
            tt.save()
    except IntegrityError:
        raise Conflict("A therapy type with this name already exists.", code="duplicate") from None
    changes = diff(before, _snapshot(tt))
    if changes:
        audit_record(
            workspace=member.workspace, actor=member, action="therapy_type.update", obj=tt, changes=changes
        )
    return tt


def therapy_type_set_active(*, member: Membership, therapy_type_id: int, active: bool) -> TherapyType:
    """Deactivate (hidden from new sessions; existing sessions keep it) or re-activate."""
    return therapy_type_update(member=member, therapy_type_id=therapy_type_id, data={"active": active})
