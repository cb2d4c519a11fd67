"""Custom field definitions: what a client, a session phase, an evaluation or a therapy type asks for.

Values live as JSON next to their owner (`Client.fields`, `Session.pre_fields`…), keyed by the
definition's `key`. Keys are unique within a scope (across the phases of the session scope, and per
therapy type) and never reused: definitions are archived, never deleted, so an archived key stays
reserved and its stored values keep their meaning.

Array and object definitions carry their nested definitions in `children` — a JSON list of
`{"key", "label", "description", "type", "required", "options", "validation", "fields"}` — checked
recursively by the services and rendered by the API as `fields`.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class Scope(models.TextChoices):
    CLIENT = "client", _("Client")
    SESSION = "session", _("Session")
    EVALUATION = "evaluation", _("Evaluation")
    THERAPY_TYPE = "therapy_type", _("Therapy type")


class Phase(models.TextChoices):
    PRE = "pre", _("Pre-session")
    DURING = "during", _("During the session")
    POST = "post", _("Post-session")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    TEXTAREA = "textarea", _("Long text")
    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Yes / no")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    SELECT = "select", _("Choice")
    MULTI_SELECT = "multi_select", _("Multiple choice")
    IMAGE = "image", _("Image")
    FILE = "file", _("File")
    SIGNATURE = "signature", _("Signature")
    ARRAY = "array", _("List of entries")
    OBJECT = "object", _("Group of fields")
    TEAM_MEMBER = "team_member", _("Team member")


SCALAR_TYPES = frozenset(
    {"text", "textarea", "number", "boolean", "date", "datetime", "select", "team_member"}
)
ATTACHMENT_TYPES = frozenset({"image", "file", "signature"})
CHOICE_TYPES = frozenset({"select", "multi_select"})
NESTED_TYPES = frozenset({"array", "object"})
# Types a calendar / list filter can compare with one JSON key lookup.
FILTERABLE_TYPES = frozenset({"text", "number", "boolean", "date", "select", "team_member"})

PERMISSION_FOR_SCOPE = {
    "client": "client.fields.manage",
    "session": "session.fields.manage",
    "evaluation": "evaluation.fields.manage",
    "therapy_type": "therapy_types.manage",
}


class FieldDefinition(TenantModel):
    """One custom field of a scope (and phase). Archived definitions keep their key reserved."""

    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices)
    therapy_type = models.ForeignKey(
        "therapies.TherapyType",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="field_definitions",
        db_index=False,
    )
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, blank=True)
    key = models.CharField(_("key"), max_length=60)
    label = models.CharField(_("label"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    # [{"value": "a", "label": "A", "retired": false}, ...] for select and multi_select.
    options = models.JSONField(_("options"), default=list, blank=True)
    # min/max/step, min_length/max_length/pattern, min_date/max_date, allowed_types/max_bytes,
    # min_items/max_items — whichever apply to the type.
    validation = models.JSONField(_("validation"), default=dict, blank=True)
    # Nested definitions of an array (each entry is an object of these) or an object.
    children = models.JSONField(_("nested fields"), default=list, blank=True)
    order = models.IntegerField(_("order"), default=0)
    archived = models.BooleanField(_("archived"), default=False)
    filterable = models.BooleanField(_("filterable"), default=False)
    clinical = models.BooleanField(_("clinical"), default=True)

    class Meta:
        ordering = ["order", "id"]
        indexes = [
            models.Index(fields=["workspace", "scope", "phase", "order"], name="fielddef_ws_scope_order"),
            models.Index(fields=["workspace", "therapy_type", "order"], name="fielddef_ws_therapy_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "scope", "key"],
                condition=models.Q(therapy_type__isnull=True),
                name="fielddef_unique_key",
            ),
            models.UniqueConstraint(
                fields=["workspace", "therapy_type", "key"],
                condition=models.Q(therapy_type__isnull=False),
                name="fielddef_unique_key_therapy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope_label}: {self.key}"

    @property
    def scope_label(self) -> str:
        """The scope as the API spells it: `session`, or `therapy_type:<id>`."""
        if self.scope == Scope.THERAPY_TYPE:
            return f"therapy_type:{self.therapy_type_id}"
        return self.scope

    def as_spec(self) -> dict[str, Any]:
        """The definition as a plain dict (the shape nested definitions are stored in)."""
        return {
            "key": self.key,
            "label": self.label,
            "description": self.description,
            "type": self.type,
            "required": self.required,
            "options": self.options or [],
            "validation": self.validation or {},
            "fields": self.children or [],
        }


class NoteTemplate(TenantModel):
    """A practice's own note template: a named set of during/post field specs, `[{"key", "label",
    "description", "type", "required", "options", "validation", "fields", "phase"}]`, each checked
    like a field definition (`fields.definitions.clean_definition`). The built-in SOAP, DAP and BIRP
    live in code (`fields.note_templates`)."""

    name = models.CharField(_("name"), max_length=120)
    fields = models.JSONField(_("fields"), default=list, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="notetemplate_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class NoteTemplateDefault(TenantModel):
    """The note template a therapy type's sessions are written with: its fields are the therapy
    type's fields (`scope="therapy_type"`). `template` is a template key (`soap`, `practice-12`)."""

    therapy_type = models.ForeignKey(
        "therapies.TherapyType", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    template = models.CharField(_("template"), max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "therapy_type"], name="notetemplatedefault_unique_therapy"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapy_type_id}: {self.template}"
