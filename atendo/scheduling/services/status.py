"""Status doors beside the status API: cancelling (with who, why and whether it was late) and
confirming a session, for members and for doors where no member acts (a client's link).

The rules are `services.attendance`'s; a member's cancellation is `session_set_status` (and so
`session_update`), the one writer of a session's status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.core.errors import Conflict, NotFound, ValidationFailed
from atendo.scheduling.models import Session, SessionStatus
from atendo.scheduling.services.attendance import clean_cancellation, settle_fee, status_change
from atendo.scheduling.services.common import (
    SessionResult,
    clean_version,
    record_status_changes,
    session_at_version,
    write_at_version,
)
from atendo.scheduling.services.phases import session_set_status
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

# --- the doors where no member may act: a client's link --------------------------------------------


def _session_of(workspace: Workspace, session_id: Any, *, lock: bool) -> Session:
    qs = Session.objects.for_workspace(workspace).select_related(
        "client", "therapy_type", "practitioner__user"
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    session = qs.filter(pk=session_id).first() if isinstance(session_id, int) else None
    if session is None:
        raise NotFound(_("No such session."))
    return session


def _write_without_member(session: Session, values: dict[str, Any], now: dt.datetime) -> None:
    updated = Session.objects.filter(
        pk=session.pk, workspace_id=session.workspace_id, version=session.version
    ).update(**values, version=F("version") + 1, updated_at=now)
    if not updated:
        raise Conflict(_("This session was changed meanwhile; try again."), code="version_conflict")


@transaction.atomic
def session_cancel(
    *,
    workspace: Workspace,
    member: Membership | None,
    session_id: int,
    by: Any,
    reason: Any = "",
    actor_label: str = "",
    version: Any = None,
    charge_fee: Any = True,
) -> SessionResult:
    """Cancel a session, recording who cancelled, why, and whether it was late; charge the late fee.

    With a `member`: the status change of `session_set_status` (its permissions, its version check:
    `version` None means the current one). Without (`member=None`: a client's cancel link; name the
    door in `actor_label`): only a session not yet started, scheduled or in progress, may be
    cancelled (409 `not_cancellable`); cancelling one already cancelled changes nothing.
    """
    cancellation = clean_cancellation({"by": by, "reason": reason})
    if member is not None:
        if member.workspace_id != workspace.pk:
            raise NotFound(_("No such session."))
        if version is None:
            version = _session_of(workspace, session_id, lock=False).version
        return session_set_status(
            member=member,
            session_id=session_id,
            status=SessionStatus.CANCELLED,
            version=version,
            cancellation=cancellation,
            charge_fee=charge_fee,
        )
    session = _session_of(workspace, session_id, lock=True)
    if session.status == SessionStatus.CANCELLED:
        return SessionResult(session)
    now = timezone.now()
    if session.status not in (SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS) or session.starts_at <= now:
        raise Conflict(
            _("This session can no longer be cancelled here; please contact the practice."),
            code="not_cancellable",
        )
    change = status_change(
        workspace=workspace,
        session=session,
        to_status=SessionStatus.CANCELLED,
        cancellation=cancellation,
        now=now,
    )
    from_status = session.status
    _write_without_member(session, {"status": SessionStatus.CANCELLED, **change.columns}, now)
    record_status_changes(None, [(session, from_status, SessionStatus.CANCELLED)], actor_label=actor_label)
    fee = settle_fee(
        workspace=workspace, session=session, change=change, charge=True, actor=None, actor_label=actor_label
    )
    audit_record(
        workspace=workspace,
        actor=None,
        actor_label=actor_label,
        action="session.cancel",
        obj=session,
        changes={
            "status": [from_status, SessionStatus.CANCELLED.value],
            "cancelled_by": change.columns["cancelled_by"],
            "late": change.columns["cancellation_late"],
        },
    )
    return SessionResult(_session_of(workspace, session.pk, lock=False), fees=[fee] if fee else [])


@transaction.atomic
def session_confirm(
    *,
    workspace: Workspace,
    member: Membership | None,
    session_id: int,
    confirmed: Any = True,
    version: Any = None,
    actor_label: str = "",
) -> SessionResult:
    """Mark that the client will come (`confirmed=False` takes a member's mark back).

    Only a session still to come, scheduled, may be confirmed (409 `not_confirmable`); confirming
    one already confirmed changes nothing. A member needs `session.update` and sends the `version`
    they saw (None: the current one); without a member (the client's link) `actor_label` names it.
    """
    if not isinstance(confirmed, bool):
        raise ValidationFailed.single("confirmed", _("Must be true or false."))
    now = timezone.now()
    if member is not None:
        require(member, "session.read", "session.update")
        if member.workspace_id != workspace.pk:
            raise NotFound(_("No such session."))
        if version is None:
            session = _session_of(workspace, session_id, lock=False)
        else:
            session = session_at_version(member, session_id, clean_version(version))
    else:
        session = _session_of(workspace, session_id, lock=True)
    if confirmed == (session.confirmed_at is not None):
        return SessionResult(session)
    if confirmed and (session.status != SessionStatus.SCHEDULED or session.ends_at <= now):
        raise Conflict(
            _("Only a scheduled session that is still to come can be confirmed."), code="not_confirmable"
        )
    values: dict[str, Any] = (
        {"confirmed_at": now, "confirmed_by": member}
        if confirmed
        else {"confirmed_at": None, "confirmed_by": None}
    )
    if member is not None:
        write_at_version(member, session, session.version, values, now=now)
    else:
        _write_without_member(session, values, now)
    audit_record(
        workspace=workspace,
        actor=member,
        actor_label=actor_label,
        action="session.confirm" if confirmed else "session.unconfirm",
        obj=session,
    )
    return SessionResult(_session_of(workspace, session.pk, lock=False))
