"""Edit a session (or occurrences of its series)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.access import assign_if_allowed, readable_client_ids, require_clinical_read
from atendo.clinical.changes import content_changed
from atendo.core.errors import FieldError, Forbidden, ValidationFailed
from atendo.core.times import UTC
from atendo.scheduling import sealing
from atendo.scheduling import series as series_mod
from atendo.scheduling.checks import session_warnings
from atendo.scheduling.hooks import ChargedFee
from atendo.scheduling.models import Session, SessionSeries
from atendo.scheduling.selectors import session_get_for
from atendo.scheduling.services import attendance
from atendo.scheduling.services.common import (
    SERIES_FIELDS,
    UPDATABLE,
    SessionResult,
    clean_duration,
    clean_name,
    clean_notes,
    clean_status,
    client_of,
    lock_booking,
    practitioner_of,
    record_status_changes,
    refuse_double_booking,
    refuse_signed,
    resolve_start,
    scope_sessions,
    session_at_version,
    therapy_type_of,
    write_at_version,
)
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership
from atendo.workspaces.video import clean_video_url

# What moves a session's clinical content to other readers (another client's record, another
# practitioner) or away from the definitions of its therapy fields.
MOVES = ("client_id", "practitioner_id", "therapy_type_id")


@transaction.atomic
def session_update(
    *,
    member: Membership,
    session_id: int,
    version: Any,
    changes: dict[str, Any],
    scope: str = "this",
    cancellation: Any = None,
    charge_fee: Any = True,
) -> SessionResult:
    """Edit a session's details (not its phase values: see `session_save_phase`).

    `changes` holds any of name, client_id, practitioner_id, therapy_type_id, starts_at (or date /
    start_time, as text or as `date`/`time` objects), duration_minutes, status, notes, admin_notes,
    video_url ("" removes the link; the practitioner's default room is not applied to an edit).
    With `scope` "following" or "all", the series-wide details (and a move, kept in local wall time)
    reach the other occurrences.

    The clinical barrier on writes: sending `notes`, or changing the client, practitioner or therapy
    type of the sessions reached, needs read access to their clinical content — 403 otherwise,
    asked of the sessions' clients and never of their content, so the answer is the same whether
    hidden content exists or not. A new practitioner or client is assigned only as
    `clinical.access.may_assign` allows.

    A status change passes the attendance rule (`services.attendance`): a cancellation records
    `cancellation` (who and why; the practice when not given) and whether it was late, a no-show
    needs its start to have passed, and either may charge a fee (`charge_fee=False` waives it, with
    `billing.manage`). Moving the session clears its confirmation.
    """
    require(member, "session.read", "session.update")
    workspace = member.workspace
    session = session_at_version(member, session_id, version)
    version = session.version
    if not isinstance(changes, dict):
        raise ValidationFailed.single("", _("Give the changes as an object."))
    unknown = sorted(set(changes) - UPDATABLE)
    if unknown:
        raise ValidationFailed([FieldError(k, _("This cannot be changed here.")) for k in unknown])
    others = scope_sessions(session, scope)
    if "notes" in changes and session.client_id not in readable_client_ids(member, [session.client_id]):
        raise Forbidden(
            _("You may not write clinical content for this client (notes)."), code="clinical_forbidden"
        )
    errors: list[FieldError] = []
    new: dict[str, Any] = {}

    def collect(key: str, fn: Any, *args: Any) -> None:
        try:
            new[key] = fn(*args)
        except ValidationFailed as exc:
            errors.extend(exc.fields)

    if "name" in changes:
        collect("name", clean_name, changes["name"])
    if "client_id" in changes:
        collect("client", client_of, workspace, changes["client_id"])
    if "practitioner_id" in changes:
        collect("practitioner", practitioner_of, workspace, changes["practitioner_id"])
    if "therapy_type_id" in changes:
        collect("therapy_type", therapy_type_of, workspace, changes["therapy_type_id"])
    if "duration_minutes" in changes:
        collect("duration_minutes", clean_duration, changes["duration_minutes"])
    if "status" in changes:
        collect("status", clean_status, changes["status"])
    if "notes" in changes:
        collect("notes", clean_notes, changes["notes"], "notes")
    if "admin_notes" in changes:
        collect("admin_notes", clean_notes, changes["admin_notes"], "admin_notes")
    if "video_url" in changes:
        collect("video_url", clean_video_url, changes["video_url"], "video_url")
    if {"starts_at", "date", "start_time"} & set(changes):
        collect(
            "starts_at",
            lambda: resolve_start(
                workspace,
                starts_at=changes.get("starts_at"),
                date=changes.get("date"),
                start_time=changes.get("start_time"),
                current_local=session.starts_at.astimezone(workspace.tz).replace(tzinfo=None),
            ),
        )
    try:
        given_cancellation = attendance.clean_cancellation(cancellation)
    except ValidationFailed as exc:
        errors.extend(exc.fields)
        given_cancellation = None
    if errors:
        raise ValidationFailed(errors)
    charge = attendance.check_waiver(member, charge_fee)

    client: Client = new.get("client", session.client)
    practitioner: Membership = new.get("practitioner", session.practitioner)
    starts_at: dt.datetime = new.get("starts_at", session.starts_at)
    duration: int = new.get("duration_minutes", session.duration_minutes)
    ends_at = starts_at + dt.timedelta(minutes=duration)
    status: str = new.get("status", session.status)
    values: dict[str, Any] = {
        "name": new.get("name", session.name),
        "client_id": client.pk,
        "practitioner_id": practitioner.pk,
        "therapy_type_id": new["therapy_type"].pk
        if new.get("therapy_type")
        else (None if "therapy_type" in new else session.therapy_type_id),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "duration_minutes": duration,
        "status": status,
        "notes": _notes_stored(session, new),
        "admin_notes": new.get("admin_notes", session.admin_notes),
        "video_url": new.get("video_url", session.video_url),
    }
    before = {k: getattr(session, k) for k in values}
    now = timezone.now()
    attendance_change = attendance.StatusChange()
    if "status" in new or given_cancellation is not None:
        attendance_change = attendance.status_change(
            workspace=workspace, session=session, to_status=status, cancellation=given_cancellation, now=now
        )
    if any(values[k] != before[k] for k in MOVES):
        require_clinical_read(
            member,
            {session.client_id, *(o.client_id for o in others)},
            _(
                "Changing the client, practitioner or therapy type of a session needs read access "
                "to its clinical content."
            ),
        )
    if workspace.prevent_double_booking:
        lock_booking(workspace, practitioner.pk, client.pk)
    assigned = False
    if values["client_id"] != before["client_id"] or values["practitioner_id"] != before["practitioner_id"]:
        assigned = assign_if_allowed(member=member, client_id=client.pk, practitioner=practitioner)
    refuse_double_booking(
        workspace,
        starts_at=starts_at,
        ends_at=ends_at,
        practitioner_id=practitioner.pk,
        client_id=client.pk,
        status=status,
        exclude_ids=[session.pk, *(o.pk for o in others)],
    )
    written = {**values, **attendance_change.columns}
    if session.confirmed_at is not None and starts_at != session.starts_at:
        written.update(confirmed_at=None, confirmed_by=None)  # the client confirmed another time
    write_at_version(member, session, version, written, now=now)
    record_status_changes(member, [(session, session.status, status)])
    fees = []
    fee = attendance.settle_fee(
        workspace=workspace, session=session, change=attendance_change, charge=charge, actor=member
    )
    if fee is not None:
        fees.append(fee)

    if others:
        _apply_to_others(
            member=member,
            session=session,
            others=others,
            scope=scope,
            values=values,
            changed={k for k in values if values[k] != before[k]},
            new_start=starts_at,
            now=now,
            cancellation=given_cancellation,
            charge=charge,
            fees=fees,
        )

    if {"notes", "client_id", "starts_at"} & {k for k in values if values[k] != before[k]}:
        # The search index keeps each session's client and day with its content.
        content_changed(workspace_id=workspace.pk, session_ids=[session.pk, *(o.pk for o in others)])
    changes_audit: dict[str, Any] = {
        k: [_audit_value(before[k]), _audit_value(values[k])]
        for k in values
        if values[k] != before[k] and k != "notes"
    }
    if values["notes"] != before["notes"]:
        changes_audit["notes"] = "changed"
    for key in ("cancelled_by", "cancellation_late"):
        if key in attendance_change.columns and attendance_change.columns[key] != getattr(session, key):
            changes_audit[key] = [getattr(session, key), attendance_change.columns[key]]
    if "cancellation_reason" in attendance_change.columns and (
        attendance_change.columns["cancellation_reason"] != session.cancellation_reason
    ):
        changes_audit["cancellation_reason"] = "changed"
    if fees:
        changes_audit["fees"] = [{"session_id": f.session_id, "payment_id": f.payment_id} for f in fees]
    if assigned:
        changes_audit["assigned_practitioner_id"] = practitioner.pk
    if others:
        changes_audit["scope"] = scope
        changes_audit["other_sessions"] = len(others)
    audit_record(
        workspace=workspace, actor=member, action="session.update", obj=session, changes=changes_audit
    )
    warnings = session_warnings(
        workspace=workspace,
        practitioner=practitioner,
        client_id=client.pk,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        exclude_ids=[session.pk],
        reader=member,
    )
    return SessionResult(session_get_for(member, session.pk), warnings, fees=fees)


def _notes_stored(session: Session, new: dict[str, Any]) -> str:
    """The notes column to write: sealed anew when a reader changed them (`new` holds notes only
    from a reader: checked above), else exactly as stored."""
    if "notes" not in new or new["notes"] == sealing.open_notes(session):
        return session.notes
    return sealing.notes_stored(crypto.sealer(session.workspace_id), session.pk, new["notes"])


def _audit_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _apply_to_others(
    *,
    member: Membership,
    session: Session,
    others: list[Session],
    scope: str,
    values: dict[str, Any],
    changed: set[str],
    new_start: dt.datetime,
    now: dt.datetime,
    cancellation: attendance.Cancellation | None,
    charge: bool,
    fees: list[ChargedFee],
) -> None:
    """Carry an edit to the other occurrences of the series (a move keeps local wall time); a status
    change passes the attendance rule for each occurrence (its lateness, its fee)."""
    workspace = member.workspace
    tz = workspace.tz
    old_local = session.starts_at.astimezone(tz).replace(tzinfo=None)
    new_local = new_start.astimezone(tz).replace(tzinfo=None)
    day_shift = new_local.date() - old_local.date()
    moved = "starts_at" in changed
    carried = {k: values[k] for k in SERIES_FIELDS if k in changed}
    if "status" in changed:
        carried["status"] = values["status"]
    duration = values["duration_minutes"]
    status_changes: list[tuple[Session, str, str]] = []
    settled: list[tuple[Session, attendance.StatusChange]] = []
    for other in others:
        update = dict(carried)
        if "status" in carried:
            change = attendance.status_change(
                workspace=workspace,
                session=other,
                to_status=carried["status"],
                cancellation=cancellation,
                now=now,
            )
            update.update(change.columns)
            settled.append((other, change))
        if moved and other.confirmed_at is not None:
            update.update(confirmed_at=None, confirmed_by=None)
        if moved or "duration_minutes" in changed:
            start = other.starts_at
            if moved:
                local = dt.datetime.combine(
                    other.starts_at.astimezone(tz).date() + day_shift, new_local.time()
                )
                start = series_mod.wall_to_utc(local, tz)
            update["starts_at"] = start
            update["ends_at"] = start + dt.timedelta(minutes=duration)
        if not update:
            continue
        refuse_signed(other, update)  # a series edit never reaches into a signed occurrence's record
        refuse_double_booking(
            workspace,
            starts_at=update.get("starts_at", other.starts_at),
            ends_at=update.get("ends_at", other.ends_at),
            practitioner_id=update.get("practitioner_id", other.practitioner_id),
            client_id=update.get("client_id", other.client_id),
            status=update.get("status", other.status),
            exclude_ids=[session.pk, *(o.pk for o in others)],
        )
        Session.objects.filter(pk=other.pk).update(**update, version=F("version") + 1, updated_at=now)
        if "status" in update:
            status_changes.append((other, other.status, update["status"]))
    record_status_changes(member, status_changes)
    for other, change in settled:
        fee = attendance.settle_fee(
            workspace=workspace, session=other, change=change, charge=charge, actor=member
        )
        if fee is not None:
            fees.append(fee)
    if scope == "following" and session.series_id is not None:
        _split_series(member, session, [o.pk for o in others], new_local)


def _split_series(
    member: Membership, session: Session, following_ids: list[int], new_local: dt.datetime
) -> None:
    """ "This and following": the edited occurrence and the later ones become a series of their own."""
    if session.series_id is None:
        return
    earlier = (
        Session.objects.for_workspace(member.workspace)
        .filter(series_id=session.series_id, starts_at__lt=session.starts_at)
        .exclude(pk__in=[session.pk, *following_ids])
        .exists()
    )
    if not earlier:
        return
    old = SessionSeries.objects.get(pk=session.series_id)
    new_series = SessionSeries.objects.create(
        workspace=member.workspace,
        rrule=old.rrule,
        dtstart_local=new_local.replace(tzinfo=member.workspace.tz),
        timezone=old.timezone,
        created_by=member,
    )
    Session.objects.filter(pk__in=[session.pk, *following_ids]).update(series=new_series)
