"""Writes on evaluations. Keyword-only, atomic, audited (never the values themselves).

Writing an evaluation needs `client.update` and clinical access to the client (its content is
clinical); values are validated by the field engine against the evaluation definitions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from atendo.audit.services import audit_record
from atendo.clients.clinical import can_read_clinical
from atendo.clients.models import Client
from atendo.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from atendo.evaluations.models import Evaluation
from atendo.fields import engine
from atendo.scheduling.models import Session
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

FIELDS = ("client_id", "session_id", "title", "date", "values", "clinical", "version")


def _int(value: Any, path: str, errors: list[FieldError]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(FieldError(path, "Must be an id."))
        return None
    return value


def _require_clinical(member: Membership, client_id: int) -> None:
    if not can_read_clinical(member, client_id):
        raise Forbidden(
            "Evaluations are clinical: you need clinical access to this client.", code="clinical_forbidden"
        )


def _clean(
    member: Membership, data: dict[str, Any], *, current: Evaluation | None
) -> tuple[dict[str, Any], list[FieldError]]:
    errors = [FieldError(key, "Unknown field.") for key in sorted(set(data) - set(FIELDS))]
    out: dict[str, Any] = {}
    if current is None:
        client_id = _int(data.get("client_id"), "client_id", errors)
        if client_id is None and not errors:
            errors.append(FieldError("client_id", "Choose the client."))
        elif client_id is not None:
            client = Client.objects.for_workspace(member.workspace).filter(pk=client_id).first()
            if client is None:
                errors.append(FieldError("client_id", f"There is no client {client_id} here."))
            else:
                out["client"] = client
    elif "client_id" in data and data["client_id"] != current.client_id:
        errors.append(FieldError("client_id", "An evaluation stays with its client."))
    client_id = out["client"].pk if "client" in out else (current.client_id if current else None)
    if "session_id" in data:
        session_id = _int(data["session_id"], "session_id", errors)
        if session_id is None:
            out["session"] = None
        else:
            session = Session.objects.for_workspace(member.workspace).filter(pk=session_id).first()
            if session is None:
                errors.append(FieldError("session_id", f"There is no session {session_id} here."))
            elif client_id is not None and session.client_id != client_id:
                errors.append(FieldError("session_id", "This session belongs to another client."))
            else:
                out["session"] = session
    if "title" in data or current is None:
        title = data.get("title") or ""
        if not isinstance(title, str) or len(title) > 200:
            errors.append(FieldError("title", "Use text of at most 200 characters."))
        else:
            out["title"] = title.strip()
    if "date" in data or current is None:
        raw = data.get("date")
        if raw is None and current is None:
            out["date"] = dt.date.today()
        elif isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            out["date"] = raw
        elif isinstance(raw, str):
            try:
                out["date"] = dt.date.fromisoformat(raw)
            except ValueError:
                errors.append(FieldError("date", "Use a date like 2026-03-31."))
        else:
            errors.append(FieldError("date", "Use a date like 2026-03-31."))
    if "clinical" in data:
        if not isinstance(data["clinical"], bool):
            errors.append(FieldError("clinical", "Must be true or false."))
        else:
            out["clinical"] = data["clinical"]
    if "values" in data or current is None:
        try:
            out["values"] = {
                k: v
                for k, v in engine.validate_values(
                    workspace=member.workspace,
                    scope="evaluation",
                    values=data.get("values") or {},
                    path="values",
                    require_all=True,
                    previous=current.values if current else None,
                ).items()
                if v is not None
            }
        except ValidationFailed as exc:
            errors += exc.fields
    return out, errors


@transaction.atomic
def evaluation_create(*, member: Membership, data: dict[str, Any]) -> Evaluation:
    require(member, "client.read", "client.update")
    cleaned, errors = _clean(member, data, current=None)
    if "client" in cleaned:
        _require_clinical(member, cleaned["client"].pk)
    if errors:
        raise ValidationFailed(errors)
    evaluation = Evaluation.objects.create(workspace=member.workspace, performed_by=member, **cleaned)
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="evaluation.create",
        obj=evaluation,
        changes={
            "client_id": evaluation.client_id,
            "session_id": evaluation.session_id,
            "keys": sorted(evaluation.values),
        },
    )
    return evaluation


def _locked(member: Membership, evaluation_id: int) -> Evaluation:
    evaluation = (
        Evaluation.objects.for_workspace(member.workspace)
        .select_for_update()
        .filter(pk=evaluation_id)
        .first()
    )
    if evaluation is None:
        raise NotFound()
    if not can_read_clinical(member, evaluation.client_id) and evaluation.clinical:
        raise NotFound()  # a clinical evaluation does not exist for this reader
    return evaluation


@transaction.atomic
def evaluation_update(*, member: Membership, evaluation_id: int, data: dict[str, Any]) -> Evaluation:
    require(member, "client.read", "client.update")
    evaluation = _locked(member, evaluation_id)
    _require_clinical(member, evaluation.client_id)
    version = data.get("version")
    if version is not None and version != evaluation.version:
        raise Conflict("This evaluation was changed by someone else; reload it.", code="version_conflict")
    cleaned, errors = _clean(member, data, current=evaluation)
    if errors:
        raise ValidationFailed(errors)
    changed = sorted(k for k, v in cleaned.items() if getattr(evaluation, k) != v)
    for key, value in cleaned.items():
        setattr(evaluation, key, value)
    evaluation.version += 1
    evaluation.save()
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="evaluation.update",
        obj=evaluation,
        changes={"changed": changed},
    )
    return evaluation


@transaction.atomic
def evaluation_delete(*, member: Membership, evaluation_id: int) -> None:
    require(member, "client.read", "client.update")
    evaluation = _locked(member, evaluation_id)
    _require_clinical(member, evaluation.client_id)
    audit_record(workspace=member.workspace, actor=member, action="evaluation.delete", obj=evaluation)
    evaluation.delete()
