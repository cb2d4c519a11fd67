"""Reads of evaluations with the clinical barrier applied (`atendo.clinical.redact` decides).

A clinical evaluation of a client the reader may not read clinically is absent (listed only as
withheld); an administrative one is shown without the values of clinical evaluation fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from atendo.audit.reads import read_record
from atendo.clinical import crypto
from atendo.clinical.access import readable_client_ids
from atendo.clinical.redact import redact
from atendo.clinical.sealing import reseal_key
from atendo.core.errors import NotFound
from atendo.evaluations.models import Evaluation
from atendo.fields.models import FieldDefinition
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
    tz = member.workspace.tz
    rows = [
        {
            "id": e.pk,
            "client_id": e.client_id,
            "session_id": e.session_id,
            "title": e.title,
            "date": e.date.isoformat(),
            "clinical": e.clinical,
            "values": dict(e.values or {}),
            "performed_by_id": e.performed_by_id,
            "performed_by_name": e.performed_by.display_name if e.performed_by else "",
            "version": e.version,
            "created_at": e.created_at.astimezone(tz).isoformat(),
            "updated_at": e.updated_at.astimezone(tz).isoformat(),
        }
        for e in evaluations
    ]
    readable = readable_client_ids(member, {cast(int, r["client_id"]) for r in rows})
    shown = redact(member, rows, "evaluation", readable=readable)
    # The read audit: a clinical evaluation, or any values, shown to a reader of that client.
    read = [r for r in shown if r["client_id"] in readable and (r["clinical"] or r["values"])]
    if read:
        read_record(
            member, kind="evaluation", ids=[r["id"] for r in read], client_ids=[r["client_id"] for r in read]
        )
    return list(shown), shown.left_out


def evaluation_get_for(member: Membership, evaluation_id: int) -> Evaluation:
    evaluation = evaluations_for(member).filter(pk=evaluation_id).first()
    if evaluation is None:
        raise NotFound()
    items, _withheld = evaluations_to_json(member, [evaluation])
    if not items:
        raise NotFound()
    return evaluation  # type: ignore[no-any-return]


def evaluation_plain(evaluation: Evaluation) -> tuple[str, dict[str, Any]]:
    """(title, values) in plaintext, for a member who may write the evaluation (who reads its
    clinical content: the caller checked); the displays go through `evaluations_to_json`."""
    workspace_id, row = evaluation.workspace_id, evaluation.pk
    title = evaluation.title
    if crypto.is_token(title):
        title = crypto.open_text(workspace_id, crypto.EVALUATION_TITLE, row, title)
    return title, crypto.open_values(workspace_id, crypto.EVALUATION_VALUES, row, evaluation.values)


def evaluation_values_exist(definition: FieldDefinition) -> bool:
    """Does any evaluation store a value under this evaluation field's key? (For `fields.registry`:
    a definition in use may not change its type.)"""
    return Evaluation.objects.filter(
        workspace_id=definition.workspace_id, values__has_key=definition.key
    ).exists()


def evaluation_values_reseal(definition: FieldDefinition) -> int:
    """After an evaluation field's clinical or filterable flag changed (`fields.registry`); a
    clinical evaluation keeps all its values sealed."""
    rows = (
        Evaluation.objects.for_workspace(definition.workspace_id)
        .filter(values__has_key=definition.key)
        .only("id", "workspace_id", "values", "clinical")
        .order_by("id")
    )
    return reseal_key(
        rows, field="values", column=crypto.EVALUATION_VALUES, definition=definition, sealed_whole="clinical"
    )
