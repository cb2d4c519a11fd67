"""Recording a session: after the appointment, in ONE atomic save, the therapy type
(pre-filled), the actual duration (pre-filled from the planned one), notes, the therapy-specific
field values and the payment. The session becomes completed and gets `recorded_at`.

Rules:
- `session.update` to record; a completed, in-progress or already started session only (not a
  cancelled one or a no-show, nor one that has not started yet): 409 `not_recordable`.
- The same optimistic concurrency as every session write: the caller sends the `version` it
  edited; a stale one is a 409 `version_conflict` with the current session; nothing is written.
- Notes and therapy fields are clinical: only a member who may read this client's clinical content
  may send them, or change the therapy type (whose fields replace the stored ones): 403 otherwise,
  whatever is stored. An assistant may record the duration and take the payment.
- Notes follow the same limit as every other door (`scheduling.models.MAX_NOTES_LENGTH`).
- The payment part needs `billing.manage` and follows the billing rules (exact amounts, methods).
- Everything is validated first, every bad path named at once; then everything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.billing.models import Payment
from atendo.billing.services import clean_payment, payment_save_locked
from atendo.clinical import crypto
from atendo.clinical.access import can_read_clinical
from atendo.clinical.changes import content_changed
from atendo.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from atendo.fields import engine
from atendo.scheduling import sealing
from atendo.scheduling.models import Session, SessionStatus
from atendo.scheduling.services.common import (
    clean_duration,
    clean_notes,
    record_status_changes,
    session_at_version,
    therapy_type_of,
    write_at_version,
)
from atendo.therapies.models import TherapyType
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

RECORD_FIELDS = (
    "version",
    "therapy_type_id",
    "actual_duration_minutes",
    "notes",
    "therapy_fields",
    "payment",
)
RECORDABLE = (SessionStatus.COMPLETED, SessionStatus.IN_PROGRESS, SessionStatus.SCHEDULED)


@dataclass
class RecordResult:
    session: Session
    payment: Payment | None


def record_defaults(session: Session) -> dict[str, Any]:
    """What the record form starts with, clinical content aside (the page reads the notes and
    therapy fields through the serializer, redacted and opened for its reader)."""
    return {
        "therapy_type_id": session.therapy_type_id,
        "actual_duration_minutes": session.actual_duration_minutes or session.duration_minutes,
    }


def recordable(session: Session, now: Any = None) -> bool:
    if session.status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW):
        return False
    if session.status == SessionStatus.SCHEDULED:
        return session.starts_at <= (now or timezone.now())
    return True


@transaction.atomic
def session_record(*, member: Membership, session_id: int, data: dict[str, Any]) -> RecordResult:
    """Record the session in one save; see the module docstring."""
    require(member, "session.read", "session.update")
    session = session_at_version(member, session_id, data.get("version"), lock=True)
    version = session.version
    errors: list[FieldError] = [
        FieldError(key, _("Unknown field.")) for key in sorted(set(data) - set(RECORD_FIELDS))
    ]
    if not recordable(session):
        raise Conflict(
            _("Only a session that has started (in progress or completed) can be recorded."),
            code="not_recordable",
            session_status=session.status,
        )
    clinical_ok = can_read_clinical(member, session.client_id)
    clinical_keys = [key for key in ("notes", "therapy_fields") if key in data]
    if clinical_keys and not clinical_ok:
        raise Forbidden(
            _("Notes and therapy fields are clinical: you may not write them for this client."),
            code="clinical_forbidden",
        )
    if data.get("payment") is not None:
        require(member, "billing.manage")

    therapy_type: TherapyType | None = session.therapy_type
    if "therapy_type_id" in data:
        try:
            therapy_type = therapy_type_of(member.workspace, data["therapy_type_id"])
        except ValidationFailed as exc:
            errors += exc.fields
    type_changed = (therapy_type.pk if therapy_type else None) != session.therapy_type_id
    if type_changed and not clinical_ok:
        # Another type's fields replace this one's therapy fields: only a reader may drop them.
        raise Forbidden(
            _("Changing the therapy type needs read access to this session's clinical content."),
            code="clinical_forbidden",
        )

    actual = data.get("actual_duration_minutes", session.actual_duration_minutes or session.duration_minutes)
    try:
        actual = clean_duration(actual, "actual_duration_minutes")
    except ValidationFailed as exc:
        errors += exc.fields

    # The stored notes and therapy fields are sealed; only a reader's are opened (to compare, and as
    # the previous values): anyone else writes them back exactly as stored.
    stored_notes = sealing.open_notes(session) if clinical_ok else ""
    notes = stored_notes
    if "notes" in data:
        try:
            notes = clean_notes(data["notes"], "notes")
        except ValidationFailed as exc:
            errors += exc.fields

    stored_therapy = sealing.open_therapy(session) if clinical_ok else {}
    therapy_fields: dict[str, Any] = dict(stored_therapy)
    if "therapy_fields" in data or type_changed:
        values = data.get("therapy_fields") or {}
        if therapy_type is None:
            if values:
                errors.append(
                    FieldError("therapy_fields", _("Choose a therapy type before filling its fields."))
                )
            therapy_fields = {}
        else:
            try:
                cleaned = engine.validate_values(
                    workspace=member.workspace,
                    scope="therapy_type",
                    therapy_type_id=therapy_type.pk,
                    values=values,
                    path="therapy_fields",
                    require_all=True,
                    previous={} if type_changed else therapy_fields,
                )
                therapy_fields = {k: v for k, v in cleaned.items() if v is not None}
            except ValidationFailed as exc:
                errors += exc.fields

    payment_data = data.get("payment")
    if payment_data is not None:
        if not isinstance(payment_data, dict):
            errors.append(FieldError("payment", _("Must be an object with amount, status, method…")))
            payment_data = None
        else:
            # Validate now (defaults from the therapy type chosen in this same save) so every error
            # comes back at once; the write below validates again under the same lock.
            session.therapy_type = therapy_type
            existing = Payment.objects.for_workspace(member.workspace).filter(session=session).first()
            try:
                clean_payment(
                    payment_data,
                    session=session,
                    workspace=member.workspace,
                    existing=existing,
                    path="payment",
                )
            except ValidationFailed as exc:
                errors += exc.fields
    if errors:
        raise ValidationFailed(errors)

    before_status = session.status
    now = timezone.now()
    changes: dict[str, Any] = {}
    if type_changed:
        changes["therapy_type_id"] = [session.therapy_type_id, therapy_type.pk if therapy_type else None]
    if actual != session.actual_duration_minutes:
        changes["actual_duration_minutes"] = [session.actual_duration_minutes, actual]
    notes_changed = clinical_ok and notes != stored_notes
    therapy_changed = clinical_ok and therapy_fields != stored_therapy
    if notes_changed:
        changes["notes"] = "changed"  # never the clinical text itself
    if therapy_changed:
        changes["therapy_fields"] = sorted(set(therapy_fields) | set(stored_therapy))
    seal = crypto.sealer(member.workspace_id) if notes_changed or therapy_changed else None
    if before_status != SessionStatus.COMPLETED:
        changes["status"] = [before_status, SessionStatus.COMPLETED.value]
    # The row is locked, so the version cannot have moved; the check stays as the last defence.
    write_at_version(
        member,
        session,
        version,
        {
            "therapy_type": therapy_type,
            "actual_duration_minutes": actual,
            "notes": sealing.notes_stored(seal, session.pk, notes)
            if seal and notes_changed
            else session.notes,
            "therapy_fields": sealing.therapy_stored(seal, session.pk, therapy_fields)
            if seal and therapy_changed
            else session.therapy_fields,
            "status": SessionStatus.COMPLETED,
            "recorded_at": now,
        },
        now=now,
    )
    record_status_changes(member, [(session, before_status, SessionStatus.COMPLETED)])
    content_changed(workspace_id=member.workspace_id, session_ids=[session.pk])
    if therapy_type is not None:
        engine.attachments_claim(
            member=member,
            values=therapy_fields,
            scope="therapy_type",
            therapy_type_id=therapy_type.pk,
            session_id=session.pk,
        )
    session.refresh_from_db()
    payment = None
    if payment_data is not None:
        payment, _created = payment_save_locked(
            member=member, session=session, data=payment_data, path="payment"
        )
        changes["payment_id"] = payment.pk
    audit_record(
        workspace=member.workspace, actor=member, action="session.record", obj=session, changes=changes
    )
    if payment is None and member.has_perm("billing.read"):
        payment = Payment.objects.for_workspace(member.workspace).filter(session=session).first()
    return RecordResult(session=session, payment=payment)
