"""Writes on field definitions: create, update, reorder, archive, restore. Atomic and audited.

Permissions: `client.fields.manage`, `session.fields.manage`, `evaluation.fields.manage`, and
`therapy_types.manage` for the fields of a therapy type — each scope its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from atendo.fields import registry
from atendo.fields.definitions import clean_definition
from atendo.fields.models import FILTERABLE_TYPES, PERMISSION_FOR_SCOPE, FieldDefinition, Phase, Scope
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

PHASES = {p.value for p in Phase}
MAX_ORDER = 1_000_000
EDITABLE = (
    "label",
    "description",
    "type",
    "required",
    "options",
    "validation",
    "fields",
    "filterable",
    "clinical",
)


def parse_scope(workspace: Workspace, raw: Any, phase: Any = None) -> tuple[str, str, int | None]:
    """`"session"`, `"therapy_type:12"`… -> (scope, phase, therapy_type_id), checked for this workspace."""
    if not isinstance(raw, str) or not raw:
        raise ValidationFailed.single(
            "scope", _("A scope is required: client, session, evaluation or therapy_type:<id>.")
        )
    therapy_type_id: int | None = None
    scope = raw
    if raw.startswith("therapy_type:"):
        scope, _sep, raw_id = raw.partition(":")
        if not raw_id.isdigit():
            raise ValidationFailed.single("scope", _("Write a therapy type scope as therapy_type:<id>."))
        therapy_type_id = int(raw_id)
        if registry.therapy_type_name(workspace.pk, therapy_type_id) is None:
            raise ValidationFailed.single(
                "scope",
                _("There is no therapy type {therapy_type_id} in this workspace.").format(
                    therapy_type_id=therapy_type_id
                ),
            )
    elif raw not in {Scope.CLIENT, Scope.SESSION, Scope.EVALUATION}:
        raise ValidationFailed.single(
            "scope",
            _("Unknown scope '{raw}'; use client, session, evaluation or therapy_type:<id>.").format(raw=raw),
        )
    if scope == Scope.SESSION:
        if phase not in PHASES:
            raise ValidationFailed.single("phase", _("Session fields need a phase: pre, during or post."))
    elif phase not in (None, ""):
        raise ValidationFailed.single("phase", _("Only session fields have a phase."))
    return scope, (phase if scope == Scope.SESSION else ""), therapy_type_id


def require_manage(member: Membership, scope: str) -> None:
    require(member, PERMISSION_FOR_SCOPE[scope])


def _get(member: Membership, definition_id: int, *, lock: bool = False) -> FieldDefinition:
    qs = FieldDefinition.objects.for_workspace(member.workspace)
    if lock:
        qs = qs.select_for_update()
    definition = qs.filter(pk=definition_id).first()
    if definition is None:
        raise NotFound()
    return definition


def values_exist(definition: FieldDefinition) -> bool:
    """Does any stored value use this definition's key? Asked of the app that stores the scope's
    values (clients, scheduling, evaluations register their answer in `fields.registry`)."""
    return registry.values_exist(definition)


def _check_filterable(spec: Mapping[str, Any], filterable: bool) -> None:
    if filterable and spec["type"] not in FILTERABLE_TYPES:
        raise ValidationFailed.single(
            "filterable",
            _("A {type} field cannot be filterable; only {value} can.").format(
                type=spec["type"], value=", ".join(sorted(FILTERABLE_TYPES))
            ),
        )


def _flag(data: Mapping[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ValidationFailed.single(name, _("{name} must be true or false.").format(name=name))
    return value


@transaction.atomic
def field_create(
    *,
    member: Membership,
    scope: str,
    phase: str | None = None,
    therapy_type_id: int | None = None,
    data: Mapping[str, Any],
) -> FieldDefinition:
    """A new definition at the end of its scope (and phase), unless `order` is given."""
    raw_scope = (
        f"therapy_type:{therapy_type_id}" if scope == Scope.THERAPY_TYPE and therapy_type_id else scope
    )
    scope, phase_, therapy_type_id = parse_scope(member.workspace, raw_scope, phase)
    require_manage(member, scope)
    spec = clean_definition(data)
    filterable = _flag(data, "filterable", False)
    clinical = _flag(data, "clinical", True)
    _check_filterable(spec, filterable)
    same_scope = FieldDefinition.objects.for_workspace(member.workspace).filter(
        scope=scope, therapy_type_id=therapy_type_id
    )
    if same_scope.filter(key=spec["key"]).exists():
        raise ValidationFailed.single(
            "key",
            _("The key '{key}' is already used in this scope (keys are never reused).").format(
                key=spec["key"]
            ),
            code="duplicate",
        )
    order = data.get("order")
    if order is None:
        order = (same_scope.filter(phase=phase_).aggregate(m=Max("order"))["m"] or 0) + 1
    elif not isinstance(order, int) or isinstance(order, bool) or abs(order) > MAX_ORDER:
        raise ValidationFailed.single(
            "order", _("order must be a whole number between -1000000 and 1000000.")
        )
    try:
        with transaction.atomic():
            definition = FieldDefinition.objects.create(
                workspace=member.workspace,
                scope=scope,
                phase=phase_,
                therapy_type_id=therapy_type_id,
                key=spec["key"],
                label=spec["label"],
                description=spec["description"],
                type=spec["type"],
                required=spec["required"],
                options=spec["options"],
                validation=spec["validation"],
                children=spec["fields"],
                order=order,
                filterable=filterable,
                clinical=clinical,
            )
    except IntegrityError:
        raise Conflict(
            _("The key '{key}' was just taken in this scope.").format(key=spec["key"]), code="duplicate"
        ) from None
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="field.create",
        obj=definition,
        changes={"scope": definition.scope_label, "phase": phase_, "type": definition.type},
    )
    return definition


@transaction.atomic
def field_update(*, member: Membership, definition_id: int, data: Mapping[str, Any]) -> FieldDefinition:
    """Change a definition. The key is stable; the type cannot change once values use the key;
    options are never removed (retire them instead) so stored values keep their meaning."""
    definition = _get(member, definition_id, lock=True)
    require_manage(member, definition.scope)
    if "key" in data and data["key"] != definition.key:
        raise ValidationFailed.single(
            "key", _("A field's key is stable and cannot be changed; create a new field.")
        )
    unknown = set(data) - set(EDITABLE) - {"key", "order", "scope", "phase", "id", "archived"}
    if unknown:
        raise ValidationFailed(
            [FieldError(k, _("'{k}' cannot be changed here.").format(k=k)) for k in sorted(unknown)]
        )
    before = definition.as_spec() | {"filterable": definition.filterable, "clinical": definition.clinical}
    merged = definition.as_spec() | {k: v for k, v in data.items() if k in EDITABLE}
    if "type" in data and data["type"] != definition.type:
        if merged["type"] not in ("select", "multi_select"):
            merged["options"] = data.get("options") or []
        if merged["type"] not in ("array", "object"):
            merged["fields"] = data.get("fields") or []
        if "validation" not in data:
            merged["validation"] = {}
    spec = clean_definition(merged)
    if spec["type"] != definition.type and values_exist(definition):
        raise Conflict(
            _(
                "'{label}' already has stored values, so its type cannot change from {old} to {new}. "
                "Archive it and create a new field instead."
            ).format(label=definition.label, old=definition.type, new=spec["type"]),
            code="values_exist",
        )
    broken = (
        _nested_changes(definition.children or [], spec["fields"]) if spec["type"] == definition.type else []
    )
    if broken and values_exist(definition):
        raise Conflict(
            _(
                "'{label}' already has stored values, so its nested field {path} cannot be removed "
                "or change type. Add new nested fields instead, or archive this field."
            ).format(label=definition.label, path=broken[0]),
            code="values_exist",
        )
    if spec["type"] == definition.type and definition.type in ("select", "multi_select"):
        kept = {o["value"] for o in spec["options"]}
        removed = [o["value"] for o in definition.options if o["value"] not in kept]
        if removed:
            raise ValidationFailed.single(
                "options",
                _(
                    "Options cannot be removed ({removed}); mark them retired instead so stored values "
                    "keep their meaning."
                ).format(removed=", ".join(removed)),
            )
    filterable = _flag(data, "filterable", definition.filterable)
    _check_filterable(spec, filterable)
    definition.label = spec["label"]
    definition.description = spec["description"]
    definition.type = spec["type"]
    definition.required = spec["required"]
    definition.options = spec["options"]
    definition.validation = spec["validation"]
    definition.children = spec["fields"]
    definition.filterable = filterable
    clinical = _flag(data, "clinical", definition.clinical)
    if definition.clinical and not clinical and not member.has_perm("clinical.read_all"):
        # Making a field administrative shows every value stored under it to every reader of the
        # records: only someone who may already read them all may do that. Refused whether or not
        # values exist, so the answer says nothing about hidden content.
        raise Forbidden(
            _("Only a member who reads all clinical content may make a clinical field administrative."),
            code="clinical_forbidden",
        )
    definition.clinical = clinical
    if "order" in data:
        if (
            not isinstance(data["order"], int)
            or isinstance(data["order"], bool)
            or abs(data["order"]) > MAX_ORDER
        ):
            raise ValidationFailed.single(
                "order", _("order must be a whole number between -1000000 and 1000000.")
            )
        definition.order = data["order"]
    definition.save()
    after = definition.as_spec() | {"filterable": definition.filterable, "clinical": definition.clinical}
    changed = sorted(k for k in after if after[k] != before.get(k))
    if {"clinical", "filterable"} & set(changed):
        # Clinical values are sealed at rest, clinical filterable ones with a blind index: the
        # stored values follow the new flags, in this transaction (the system re-encrypts; nothing
        # is shown to the member, so the answer does not depend on them).
        registry.values_reseal(definition)
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="field.update",
        obj=definition,
        changes={"changed": changed},
    )
    return definition


@transaction.atomic
def field_reorder(
    *,
    member: Membership,
    scope: str,
    phase: str | None = None,
    therapy_type_id: int | None = None,
    ids: Sequence[Any],
) -> list[FieldDefinition]:
    """Put the given definitions first, in this order; the others of the scope/phase follow."""
    raw_scope = (
        f"therapy_type:{therapy_type_id}" if scope == Scope.THERAPY_TYPE and therapy_type_id else scope
    )
    scope, phase_, therapy_type_id = parse_scope(member.workspace, raw_scope, phase)
    require_manage(member, scope)
    if not isinstance(ids, list | tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise ValidationFailed.single("ids", _("ids must be a list of field definition ids."))
    if len(set(ids)) != len(ids):
        raise ValidationFailed.single("ids", _("An id appears twice in the new order."))
    current = list(
        FieldDefinition.objects.for_workspace(member.workspace)
        .select_for_update()
        .filter(scope=scope, phase=phase_, therapy_type_id=therapy_type_id)
        .order_by("order", "id")
    )
    by_id = {d.pk: d for d in current}
    errors = [
        FieldError(f"ids[{i}]", _("{v} is not a field of this scope and phase.").format(v=v))
        for i, v in enumerate(ids)
        if v not in by_id
    ]
    if errors:
        raise ValidationFailed(errors)
    ordered = [by_id[i] for i in ids] + [d for d in current if d.pk not in set(ids)]
    changed = []
    for position, definition in enumerate(ordered, start=1):
        if definition.order != position:
            definition.order = position
            changed.append(definition)
    FieldDefinition.objects.bulk_update(changed, ["order"])
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="field.reorder",
        object_type="fielddefinition",
        object_label=f"{raw_scope} {phase_}".strip(),
        changes={"order": [d.pk for d in ordered]},
    )
    return ordered


def _nested_shape(children: list[dict[str, Any]], prefix: str = "") -> dict[str, str]:
    """`{"follow_up.date": "date", ...}`: every nested key path and its type."""
    shape: dict[str, str] = {}
    for child in children or []:
        path = f"{prefix}{child.get('key')}"
        shape[path] = str(child.get("type"))
        shape.update(_nested_shape(child.get("fields") or [], f"{path}."))
    return shape


def _nested_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """Nested key paths removed or retyped by an update (stored values would stop validating)."""
    before, after = _nested_shape(old), _nested_shape(new)
    return sorted(path for path, type_ in before.items() if after.get(path) != type_)


def _set_archived(member: Membership, definition_id: int, archived: bool) -> FieldDefinition:
    definition = _get(member, definition_id, lock=True)
    require_manage(member, definition.scope)
    if definition.archived != archived:
        definition.archived = archived
        definition.save(update_fields=["archived", "updated_at"])
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="field.archive" if archived else "field.restore",
            obj=definition,
        )
    return definition


@transaction.atomic
def field_archive(*, member: Membership, definition_id: int) -> FieldDefinition:
    """Hide a field from forms; its stored values and its key are kept."""
    return _set_archived(member, definition_id, True)


@transaction.atomic
def field_restore(*, member: Membership, definition_id: int) -> FieldDefinition:
    return _set_archived(member, definition_id, False)


def field_get(*, member: Membership, definition_id: int) -> FieldDefinition:
    return _get(member, definition_id)


def definition_to_json(definition: FieldDefinition) -> dict[str, Any]:
    """The API shape of a definition (product.md, "Contract details")."""
    return {
        "id": definition.pk,
        "scope": definition.scope_label,
        "phase": definition.phase or None,
        **_spec_to_json(definition.as_spec()),
        "order": definition.order,
        "filterable": definition.filterable,
        "clinical": definition.clinical,
        "archived": definition.archived,
    }


def _spec_to_json(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": spec["key"],
        "label": spec["label"],
        "description": spec.get("description", ""),
        "type": spec["type"],
        "required": bool(spec.get("required")),
        "options": [
            {"value": o["value"], "label": o["label"], "retired": bool(o.get("retired"))}
            for o in spec.get("options") or []
        ],
        "validation": spec.get("validation") or {},
        "fields": [_spec_to_json(child) for child in spec.get("fields") or []],
    }
