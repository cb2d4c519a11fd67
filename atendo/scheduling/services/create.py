"""Create a session or a recurring series."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clinical.access import assign_if_allowed, readable_client_ids
from atendo.clinical.changes import content_changed
from atendo.core.errors import FieldError, Forbidden, ValidationFailed
from atendo.fields import engine
from atendo.scheduling import sealing
from atendo.scheduling import series as series_mod
from atendo.scheduling.checks import session_warnings
from atendo.scheduling.models import (
    PHASES,
    CancelledBy,
    Session,
    SessionSeries,
    SessionStatus,
)
from atendo.scheduling.services.common import (
    SessionResult,
    clean_duration,
    clean_name,
    clean_notes,
    clean_phase,
    clean_status,
    client_of,
    lock_booking,
    practitioner_of,
    record_status_changes,
    refuse_double_booking,
    resolve_start,
    therapy_type_of,
)
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership
from atendo.workspaces.video import clean_video_url

# --- create ------------------------------------------------------------------------------------


@transaction.atomic
def session_create(
    *,
    member: Membership,
    client_id: Any,
    name: Any = None,
    practitioner_id: Any = None,
    therapy_type_id: Any = None,
    starts_at: Any = None,
    date: Any = None,
    start_time: Any = None,
    duration_minutes: Any = None,
    status: Any = None,
    fields: Any = None,
    notes: Any = "",
    admin_notes: Any = "",
    video_url: Any = None,
    recurrence: Any = None,
) -> SessionResult:
    """Create a session (or, with `recurrence={"rrule": …}`, a whole series; the result is its first).

    Missing values take the workspace defaults (duration — or the therapy type's —, status, 09:00).
    Only pre-session field values may be given at creation. The start may be given as `starts_at`
    (ISO 8601 text or an aware/naive datetime) or `date` + `start_time` (text, or `date`/`time`
    objects as forms produce them). The practitioner is assigned to the client only when the
    booker may assign them (`clinical.access.may_assign`); booking never widens access by itself.
    Without a `video_url` (None) the session takes its practitioner's default video room; "" means
    no link.
    """
    require(member, "session.read", "session.create")
    workspace = member.workspace
    errors: list[FieldError] = []

    def collect(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            errors.extend(exc.fields)
            return None

    session_name = collect(clean_name, name)
    client = collect(client_of, workspace, client_id)
    # Without a practitioner the booker is one, if they offer sessions (an assistant must choose).
    if practitioner_id is None and member.offers_sessions:
        practitioner: Membership | None = member
    else:
        practitioner = collect(
            practitioner_of, workspace, member.pk if practitioner_id is None else practitioner_id
        )
    therapy_type = collect(therapy_type_of, workspace, therapy_type_id)
    start = collect(resolve_start, workspace, starts_at=starts_at, date=date, start_time=start_time)
    if duration_minutes is None:
        duration_minutes = (
            therapy_type.default_duration_minutes
            if therapy_type is not None and therapy_type.default_duration_minutes
            else workspace.default_duration_minutes
        )
    duration = collect(clean_duration, duration_minutes)
    first_status = collect(clean_status, workspace.default_status if status is None else status)
    session_notes = collect(clean_notes, notes, "notes")
    session_admin_notes = collect(clean_notes, admin_notes, "admin_notes")
    if video_url is None:
        session_video_url = practitioner.video_room_url if practitioner is not None else ""
    else:
        session_video_url = collect(clean_video_url, video_url, "video_url")
    if fields is not None and not isinstance(fields, dict):
        errors.append(FieldError("fields", _('Give the field values as {"pre": {…}}.')))
        fields = None
    for phase in ("during", "post"):
        if fields and fields.get(phase):
            errors.append(
                FieldError(
                    f"fields.{phase}",
                    _("%(phase)s-session values can only be saved on an existing session.")
                    % {"phase": phase.capitalize()},
                )
            )
    unknown = sorted(set(fields or {}) - set(PHASES))
    errors += [FieldError(f"fields.{k}", _("Unknown phase; use pre, during or post.")) for k in unknown]
    rule = None
    if recurrence is not None:
        if not isinstance(recurrence, dict) or "rrule" not in recurrence:
            errors.append(
                FieldError("recurrence.rrule", _('Give the recurrence as {"rrule": "FREQ=WEEKLY;COUNT=4"}.'))
            )
        else:
            rule = collect(series_mod.parse_rule, recurrence["rrule"], workspace.tz)
    if errors:
        raise ValidationFailed(errors)
    assert client is not None and practitioner is not None and start is not None and duration is not None

    if workspace.prevent_double_booking:
        lock_booking(workspace, practitioner.pk, client.pk)
    # The booker's own access never changes here (assign_if_allowed never widens it), so asking
    # before the assignment gives the same answer as after it.
    can_read = client.pk in readable_client_ids(member, [client.pk])
    if session_notes and not can_read:
        raise Forbidden(
            _("You may not write clinical content for this client (notes)."), code="clinical_forbidden"
        )
    # Required pre-session fields are enforced when pre-session values are given (a quick booking
    # from the calendar carries none; the phase is then completed with a phase save).
    pre: dict[str, Any] = {}
    if fields and fields.get("pre") is not None:
        pre = clean_phase(
            member=member,
            phase="pre",
            values=fields["pre"],
            can_read=can_read,
            previous={},
            definitions=None,
        )

    starts = [start]
    series = None
    if rule is not None:
        tz = workspace.tz
        first_local = start.astimezone(tz).replace(tzinfo=None)
        starts = [series_mod.wall_to_utc(local, tz) for local in series_mod.occurrences(rule, first_local)]
        series = SessionSeries.objects.create(
            workspace=workspace,
            rrule=rule.text,
            dtstart_local=first_local.replace(tzinfo=tz),
            timezone=workspace.timezone,
            created_by=member,
        )
    span = dt.timedelta(minutes=duration)
    # Created already cancelled or missed (history entered afterwards): the attendance columns a
    # status change would write, with no fee (fees follow marking a session, not entering one).
    now = timezone.now()
    if first_status == SessionStatus.NO_SHOW and max(starts) > now:
        raise ValidationFailed.single(
            "status", _("A session can be marked as a no-show only once its start time has passed.")
        )
    cancelled = (
        {"cancelled_by": CancelledBy.PRACTICE, "cancelled_at": now}
        if first_status == SessionStatus.CANCELLED
        else {}
    )
    if workspace.prevent_double_booking:
        for i, occurrence in enumerate(starts):
            refuse_double_booking(
                workspace,
                starts_at=occurrence,
                ends_at=occurrence + span,
                practitioner_id=practitioner.pk,
                client_id=client.pk,
                status=first_status,
                exclude_ids=[],
                path="starts_at" if i == 0 else f"recurrence.occurrences[{i}]",
            )
    created = Session.objects.bulk_create(
        [
            Session(
                workspace=workspace,
                name=session_name,
                client=client,
                practitioner=practitioner,
                therapy_type=therapy_type,
                starts_at=occurrence,
                ends_at=occurrence + span,
                duration_minutes=duration,
                status=first_status,
                # Clinical content is sealed right after the insert (it needs the ids): `seal_new`.
                pre_fields={},
                notes="",
                admin_notes=session_admin_notes,
                video_url=session_video_url,
                series=series,
                created_by=member,
                **cancelled,
            )
            for occurrence in starts
        ]
    )
    # SQLite (3.35+) and PostgreSQL both return the new ids from a bulk insert.
    assert all(s.pk is not None for s in created)
    sealing.seal_new(workspace.pk, created, notes=session_notes, pre=pre)
    record_status_changes(member, [(s, "", first_status) for s in created])
    assigned = assign_if_allowed(member=member, client_id=client.pk, practitioner=practitioner)
    first = created[0]
    # Files in the pre-session values join the (first) session, and so its client's barrier.
    engine.attachments_claim(member=member, values=pre, scope="session", phase="pre", session_id=first.pk)
    if session_notes or pre:
        content_changed(workspace_id=workspace.pk, session_ids=[s.pk for s in created])
    warnings = session_warnings(
        workspace=workspace,
        practitioner=practitioner,
        client_id=client.pk,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        status=first_status,
        exclude_ids=[first.pk],
        reader=member,
    )
    audit_record(
        workspace=workspace,
        actor=member,
        action="session.create",
        obj=first,
        changes={
            "client_id": client.pk,
            "practitioner_id": practitioner.pk,
            "starts_at": first.starts_at.isoformat(),
            "duration_minutes": duration,
            "status": first_status,
            **({"series_id": series.pk, "occurrences": len(created)} if series else {}),
            **({"notes": "set"} if session_notes else {}),
            **({"video_url": session_video_url} if session_video_url else {}),
            **({"assigned_practitioner_id": practitioner.pk} if assigned else {}),
        },
    )
    # The inserted session already holds every value the serializer reads (Python-side defaults, the
    # returned id) and its relations are the objects loaded above: no reload.
    first.client = client
    first.practitioner = practitioner
    first.therapy_type = therapy_type
    readable = {client.pk} if can_read else set()
    return SessionResult(first, warnings, len(created), readable_client_ids=readable)
