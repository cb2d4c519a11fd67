"""Writes on evaluations. Keyword-only, atomic, audited (never the values themselves).

Writing an evaluation needs `client.update` and clinical access to the client (its content is
clinical); values are validated by the field engine against the evaluation definitions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.access import can_read_clinical, may_write
from atendo.clinical.changes import content_changed
from atendo.clinical.sealing import seal_fields
from atendo.core.clean import FieldErrors, clean_bool, clean_id, clean_optional_id, clean_text
from atendo.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from atendo.core.times import parse_date
from atendo.evaluations.models import Evaluation
from atendo.evaluations.selectors import evaluation_plain
from atendo.fields import engine
from atendo.scheduling.models import Session
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

MAX_TITLE_LENGTH = 200
FIELDS = ("client_id", "session_id", "title", "date", "values", "clinical", "version")


def _require_clinical(member: Membership, client_id: int) -> None:
    if not may_write(member, client_id):
        raise Forbidden(
            _("Evaluations are clinical: you need clinical access to this client."), code="clinical_forbidden"
        )


def _clean(
    member: Membership, data: dict[str, Any], *, current: Evaluation | None
) -> tuple[dict[str, Any], list[FieldError]]:
    errors = FieldErrors()
    for key in sorted(set(data) - set(FIELDS)):
        errors.add(key, _("Unknown field."))
    out: dict[str, Any] = {}
    if current is None:
        if data.get("client_id") is None:
            errors.add("client_id", _("Choose the client."))
        else:
            client_id = errors.check(clean_id, data["client_id"], "client_id")
            client = (
                Client.objects.for_workspace(member.workspace).filter(pk=client_id).first()
                if client_id is not None
                else None
            )
            if client is not None:
                out["client"] = client
            elif client_id is not None:
                errors.add("client_id", _("There is no client %(id)d here.") % {"id": client_id})
    elif "client_id" in data and data["client_id"] != current.client_id:
        errors.add("client_id", _("An evaluation stays with its client."))
    client_id = out["client"].pk if "client" in out else (current.client_id if current else None)
    if "session_id" in data:
        session_id = errors.check(clean_optional_id, data["session_id"], "session_id")
        session = (
            Session.objects.for_workspace(member.workspace).filter(pk=session_id).first()
            if session_id is not None
            else None
        )
        if data["session_id"] is None:
            out["session"] = None
        elif session is None and session_id is not None:
            errors.add("session_id", _("There is no session %(id)d here.") % {"id": session_id})
        elif session is not None and client_id is not None and session.client_id != client_id:
            errors.add("session_id", _("This session belongs to another client."))
        elif session is not None:
            out["session"] = session
    if "title" in data or current is None:
        title = errors.check(clean_text, data.get("title"), "title", max_length=MAX_TITLE_LENGTH)
        if title is not None:
            out["title"] = title
    if "date" in data or current is None:
        if data.get("date") is None and current is None:
            out["date"] = dt.date.today()
        else:
            day = errors.check(parse_date, data.get("date"), path="date")
            if day is not None:
                out["date"] = day
    if "clinical" in data:
        clinical = errors.check(clean_bool, data["clinical"], "clinical")
        if clinical is not None:
            out["clinical"] = clinical
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
                    previous=evaluation_plain(current)[1] if current else None,
                ).items()
                if v is not None
            }
        except ValidationFailed as exc:
            errors.errors += exc.fields
    return out, errors.errors


@transaction.atomic
def evaluation_create(*, member: Membership, data: dict[str, Any]) -> Evaluation:
    require(member, "client.read", "client.update")
    cleaned, errors = _clean(member, data, current=None)
    if "client" in cleaned:
        _require_clinical(member, cleaned["client"].pk)
    if errors:
        raise ValidationFailed(errors)
    # The title and values are sealed with the evaluation's id, right after the insert (`_seal`).
    plain = {"title": cleaned.pop("title", ""), "values": cleaned.pop("values", {})}
    evaluation = Evaluation.objects.create(workspace=member.workspace, performed_by=member, **cleaned)
    _seal(evaluation, **plain)
    Evaluation.objects.filter(pk=evaluation.pk).update(title=evaluation.title, values=evaluation.values)
    _claim_attachments(member, evaluation, plain["values"])
    content_changed(workspace_id=member.workspace_id, evaluation_ids=[evaluation.pk])
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


def _seal(evaluation: Evaluation, *, title: str, values: dict[str, Any]) -> None:
    """Give the evaluation its stored title and values: a clinical evaluation is sealed whole (its
    title too); an administrative one keeps its title and administrative values plain."""
    seal = crypto.sealer(evaluation.workspace_id)
    row = evaluation.pk
    evaluation.title = seal.text(crypto.EVALUATION_TITLE, row, title) if evaluation.clinical else title
    definitions = engine.definitions_for(
        workspace=evaluation.workspace_id, scope="evaluation", include_archived=True
    )
    evaluation.values = seal_fields(
        seal, crypto.EVALUATION_VALUES, row, values, definitions, everything=evaluation.clinical
    )


def _claim_attachments(member: Membership, evaluation: Evaluation, values: dict[str, Any]) -> None:
    """Files in the values join the evaluation's client, and so that client's clinical barrier."""
    engine.attachments_claim(member=member, values=values, scope="evaluation", client_id=evaluation.client_id)


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
        raise Conflict(_("This evaluation was changed by someone else; reload it."), code="version_conflict")
    cleaned, errors = _clean(member, data, current=evaluation)
    if errors:
        raise ValidationFailed(errors)
    # The writer reads the content (`_require_clinical`): compare and re-seal in plaintext.
    title, values = evaluation_plain(evaluation)
    current = {"title": title, "values": values}
    changed = sorted(k for k, v in cleaned.items() if current.get(k, getattr(evaluation, k)) != v)
    plain = {"title": cleaned.pop("title", title), "values": cleaned.pop("values", values)}
    for key, value in cleaned.items():
        setattr(evaluation, key, value)
    _seal(evaluation, **plain)
    evaluation.version += 1
    evaluation.save()
    if "values" in changed:
        _claim_attachments(member, evaluation, plain["values"])
    content_changed(workspace_id=member.workspace_id, evaluation_ids=[evaluation.pk])
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
