"""Every write service calls `audit_record` inside its transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from atendo.audit.models import AuditEvent

if TYPE_CHECKING:
    from atendo.workspaces.models import Membership, Workspace


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
) -> AuditEvent:
    """Record one event. `actor` None means the system (a command or a scheduled task)."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:200]
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor.user if actor is not None else None,
        actor_label=actor.user.email if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:200],
        changes=changes or {},
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{"field": [old, new]}` for every key whose value changed."""
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}
