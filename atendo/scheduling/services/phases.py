"""Phase saves and status changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clinical import crypto
from atendo.clinical.access import readable_client_ids
from atendo.clinical.changes import content_changed
from atendo.core.errors import NotFound
from atendo.fields import engine
from atendo.scheduling import sealing
from atendo.scheduling.models import PHASES
from atendo.scheduling.selectors import session_get_for
from atendo.scheduling.services.common import SessionResult, clean_phase, session_at_version, write_at_version
from atendo.scheduling.services.update import session_update
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

# --- phases and status --------------------------------------------------------------------------


@transaction.atomic
def session_save_phase(
    *, member: Membership, session_id: int, phase: str, values: Any, version: Any
) -> SessionResult:
    """Save one phase's custom field values, alone (the other phases are not touched).

    Required fields of that phase are enforced. Clinical values are written only by members who
    may read the client's clinical content; others write the administrative ones and keep the rest
    exactly as stored (`common.clean_phase`).
    """
    require(member, "session.read", "session.update")
    if phase not in PHASES:
        raise NotFound(_("Unknown phase; use pre, during or post."))
    session = session_at_version(member, session_id, version)
    can_read = session.client_id in readable_client_ids(member, [session.client_id])
    # A reader edits the plaintext; anyone else keeps the sealed values exactly as stored.
    previous = sealing.open_phase(session, phase) if can_read else dict(session.phase_values(phase) or {})
    definitions = sealing.definitions(member.workspace_id)
    cleaned = clean_phase(
        member=member,
        phase=phase,
        values=values,
        can_read=can_read,
        previous=previous,
        definitions=definitions,
    )
    stored = sealing.phase_stored(crypto.sealer(member.workspace_id), session.pk, phase, cleaned, definitions)
    write_at_version(member, session, session.version, {f"{phase}_fields": stored})
    engine.attachments_claim(
        member=member,
        values={k: v for k, v in cleaned.items() if not crypto.is_sealed(v)},
        scope="session",
        phase=phase,
        session_id=session.pk,
    )
    content_changed(workspace_id=member.workspace_id, session_ids=[session.pk])
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="session.fields_save",
        obj=session,
        changes={"phase": phase, "keys": sorted(set(cleaned) | set(previous))},
    )
    return SessionResult(session_get_for(member, session.pk), [])


@transaction.atomic
def session_set_status(
    *,
    member: Membership,
    session_id: int,
    status: Any,
    version: Any,
    scope: str = "this",
    cancellation: Any = None,
    charge_fee: Any = True,
) -> SessionResult:
    """Move a session (or, with a scope, occurrences of its series) to `status`.

    The usual path is scheduled → in_progress → completed, cancelled or no-show from anywhere;
    manual changes between any two states are allowed and every change is kept with who and when.
    A cancellation says who cancelled and why (`{"by": "client" | "practice", "reason"}`; without
    it, the practice); a no-show or a late cancellation may charge a fee (`services.attendance`;
    `charge_fee=False` waives it, with `billing.manage`).
    """
    return session_update(
        member=member,
        session_id=session_id,
        version=version,
        changes={"status": status},
        scope=scope,
        cancellation=cancellation,
        charge_fee=charge_fee,
    )
