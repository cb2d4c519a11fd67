"""The settings form for one field definition (pages). It only reshapes input; the services check."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from atendo.core import json_input
from atendo.core.errors import DomainError
from atendo.fields.models import FieldDefinition, FieldType

NUMBER_KEYS = ("min", "max", "step")
INT_KEYS = ("min_length", "max_length", "min_items", "max_items", "max_bytes")
TEXT_KEYS = ("pattern", "min_date", "max_date")


def compact(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nested definitions without their empty settings, for a readable JSON box."""
    return [
        {
            k: (compact(v) if k == "fields" else v)
            for k, v in child.items()
            if k in ("key", "label", "type") or v not in ("", [], {}, False, None)
        }
        for child in children
    ]


class DefinitionForm(forms.Form):
    key = forms.CharField(
        label=_("Key"),
        max_length=60,
        help_text=_("Lowercase letters, digits and _; it can never change or be reused."),
    )
    label = forms.CharField(label=_("Label"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    clinical = forms.BooleanField(
        label=_("Clinical (only readers with clinical access see its values)"), required=False, initial=True
    )
    filterable = forms.BooleanField(label=_("Offer as a filter"), required=False)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: value | label. Add “| retired” to stop offering an option."),
    )
    min = forms.FloatField(label=_("Minimum"), required=False)
    max = forms.FloatField(label=_("Maximum"), required=False)
    step = forms.FloatField(label=_("Step"), required=False)
    min_length = forms.IntegerField(label=_("Minimum length"), required=False, min_value=0)
    max_length = forms.IntegerField(label=_("Maximum length"), required=False, min_value=0)
    pattern = forms.CharField(label=_("Pattern (regular expression)"), required=False, max_length=300)
    min_date = forms.CharField(label=_("Earliest date (YYYY-MM-DD)"), required=False)
    max_date = forms.CharField(label=_("Latest date (YYYY-MM-DD)"), required=False)
    allowed_types = forms.CharField(
        label=_("Allowed file types"),
        required=False,
        help_text=_("Comma-separated, e.g. application/pdf, image/png"),
    )
    max_bytes = forms.IntegerField(label=_("Maximum file size (bytes)"), required=False, min_value=1)
    min_items = forms.IntegerField(label=_("Minimum entries"), required=False, min_value=0)
    max_items = forms.IntegerField(label=_("Maximum entries"), required=False, min_value=0)
    children = forms.CharField(
        label=_("Nested fields (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "mono"}),
        help_text=_(
            'For lists and groups: a JSON list of fields, e.g. [{"key": "date", "label": "Date", '
            '"type": "date", "required": true}]. Nested fields use the same types and settings.'
        ),
    )

    def __init__(self, *args: Any, editing: bool = False, nested: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["key"].disabled = True
        if nested:  # visibility and filtering belong to the top-level field
            del self.fields["clinical"]
            del self.fields["filterable"]

    @classmethod
    def initial_for_spec(cls, spec: dict[str, Any]) -> dict[str, Any]:
        """Initial data for a nested definition (a plain dict)."""
        initial: dict[str, Any] = {
            "key": spec.get("key", ""),
            "label": spec.get("label", ""),
            "description": spec.get("description", ""),
            "type": spec.get("type", "text"),
            "required": bool(spec.get("required")),
            "options": "\n".join(
                f"{o['value']} | {o['label']}" + (" | retired" if o.get("retired") else "")
                for o in spec.get("options") or []
            ),
            "children": json.dumps(compact(spec["fields"]), indent=2, ensure_ascii=False)
            if spec.get("fields")
            else "",
        }
        for key, value in (spec.get("validation") or {}).items():
            initial[key] = ", ".join(value) if key == "allowed_types" else value
        return initial

    @classmethod
    def initial_for(cls, definition: FieldDefinition) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "key": definition.key,
            "label": definition.label,
            "description": definition.description,
            "type": definition.type,
            "required": definition.required,
            "clinical": definition.clinical,
            "filterable": definition.filterable,
            "options": "\n".join(
                f"{o['value']} | {o['label']}" + (" | retired" if o.get("retired") else "")
                for o in definition.options or []
            ),
            "children": json.dumps(compact(definition.children), indent=2, ensure_ascii=False)
            if definition.children
            else "",
        }
        for key, value in (definition.validation or {}).items():
            initial[key] = ", ".join(value) if key == "allowed_types" else value
        return initial

    def clean_children(self) -> Any:
        raw = (self.cleaned_data.get("children") or "").strip()
        if not raw:
            return []
        try:
            value = json_input.loads(raw)
        except json_input.TooDeep:
            raise forms.ValidationError(
                _("Nested fields go at most %(depth)d JSON levels deep.") % {"depth": json_input.MAX_DEPTH}
            ) from None
        except ValueError as exc:  # JSONDecodeError, or a number of more than 4,300 digits
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise forms.ValidationError(_("This is not valid JSON: %(error)s") % {"error": reason}) from None
        if not isinstance(value, list):
            raise forms.ValidationError(_("Nested fields are a JSON list."))
        return value

    def to_data(self) -> dict[str, Any]:
        """The definition as the services take it."""
        d = self.cleaned_data
        options = []
        for line in (d.get("options") or "").splitlines():
            parts = [p.strip() for p in line.split("|")]
            if not parts[0]:
                continue
            options.append(
                {
                    "value": parts[0],
                    "label": parts[1] if len(parts) > 1 and parts[1] else parts[0],
                    "retired": len(parts) > 2 and parts[2].lower() == "retired",
                }
            )
        validation: dict[str, Any] = {}
        for key in NUMBER_KEYS:
            if d.get(key) is not None:
                number = d[key]
                validation[key] = int(number) if float(number).is_integer() else number
        for key in INT_KEYS + TEXT_KEYS:
            if d.get(key) not in (None, ""):
                validation[key] = d[key]
        if d.get("allowed_types"):
            validation["allowed_types"] = [t.strip() for t in d["allowed_types"].split(",") if t.strip()]
        return {
            "key": d.get("key"),
            "label": d.get("label"),
            "description": d.get("description") or "",
            "type": d.get("type"),
            "required": bool(d.get("required")),
            "clinical": bool(d.get("clinical")),
            "filterable": bool(d.get("filterable")),
            "options": options,
            "validation": validation,
            "fields": d.get("children") or [],
        }

    def add_domain_error(self, exc: DomainError, strip: str = "") -> None:
        """Show a service error at the form field its path starts with (after removing `strip`,
        the path of a nested definition inside its top-level field)."""
        if not exc.fields:
            self.add_error(None, exc.message)
            return
        for error in exc.fields:
            path = error.path
            if strip:
                if path != strip and not path.startswith(strip + "."):
                    self.add_error(None, f"{path}: {error.message}")
                    continue
                path = path[len(strip) + 1 :]
            head = path.split(".", 1)[0].split("[", 1)[0]
            if head == "validation":
                rest = path.split(".", 2)
                head = rest[1] if len(rest) > 1 else ""
            elif head == "fields":
                head = "children"
            nested = head == "children"
            target = head if head in self.fields else None
            message = error.message if target and not nested else f"{path}: {error.message}"
            if target and target in self.errors:
                self.errors[target].append(message)
            else:
                self.add_error(target, message)
