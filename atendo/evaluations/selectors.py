"""Reads of evaluations with the clinical barrier applied (the one redaction point decides).

A clinical evaluation of a client the reader may not read clinically is absent (listed only as
withheld); an administrative one is shown without the values of clinical evaluation fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from atendo.clients.clinical import readable_client_ids
from atendo.core.errors import NotFound
from atendo.evaluations.models import Evaluation
from atendo.fields import engine
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership


def evaluations_for(
    member: Membership, *, client_id: int | None = None, session_id: int | None = None
) -> Any:
    require(member, "client.read")
    qs = Evaluation.objects.for_workspace(member.workspace).select_related("performed_by__user", "client")
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    return qs


def evaluations_to_json(
    member: Membership, evaluations: Sequence[Evaluation]
) -> tuple[list[dict[str, Any]], int]:
    """(items the member may see, how many clinical evaluations were withheld). ≤ 2 queries."""
    evaluations = list(evaluations)
    readable = readable_client_ids(member, {e.client_id for e in evaluations})
    open_keys: set[str] | None = None
    items, withheld = [], 0
    tz = member.workspace.tz
    for e in evaluations:
        can_read = e.client_id in readable
        if e.clinical and not can_read:
            withheld += 1
            continue
        values = dict(e.values or {})
        hidden: list[str] = []
        if not can_read and values:
            if open_keys is None:
                definitions = engine.definitions_for(
                    workspace=member.workspace, scope="evaluation", include_archived=True
                )
                open_keys = {d.key for d in definitions if not d.clinical}
            hidden = [f"values.{k}" for k in values if k not in open_keys]
            values = {k: v for k, v in values.items() if k in open_keys}
        items.append(
            {
                "id": e.pk,
                "client_id": e.client_id,
                "session_id": e.session_id,
                "title": e.title,
                "date": e.date.isoformat(),
                "clinical": e.clinical,
                "values": values,
                "performed_by_id": e.performed_by_id,
                "performed_by_name": e.performed_by.display_name if e.performed_by else "",
                "version": e.version,
                "created_at": e.created_at.astimezone(tz).isoformat(),
                "updated_at": e.updated_at.astimezone(tz).isoformat(),
                "withheld": hidden,
            }
        )
    return items, withheld


def evaluation_get_for(member: Membership, evaluation_id: int) -> Evaluation:
    evaluation = evaluations_for(member).filter(pk=evaluation_id).first()
    if evaluation is None:
        raise NotFound()
    items, _withheld = evaluations_to_json(member, [evaluation])
    if not items:
        raise NotFound()
    return evaluation  # type: ignore[no-any-return]
