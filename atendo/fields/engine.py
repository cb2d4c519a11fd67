"""The one validation engine for custom field values (API, pages and imports all call it).

    definitions_for(workspace=ws, scope="session", phase="pre")     -> [FieldDefinition, ...]
    validate_values(workspace=ws, scope="session", phase="post", path="fields.post", values={...})
        -> cleaned JSON-ready dict, or raises ValidationFailed naming every bad path
           (e.g. "fields.post.follow_up[2].date") in plain words.
    json_schema(workspace=ws, scope="session", phase="pre")         -> JSON Schema (2020-12)

Rules:
- Unknown keys are refused. Keys of archived definitions are refused in new values; when the
  caller passes `previous` (the values stored so far), an archived key whose value is unchanged is
  accepted, and archived values present in `previous` are carried over into the result, so a phase
  save never drops the values of an archived field.
- `require_all=True` (a whole set saved, e.g. a session phase) enforces required fields;
  `require_all=False` (a partial update) only checks the keys given, and an explicit null clears
  an optional key (kept as None in the result so the caller can drop it), never a required one.
  Inside a given array or object value, nested required fields are always enforced (the nested
  value is replaced as a whole).
- Select values must be a live option. A retired option stays valid for a value already stored:
  it is accepted when it occurs in `previous[key]`; otherwise it is refused as "no longer offered".
- Arrays hold objects described by their nested `fields` (an array of one field is a list of
  one-key objects); objects hold exactly their nested `fields`.
- Team-member values are ids of active members of this workspace; file / image / signature values
  are attachment ids of this workspace of the right kind (a file field accepts files and images),
  checked against the field's `allowed_types` and `max_bytes`. One query for all members and one
  for all attachments, whatever the nesting.
- Empty strings count as "no value" (None).
- Text patterns are matched by RE2, in time linear in the value (see fields/patterns.py); a stored
  pattern RE2 cannot compile refuses every value of its field (fail closed, never unchecked).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from atendo.core.clean import id_or_none, is_id
from atendo.core.errors import FieldError, ValidationFailed
from atendo.core.times import date_or_none, parse_datetime
from atendo.fields import registry
from atendo.fields.models import ATTACHMENT_TYPES, FILTERABLE_TYPES, FieldDefinition, Scope
from atendo.fields.patterns import compile_pattern
from atendo.workspaces.models import Membership, Workspace

DEFAULT_MAX_LENGTH = {"text": 500, "textarea": 20000}
MAX_ARRAY_ITEMS = 500
MAX_DEPTH = 8

logger = logging.getLogger("atendo.fields")


# --- definitions ---------------------------------------------------------------------------------


def definitions_for(
    *,
    workspace: Workspace | int,
    scope: str,
    phase: str | None = None,
    therapy_type_id: int | None = None,
    include_archived: bool = False,
) -> list[FieldDefinition]:
    """Definitions of a scope (and phase), in form order. Session without a phase: all phases."""
    qs = FieldDefinition.objects.for_workspace(workspace).filter(scope=scope)
    if scope == Scope.THERAPY_TYPE:
        if therapy_type_id is None:
            return []
        qs = qs.filter(therapy_type_id=therapy_type_id)
    if phase:
        qs = qs.filter(phase=phase)
    if not include_archived:
        qs = qs.filter(archived=False)
    return list(qs.order_by("phase", "order", "id"))


def clinical_keys(definitions: Iterable[FieldDefinition]) -> set[str]:
    """Top-level keys of the clinical definitions among `definitions`."""
    return {d.key for d in definitions if d.clinical}


def filterable_definitions(*, workspace: Workspace | int, scope: str) -> dict[str, FieldDefinition]:
    """key -> definition for live, filterable scalar definitions of a scope (calendar filters)."""
    qs = FieldDefinition.objects.for_workspace(workspace).filter(
        scope=scope, filterable=True, archived=False, type__in=FILTERABLE_TYPES
    )
    return {d.key: d for d in qs.order_by("phase", "order", "id")}


def coerce_filter_value(definition: FieldDefinition, raw: Any, path: str) -> Any:
    """A query-string filter value turned into the JSON value stored for this filterable field."""
    text = str(raw).strip() if raw is not None else ""
    label = definition.label
    if definition.type == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValidationFailed.single(
                path, _("{label} is filtered by a number.").format(label=label)
            ) from None
        if not math.isfinite(number):
            raise ValidationFailed.single(path, _("{label} is filtered by a number.").format(label=label))
        # Whole numbers compare as integers (as stored); huge ones stay floats (no driver overflow).
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if definition.type == "boolean":
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise ValidationFailed.single(path, _("{label} is filtered by true or false.").format(label=label))
    if definition.type == "date":
        if date_or_none(text) is None:
            raise ValidationFailed.single(
                path, _("{label} is filtered by a date written as YYYY-MM-DD.").format(label=label)
            )
        return text
    if definition.type == "team_member":
        if id_or_none(text) is None:
            raise ValidationFailed.single(path, _("{label} is filtered by a member id.").format(label=label))
        return int(text)
    if len(text) > 500 or "\x00" in text:
        raise ValidationFailed.single(path, _("A filter value is at most 500 characters."))
    return text


# --- specs: one immutable tree per call, built once from the definitions --------------------------


@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    type: str
    required: bool = False
    options: tuple[tuple[str, str, bool], ...] = ()  # (value, label, retired)
    validation: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[Spec, ...] = ()
    archived: bool = False
    description: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], depth: int = 0) -> Spec:
        children: tuple[Spec, ...] = ()
        if depth < MAX_DEPTH:
            children = tuple(cls.from_dict(c, depth + 1) for c in data.get("fields") or ())
        return cls(
            key=str(data.get("key", "")),
            label=str(data.get("label") or data.get("key", "")),
            type=str(data.get("type", "text")),
            required=bool(data.get("required", False)),
            options=tuple(
                (str(o.get("value")), str(o.get("label", o.get("value"))), bool(o.get("retired", False)))
                for o in data.get("options") or ()
            ),
            validation=dict(data.get("validation") or {}),
            children=children,
            description=str(data.get("description") or ""),
        )

    @classmethod
    def from_definition(cls, definition: FieldDefinition) -> Spec:
        base = cls.from_dict(definition.as_spec())
        return Spec(
            key=base.key,
            label=base.label,
            type=base.type,
            required=base.required,
            options=base.options,
            validation=base.validation,
            children=base.children,
            archived=definition.archived,
            description=base.description,
        )

    @property
    def live_options(self) -> list[str]:
        return [value for value, _label, retired in self.options if not retired]

    @property
    def retired_options(self) -> set[str]:
        return {value for value, _label, retired in self.options if retired}


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _strings_in(value: Any) -> set[str]:
    """Every string found in a (nested) stored value: used to recognise retired options kept."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


@dataclass
class _Run:
    """State of one validation call: errors, and the ids to check in one query each."""

    workspace: Workspace
    errors: list[FieldError] = field(default_factory=list)
    members: list[tuple[str, int, str]] = field(default_factory=list)
    attachments: list[tuple[str, int, Spec]] = field(default_factory=list)
    # Per top-level key: the strings of its stored value (retired options kept there stay valid).
    kept_strings: dict[str, set[str]] = field(default_factory=dict)
    top_key: str = ""

    def fail(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))


# --- scalar cleaners: return the cleaned value, or record an error and return None ---------------


def _clean_text(spec: Spec, value: Any, path: str, run: _Run) -> Any:
    if not isinstance(value, str) or "\x00" in value:
        run.fail(path, _("{label} must be text.").format(label=spec.label))
        return None
    value = value.strip() if spec.type == "text" else value.replace("\r\n", "\n")
    v = spec.validation
    max_length = int(v.get("max_length") or DEFAULT_MAX_LENGTH[spec.type])
    min_length = v.get("min_length")
    if len(value) > max_length:
        run.fail(
            path,
            _("{label} must be at most {max_length} characters long.").format(
                label=spec.label, max_length=max_length
            ),
        )
        return None
    if min_length is not None and len(value) < int(min_length):
        run.fail(
            path,
            _("{label} must be at least {value} characters long.").format(
                label=spec.label, value=int(min_length)
            ),
        )
        return None
    pattern = v.get("pattern")
    if pattern:
        compiled = compile_pattern(str(pattern))
        if compiled is None:
            # Saved before patterns had to compile in RE2: fail closed (never skip the check).
            logger.warning("Field %r has a pattern RE2 cannot compile: %r", spec.key, pattern)
            run.fail(
                path,
                _(
                    "{label} cannot be checked: its pattern is no longer supported. Ask whoever "
                    "manages the fields to change it."
                ).format(label=spec.label),
            )
            return None
        if compiled.fullmatch(value) is None:
            hint = v.get("pattern_message") or _("match the pattern {pattern}").format(pattern=pattern)
            run.fail(path, _("{label} must {hint}.").format(label=spec.label, hint=hint))
            return None
    return value


def _clean_number(spec: Spec, value: Any, path: str, run: _Run) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        run.fail(path, _("{label} must be a number.").format(label=spec.label))
        return None
    if isinstance(value, float) and not math.isfinite(value):
        run.fail(path, _("{label} must be a finite number.").format(label=spec.label))
        return None
    v = spec.validation
    if v.get("min") is not None and value < v["min"]:
        run.fail(path, _("{label} must be at least {min}.").format(label=spec.label, min=v["min"]))
        return None
    if v.get("max") is not None and value > v["max"]:
        run.fail(path, _("{label} must be at most {max}.").format(label=spec.label, max=v["max"]))
        return None
    step = v.get("step")
    if step:
        try:
            offset = Decimal(str(value)) - Decimal(str(v.get("min") or 0))
            aligned = offset % Decimal(str(step)) == 0
        except InvalidOperation:
            aligned = False
        if not aligned:
            run.fail(path, _("{label} must be a multiple of {step}.").format(label=spec.label, step=step))
            return None
    return value


def _clean_boolean(spec: Spec, value: Any, path: str, run: _Run) -> Any:
    if not isinstance(value, bool):
        run.fail(path, _("{label} must be true or false.").format(label=spec.label))
        return None
    return value


def _clean_date(spec: Spec, value: Any, path: str, run: _Run) -> Any:
    parsed = date_or_none(value) if isinstance(value, str) else None
    if parsed is None:
        run.fail(path, _("{label} must be a date written as YYYY-MM-DD.").format(label=spec.label))
        return None
    return _check_date_bounds(spec, parsed, path, run) and parsed.isoformat()


def _check_date_bounds(spec: Spec, day: dt.date, path: str, run: _Run) -> bool:
    low, high = date_or_none(spec.validation.get("min_date")), date_or_none(spec.validation.get("max_date"))
    if low and day < low:
        run.fail(
            path, _("{label} must be on or after {value}.").format(label=spec.label, value=low.isoformat())
        )
        return False
    if high and day > high:
        run.fail(
            path, _("{label} must be on or before {value}.").format(label=spec.label, value=high.isoformat())
        )
        return False
    return True


def _clean_datetime(spec: Spec, value: Any, path: str, run: _Run) -> Any:
    # A naive value is wall-clock time of the workspace (one that a daylight-saving jump skips is
    # refused with that reason); the value is kept in the workspace's offset.
    parsed: dt.datetime | None = None
    failure = _("{label} must be a date and time in ISO 8601, e.g. 2026-03-01T14:30-03:00.").format(
        label=spec.label
    )
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value, run.workspace.tz, path=path)
        except ValidationFailed as exc:
            if exc.code == "nonexistent_time":
                failure = exc.fields[0].message
    if parsed is None:
        run.fail(path, failure)
        return None
    local = parsed.astimezone(run.workspace.tz)
    if not _check_date_bounds(spec, local.date(), path, run):
        return None
    return local.isoformat(timespec="minutes" if local.second == 0 else "seconds")


def _clean_select(spec: Spec, value: Any, path: str, run: _Run) -> Any:
    if not isinstance(value, str):
        run.fail(path, _("{label} must be one of the offered options.").format(label=spec.label))
        return None
    if value in spec.live_options:
        return value
    if value in spec.retired_options:
        if value in run.kept_strings.get(run.top_key, set()):
            return value
        run.fail(
            path,
            _("{label} no longer offers '{value}'; choose another option.").format(
                label=spec.label, value=value
            ),
        )
        return None
    offered = ", ".join(spec.live_options) or "none"
    run.fail(
        path,
        _("{label} has no option '{value}' (options: {offered}).").format(
            label=spec.label, value=value, offered=offered
        ),
    )
    return None


def _check_items(spec: Spec, items: list[Any], path: str, run: _Run) -> bool:
    v = spec.validation
    low, high = v.get("min_items"), v.get("max_items")
    if low is not None and len(items) < int(low):
        run.fail(path, _("{label} needs at least {value} entries.").format(label=spec.label, value=int(low)))
        return False
    limit = min(int(high), MAX_ARRAY_ITEMS) if high is not None else MAX_ARRAY_ITEMS
    if len(items) > limit:
        run.fail(path, _("{label} can have at most {limit} entries.").format(label=spec.label, limit=limit))
        return False
    return True


def _clean_multi_select(spec: Spec, value: Any, path: str, run: _Run) -> Any:
    if not isinstance(value, list):
        run.fail(path, _("{label} must be a list of options.").format(label=spec.label))
        return None
    if not _check_items(spec, value, path, run):
        return None
    cleaned: list[str] = []
    ok = True
    for index, item in enumerate(value):
        one = _clean_select(spec, item, f"{path}[{index}]", run)
        if one is None:
            ok = False
        elif one in cleaned:
            run.fail(
                f"{path}[{index}]", _("{label} has '{one}' chosen twice.").format(label=spec.label, one=one)
            )
            ok = False
        else:
            cleaned.append(one)
    return cleaned if ok else None


def _clean_reference(spec: Spec, value: Any, path: str, run: _Run) -> Any:
    if isinstance(value, str):
        value = id_or_none(value.strip())
    if not is_id(value):
        what = _("a team member's id") if spec.type == "team_member" else "the id of an uploaded attachment"
        run.fail(path, _("{label} must be {what}.").format(label=spec.label, what=what))
        return None
    if spec.type == "team_member":
        run.members.append((path, value, spec.label))
    else:
        run.attachments.append((path, value, spec))
    return value


def _clean_object(spec: Spec, value: Any, path: str, run: _Run, depth: int) -> Any:
    if not isinstance(value, Mapping):
        run.fail(
            path,
            _("{label} must be an object with the fields {value}.").format(
                label=spec.label, value=_keys(spec.children)
            ),
        )
        return None
    return _clean_mapping(spec.children, value, path, run, depth + 1, require_all=True)


def _clean_array(spec: Spec, value: Any, path: str, run: _Run, depth: int) -> Any:
    if not isinstance(value, list):
        run.fail(path, _("{label} must be a list.").format(label=spec.label))
        return None
    if not _check_items(spec, value, path, run):
        return None
    cleaned = []
    ok = True
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        if not isinstance(item, Mapping):
            run.fail(
                item_path,
                _("Each entry of {label} must be an object with {value}.").format(
                    label=spec.label, value=_keys(spec.children)
                ),
            )
            ok = False
            continue
        one = _clean_mapping(spec.children, item, item_path, run, depth + 1, require_all=True)
        if one is None:
            ok = False
        cleaned.append(one)
    return cleaned if ok else None


def _keys(specs: Iterable[Spec]) -> str:
    return ", ".join(s.key for s in specs) or "none"


_SCALAR_CLEANERS = {
    "text": _clean_text,
    "textarea": _clean_text,
    "number": _clean_number,
    "boolean": _clean_boolean,
    "date": _clean_date,
    "datetime": _clean_datetime,
    "select": _clean_select,
    "multi_select": _clean_multi_select,
    "image": _clean_reference,
    "file": _clean_reference,
    "signature": _clean_reference,
    "team_member": _clean_reference,
}


def _clean_value(spec: Spec, value: Any, path: str, run: _Run, depth: int) -> Any:
    if depth > MAX_DEPTH:
        run.fail(path, _("Values are nested too deeply."))
        return None
    if spec.type == "object":
        return _clean_object(spec, value, path, run, depth)
    if spec.type == "array":
        return _clean_array(spec, value, path, run, depth)
    cleaner = _SCALAR_CLEANERS.get(spec.type)
    if cleaner is None:
        run.fail(path, _("{label} has an unknown type '{type}'.").format(label=spec.label, type=spec.type))
        return None
    return cleaner(spec, value, path, run)


def _is_missing(value: Any) -> bool:
    return _is_empty(value) or (isinstance(value, list) and not value)


def _clean_mapping(
    specs: Iterable[Spec], values: Mapping[str, Any], path: str, run: _Run, depth: int, *, require_all: bool
) -> dict[str, Any] | None:
    by_key = {s.key: s for s in specs}
    before = len(run.errors)
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        spec = by_key.get(key) if isinstance(key, str) else None
        key_path = join(path, str(key))
        if depth == 0:
            run.top_key = str(key)
        if spec is None:
            run.fail(
                key_path,
                _("Unknown field '{key}'; expected one of: {value}.").format(
                    key=key, value=_keys(by_key.values())
                ),
            )
            continue
        if _is_missing(value):
            if spec.required:
                run.fail(key_path, _("{label} is required.").format(label=spec.label))
            else:
                cleaned[key] = None
            continue
        cleaned[key] = _clean_value(spec, value, key_path, run, depth)
    if require_all:
        for spec in by_key.values():
            if spec.required and spec.key not in values:
                run.fail(join(path, spec.key), _("{label} is required.").format(label=spec.label))
    if len(run.errors) > before:
        return None
    if require_all or depth > 0:
        cleaned = {k: v for k, v in cleaned.items() if v is not None}
    return cleaned


# --- the entry point ------------------------------------------------------------------------------


def validate_values(
    *,
    workspace: Workspace,
    scope: str,
    values: Any,
    path: str,
    phase: str | None = None,
    therapy_type_id: int | None = None,
    require_all: bool = True,
    definitions: Iterable[FieldDefinition] | None = None,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Clean `values` against the scope's definitions or raise ValidationFailed (paths under `path`).

    `definitions` (live and archived, as from `definitions_for(..., include_archived=True)`) avoids
    the query when the caller already has them. `previous`: the values stored so far (see the
    module docstring: retired options and archived values).
    """
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ValidationFailed.single(path, _("Field values must be an object keyed by field key."))
    if definitions is None:
        definitions = definitions_for(
            workspace=workspace,
            scope=scope,
            phase=phase,
            therapy_type_id=therapy_type_id,
            include_archived=True,
        )
    definitions = [d for d in definitions if not phase or d.phase in ("", phase)]
    previous = previous or {}
    run = _Run(workspace=workspace)
    live: list[Spec] = []
    archived: dict[str, Spec] = {}
    for definition in definitions:
        spec = Spec.from_definition(definition)
        if definition.archived:
            archived[spec.key] = spec
        else:
            live.append(spec)

    incoming = dict(values)
    for key in list(incoming):
        if key in archived:
            if key in previous and incoming[key] == previous[key]:
                incoming.pop(key)  # unchanged: carried over below
                continue
            run.fail(
                join(path, key),
                _("{label} is archived; its values are kept but no new value can be set.").format(
                    label=archived[key].label
                ),
            )
            incoming.pop(key)
    for spec in live:
        if spec.key in incoming and spec.key in previous:
            run.kept_strings[spec.key] = _strings_in(previous[spec.key])

    cleaned = _clean_mapping(live, incoming, path, run, 0, require_all=require_all)
    _check_references(run)
    if run.errors or cleaned is None:
        raise ValidationFailed(run.errors)
    for key in archived:
        if key in previous and previous[key] is not None:
            cleaned[key] = previous[key]
    return cleaned


def _check_references(run: _Run) -> None:
    if run.members:
        wanted = {member_id for _path, member_id, _label in run.members}
        found = set(
            Membership.objects.for_workspace(run.workspace)
            .filter(pk__in=wanted, is_active=True)
            .values_list("pk", flat=True)
        )
        for path, member_id, label in run.members:
            if member_id not in found:
                run.fail(
                    path,
                    _("{label} must be an active member of this workspace ({member_id} is not).").format(
                        label=label, member_id=member_id
                    ),
                )
    if run.attachments:
        wanted = {attachment_id for _path, attachment_id, _spec in run.attachments}
        rows = registry.attachments().facts(workspace_id=run.workspace.pk, ids=wanted)
        for path, attachment_id, spec in run.attachments:
            attachment = rows.get(attachment_id)
            if attachment is None:
                run.fail(
                    path,
                    _("There is no attachment {attachment_id} in this workspace.").format(
                        attachment_id=attachment_id
                    ),
                )
                continue
            accepted = {"image": {"image"}, "signature": {"signature"}, "file": {"file", "image"}}[spec.type]
            if attachment.kind not in accepted:
                run.fail(
                    path,
                    _("Attachment {attachment_id} is a {kind}, not a {type}.").format(
                        attachment_id=attachment_id, kind=attachment.kind, type=spec.type
                    ),
                )
                continue
            allowed = spec.validation.get("allowed_types")
            if allowed and attachment.content_type not in allowed:
                run.fail(
                    path,
                    _("{label} accepts {value}, not {content_type}.").format(
                        label=spec.label, value=", ".join(allowed), content_type=attachment.content_type
                    ),
                )
            max_bytes = spec.validation.get("max_bytes")
            if max_bytes and attachment.size > int(max_bytes):
                run.fail(
                    path,
                    _("{label} accepts files up to {value} bytes.").format(
                        label=spec.label, value=int(max_bytes)
                    ),
                )


def _has_ints(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            return True
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def attachment_ids_in(values: Any, definitions: Iterable[FieldDefinition]) -> set[int]:
    """Ids of the attachments referenced by cleaned values of these definitions (nested too)."""
    found: set[int] = set()

    def walk(spec: Spec, value: Any) -> None:
        if value is None:
            return
        if spec.type in ATTACHMENT_TYPES and isinstance(value, int):
            found.add(value)
        elif spec.type == "object" and isinstance(value, dict):
            for child in spec.children:
                walk(child, value.get(child.key))
        elif spec.type == "array" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    for child in spec.children:
                        walk(child, item.get(child.key))

    if isinstance(values, Mapping):
        for definition in definitions:
            spec = Spec.from_definition(definition)
            walk(spec, values.get(spec.key))
    return found


def attachments_claim(
    *,
    member: Membership,
    values: Any,
    scope: str,
    phase: str | None = None,
    therapy_type_id: int | None = None,
    definitions: Iterable[FieldDefinition] | None = None,
    client_id: int | None = None,
    session_id: int | None = None,
) -> None:
    """The files, images and signatures in values just saved join the record saving them (a client,
    or a session), so from now on they follow that record's access rules and clinical barrier.

    Every service that saves field values calls this itself, in its transaction (no signal: the
    session services write with bulk_create and .update(), which send none). Only the saver's own
    uploads that belong to no record yet are claimed, so a value can neither move another record's
    attachment nor adopt someone else's upload by naming its id. Values without any whole number
    (attachment ids are) cost no query.
    """
    if not _has_ints(values):
        return
    if definitions is None:
        definitions = definitions_for(
            workspace=member.workspace,
            scope=scope,
            phase=phase,
            therapy_type_id=therapy_type_id,
            include_archived=True,
        )
    ids = attachment_ids_in(values, definitions)
    if ids:
        registry.attachments().claim(member=member, ids=ids, client_id=client_id, session_id=session_id)


# --- JSON Schema ----------------------------------------------------------------------------------


def _schema_for(spec: Spec) -> dict[str, Any]:
    v = spec.validation
    schema: dict[str, Any] = {"title": spec.label}
    if spec.description:
        schema["description"] = spec.description
    t = spec.type
    if t in ("text", "textarea"):
        schema.update(type="string", maxLength=int(v.get("max_length") or DEFAULT_MAX_LENGTH[t]))
        if v.get("min_length") is not None:
            schema["minLength"] = int(v["min_length"])
        if v.get("pattern"):
            schema["pattern"] = f"^(?:{v['pattern']})$"
    elif t == "number":
        schema["type"] = "number"
        if v.get("min") is not None:
            schema["minimum"] = v["min"]
        if v.get("max") is not None:
            schema["maximum"] = v["max"]
        if v.get("step") and not v.get("min"):
            schema["multipleOf"] = v["step"]
    elif t == "boolean":
        schema["type"] = "boolean"
    elif t in ("date", "datetime"):
        schema.update(type="string", format="date" if t == "date" else "date-time")
    elif t == "select":
        schema.update(type="string", enum=spec.live_options)
    elif t == "multi_select":
        schema.update(type="array", uniqueItems=True, items={"type": "string", "enum": spec.live_options})
    elif t in ("image", "file", "signature"):
        schema.update(type="integer", minimum=1, description=f"Id of an uploaded {t} attachment.")
    elif t == "team_member":
        schema.update(type="integer", minimum=1, description="Id of an active member of the workspace.")
    elif t in ("object", "array"):
        inner = _object_schema(spec.children)
        if t == "object":
            schema.update(inner)
        else:
            schema.update(type="array", items=inner)
    if t in ("multi_select", "array"):
        if v.get("min_items") is not None:
            schema["minItems"] = int(v["min_items"])
        schema["maxItems"] = min(int(v.get("max_items") or MAX_ARRAY_ITEMS), MAX_ARRAY_ITEMS)
    return schema


def _object_schema(specs: Iterable[Spec]) -> dict[str, Any]:
    specs = list(specs)
    return {
        "type": "object",
        "properties": {s.key: _schema_for(s) for s in specs},
        "required": [s.key for s in specs if s.required],
        "additionalProperties": False,
    }


def json_schema(
    *,
    workspace: Workspace,
    scope: str,
    phase: str | None = None,
    therapy_type_id: int | None = None,
    definitions: Iterable[FieldDefinition] | None = None,
) -> dict[str, Any]:
    """JSON Schema of the values a whole save of this scope (and phase) accepts."""
    if definitions is None:
        definitions = definitions_for(
            workspace=workspace, scope=scope, phase=phase, therapy_type_id=therapy_type_id
        )
    specs = [Spec.from_definition(d) for d in definitions if not d.archived]
    title = scope if scope != Scope.THERAPY_TYPE else f"therapy_type:{therapy_type_id}"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{title} fields" + (f" ({phase})" if phase else ""),
        **_object_schema(specs),
    }
