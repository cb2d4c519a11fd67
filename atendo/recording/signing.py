"""Sign and lock a session's clinical record; correct it with addenda; verify the signatures.

Who signs: the session's practitioner, who wrote the record and answers for it (CFP, the CRP
councils, HIPAA: the treating professional attests the note); they must read its clinical content
(`clinical.access`) and hold `session.update`. Nobody signs for someone else, owners included: an
owner who must close a record of a practitioner who left moves the session to a practitioner who
signs it, before it is signed. Only a completed session is signed (its record is written).

What the signature covers (`scheduling.models.SIGNED_COLUMNS`): the notes, the during and post
values, the therapy fields, the clinical attachments of the session (their ids, kinds, types and
sizes: the bytes themselves are sealed and authenticated by `clinical.crypto`, and a signed session's
clinical files can be neither added nor deleted), and the encounter: client, practitioner, therapy
type, start, duration, actual duration, status. From then on every door answers 409 `signed` to a
change of any of them (`scheduling.services.common.refuse_signed`, in the one writer of a session's
row); the session cannot be deleted. Name, admin notes, pre-session values, the payment and
administrative attachments stay editable, and private notes are not part of the record.

The signature stores who (`signed_by`), when (`signed_at`) and `signature_hash`: SHA-256 of the
canonical serialisation (`canonical`) of what was signed, who and when. `manage.py verify_signatures`
recomputes it for every signed session: any change made around the services shows.

Corrections are addenda (`addendum_add`): text, author and time, appended in order under the notes,
never edited nor deleted; clinical content like the notes (the same barrier, the same redaction).
Any member who may write the client's clinical content adds them (a supervisor's correction too):
each names its author.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clinical import crypto
from atendo.clinical.access import can_read_clinical
from atendo.core.clean import clean_text
from atendo.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from atendo.files.models import Attachment
from atendo.scheduling import sealing
from atendo.scheduling.models import ADDENDUM_TEXT, MAX_NOTES_LENGTH, Session, SessionAddendum, SessionStatus
from atendo.scheduling.selectors import session_get_for
from atendo.scheduling.services.common import session_at_version, write_at_version
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

SIGNATURE_VERSION = 1


# --- what is signed -------------------------------------------------------------------------------


def _normal(value: Any) -> Any:
    """JSON values in one form: a whole float is an int (5.0 and 5 are the same number, however a
    value was stored), keys are strings."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def _utc(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds") if value is not None else None


def record_of(session: Session) -> dict[str, Any]:
    """The clinical record a signature covers, as plain values: the stored clinical content opened
    (`scheduling.sealing`), so re-encrypting it (`rotate_keys`) changes no signature."""
    attachments = (
        Attachment.objects.for_workspace(session.workspace_id)
        .filter(session_id=session.pk, clinical=True)
        .order_by("pk")
        .values("id", "kind", "content_type", "size")
    )
    return {
        "client_id": session.client_id,
        "practitioner_id": session.practitioner_id,
        "therapy_type_id": session.therapy_type_id,
        "starts_at": _utc(session.starts_at),
        "duration_minutes": session.duration_minutes,
        "actual_duration_minutes": session.actual_duration_minutes,
        "status": session.status,
        "notes": sealing.open_notes(session),
        "fields": {
            "during": sealing.open_phase(session, "during"),
            "post": sealing.open_phase(session, "post"),
        },
        "therapy_fields": sealing.open_therapy(session),
        "attachments": list(attachments),
    }


def canonical(session: Session, *, signed_by: int, signed_at: dt.datetime) -> bytes:
    """What is hashed: the record, the session and workspace it belongs to, who signed and when, as
    JSON with sorted keys and no spaces, UTF-8."""
    content = {
        "v": SIGNATURE_VERSION,
        "workspace_id": session.workspace_id,
        "session_id": session.pk,
        "record": _normal(record_of(session)),
        "signed_by": signed_by,
        "signed_at": _utc(signed_at),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(session: Session, *, signed_by: int, signed_at: dt.datetime) -> str:
    return hashlib.sha256(canonical(session, signed_by=signed_by, signed_at=signed_at)).hexdigest()


# --- signing --------------------------------------------------------------------------------------


@transaction.atomic
def session_sign(*, member: Membership, session_id: int, version: Any) -> Session:
    """Sign the session's clinical record; see the module docstring. 409 `already_signed`,
    `not_signable` (not completed), `version_conflict`; 403 `sign_forbidden` (not its practitioner),
    `clinical_forbidden`."""
    require(member, "session.read", "session.update")
    session = session_at_version(member, session_id, version, lock=True)
    if not can_read_clinical(member, session.client_id):
        raise Forbidden(
            _("Signing a record needs read access to its clinical content."), code="clinical_forbidden"
        )
    if session.practitioner_id != member.pk:
        raise Forbidden(_("Only the session's practitioner signs its record."), code="sign_forbidden")
    if session.signed_at is not None:
        raise Conflict(_("This session's record is already signed."), code="already_signed")
    if session.status != SessionStatus.COMPLETED:
        raise Conflict(
            _("Only a completed session's record can be signed."),
            code="not_signable",
            session_status=session.status,
        )
    now = timezone.now()
    signature = digest(session, signed_by=member.pk, signed_at=now)
    write_at_version(
        member,
        session,
        session.version,
        {"signed_at": now, "signed_by": member, "signature_hash": signature},
        now=now,
    )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="session.sign",
        obj=session,
        changes={"signature_hash": signature},
    )
    return session_get_for(member, session.pk)


@transaction.atomic
def addendum_add(*, member: Membership, session_id: int, text: Any) -> SessionAddendum:
    """Append a correction to a signed session's record. 409 `not_signed` (edit the notes instead),
    403 `clinical_forbidden`, 422 at `text` (required, at most the notes' length)."""
    require(member, "session.read", "session.update")
    session = session_get_for(member, session_id)
    if not can_read_clinical(member, session.client_id):
        raise Forbidden(
            _("You may not write clinical content for this client (addenda)."), code="clinical_forbidden"
        )
    if session.signed_at is None:
        raise Conflict(
            _("This session's record is not signed: correct its notes directly."), code="not_signed"
        )
    text = clean_text(text, "text", max_length=MAX_NOTES_LENGTH, strip=False)
    if not text.strip():
        raise ValidationFailed.single("text", _("Write the addendum."))
    # Sealed with the row's id (`clinical.crypto`): the row first, its text sealed right after.
    addendum = SessionAddendum.objects.create(
        workspace=member.workspace, session=session, author=member, text=""
    )
    addendum.text = crypto.sealer(member.workspace_id).text(ADDENDUM_TEXT, addendum.pk, text)
    SessionAddendum.objects.filter(pk=addendum.pk).update(text=addendum.text)
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="session.addendum",
        obj=session,
        changes={"addendum_id": addendum.pk},
    )
    return addendum


# --- verifying ------------------------------------------------------------------------------------


@dataclass
class SignatureCheck:
    session_id: int
    workspace_id: int
    ok: bool


def signatures_verify(workspace_id: int | None = None) -> Iterator[SignatureCheck]:
    """Recompute the hash of every signed session (of one workspace, or all), in chunks."""
    qs = Session.objects.filter(signed_at__isnull=False)
    if workspace_id is not None:
        qs = qs.filter(workspace_id=workspace_id)
    for session in qs.order_by("workspace_id", "pk").iterator(chunk_size=500):
        ok = False
        if session.signed_at is not None and session.signed_by_id is not None:
            try:
                expected = digest(session, signed_by=session.signed_by_id, signed_at=session.signed_at)
            except DomainError:  # a sealed value that no longer opens where it is: changed too
                expected = ""
            ok = expected == session.signature_hash
        yield SignatureCheck(session.pk, session.workspace_id, ok)
