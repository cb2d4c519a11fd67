"""Ids held inside JSON and plain id columns: what a restore must translate besides the foreign keys.

`Maps` holds, per table, the archive's id -> the new id. The same functions turn an archive into
its canonical form (ids -> their rank in the table) for comparing two archives (the tests).

- custom-field values (client fields, session phases, therapy fields, evaluation values): a
  `team_member` value is a membership id, an `image` / `file` / `signature` value an attachment id,
  nested in arrays and groups too (the field definitions of the archive say which);
- booking settings: `therapy_type_ids`, `practitioner_ids`;
- a note template default's `template` "practice-<note template id>";
- plain ids that outlive their row (a data request's client, the audit trail's objects): one no
  longer in the archive becomes `-<old id>`, so it can never name another row of the target;
- the audit trail: `object_id` of an object in the archive (by `object_type`, the model's name),
  `client_id`, and the ids under well-known keys of `changes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from atendo.fields.engine import Spec
from atendo.fields.models import ATTACHMENT_TYPES, FieldDefinition


@dataclass
class Maps:
    ids: dict[str, dict[int, int]] = field(default_factory=dict)

    def table(self, name: str) -> dict[int, int]:
        return self.ids.setdefault(name, {})

    def get(self, name: str, old: Any) -> int | None:
        if not isinstance(old, int) or isinstance(old, bool):
            return None
        return self.ids.get(name, {}).get(old)

    def keep(self, name: str, old: Any) -> Any:
        """The new id, or the value as it was when it names nothing of the archive."""
        new = self.get(name, old)
        return old if new is None else new

    def ref(self, name: str, old: Any) -> Any:
        """A plain id that may outlive its row: the new id, `-old` for a row not in the archive (so
        it never names another row of the target), anything not an id as it is."""
        if old is None or not isinstance(old, int) or isinstance(old, bool):
            return old
        new = self.get(name, old)
        return new if new is not None else -abs(old)

    def client(self, old: Any) -> Any:
        return self.ref("clients", old)


# --- custom-field values -----------------------------------------------------------------------------


def specs_of(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int | None], dict[str, Spec]]:
    """The archive's field definitions as specs: (scope, therapy type id or None) -> key -> spec."""
    out: dict[tuple[str, int | None], dict[str, Spec]] = {}
    for row in rows:
        definition = FieldDefinition(
            key=row["key"],
            label=row["label"],
            description=row.get("description") or "",
            type=row["type"],
            required=row.get("required", False),
            options=row.get("options") or [],
            validation=row.get("validation") or {},
            children=row.get("children") or [],
            archived=row.get("archived", False),
        )
        scope_key = (row["scope"], row.get("therapy_type_id") if row["scope"] == "therapy_type" else None)
        out.setdefault(scope_key, {})[row["key"]] = Spec.from_definition(definition)
    return out


def _value(spec: Spec, value: Any, maps: Maps) -> Any:
    if value is None:
        return None
    if spec.type == "team_member":
        return maps.keep("memberships", value)
    if spec.type in ATTACHMENT_TYPES:
        return maps.keep("attachments", value)
    if spec.type == "object" and isinstance(value, dict):
        return _entry(spec.children, value, maps)
    if spec.type == "array" and isinstance(value, list):
        return [_entry(spec.children, item, maps) if isinstance(item, dict) else item for item in value]
    return value


def _entry(children: Iterable[Spec], value: dict[str, Any], maps: Maps) -> dict[str, Any]:
    by_key = {c.key: c for c in children}
    return {k: (_value(by_key[k], v, maps) if k in by_key else v) for k, v in value.items()}


def field_values(values: Mapping[str, Any] | None, specs: Mapping[str, Spec], maps: Maps) -> dict[str, Any]:
    """Custom-field values with the ids they hold translated (values of unknown keys as they are)."""
    return {k: (_value(specs[k], v, maps) if k in specs else v) for k, v in (values or {}).items()}


# --- other JSON and plain ids ------------------------------------------------------------------------


def id_list(values: Any, table: str, maps: Maps) -> list[Any]:
    """A JSON list of ids (booking settings): ids no longer in the archive drop out."""
    return [new for new in (maps.get(table, v) for v in values or []) if new is not None]


def note_template(template: str, maps: Maps) -> str:
    prefix = "practice-"
    if template.startswith(prefix) and template[len(prefix) :].isdigit():
        new = maps.get("note_templates", int(template[len(prefix) :]))
        return f"{prefix}{new}" if new is not None else template
    return template


# The audit trail's object types (a model's name) and the ids of `changes` under these keys.
OBJECT_TABLES = {
    "role": "roles",
    "membership": "memberships",
    "therapytype": "therapy_types",
    "fielddefinition": "field_definitions",
    "notetemplate": "note_templates",
    "client": "clients",
    "session": "sessions",
    "sessionseries": "session_series",
    "sessionaddendum": "session_addenda",
    "payment": "payments",
    "invoice": "invoices",
    "evaluation": "evaluations",
    "attachment": "attachments",
    "notification": "notifications",
    "booking": "bookings",
    "datarequest": "data_requests",
    "consentdocument": "consent_documents",
    "formrequest": "form_requests",
}
CHANGE_KEYS = {
    "session_id": "sessions",
    "session_ids": "sessions",
    "addendum_id": "session_addenda",
    "invoice_id": "invoices",
    "payment_id": "payments",
    "payment_ids": "payments",
    "evaluation_id": "evaluations",
    "attachment_id": "attachments",
    "member_id": "memberships",
    "practitioner_id": "memberships",
    "therapy_type_id": "therapy_types",
    "series_id": "session_series",
    "request_id": "data_requests",
}


def _ids_in(value: Any, table: str, maps: Maps) -> Any:
    if isinstance(value, list | tuple):
        return [_ids_in(v, table, maps) for v in value]
    return maps.ref(table, value)


# A read event (`audit.reads`, action "clinical.read") lists what it showed under these keys;
# elsewhere the same words may be counts (an erasure's "attachments": 2), so only there.
READ_KEYS = {
    "sessions": "sessions",
    "evaluations": "evaluations",
    "attachments": "attachments",
    "private_notes": "private_notes",  # never in the archive: they become -<old id>
    "exports": "exports",  # neither
}


def audit_changes(changes: Any, maps: Maps, action: str = "") -> Any:
    if not isinstance(changes, dict):
        return changes
    keys = {**CHANGE_KEYS, **READ_KEYS} if action == "clinical.read" else CHANGE_KEYS
    out = dict(changes)
    for key, value in changes.items():
        if key in ("clients", "client_id", "client_ids"):
            out[key] = _ids_in(value, "clients", maps)
        elif key in keys:
            out[key] = _ids_in(value, keys[key], maps)
    return out


def audit_object_id(object_type: str, object_id: str, maps: Maps) -> str:
    table = OBJECT_TABLES.get(object_type)
    if table is None or not object_id.isdigit():
        return object_id
    return str(maps.ref(table, int(object_id)))


def late_value(
    table: str, row: Mapping[str, Any], name: str, maps: Maps, specs: Mapping[tuple[str, int | None], Any]
) -> Any:
    """A late column's value (`tables.Table.late`) with the ids it holds translated."""
    value = row.get(name)
    if table == "clients" and name == "fields":
        return field_values(value, specs.get(("client", None), {}), maps)
    if table == "sessions" and name == "therapy_fields":
        return field_values(value, specs.get(("therapy_type", row.get("therapy_type_id")), {}), maps)
    if table == "sessions" and name.endswith("_fields"):
        return field_values(value, specs.get(("session", None), {}), maps)
    if table == "evaluations" and name == "values":
        return field_values(value, specs.get(("evaluation", None), {}), maps)
    if table == "note_template_defaults":
        return note_template(value or "", maps)
    if table == "booking_settings":
        return id_list(value, "therapy_types" if name == "therapy_type_ids" else "memberships", maps)
    return value
