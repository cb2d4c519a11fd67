"""Checking a field definition (and its nested definitions) before it is saved.

`clean_definition(data)` returns the normalised spec dict or raises ValidationFailed whose paths
name the offending part (`options[1].value`, `fields[0].fields[2].type`, `validation.pattern`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from atendo.core.errors import FieldError, ValidationFailed
from atendo.core.times import date_or_none
from atendo.fields import registry
from atendo.fields.models import CHOICE_TYPES, NESTED_TYPES, FieldType
from atendo.fields.patterns import pattern_error

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_NESTING = 5
MAX_OPTIONS = 200

VALIDATION_KEYS: dict[str, set[str]] = {
    "text": {"min_length", "max_length", "pattern", "pattern_message"},
    "textarea": {"min_length", "max_length"},
    "number": {"min", "max", "step"},
    "date": {"min_date", "max_date"},
    "datetime": {"min_date", "max_date"},
    "multi_select": {"min_items", "max_items"},
    "array": {"min_items", "max_items"},
    "image": {"allowed_types", "max_bytes"},
    "file": {"allowed_types", "max_bytes"},
    "signature": {"max_bytes"},
}
TYPES = {t.value for t in FieldType}


def _join(prefix: str, part: str) -> str:
    return f"{prefix}.{part}" if prefix else part


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _clean_validation(type_: str, raw: Any, prefix: str, errors: list[FieldError]) -> dict[str, Any]:
    path = _join(prefix, "validation")
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        errors.append(FieldError(path, _("Validation must be an object.")))
        return {}
    allowed = VALIDATION_KEYS.get(type_, set())
    cleaned: dict[str, Any] = {}
    for key, value in raw.items():
        key_path = f"{path}.{key}"
        if key not in allowed:
            expected = ", ".join(sorted(allowed)) or "nothing"
            errors.append(
                FieldError(
                    key_path,
                    _("'{key}' does not apply to a {type_} field (it takes {expected}).").format(
                        key=key, type_=type_, expected=expected
                    ),
                )
            )
            continue
        if value is None or value == "":
            continue
        if key in {"min", "max", "step"}:
            if not _number(value) or (key == "step" and value <= 0):
                errors.append(
                    FieldError(
                        key_path,
                        (
                            _("{key} must be a number above 0.")
                            if key == "step"
                            else _("{key} must be a number.")
                        ).format(key=key),
                    )
                )
                continue
        elif key in {"min_length", "max_length", "min_items", "max_items", "max_bytes"}:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors.append(
                    FieldError(key_path, _("{key} must be a whole number of 0 or more.").format(key=key))
                )
                continue
        elif key == "pattern" or key == "pattern_message":
            if not isinstance(value, str) or len(value) > 300:
                errors.append(
                    FieldError(key_path, _("{key} must be text of at most 300 characters.").format(key=key))
                )
                continue
            reason = pattern_error(value) if key == "pattern" else None
            if reason:
                errors.append(
                    FieldError(
                        key_path,
                        _(
                            "This pattern cannot be used ({reason}). Patterns are checked in linear "
                            "time, so back-references (\\1, (?P=name)) and look-arounds ((?=…), "
                            "(?!…), (?<=…)) are not available."
                        ).format(reason=reason),
                    )
                )
                continue
        elif key in {"min_date", "max_date"}:
            day = date_or_none(value) if isinstance(value, str) else None
            value = day.isoformat() if day is not None else None
            if value is None:
                errors.append(
                    FieldError(key_path, _("{key} must be a date written as YYYY-MM-DD.").format(key=key))
                )
                continue
        elif key == "allowed_types":
            supported = registry.attachments().supported_types
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors.append(FieldError(key_path, _("allowed_types must be a list of content types.")))
                continue
            unknown = [v for v in value if v not in supported]
            if unknown:
                errors.append(
                    FieldError(
                        key_path,
                        _("Unsupported content types: {unknown} (supported: {supported}).").format(
                            unknown=", ".join(unknown), supported=", ".join(sorted(supported))
                        ),
                    )
                )
                continue
        cleaned[key] = value
    for low, high in (
        ("min", "max"),
        ("min_length", "max_length"),
        ("min_items", "max_items"),
        ("min_date", "max_date"),
    ):
        if low in cleaned and high in cleaned and cleaned[low] > cleaned[high]:
            errors.append(
                FieldError(
                    f"{path}.{low}", _("{low} cannot be greater than {high}.").format(low=low, high=high)
                )
            )
    return cleaned


def _clean_options(raw: Any, prefix: str, errors: list[FieldError]) -> list[dict[str, Any]]:
    path = _join(prefix, "options")
    if not isinstance(raw, list) or not raw:
        errors.append(FieldError(path, _("A choice field needs at least one option.")))
        return []
    if len(raw) > MAX_OPTIONS:
        errors.append(
            FieldError(
                path, _("A field can have at most {MAX_OPTIONS} options.").format(MAX_OPTIONS=MAX_OPTIONS)
            )
        )
        return []
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, option in enumerate(raw):
        option_path = f"{path}[{index}]"
        if isinstance(option, str):
            option = {"value": option, "label": option}
        if not isinstance(option, Mapping):
            errors.append(FieldError(option_path, _("An option is an object with a value and a label.")))
            continue
        value = option.get("value")
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            errors.append(
                FieldError(f"{option_path}.value", _("An option value is text of 1 to 100 characters."))
            )
            continue
        value = value.strip()
        if value in seen:
            errors.append(
                FieldError(
                    f"{option_path}.value", _("The option '{value}' appears twice.").format(value=value)
                )
            )
            continue
        seen.add(value)
        label = option.get("label") or value
        if not isinstance(label, str) or len(label) > 200:
            errors.append(
                FieldError(f"{option_path}.label", _("An option label is text of at most 200 characters."))
            )
            continue
        cleaned.append(
            {"value": value, "label": label.strip() or value, "retired": bool(option.get("retired", False))}
        )
    if cleaned and all(o["retired"] for o in cleaned):
        errors.append(FieldError(path, _("At least one option must stay offered (not retired).")))
    return cleaned


def clean_definition(data: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Normalise a (possibly nested) definition; raise ValidationFailed naming every bad part."""
    errors: list[FieldError] = []
    cleaned = _clean(data, prefix, depth, errors)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _has_nul(value: Any) -> bool:
    """Whether a NUL hides anywhere in `value`; a loop, not recursion, so no depth of nesting in
    what a client sent can exhaust the stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _clean(data: Any, prefix: str, depth: int, errors: list[FieldError]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        errors.append(FieldError(prefix, _("A field definition must be an object.")))
        return {}
    if depth == 0 and _has_nul(data):
        bad = next(str(k) for k, v in data.items() if _has_nul(k) or _has_nul(v))
        errors.append(
            FieldError(_join(prefix, bad), _("This contains a NUL character, which is not allowed."))
        )
        return {}
    key = data.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors.append(
            FieldError(
                _join(prefix, "key"),
                _(
                    "A key starts with a lowercase letter and holds only lowercase letters, digits and "
                    "underscores (at most 60), e.g. follow_up_date."
                ),
            )
        )
    label = data.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 200:
        errors.append(FieldError(_join(prefix, "label"), _("A label of 1 to 200 characters is required.")))
        label = ""
    description = data.get("description") or ""
    if not isinstance(description, str) or len(description) > 2000:
        errors.append(
            FieldError(_join(prefix, "description"), _("The description is text of at most 2000 characters."))
        )
        description = ""
    type_ = data.get("type")
    if type_ not in TYPES:
        errors.append(
            FieldError(
                _join(prefix, "type"),
                _("Unknown type '{type}'; use one of: {types}.").format(
                    type=type_, types=", ".join(sorted(TYPES))
                ),
            )
        )
        return {}
    required = data.get("required", False)
    if not isinstance(required, bool):
        errors.append(FieldError(_join(prefix, "required"), _("required must be true or false.")))
    options: list[dict[str, Any]] = []
    if type_ in CHOICE_TYPES:
        options = _clean_options(data.get("options"), prefix, errors)
    elif data.get("options"):
        errors.append(
            FieldError(_join(prefix, "options"), _("Only select and multi_select fields take options."))
        )
    validation = _clean_validation(type_, data.get("validation"), prefix, errors)
    children: list[dict[str, Any]] = []
    raw_children = data.get("fields") or []
    if type_ in NESTED_TYPES:
        if depth >= MAX_NESTING:
            errors.append(
                FieldError(
                    _join(prefix, "fields"),
                    _("Fields can nest at most {MAX_NESTING} levels deep.").format(MAX_NESTING=MAX_NESTING),
                )
            )
        elif not isinstance(raw_children, list) or not raw_children:
            errors.append(
                FieldError(
                    _join(prefix, "fields"),
                    _("An {type_} field needs at least one nested field.").format(type_=type_),
                )
            )
        else:
            seen: set[str] = set()
            for index, child in enumerate(raw_children):
                child_prefix = _join(prefix, f"fields[{index}]")
                cleaned_child = _clean(child, child_prefix, depth + 1, errors)
                child_key = cleaned_child.get("key")
                if child_key in seen:
                    errors.append(
                        FieldError(
                            f"{child_prefix}.key",
                            _("The key '{child_key}' appears twice here.").format(child_key=child_key),
                        )
                    )
                if child_key:
                    seen.add(child_key)
                children.append(cleaned_child)
    elif raw_children:
        errors.append(
            FieldError(_join(prefix, "fields"), _("Only array and object fields have nested fields."))
        )
    return {
        "key": key,
        "label": label.strip(),
        "description": description.strip(),
        "type": type_,
        "required": bool(required),
        "options": options,
        "validation": validation,
        "fields": children,
    }
