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
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import router, transaction
from django.db.models import F, ProtectedError
from django.db.models.deletion import Collector
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clients.clinical import assign_practitioner, readable_client_ids
from atendo.clients.models import Client
from atendo.core.api_schemas import MAX_ID
from atendo.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from atendo.fields import engine
from atendo.scheduling import series as series_mod
from atendo.scheduling.checks import overlap_warning, overlapping_ids, session_warnings
from atendo.scheduling.models import (
    MAX_DURATION_MINUTES,
    PHASES,
    Session,
    SessionSeries,
    SessionStatus,
    SessionStatusChange,
)
from atendo.scheduling.serializers import non_clinical_keys, session_definitions, session_to_json
from atendo.scheduling.times import (
    UTC,
    local_to_utc,
    parse_date,
    parse_datetime,
    parse_hhmm_time,
)
from atendo.therapies.models import TherapyType
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

SCOPES = ("this", "following", "all")
# Changes that an edit of "following"/"all" occurrences carries to the other sessions of a series.
SERIES_FIELDS = ("name", "client_id", "practitioner_id", "therapy_type_id", "duration_minutes", "admin_notes")
UPDATABLE = {
    "name",
    "client_id",
    "practitioner_id",
    "therapy_type_id",
    "starts_at",
    "date",
    "start_time",
    "duration_minutes",
    "status",
    "notes",
    "admin_notes",
}


@dataclass
class SessionResult:
    """A saved session and the warnings about it (`occurrences` > 1 when a series was created)."""

    session: Session
    warnings: list[dict[str, Any]] = field(default_factory=list)
    occurrences: int = 1
    # `clinical.readable_client_ids(member, [session.client_id])` when the service already asked it
    # (for the acting member, after any assignment), so the serializer need not ask again.
    readable_client_ids: set[int] | None = None


# --- validation helpers ----------------------------------------------------------------------


def _int_id(value: Any, path: str) -> int:
    if isinstance(value, str) and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ValidationFailed.single(path, _("Give an id (a whole number)."))
    return value


def _clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.single("name", _("A session name is required."))
    name = value.strip()
    if len(name) > 200:
        raise ValidationFailed.single("name", _("The name can have at most 200 characters."))
    return name


def _clean_duration(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.single("duration_minutes", _("The duration is a whole number of minutes."))
    if not 1 <= value <= MAX_DURATION_MINUTES:
        raise ValidationFailed.single(
            "duration_minutes",
            _("The duration is between 1 and %(max)d minutes (one day).") % {"max": MAX_DURATION_MINUTES},
        )
    return value


def _clean_status(value: Any) -> str:
    if value not in SessionStatus.values:
        raise ValidationFailed.single(
            "status",
            _("Unknown status '%(value)s'; use %(choices)s.")
            % {"value": value, "choices": ", ".join(SessionStatus.values)},
        )
    return str(value)


def _clean_text(value: Any, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed.single(path, _("Give text."))
    if len(value) > 100_000:
        raise ValidationFailed.single(path, _("This text is too long."))
    return value


def _client(workspace: Workspace, client_id: Any) -> Client:
    pk = _int_id(client_id, "client_id")
    client = Client.objects.for_workspace(workspace).filter(pk=pk).first()
    if client is None:
        raise ValidationFailed.single("client_id", _("There is no such client in this workspace."))
    return client


def _practitioner(workspace: Workspace, practitioner_id: Any) -> Membership:
    pk = _int_id(practitioner_id, "practitioner_id")
    member = (
        Membership.objects.for_workspace(workspace)
        .filter(pk=pk, is_active=True)
        .select_related("user", "role")
        .first()
    )
    if member is None:
        raise ValidationFailed.single(
            "practitioner_id", _("The practitioner must be a member of this workspace.")
        )
    return member


def _therapy_type(workspace: Workspace, therapy_type_id: Any) -> TherapyType | None:
    if therapy_type_id is None:
        return None
    pk = _int_id(therapy_type_id, "therapy_type_id")
    therapy_type = TherapyType.objects.for_workspace(workspace).filter(pk=pk).first()
    if therapy_type is None:
        raise ValidationFailed.single(
            "therapy_type_id", _("There is no such therapy type in this workspace.")
        )
    return therapy_type


def resolve_start(
    workspace: Workspace,
    *,
    starts_at: Any = None,
    date: Any = None,
    start_time: Any = None,
    current_local: dt.datetime | None = None,
) -> dt.datetime:
    """The start as aware UTC from `starts_at` (ISO 8601) or `date` + `start_time` (HH:mm, local).

    Creating (`current_local` None): a missing time is the workspace default (09:00). Updating:
    a lone `date` or `start_time` keeps the other part of the current local start.
    """
    tz = workspace.tz
    if starts_at is not None and (date is not None or start_time is not None):
        raise ValidationFailed.single(
            "starts_at", _("Give either starts_at or date and start_time, not both.")
        )
    if starts_at is not None:
        return parse_datetime(starts_at, tz, path="starts_at")
    if date is None and start_time is None:
        if current_local is None:
            raise ValidationFailed.single("starts_at", _("A date and start time are required."))
        return local_to_utc(current_local, tz, path="starts_at")
    errors: list[FieldError] = []
    day: dt.date | None = None
    time: dt.time | None = None
    try:
        if date is not None:
            day = parse_date(date, path="date")
        elif current_local is not None:
            day = current_local.date()
        else:
            raise ValidationFailed.single("date", _("A date is required."))
    except ValidationFailed as exc:
        errors += exc.fields
    try:
        if start_time is not None:
            time = parse_hhmm_time(start_time, path="start_time")
        elif current_local is not None:
            time = current_local.time()
        else:
            time = workspace.default_start_time
    except ValidationFailed as exc:
        errors += exc.fields
    if errors:
        raise ValidationFailed(errors)
    assert day is not None and time is not None
    path = "start_time" if start_time is not None else "date"
    return local_to_utc(dt.datetime.combine(day, time), tz, path=path)


def _clean_phase(
    *,
    member: Membership,
    phase: str,
    values: Any,
    can_read: bool,
    previous: dict[str, Any],
    definitions: list[Any] | None,
    require_all: bool = True,
) -> dict[str, Any]:
    """One phase's values validated by the field engine.

    A member who may not read this client's clinical content cannot write clinical values (403),
    and the clinical values already stored (which they never saw) are kept as they are.
    """
    path = f"fields.{phase}"
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationFailed.single(path, _("Field values must be an object keyed by field key."))
    if definitions is None:
        definitions = session_definitions(member.workspace)
    kept: dict[str, Any] = {}
    if not can_read:
        open_keys = non_clinical_keys(definitions)
        clinical = engine.clinical_keys(definitions)
        hidden = [k for k in values if k in clinical]
        if hidden:
            raise Forbidden(
                _("You may not write clinical content for this client (%(path)s).")
                % {"path": f"{path}.{hidden[0]}"}
            )
        kept = {k: v for k, v in previous.items() if k not in open_keys}
    cleaned = engine.validate_values(
        workspace=member.workspace,
        scope="session",
        phase=phase,
        path=path,
        values={**kept, **values},
        require_all=require_all,
        definitions=definitions,
        previous=previous,
    )
    return cleaned


def _conflict(member: Membership, session_id: int) -> Conflict:
    from atendo.scheduling.selectors import session_get_for

    current = session_get_for(member, session_id)
    return Conflict(
        _("This session was changed by someone else; reload it and try again."),
        code="version_conflict",
        current=session_to_json(member, current),
    )


def _lock_booking(workspace: Workspace, practitioner_id: int, client_id: int) -> None:
    """Serialize bookings of this practitioner and this client (PostgreSQL row locks; SQLite's
    IMMEDIATE transactions already admit one writer at a time)."""
    list(
        Membership.objects.select_for_update()
        .filter(workspace=workspace, pk=practitioner_id)
        .values_list("pk", flat=True)
    )
    list(
        Client.objects.select_for_update()
        .filter(workspace=workspace, pk=client_id)
        .values_list("pk", flat=True)
    )


def _refuse_double_booking(
    workspace: Workspace,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    practitioner_id: int,
    client_id: int,
    status: str,
    exclude_ids: list[int],
    path: str = "starts_at",
) -> None:
    if not workspace.prevent_double_booking or status == SessionStatus.CANCELLED:
        return
    conflicts = overlapping_ids(
        workspace=workspace,
        starts_at=starts_at,
        ends_at=ends_at,
        practitioner_id=practitioner_id,
        client_id=client_id,
        exclude_ids=exclude_ids,
    )
    if conflicts:
        error = Conflict(
            _("This time is already booked; double booking is turned off in this workspace."),
            code="overlap",
            conflicts=conflicts,
        )
        error.fields = [FieldError(path, overlap_warning(conflicts)["message"])]
        raise error


def _record_status(
    session: Session, member: Membership, from_status: str, to_status: str
) -> SessionStatusChange:
    return SessionStatusChange.objects.create(
        workspace_id=session.workspace_id,
        session=session,
        from_status=from_status,
        to_status=to_status,
        changed_by=member,
    )


def _reload(member: Membership, session_id: int) -> Session:
    from atendo.scheduling.selectors import session_get_for

    return session_get_for(member, session_id)


# --- check (warnings without saving) ---------------------------------------------------------


def session_check(
    *,
    member: Membership,
    session_id: Any = None,
    client_id: Any = None,
    practitioner_id: Any = None,
    therapy_type_id: Any = None,
    starts_at: Any = None,
    date: Any = None,
    start_time: Any = None,
    duration_minutes: Any = None,
    status: Any = None,
) -> list[dict[str, Any]]:
    """The warnings a new session — or `session_id` changed as given — would get. Saves nothing.

    Missing values come from the edited session, else from the defaults `session_create` uses.
    """
    require(member, "session.read")
    workspace = member.workspace
    current = _reload(member, _int_id(session_id, "session_id")) if session_id is not None else None
    errors: list[FieldError] = []

    def collect(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            errors.extend(exc.fields)
            return None

    practitioner = (
        collect(_practitioner, workspace, practitioner_id)
        if practitioner_id is not None
        else (current.practitioner if current else member)
    )
    if client_id is not None:
        client = collect(_client, workspace, client_id)
        client_pk = client.pk if client is not None else None
    else:
        client_pk = current.client_id if current else None
    therapy_type = collect(_therapy_type, workspace, therapy_type_id)
    start = collect(
        resolve_start,
        workspace,
        starts_at=starts_at,
        date=date,
        start_time=start_time,
        current_local=current.starts_at.astimezone(workspace.tz).replace(tzinfo=None) if current else None,
    )
    if duration_minutes is None:
        if current is not None:
            duration_minutes = current.duration_minutes
        elif therapy_type is not None and therapy_type.default_duration_minutes:
            duration_minutes = therapy_type.default_duration_minutes
        else:
            duration_minutes = workspace.default_duration_minutes
    duration = collect(_clean_duration, duration_minutes)
    if status is None:
        status = current.status if current else workspace.default_status
    clean_status = collect(_clean_status, status)
    if errors:
        raise ValidationFailed(errors)
    return session_warnings(
        workspace=workspace,
        practitioner=practitioner,
        client_id=client_pk,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=duration),
        status=clean_status,
        exclude_ids=[current.pk] if current else [],
    )


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
    recurrence: Any = None,
) -> SessionResult:
    """Create a session (or, with `recurrence={"rrule": …}`, a whole series; the result is its first).

    Missing values take the workspace defaults (duration — or the therapy type's —, status, 09:00).
    Only pre-session field values may be given at creation.
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

    clean_name = collect(_clean_name, name)
    client = collect(_client, workspace, client_id)
    practitioner = member if practitioner_id is None else collect(_practitioner, workspace, practitioner_id)
    therapy_type = collect(_therapy_type, workspace, therapy_type_id)
    start = collect(resolve_start, workspace, starts_at=starts_at, date=date, start_time=start_time)
    if duration_minutes is None:
        duration_minutes = (
            therapy_type.default_duration_minutes
            if therapy_type is not None and therapy_type.default_duration_minutes
            else workspace.default_duration_minutes
        )
    duration = collect(_clean_duration, duration_minutes)
    clean_status = collect(_clean_status, workspace.default_status if status is None else status)
    clean_notes = collect(_clean_text, notes, "notes")
    clean_admin = collect(_clean_text, admin_notes, "admin_notes")
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
        _lock_booking(workspace, practitioner.pk, client.pk)
    # Scheduling with a practitioner assigns them to the client (and opens its clinical content to them).
    assign_practitioner(client_id=client.pk, member=practitioner)
    can_read = client.pk in readable_client_ids(member, [client.pk])
    if clean_notes and not can_read:
        raise Forbidden(_("You may not write clinical content for this client (notes)."))
    # Required pre-session fields are enforced when pre-session values are given (a quick booking
    # from the calendar carries none; the phase is then completed with a phase save).
    pre: dict[str, Any] = {}
    if fields and fields.get("pre") is not None:
        pre = _clean_phase(
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
    if workspace.prevent_double_booking:
        for i, occurrence in enumerate(starts):
            _refuse_double_booking(
                workspace,
                starts_at=occurrence,
                ends_at=occurrence + span,
                practitioner_id=practitioner.pk,
                client_id=client.pk,
                status=clean_status,
                exclude_ids=[],
                path="starts_at" if i == 0 else f"recurrence.occurrences[{i}]",
            )
    created = Session.objects.bulk_create(
        [
            Session(
                workspace=workspace,
                name=clean_name,
                client=client,
                practitioner=practitioner,
                therapy_type=therapy_type,
                starts_at=occurrence,
                ends_at=occurrence + span,
                duration_minutes=duration,
                status=clean_status,
                pre_fields=pre,
                notes=clean_notes or "",
                admin_notes=clean_admin or "",
                series=series,
                created_by=member,
            )
            for occurrence in starts
        ]
    )
    # SQLite (3.35+) and PostgreSQL both return the new ids from a bulk insert.
    assert all(s.pk is not None for s in created)
    SessionStatusChange.objects.bulk_create(
        [
            SessionStatusChange(
                workspace=workspace, session=s, from_status="", to_status=clean_status, changed_by=member
            )
            for s in created
        ]
    )
    first = created[0]
    warnings = session_warnings(
        workspace=workspace,
        practitioner=practitioner,
        client_id=client.pk,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        status=clean_status,
        exclude_ids=[first.pk],
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
            "status": clean_status,
            **({"series_id": series.pk, "occurrences": len(created)} if series else {}),
            **({"notes": "set"} if clean_notes else {}),
        },
    )
    # The inserted session already holds every value the serializer reads (Python-side defaults, the
    # returned id) and its relations are the objects loaded above: no reload.
    first.client = client
    first.practitioner = practitioner
    first.therapy_type = therapy_type
    readable = {client.pk} if can_read else set()
    return SessionResult(first, warnings, len(created), readable_client_ids=readable)


# --- update ------------------------------------------------------------------------------------


def _scope_sessions(session: Session, scope: str) -> list[Session]:
    """The other sessions an edit of `scope` reaches (this one excluded), ordered by start."""
    if scope not in SCOPES:
        raise ValidationFailed.single("scope", _("The scope is this, following or all."))
    if scope == "this" or session.series_id is None:
        return []
    qs = (
        Session.objects.for_workspace(session.workspace_id)
        .filter(series_id=session.series_id)
        .exclude(pk=session.pk)
    )
    if scope == "following":
        qs = qs.filter(starts_at__gt=session.starts_at)
    return list(qs.select_related("practitioner", "client").order_by("starts_at", "id"))


def _check_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationFailed.single("version", _("Send the version of the session you edited."))
    return version


@transaction.atomic
def session_update(
    *,
    member: Membership,
    session_id: int,
    version: Any,
    changes: dict[str, Any],
    scope: str = "this",
) -> SessionResult:
    """Edit a session's details (not its phase values: see `session_save_phase`).

    `changes` holds any of name, client_id, practitioner_id, therapy_type_id, starts_at (or date /
    start_time), duration_minutes, status, notes, admin_notes. With `scope` "following" or "all",
    the series-wide details (and a move, kept in local wall time) reach the other occurrences.
    """
    require(member, "session.read", "session.update")
    version = _check_version(version)
    workspace = member.workspace
    session = _reload(member, session_id)
    if session.version != version:
        raise _conflict(member, session.pk)
    if not isinstance(changes, dict):
        raise ValidationFailed.single("", _("Give the changes as an object."))
    unknown = sorted(set(changes) - UPDATABLE)
    if unknown:
        raise ValidationFailed([FieldError(k, _("This cannot be changed here.")) for k in unknown])
    others = _scope_sessions(session, scope)
    errors: list[FieldError] = []
    new: dict[str, Any] = {}

    def collect(key: str, fn: Any, *args: Any) -> None:
        try:
            new[key] = fn(*args)
        except ValidationFailed as exc:
            errors.extend(exc.fields)

    if "name" in changes:
        collect("name", _clean_name, changes["name"])
    if "client_id" in changes:
        collect("client", _client, workspace, changes["client_id"])
    if "practitioner_id" in changes:
        collect("practitioner", _practitioner, workspace, changes["practitioner_id"])
    if "therapy_type_id" in changes:
        collect("therapy_type", _therapy_type, workspace, changes["therapy_type_id"])
    if "duration_minutes" in changes:
        collect("duration_minutes", _clean_duration, changes["duration_minutes"])
    if "status" in changes:
        collect("status", _clean_status, changes["status"])
    if "notes" in changes:
        collect("notes", _clean_text, changes["notes"], "notes")
    if "admin_notes" in changes:
        collect("admin_notes", _clean_text, changes["admin_notes"], "admin_notes")
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
    if errors:
        raise ValidationFailed(errors)

    client: Client = new.get("client", session.client)
    practitioner: Membership = new.get("practitioner", session.practitioner)
    if workspace.prevent_double_booking:
        _lock_booking(workspace, practitioner.pk, client.pk)
    if "practitioner" in new or "client" in new:
        assign_practitioner(client_id=client.pk, member=practitioner)
    notes_changed = "notes" in new and new["notes"] != session.notes
    if notes_changed and client.pk not in readable_client_ids(member, [client.pk]):
        raise Forbidden(_("You may not write clinical content for this client (notes)."))

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
        "notes": new.get("notes", session.notes),
        "admin_notes": new.get("admin_notes", session.admin_notes),
    }
    before = {k: getattr(session, k) for k in values}
    _refuse_double_booking(
        workspace,
        starts_at=starts_at,
        ends_at=ends_at,
        practitioner_id=practitioner.pk,
        client_id=client.pk,
        status=status,
        exclude_ids=[session.pk, *(o.pk for o in others)],
    )
    now = timezone.now()
    updated = Session.objects.filter(pk=session.pk, version=version).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if not updated:
        raise _conflict(member, session.pk)
    if status != session.status:
        _record_status(session, member, session.status, status)

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
        )

    changes_audit: dict[str, Any] = {
        k: [_audit_value(before[k]), _audit_value(values[k])]
        for k in values
        if values[k] != before[k] and k != "notes"
    }
    if values["notes"] != before["notes"]:
        changes_audit["notes"] = "changed"
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
    )
    return SessionResult(_reload(member, session.pk), warnings)


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
) -> None:
    """Carry an edit to the other occurrences of the series (a move keeps local wall time)."""
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
    status_changes = []
    for other in others:
        update = dict(carried)
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
        _refuse_double_booking(
            workspace,
            starts_at=update.get("starts_at", other.starts_at),
            ends_at=update.get("ends_at", other.ends_at),
            practitioner_id=update.get("practitioner_id", other.practitioner_id),
            client_id=update.get("client_id", other.client_id),
            status=update.get("status", other.status),
            exclude_ids=[session.pk, *(o.pk for o in others)],
        )
        Session.objects.filter(pk=other.pk).update(**update, version=F("version") + 1, updated_at=now)
        if "status" in update and update["status"] != other.status:
            status_changes.append(
                SessionStatusChange(
                    workspace=workspace,
                    session=other,
                    from_status=other.status,
                    to_status=update["status"],
                    changed_by=member,
                )
            )
    SessionStatusChange.objects.bulk_create(status_changes)
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


# --- phases and status --------------------------------------------------------------------------


@transaction.atomic
def session_save_phase(
    *, member: Membership, session_id: int, phase: str, values: Any, version: Any
) -> SessionResult:
    """Save one phase's custom field values, alone (the other phases are not touched).

    Required fields of that phase are enforced. Clinical values are written only by members who
    may read the client's clinical content; others keep them as stored.
    """
    require(member, "session.read", "session.update")
    if phase not in PHASES:
        raise NotFound(_("Unknown phase; use pre, during or post."))
    version = _check_version(version)
    session = _reload(member, session_id)
    if session.version != version:
        raise _conflict(member, session.pk)
    can_read = session.client_id in readable_client_ids(member, [session.client_id])
    previous = dict(session.phase_values(phase) or {})
    cleaned = _clean_phase(
        member=member,
        phase=phase,
        values=values,
        can_read=can_read,
        previous=previous,
        definitions=None,
    )
    updated = Session.objects.filter(pk=session.pk, version=version).update(
        **{f"{phase}_fields": cleaned}, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise _conflict(member, session.pk)
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="session.fields_save",
        obj=session,
        changes={"phase": phase, "keys": sorted(set(cleaned) | set(previous))},
    )
    return SessionResult(_reload(member, session.pk), [])


@transaction.atomic
def session_set_status(
    *, member: Membership, session_id: int, status: Any, version: Any, scope: str = "this"
) -> SessionResult:
    """Move a session (or, with a scope, occurrences of its series) to `status`.

    The usual path is scheduled → in_progress → completed, cancelled from anywhere; manual changes
    between any two states are allowed and every change is kept with who and when.
    """
    return session_update(
        member=member, session_id=session_id, version=version, changes={"status": status}, scope=scope
    )


# --- delete -----------------------------------------------------------------------------------


def _label(model: Any) -> str:
    with translation.override("en"):
        return str(model._meta.verbose_name_plural).replace(" ", "_")


def _collect(sessions: list[Session]) -> Collector:
    collector = Collector(using=router.db_for_write(Session))
    try:
        collector.collect(sessions)
    except ProtectedError as exc:
        raise Conflict(
            _("This session is on an invoice and cannot be deleted; void or edit the invoice first."),
            code="invoiced",
            protected=sorted({f"{_label(type(o))}:{o.pk}" for o in exc.protected_objects}),
        ) from None
    return collector


def _counts_of(collector: Collector) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for model, instances in collector.data.items():
        counts[_label(model)] += len(instances)
    for qs in collector.fast_deletes:
        n = qs.count()
        if n:
            counts[_label(qs.model)] += n
    return dict(sorted(counts.items()))


def _delete_targets(member: Membership, session_id: int, scope: str) -> list[Session]:
    session = _reload(member, session_id)
    return [session, *_scope_sessions(session, scope)]


def session_delete_preview(*, member: Membership, session_id: int, scope: str = "this") -> dict[str, int]:
    """What deleting would remove, by kind (`{"sessions": 1, "attachments": 2, "payments": 1, …}`)."""
    require(member, "session.read", "session.delete")
    with transaction.atomic():
        return _counts_of(_collect(_delete_targets(member, session_id, scope)))


@transaction.atomic
def session_delete(*, member: Membership, session_id: int, scope: str = "this") -> dict[str, int]:
    """Delete a session (or occurrences of its series) permanently. Returns what went with it.

    A session on an invoice is protected: 409 `invoiced`, nothing deleted.
    """
    require(member, "session.read", "session.delete")
    targets = _delete_targets(member, session_id, scope)
    collector = _collect(targets)
    _total, by_label = collector.delete()
    counts = {_label(apps.get_model(label)): n for label, n in by_label.items() if n}
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="session.delete",
        object_type="session",
        object_id=str(session_id),
        object_label=targets[0].name,
        changes={"deleted": counts, "scope": scope},
    )
    return dict(sorted(counts.items()))
