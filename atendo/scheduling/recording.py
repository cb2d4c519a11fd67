"""Recording a session (seed 002): after the appointment, in ONE atomic save, the therapy type
(pre-filled), the actual duration (pre-filled from the planned one), notes, the therapy-specific
field values and the payment. The session becomes completed and gets `recorded_at`.

Rules:
- `session.update` to record; a completed, in-progress or already started session only (not a
  cancelled one, nor one that has not started yet): 409 `not_recordable`.
- The same optimistic concurrency as every session write: the caller sends the `version` it
  edited; a stale one is a 409 `version_conflict` with the current session; nothing is written.
- Notes and therapy fields are clinical: only a member who may read this client's clinical content
  may send them (403 otherwise). An assistant may record the duration and take the payment.
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
from atendo.clients.clinical import can_read_clinical
from atendo.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from atendo.fields import engine
from atendo.scheduling.models import MAX_DURATION_MINUTES, Session, SessionStatus, SessionStatusChange
from atendo.scheduling.serializers import session_to_json
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
MAX_NOTES = 50_000


@dataclass
class RecordResult:
    session: Session
    payment: Payment | None


def _current(member: Membership, session_id: int) -> dict[str, Any]:
    from atendo.scheduling.selectors import session_get_for

    return session_to_json(member, session_get_for(member, session_id))


def record_defaults(session: Session) -> dict[str, Any]:
    """What the record form starts with."""
    return {
        "therapy_type_id": session.therapy_type_id,
        "actual_duration_minutes": session.actual_duration_minutes or session.duration_minutes,
        "notes": session.notes,
        "therapy_fields": dict(session.therapy_fields or {}),
    }


def recordable(session: Session, now: Any = None) -> bool:
    if session.status == SessionStatus.CANCELLED:
        return False
    if session.status == SessionStatus.SCHEDULED:
        return session.starts_at <= (now or timezone.now())
    return True


def _clean_therapy_type(member: Membership, value: Any, errors: list[FieldError]) -> TherapyType | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(FieldError("therapy_type_id", _("Must be a therapy type id.")))
        return None
    tt = TherapyType.objects.for_workspace(member.workspace).filter(pk=value).first()
    if tt is None:
        errors.append(
            FieldError("therapy_type_id", _("There is no therapy type %(id)s here.") % {"id": value})
        )
    return tt


@transaction.atomic
def session_record(*, member: Membership, session_id: int, data: dict[str, Any]) -> RecordResult:
    """Record the session in one save; see the module docstring."""
    require(member, "session.read", "session.update")
    session = (
        Session.objects.for_workspace(member.workspace)
        .select_for_update(of=("self",))
        .select_related("therapy_type", "client")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise NotFound(_("No such session."))
    errors: list[FieldError] = [
        FieldError(key, _("Unknown field.")) for key in sorted(set(data) - set(RECORD_FIELDS))
    ]
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationFailed.single("version", _("Send the version of the session you edited."))
    if version != session.version:
        raise Conflict(
            _("This session was changed by someone else; reload it and try again."),
            code="version_conflict",
            current=_current(member, session.pk),
        )
    if not recordable(session):
        raise Conflict(
            _("Only a session that has started (in progress or completed) can be recorded."),
            code="not_recordable",
            session_status=session.status,
        )
    clinical_keys = [key for key in ("notes", "therapy_fields") if key in data]
    if clinical_keys and not can_read_clinical(member, session.client_id):
        raise Forbidden(
            _("Notes and therapy fields are clinical: you may not write them for this client."),
            code="clinical_forbidden",
        )
    if data.get("payment") is not None:
        require(member, "billing.manage")

    therapy_type = session.therapy_type
    if "therapy_type_id" in data:
        therapy_type = _clean_therapy_type(member, data["therapy_type_id"], errors)
        if therapy_type is None and data["therapy_type_id"] is not None:
            therapy_type = session.therapy_type
    type_changed = (therapy_type.pk if therapy_type else None) != session.therapy_type_id

    actual = data.get("actual_duration_minutes", session.actual_duration_minutes or session.duration_minutes)
    if isinstance(actual, bool) or not isinstance(actual, int) or not 1 <= actual <= MAX_DURATION_MINUTES:
        errors.append(
            FieldError(
                "actual_duration_minutes",
                _("Use whole minutes between 1 and %(max)s.") % {"max": MAX_DURATION_MINUTES},
            )
        )

    notes = session.notes
    if "notes" in data:
        raw = data["notes"]
        if raw is not None and not isinstance(raw, str):
            errors.append(FieldError("notes", _("Must be text.")))
        elif raw is not None and len(raw) > MAX_NOTES:
            errors.append(FieldError("notes", _("Use at most %(max)s characters.") % {"max": MAX_NOTES}))
        else:
            notes = (raw or "").strip()

    therapy_fields: dict[str, Any] = dict(session.therapy_fields or {})
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
    if notes != session.notes:
        changes["notes"] = "changed"  # never the clinical text itself
    if therapy_fields != (session.therapy_fields or {}):
        changes["therapy_fields"] = sorted(set(therapy_fields) | set(session.therapy_fields or {}))
    if before_status != SessionStatus.COMPLETED:
        changes["status"] = [before_status, SessionStatus.COMPLETED.value]
    updated = Session.objects.filter(pk=session.pk, workspace=member.workspace, version=version).update(
        therapy_type=therapy_type,
        actual_duration_minutes=actual,
        notes=notes,
        therapy_fields=therapy_fields,
        status=SessionStatus.COMPLETED,
        recorded_at=now,
        version=version + 1,
        updated_at=now,
    )
    if updated != 1:  # cannot happen under the row lock; kept as the last line of defence
        raise Conflict(
            _("This session was changed by someone else; reload it and try again."),
            code="version_conflict",
            current=_current(member, session.pk),
        )
    if before_status != SessionStatus.COMPLETED:
        SessionStatusChange.objects.create(
            workspace_id=session.workspace_id,
            session=session,
            from_status=before_status,
            to_status=SessionStatus.COMPLETED,
            changed_by=member,
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


# --- session attachments -------------------------------------------------------------------------
# Files and images attached to a session (engineer B's secure storage), each clinical (the default)
# or administrative. Clinical ones are readable only with clinical access to the session's client.


def session_attachments(member: Membership, session_id: int) -> tuple[list[Any], bool]:
    """(attachments the member may see, whether clinical ones were withheld). Two queries."""
    from atendo.files.models import Attachment
    from atendo.scheduling.selectors import session_get_for

    session = session_get_for(member, session_id)
    rows = list(
        Attachment.objects.for_workspace(member.workspace)
        .filter(session=session)
        .order_by("created_at", "pk")
    )
    if not any(a.clinical for a in rows) or can_read_clinical(member, session.client_id):
        return rows, False
    return [a for a in rows if not a.clinical], True


def session_attachment_add(
    *,
    member: Membership,
    session_id: int,
    uploaded_file: Any,
    declared_size: int = 0,
    kind: str = "file",
    clinical: bool = True,
) -> Any:
    """Attach an upload to the session. Too large (also judged from the declared request length,
    so a huge body is refused before it is read): 413; not a file/image kind: 422."""
    from django.conf import settings

    from atendo.files.services import TooLarge, attachment_create
    from atendo.scheduling.selectors import session_get_for

    require(member, "session.update")
    session = session_get_for(member, session_id)
    limit = int(settings.ATTACHMENT_MAX_BYTES)
    if declared_size > limit + 64 * 1024:
        raise TooLarge(limit)
    if kind not in ("file", "image"):
        raise ValidationFailed.single("kind", _("Use file or image."))
    if uploaded_file is None:
        raise ValidationFailed.single("file", _("Choose a file to upload."))
    return attachment_create(
        member=member, uploaded_file=uploaded_file, kind=kind, clinical=clinical, session=session
    )


def session_attachment_remove(*, member: Membership, session_id: int, attachment_id: int) -> None:
    from atendo.files.selectors import attachment_get_for
    from atendo.files.services import attachment_delete
    from atendo.scheduling.selectors import session_get_for

    require(member, "session.update")
    session = session_get_for(member, session_id)
    attachment = attachment_get_for(member, attachment_id)
    if attachment.session_id != session.pk:
        raise NotFound()
    attachment_delete(member=member, attachment_id=attachment.pk)
