"""Every write service calls `audit_record` inside its transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from django.db import models

from atendo.audit.models import AuditEvent

if TYPE_CHECKING:
    from atendo.workspaces.models import Membership, Workspace


@runtime_checkable
class ClinicalLabel(Protocol):
    """A model whose label (`str(obj)`) may be clinical content of a client: an evaluation's title,
    a clinical file's name. The model says so once, and every event about it is redacted."""

    def audit_clinical_label(self) -> tuple[int | None, bool]:
        """(the client whose record this belongs to, whether `str(self)` is clinical content)."""
        ...


def audit_record(
    *,
    workspace: Workspace,
    actor: Membership | None,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    client_id: int | None = None,
    label_clinical: bool = False,
    actor_label: str = "",
) -> AuditEvent:
    """Record one event. `actor` None means the system (a command or a scheduled task), or someone
    who is no member, named by `actor_label` (e.g. "client (reminder link)").

    `changes` never hold clinical text (record *that* notes changed, not the notes). A clinical
    label comes from the object itself (`ClinicalLabel`); `client_id` / `label_clinical` are for an
    `object_label` given as text. A clinical label is not stored at all (only that it is clinical).
    """
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:200]
        if isinstance(obj, ClinicalLabel):
            owner, clinical = obj.audit_clinical_label()
            client_id = client_id if client_id is not None else owner
            label_clinical = label_clinical or clinical
    if label_clinical:
        # Clinical content (sealed at rest) never enters the log: the trail shows its readers the
        # object's own label, opened when it is read (`trail.selectors.events_to_json`).
        object_label = ""
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor.user if actor is not None else None,
        actor_label=actor.user.email if actor is not None else (actor_label[:200] or "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:200],
        client_id=client_id,
        label_clinical=label_clinical,
        changes=changes or {},
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{"field": [old, new]}` for every key whose value changed."""
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}
