"""A session's clinical content at rest: its notes, phase values and therapy fields are stored
sealed (`atendo.clinical.crypto`); every session write seals through here, and the services open
through here what a reader is changing. Reads for display go through the serializer, whose one
redaction point (`clinical.redact`) opens what the reader may see.

Sealing binds each value to its session's id, so a new session is inserted without its clinical
content and sealed by `seal_new` in the same transaction: the plaintext never reaches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from atendo.clinical import crypto
from atendo.clinical.sealing import reseal_key, seal_fields
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.scheduling.models import Session


def definitions(workspace_id: int) -> list[FieldDefinition]:
    return engine.definitions_for(workspace=workspace_id, scope="session", include_archived=True)


def notes_stored(seal: crypto.Sealer, session_id: int, notes: str) -> str:
    return seal.text(crypto.SESSION_NOTES, session_id, notes)


def phase_stored(
    seal: crypto.Sealer,
    session_id: int,
    phase: str,
    values: Mapping[str, Any],
    session_definitions: Iterable[FieldDefinition],
) -> dict[str, Any]:
    """A phase's values as stored: clinical ones sealed, administrative ones plain."""
    return seal_fields(
        seal, crypto.SESSION_PHASES[phase], session_id, values, session_definitions, phase=phase
    )


def therapy_stored(seal: crypto.Sealer, session_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    """Therapy fields as stored: clinical whole, every value sealed."""
    return seal.values(crypto.SESSION_THERAPY_FIELDS, session_id, values)


def seal_new(
    workspace_id: int,
    sessions: Sequence[Session],
    *,
    notes: str = "",
    pre: Mapping[str, Any] | None = None,
    session_definitions: list[FieldDefinition] | None = None,
) -> None:
    """Seal the notes and pre-session values of sessions just inserted without them, and write them
    (one UPDATE). The instances get their stored forms."""
    if not notes and not pre:
        return
    seal = crypto.sealer(workspace_id)
    if pre and session_definitions is None:
        session_definitions = definitions(workspace_id)
    for session in sessions:
        session.notes = notes_stored(seal, session.pk, notes)
        session.pre_fields = phase_stored(seal, session.pk, "pre", pre or {}, session_definitions or [])
    Session.objects.bulk_update(sessions, ["notes", "pre_fields"])


def open_notes(session: Session) -> str:
    """The session's notes in plaintext. Only for a member who may read them (the caller checked)."""
    return crypto.open_text(session.workspace_id, crypto.SESSION_NOTES, session.pk, session.notes)


def open_phase(session: Session, phase: str) -> dict[str, Any]:
    """A phase's values in plaintext (a reader's; the caller checked)."""
    return crypto.open_values(
        session.workspace_id, crypto.SESSION_PHASES[phase], session.pk, session.phase_values(phase)
    )


def open_therapy(session: Session) -> dict[str, Any]:
    """The therapy fields in plaintext (a reader's; the caller checked)."""
    return crypto.open_values(
        session.workspace_id, crypto.SESSION_THERAPY_FIELDS, session.pk, session.therapy_fields
    )


def session_values_reseal(definition: FieldDefinition) -> int:
    """After a session field's clinical or filterable flag changed (`fields.registry`)."""
    if definition.phase not in crypto.SESSION_PHASES:
        return 0
    field = f"{definition.phase}_fields"
    rows = (
        Session.objects.for_workspace(definition.workspace_id)
        .filter(**{f"{field}__has_key": definition.key})
        .only("id", "workspace_id", field)
        .order_by("id")
    )
    return reseal_key(
        rows, field=field, column=crypto.SESSION_PHASES[definition.phase], definition=definition
    )


def store_plain(
    session: Session,
    *,
    notes: str | None = None,
    phases: Mapping[str, Mapping[str, Any]] | None = None,
    therapy_fields: Mapping[str, Any] | None = None,
) -> None:
    """Write plaintext clinical content onto an existing session, sealed as the services seal it
    (one UPDATE; the instance gets the stored forms). For imports and for tests that set up a
    stored state; a write by a member goes through the session services instead."""
    seal = crypto.sealer(session.workspace_id)
    columns: dict[str, Any] = {}
    if notes is not None:
        columns["notes"] = notes_stored(seal, session.pk, notes)
    if phases:
        session_definitions = definitions(session.workspace_id)
        for phase, values in phases.items():
            columns[f"{phase}_fields"] = phase_stored(seal, session.pk, phase, values, session_definitions)
    if therapy_fields is not None:
        columns["therapy_fields"] = therapy_stored(seal, session.pk, therapy_fields)
    if columns:
        Session.objects.filter(pk=session.pk).update(**columns)
        for name, value in columns.items():
            setattr(session, name, value)
