"""Note templates: SOAP, DAP and BIRP (built in) and the practice's own, as ready sets of during/post
session fields an owner adds in one click, and a default template per therapy type.

A template is only a list of field specs. Adding one (`template_apply`) creates the field definitions
through `fields.services.field_create`, so the same validation, permissions (`session.fields.manage`
for the session scope, `therapy_types.manage` for a therapy type's fields) and audit apply; nothing
else in the field engine knows templates exist. Adding is idempotent: a key the scope already has is
left as it is (an archived one is restored), so a second click creates nothing.

Labels of the built-in templates go through gettext: they are stored in the language of the member
who adds them (a Portuguese-speaking owner gets "Subjetivo", "Plano"), then edited like any label.

A therapy type's default template (`default_set`) makes its fields the therapy type's own fields
(`scope="therapy_type"`), which the record of every session of that type asks for; choosing another
template archives the fields of the previous one (their values and keys are kept) and adds the new
one's. The practice's own templates are saved from its current during and post fields
(`practice_template_from_fields`) or sent whole through the API (`practice_template_create`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from atendo.audit.services import audit_record
from atendo.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from atendo.fields import registry, services
from atendo.fields.definitions import clean_definition
from atendo.fields.models import (
    PERMISSION_FOR_SCOPE,
    FieldDefinition,
    NoteTemplate,
    NoteTemplateDefault,
    Scope,
)
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

TEMPLATE_PHASES = ("during", "post")
MAX_TEMPLATE_FIELDS = 40
PRACTICE_PREFIX = "practice-"


def _spec(key: str, label: Promise, description: Promise, phase: str) -> dict[str, Any]:
    return {"key": key, "label": label, "description": description, "type": "textarea", "phase": phase}


# The built-in catalogue. Keys carry the template's name, so two templates never collide.
BUILTIN: dict[str, dict[str, Any]] = {
    "soap": {
        "name": "SOAP",
        "description": gettext_lazy("Subjective, Objective, Assessment, Plan."),
        "fields": [
            _spec(
                "soap_subjective",
                gettext_lazy("Subjective"),
                gettext_lazy("What the client reports: complaints, feelings, in their words."),
                "during",
            ),
            _spec(
                "soap_objective",
                gettext_lazy("Objective"),
                gettext_lazy("What you observe: behaviour, affect, measures."),
                "during",
            ),
            _spec(
                "soap_assessment",
                gettext_lazy("Assessment"),
                gettext_lazy("Your clinical reading of the session and of the progress."),
                "post",
            ),
            _spec(
                "soap_plan",
                gettext_lazy("Plan"),
                gettext_lazy("Next steps, tasks between sessions, the next session's focus."),
                "post",
            ),
        ],
    },
    "dap": {
        "name": "DAP",
        "description": gettext_lazy("Data, Assessment, Plan."),
        "fields": [
            _spec(
                "dap_data",
                gettext_lazy("Data"),
                gettext_lazy("What was said and observed in the session."),
                "during",
            ),
            _spec(
                "dap_assessment",
                gettext_lazy("Assessment"),
                gettext_lazy("Your clinical reading of the session and of the progress."),
                "post",
            ),
            _spec(
                "dap_plan",
                gettext_lazy("Plan"),
                gettext_lazy("Next steps, tasks between sessions, the next session's focus."),
                "post",
            ),
        ],
    },
    "birp": {
        "name": "BIRP",
        "description": gettext_lazy("Behaviour, Intervention, Response, Plan."),
        "fields": [
            _spec(
                "birp_behavior",
                gettext_lazy("Behaviour"),
                gettext_lazy("The client's presentation and behaviour in the session."),
                "during",
            ),
            _spec(
                "birp_intervention",
                gettext_lazy("Intervention"),
                gettext_lazy("What you did: techniques, exercises, interventions."),
                "during",
            ),
            _spec(
                "birp_response",
                gettext_lazy("Response"),
                gettext_lazy("How the client responded to the interventions."),
                "post",
            ),
            _spec(
                "birp_plan",
                gettext_lazy("Plan"),
                gettext_lazy("Next steps, tasks between sessions, the next session's focus."),
                "post",
            ),
        ],
    },
}


@dataclass
class Template:
    key: str
    name: str
    description: str
    builtin: bool
    fields: list[dict[str, Any]]
    id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "builtin": self.builtin,
            "fields": [
                {
                    "key": f["key"],
                    "label": f["label"],
                    "description": f.get("description", ""),
                    "type": f["type"],
                    "phase": f["phase"],
                }
                for f in self.fields
            ],
        }


def _builtin(key: str) -> Template:
    entry = BUILTIN[key]
    return Template(
        key=key,
        name=entry["name"],
        description=str(entry["description"]),
        builtin=True,
        # Translated now, in the asking member's language.
        fields=[
            {**f, "label": str(f["label"]), "description": str(f["description"])} for f in entry["fields"]
        ],
    )


def _practice(template: NoteTemplate) -> Template:
    return Template(
        key=f"{PRACTICE_PREFIX}{template.pk}",
        id=template.pk,
        name=template.name,
        description="",
        builtin=False,
        fields=list(template.fields or []),
    )


def templates_list(*, member: Membership) -> list[Template]:
    """The built-in templates, then the practice's own (by name). Labels only: nothing clinical."""
    own = NoteTemplate.objects.for_workspace(member.workspace).order_by("name", "pk")
    return [_builtin(k) for k in BUILTIN] + [_practice(t) for t in own]


def template_get(*, member: Membership, key: Any) -> Template:
    """A template by its key (`soap`, `dap`, `birp`, `practice-<id>`); 422 at `template` if unknown."""
    if isinstance(key, str) and key in BUILTIN:
        return _builtin(key)
    if isinstance(key, str) and key.startswith(PRACTICE_PREFIX) and key[len(PRACTICE_PREFIX) :].isdigit():
        own = (
            NoteTemplate.objects.for_workspace(member.workspace)
            .filter(pk=int(key[len(PRACTICE_PREFIX) :]))
            .first()
        )
        if own is not None:
            return _practice(own)
    raise ValidationFailed.single(
        "template", _("There is no note template '{key}' in this workspace.").format(key=key)
    )


def defaults_map(*, member: Membership) -> dict[int, str]:
    """therapy type id -> the key of its default template."""
    return dict(
        NoteTemplateDefault.objects.for_workspace(member.workspace).values_list("therapy_type_id", "template")
    )


# --- adding a template's fields ---------------------------------------------------------------------


@dataclass
class Applied:
    template: str
    scope: str
    created: list[FieldDefinition] = field(default_factory=list)
    restored: list[FieldDefinition] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def _scope_of(member: Membership, scope: Any) -> tuple[str, int | None]:
    raw = scope if scope not in (None, "") else "session"
    scope_, _phase, therapy_type_id = services.parse_scope(
        member.workspace, raw, "during" if raw == "session" else None
    )
    if scope_ not in (Scope.SESSION, Scope.THERAPY_TYPE):
        raise ValidationFailed.single(
            "scope", _("A note template adds session fields: use session or therapy_type:<id>.")
        )
    return scope_, therapy_type_id


@transaction.atomic
def template_apply(*, member: Membership, template: Any, scope: Any = "session") -> Applied:
    """Add the template's fields to the session fields (their phases) or to a therapy type's fields.

    Idempotent: keys the scope already has are kept as they are (archived ones restored)."""
    scope_, therapy_type_id = _scope_of(member, scope)
    require(member, PERMISSION_FOR_SCOPE[scope_])
    chosen = template_get(member=member, key=template)
    scope_label = f"therapy_type:{therapy_type_id}" if therapy_type_id else "session"
    applied = Applied(template=chosen.key, scope=scope_label)
    have = {
        d.key: d
        for d in FieldDefinition.objects.for_workspace(member.workspace).filter(
            scope=scope_, therapy_type_id=therapy_type_id
        )
    }
    for spec in chosen.fields:
        existing = have.get(spec["key"])
        if existing is not None:
            if existing.archived:
                applied.restored.append(services.field_restore(member=member, definition_id=existing.pk))
            else:
                applied.existing.append(existing.key)
            continue
        data = {k: v for k, v in spec.items() if k != "phase"}
        applied.created.append(
            services.field_create(
                member=member,
                scope=scope_,
                phase=spec["phase"] if scope_ == Scope.SESSION else None,
                therapy_type_id=therapy_type_id,
                data=data,
            )
        )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="note_template.apply",
        object_type="note_template",
        object_id=chosen.key,
        object_label=chosen.name,
        changes={
            "scope": scope_label,
            "created": [d.key for d in applied.created],
            "restored": [d.key for d in applied.restored],
        },
    )
    return applied


@transaction.atomic
def default_set(*, member: Membership, therapy_type_id: int, template: Any) -> Applied | None:
    """Make `template` the default of the therapy type: its fields become the type's fields, the
    previous default's fields not in it are archived (values kept). `template=None` clears it."""
    require(member, PERMISSION_FOR_SCOPE[Scope.THERAPY_TYPE])
    if registry.therapy_type_name(member.workspace_id, therapy_type_id) is None:
        raise NotFound()
    chosen = template_get(member=member, key=template) if template not in (None, "") else None
    current = (
        NoteTemplateDefault.objects.for_workspace(member.workspace)
        .select_for_update()
        .filter(therapy_type_id=therapy_type_id)
        .first()
    )
    if current is not None and chosen is not None and current.template == chosen.key:
        return template_apply(member=member, template=chosen.key, scope=f"therapy_type:{therapy_type_id}")
    if current is not None:
        keep = {f["key"] for f in chosen.fields} if chosen else set()
        try:
            previous = template_get(member=member, key=current.template)
        except ValidationFailed:  # a practice template deleted since: nothing to archive by key
            previous = None
        old_keys = {f["key"] for f in previous.fields} - keep if previous else set()
        for definition in FieldDefinition.objects.for_workspace(member.workspace).filter(
            scope=Scope.THERAPY_TYPE, therapy_type_id=therapy_type_id, key__in=old_keys, archived=False
        ):
            services.field_archive(member=member, definition_id=definition.pk)
        if chosen is None:
            current.delete()
        else:
            current.template = chosen.key
            current.save(update_fields=["template", "updated_at"])
    elif chosen is not None:
        NoteTemplateDefault.objects.create(
            workspace=member.workspace, therapy_type_id=therapy_type_id, template=chosen.key
        )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="note_template.default",
        object_type="therapytype",
        object_id=str(therapy_type_id),
        object_label=registry.therapy_type_name(member.workspace_id, therapy_type_id) or "",
        changes={"template": chosen.key if chosen else None},
    )
    if chosen is None:
        return None
    return template_apply(member=member, template=chosen.key, scope=f"therapy_type:{therapy_type_id}")


# --- the practice's own templates -------------------------------------------------------------------


def _clean_name(member: Membership, name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed.single("name", _("Name the template."))
    name = name.strip()
    if len(name) > 120:
        raise ValidationFailed.single("name", _("A template's name has at most 120 characters."))
    if name.upper() in {b["name"] for b in BUILTIN.values()}:
        raise ValidationFailed.single("name", _("SOAP, DAP and BIRP are built in: choose another name."))
    if NoteTemplate.objects.for_workspace(member.workspace).filter(name=name).exists():
        raise ValidationFailed.single(
            "name", _("There is already a template named '{name}'.").format(name=name), code="duplicate"
        )
    return name


def _clean_fields(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationFailed.single("fields", _("A template needs at least one field."))
    if len(raw) > MAX_TEMPLATE_FIELDS:
        raise ValidationFailed.single(
            "fields", _("A template has at most {n} fields.").format(n=MAX_TEMPLATE_FIELDS)
        )
    errors: list[FieldError] = []
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.append(FieldError(f"fields[{i}]", _("A field of a template must be an object.")))
            continue
        phase = item.get("phase")
        if phase not in TEMPLATE_PHASES:
            errors.append(FieldError(f"fields[{i}].phase", _("A template's field is during or post.")))
        try:
            spec = clean_definition({k: v for k, v in item.items() if k != "phase"}, prefix=f"fields[{i}]")
        except ValidationFailed as exc:
            errors.extend(exc.fields)
            continue
        if spec["key"] in seen:
            errors.append(FieldError(f"fields[{i}].key", _("This key appears twice in the template.")))
        seen.add(spec["key"])
        cleaned.append({**spec, "phase": phase})
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _save(member: Membership, name: str, fields: list[dict[str, Any]]) -> NoteTemplate:
    try:
        with transaction.atomic():
            template = NoteTemplate.objects.create(workspace=member.workspace, name=name, fields=fields)
    except IntegrityError:
        raise Conflict(
            _("There is already a template named '{name}'.").format(name=name), code="duplicate"
        ) from None
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="note_template.create",
        obj=template,
        changes={"fields": [f["key"] for f in fields]},
    )
    return template


@transaction.atomic
def practice_template_create(*, member: Membership, name: Any, fields: Any) -> NoteTemplate:
    """The practice's own template from explicit field specs (each with its `phase`)."""
    require(member, PERMISSION_FOR_SCOPE[Scope.SESSION])
    return _save(member, _clean_name(member, name), _clean_fields(fields))


@transaction.atomic
def practice_template_from_fields(*, member: Membership, name: Any) -> NoteTemplate:
    """Save the practice's current (live) during and post session fields as a template."""
    require(member, PERMISSION_FOR_SCOPE[Scope.SESSION])
    clean = _clean_name(member, name)
    current = (
        FieldDefinition.objects.for_workspace(member.workspace)
        .filter(scope=Scope.SESSION, phase__in=TEMPLATE_PHASES, archived=False)
        .order_by("phase", "order", "pk")
    )
    fields = [{**d.as_spec(), "phase": d.phase} for d in current]
    if not fields:
        raise ValidationFailed.single("name", _("There are no during or post fields to save yet."))
    return _save(member, clean, fields[:MAX_TEMPLATE_FIELDS])


@transaction.atomic
def practice_template_delete(*, member: Membership, template_id: int) -> None:
    """Delete a practice's template; the fields it added stay (they are the practice's fields now)."""
    require(member, PERMISSION_FOR_SCOPE[Scope.SESSION])
    template = NoteTemplate.objects.for_workspace(member.workspace).filter(pk=template_id).first()
    if template is None:
        raise NotFound()
    NoteTemplateDefault.objects.for_workspace(member.workspace).filter(
        template=f"{PRACTICE_PREFIX}{template.pk}"
    ).delete()
    audit_record(workspace=member.workspace, actor=member, action="note_template.delete", obj=template)
    template.delete()
