"""Writes on sessions: create (one or a recurring series), update, phase saves, status, delete.

Every service is keyword-only, atomic, checks permissions, validates everything it is given
(naming the field path) before writing anything, and records an audit event (never clinical text).

Concurrency:
- Optimistic: every write carries the `version` it was based on and is applied with a conditional
  UPDATE (`WHERE id = … AND version = …`); a stale version is a 409 `version_conflict` with the
  current session, and nothing is written.
- Double booking (workspace setting): the overlap check and the write are serialized per
  practitioner and per client — on PostgreSQL by locking their rows (`SELECT … FOR UPDATE`, always
  membership first, then client), on SQLite by its IMMEDIATE transactions (one writer at a time).

The clinical barrier on writes (the rules themselves live in `atendo.clinical.access`):
- booking or moving a session assigns its practitioner only as `may_assign` allows (the writer holds
  `client.assign`; never themselves, unless that opens nothing);
- changing the client, practitioner or therapy type, or deleting, needs read access to the clinical
  content of every session reached (`require_clinical_read`, asked of their clients, never of their
  content: the refusal is the same whether anything is hidden or not);
- a non-reader's notes are refused whatever their value, and their phase saves write administrative
  keys only and keep every other stored value untouched (`common.clean_phase`).

Where each shared rule lives (`common`): cleaning and the limits (`scheduling.models`), the version
check and conflict payload (`session_at_version`, `write_at_version`, `version_conflict`), the status
history (`record_status_changes`), series scopes (`scope_sessions`). Values may come as forms and
schemas produce them: ints, `date` / `time` objects, or ISO text.
"""

from __future__ import annotations

from atendo.scheduling.services.check import session_check
from atendo.scheduling.services.common import SessionResult, resolve_start
from atendo.scheduling.services.create import session_create
from atendo.scheduling.services.delete import session_delete, session_delete_preview
from atendo.scheduling.services.phases import session_save_phase, session_set_status
from atendo.scheduling.services.status import session_cancel, session_confirm
from atendo.scheduling.services.update import session_update

__all__ = [
    "SessionResult",
    "resolve_start",
    "session_cancel",
    "session_check",
    "session_confirm",
    "session_create",
    "session_delete",
    "session_delete_preview",
    "session_save_phase",
    "session_set_status",
    "session_update",
]
