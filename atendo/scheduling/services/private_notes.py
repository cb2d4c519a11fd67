"""Private notes ("my eyes only", HIPAA's psychotherapy notes): one per author and session, read and
written by their author alone.

Not the owner, not an export, not insights, not search: the only reads of the table are here, and
they are filtered on the asking member (`author=member`), so no other door can reach someone else's
note. Writing or reading one needs what writing the session's notes needs (`session.read` and
clinical access to the client): a practitioner unassigned from a client loses their private notes
of that client with the rest of the record. A private note is not part of the signed record, so it
stays editable after signing. Every read and write is audited (the read through the read audit,
the write as `private_note.save` / `private_note.delete`), never its text. An empty text deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.reads import read_record
from atendo.audit.services import audit_record
from atendo.clinical import crypto
from atendo.clinical.access import can_read_clinical
from atendo.core.clean import clean_text
from atendo.core.errors import Conflict, Forbidden, ValidationFailed
from atendo.scheduling.models import MAX_NOTES_LENGTH, PRIVATE_NOTE_TEXT, Session, SessionPrivateNote
from atendo.scheduling.selectors import session_get_for
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership


@dataclass
class PrivateNote:
    """What the author reads: the text ("" when there is none), its version (0: none yet), when."""

    session_id: int
    text: str
    version: int
    updated_at: Any = None

    def as_json(self, tz: Any) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "text": self.text,
            "version": self.version,
            "updated_at": self.updated_at.astimezone(tz).isoformat(timespec="seconds")
            if self.updated_at
            else None,
        }


def _session(member: Membership, session_id: int) -> Session:
    require(member, "session.read")
    session = session_get_for(member, session_id)
    if not can_read_clinical(member, session.client_id):
        raise Forbidden(
            _("Private notes are clinical: you have no clinical access to this client."),
            code="clinical_forbidden",
        )
    return session


def _mine(member: Membership, session: Session, *, lock: bool = False) -> SessionPrivateNote | None:
    qs = SessionPrivateNote.objects.for_workspace(member.workspace).filter(session=session, author=member)
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def _open(note: SessionPrivateNote) -> str:
    return crypto.open_text(note.workspace_id, PRIVATE_NOTE_TEXT, note.pk, note.text)


def _as_read(member: Membership, session: Session, note: SessionPrivateNote | None) -> PrivateNote:
    if note is None:
        return PrivateNote(session.pk, "", 0)
    read_record(member, kind="private_note", ids=[session.pk], client_ids=[session.client_id])
    return PrivateNote(session.pk, _open(note), note.version, note.updated_at)


def private_note_get(*, member: Membership, session_id: int) -> PrivateNote:
    """The asking member's own private note on the session (an empty one if they wrote none)."""
    session = _session(member, session_id)
    return _as_read(member, session, _mine(member, session))


@transaction.atomic
def private_note_save(*, member: Membership, session_id: int, text: Any, version: Any = None) -> PrivateNote:
    """Write (or, with an empty text, delete) the member's own private note on the session.

    `version`: the one the author edited (0 or None for a new note); a stale one is a 409
    `version_conflict` carrying the note as it is now (it is theirs). Without it, the last write wins:
    an author racing themselves.
    """
    session = _session(member, session_id)
    text = clean_text(text, "text", max_length=MAX_NOTES_LENGTH, strip=False)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 0):
        raise ValidationFailed.single("version", _("Send the version of the private note you edited."))
    note = _mine(member, session, lock=True)
    current = note.version if note is not None else 0
    if version is not None and version != current:
        raise Conflict(
            _("You changed this private note elsewhere meanwhile; reload it and try again."),
            code="version_conflict",
            current=_as_read(member, session, note).as_json(member.workspace.tz),
        )
    audit: dict[str, Any] = {"workspace": member.workspace, "actor": member, "object_type": "session"}
    if not text.strip():
        if note is not None:
            note.delete()
            audit_record(
                **audit, action="private_note.delete", object_id=str(session.pk), object_label=session.name
            )
        return PrivateNote(session.pk, "", 0)
    if note is None:
        try:
            with transaction.atomic():
                note = SessionPrivateNote.objects.create(
                    workspace=member.workspace, session=session, author=member, text=""
                )
                # Sealed with the row's id (`clinical.crypto`): the row first, its text right after.
                note.text = crypto.sealer(member.workspace_id).text(PRIVATE_NOTE_TEXT, note.pk, text)
                note.save(update_fields=["text"])
        except IntegrityError:  # a concurrent first write of the same author: theirs won
            raise Conflict(
                _("You changed this private note elsewhere meanwhile; reload it and try again."),
                code="version_conflict",
            ) from None
    else:
        note.text = crypto.sealer(member.workspace_id).text(PRIVATE_NOTE_TEXT, note.pk, text)
        note.version += 1
        note.updated_at = timezone.now()
        note.save(update_fields=["text", "version", "updated_at"])
    audit_record(
        **audit,
        action="private_note.save",
        object_id=str(session.pk),
        object_label=session.name,
        changes={"version": note.version},
    )
    return PrivateNote(session.pk, text, note.version, note.updated_at)
