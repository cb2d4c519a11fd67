"""Shared by the session services, one home each: input cleaning and the limits, lookups scoped to
the workspace, the version check and its conflict payload, booking locks, the status history, the
series scopes, and the barrier on phase values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.redact import administrative_keys
from atendo.core.clean import clean_id, clean_text
from atendo.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from atendo.core.times import (
    local_to_utc,
    parse_date,
    parse_datetime,
    parse_hhmm_time,
)
from atendo.fields import engine
from atendo.scheduling.checks import overlap_warning, overlapping_ids
from atendo.scheduling.hooks import ChargedFee
from atendo.scheduling.models import (
    MAX_DURATION_MINUTES,
    MAX_NAME_LENGTH,
    MAX_NOTES_LENGTH,
    SIGNED_COLUMNS,
    Session,
    SessionStatus,
    SessionStatusChange,
)
from atendo.scheduling.selectors import session_get_for, sessions_for
from atendo.scheduling.serializers import session_definitions, session_to_json
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership, Workspace

SCOPES = ("this", "following", "all")
# Changes that an edit of "following"/"all" occurrences carries to the other sessions of a series.
SERIES_FIELDS = (
    "name",
    "client_id",
    "practitioner_id",
    "therapy_type_id",
    "duration_minutes",
    "admin_notes",
    "video_url",
)
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
    "video_url",
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
    # No-show / late-cancellation fees a status change charged (`services.attendance`).
    fees: list[ChargedFee] = field(default_factory=list)


# --- cleaning (the limits live in scheduling.models) --------------------------------------------


def clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.single("name", _("A session name is required."))
    name = value.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed.single(
            "name", _("The name can have at most %(max)d characters.") % {"max": MAX_NAME_LENGTH}
        )
    return name


def clean_duration(value: Any, path: str = "duration_minutes") -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.single(path, _("The duration is a whole number of minutes."))
    if not 1 <= value <= MAX_DURATION_MINUTES:
        raise ValidationFailed.single(
            path,
            _("The duration is between 1 and %(max)d minutes (one day).") % {"max": MAX_DURATION_MINUTES},
        )
    return value


def clean_status(value: Any) -> str:
    if value not in SessionStatus.values:
        raise ValidationFailed.single(
            "status",
            _("Unknown status '%(value)s'; use %(choices)s.")
            % {"value": value, "choices": ", ".join(SessionStatus.values)},
        )
    return str(value)


def clean_notes(value: Any, path: str) -> str:
    """Session notes or admin notes, from any door: text (null is empty) of at most MAX_NOTES_LENGTH,
    kept as typed (leading spaces and newlines are the writer's)."""
    return clean_text(value, path, max_length=MAX_NOTES_LENGTH, strip=False)


def client_of(workspace: Workspace, client_id: Any) -> Client:
    pk = clean_id(client_id, "client_id")
    client = Client.objects.for_workspace(workspace).filter(pk=pk).first()
    if client is None:
        raise ValidationFailed.single("client_id", _("There is no such client in this workspace."))
    return client


def practitioner_of(workspace: Workspace, practitioner_id: Any) -> Membership:
    pk = clean_id(practitioner_id, "practitioner_id")
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
    if not member.offers_sessions:
        raise ValidationFailed.single(
            "practitioner_id",
            _("%(name)s does not offer sessions: choose a practitioner.") % {"name": member.display_name},
        )
    return member


def therapy_type_of(workspace: Workspace, therapy_type_id: Any) -> TherapyType | None:
    if therapy_type_id is None:
        return None
    pk = clean_id(therapy_type_id, "therapy_type_id")
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


def clean_phase(
    *,
    member: Membership,
    phase: str,
    values: Any,
    can_read: bool,
    previous: dict[str, Any],
    definitions: list[Any] | None,
    require_all: bool = True,
) -> dict[str, Any]:
    """One phase's new stored values: `values` validated by the field engine, nothing unseen lost.

    A reader's values replace the phase; values the form cannot show (archived fields, keys without
    a definition) are kept. A member who may not read this client's clinical content writes
    administrative values only: any other key is refused (403, whatever its value, since an unknown
    key counts as clinical), required clinical fields are not theirs to fill, and the values stored
    under every other key stay exactly as they are. So nothing in the answer depends on them.
    """
    path = f"fields.{phase}"
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationFailed.single(path, _("Field values must be an object keyed by field key."))
    if definitions is None:
        definitions = session_definitions(member.workspace)
    if can_read:
        known = {d.key for d in definitions}
        cleaned = engine.validate_values(
            workspace=member.workspace,
            scope="session",
            phase=phase,
            path=path,
            values=values,
            require_all=require_all,
            definitions=definitions,
            previous=previous,
        )
        return {**{k: v for k, v in previous.items() if k not in known}, **cleaned}
    open_keys = administrative_keys(definitions, phase=phase)
    hidden = sorted(k for k in values if k not in open_keys)
    if hidden:
        raise Forbidden(
            _("You may not write clinical content for this client (%(path)s).")
            % {"path": f"{path}.{hidden[0]}"},
            code="clinical_forbidden",
        )
    cleaned = engine.validate_values(
        workspace=member.workspace,
        scope="session",
        phase=phase,
        path=path,
        values=values,
        require_all=require_all,
        definitions=[d for d in definitions if d.key in open_keys],
        previous={k: v for k, v in previous.items() if k in open_keys},
    )
    return {**{k: v for k, v in previous.items() if k not in open_keys}, **cleaned}


# --- versions: every write is based on the version the caller saw ---------------------------------


def clean_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationFailed.single("version", _("Send the version of the session you edited."))
    return version


def version_conflict(member: Membership, session_id: int) -> Conflict:
    """409 `version_conflict` carrying the session as it is now (redacted for `member`)."""
    current = session_get_for(member, session_id)
    return Conflict(
        _("This session was changed by someone else; reload it and try again."),
        code="version_conflict",
        current=session_to_json(member, current),
    )


def session_at_version(member: Membership, session_id: int, version: Any, *, lock: bool = False) -> Session:
    """The session the caller edited: `version` checked, 409 with the current state if stale.

    `lock` holds its row until the transaction ends (PostgreSQL; SQLite has one writer anyway).
    """
    version = clean_version(version)
    if lock:
        session = sessions_for(member).select_for_update(of=("self",)).filter(pk=session_id).first()
        if session is None:
            session_get_for(member, session_id)  # the same 404 as every other lookup
    else:
        session = session_get_for(member, session_id)
    assert session is not None
    if session.version != version:
        raise version_conflict(member, session.pk)
    return session


def write_at_version(
    member: Membership,
    session: Session,
    version: int,
    values: dict[str, Any],
    *,
    now: dt.datetime | None = None,
) -> None:
    """Apply `values` only if the session is still at `version` (and bump it); 409 otherwise.
    A change of a signed session's record is refused here, for every writer (`refuse_signed`)."""
    refuse_signed(session, values)
    updated = Session.objects.filter(
        pk=session.pk, workspace_id=session.workspace_id, version=version
    ).update(**values, version=F("version") + 1, updated_at=now or timezone.now())
    if not updated:
        raise version_conflict(member, session.pk)


# --- sign and lock: a signed record never changes ---------------------------------------------------

_RELATED = {"client": "client_id", "practitioner": "practitioner_id", "therapy_type": "therapy_type_id"}
# The signed columns stored sealed: compared by their plaintext (a value sealed anew differs as text).
_SEALED = {
    "notes": crypto.SESSION_NOTES,
    "during_fields": crypto.SESSION_PHASES["during"],
    "post_fields": crypto.SESSION_PHASES["post"],
    "therapy_fields": crypto.SESSION_THERAPY_FIELDS,
}


def _plain(session: Session, column: str, value: Any) -> Any:
    sealed = _SEALED.get(column)
    if sealed is None:
        return value
    if sealed.kind == "text":
        return crypto.open_text(session.workspace_id, sealed, session.pk, value) if value else ""
    return crypto.open_values(session.workspace_id, sealed, session.pk, value)


def signed_conflict(session_ids: Iterable[int], locked: Iterable[str]) -> Conflict:
    """409 `signed`: the sessions' signed records would change (`locked`: which columns)."""
    return Conflict(
        _(
            "This session's record is signed: its notes, fields and details can no longer change. "
            "Add an addendum to correct it."
        ),
        code="signed",
        session_ids=sorted(set(session_ids)),
        locked=sorted(set(locked)),
    )


def refuse_signed(session: Session, values: dict[str, Any]) -> None:
    """409 `signed` if `session` is signed and `values` (columns, or related objects by field name)
    would change what its signature covers (`models.SIGNED_COLUMNS`). Writing the same value again
    is no change. Every write of a session's row passes here (`write_at_version`, series edits)."""
    if session.signed_at is None:
        return
    locked = []
    for key, value in values.items():
        column = _RELATED.get(key, key)
        if column in _RELATED.values() and key != column:
            value = value.pk if value is not None else None
        if column not in SIGNED_COLUMNS:
            continue
        stored = getattr(session, column)
        if value != stored and _plain(session, column, value) != _plain(session, column, stored):
            locked.append(column)
    if locked:
        raise signed_conflict([session.pk], locked)


# --- status history ---------------------------------------------------------------------------------


def record_status_changes(
    member: Membership | None, changes: Iterable[tuple[Session, str, str]], *, actor_label: str = ""
) -> None:
    """Keep every status change (session, from, to) with who made it (a member, or `actor_label`
    when none acts, e.g. a client's cancellation link); unchanged ones are skipped.

    A new session's first status is a change from "".
    """
    SessionStatusChange.objects.bulk_create(
        [
            SessionStatusChange(
                workspace_id=session.workspace_id,
                session=session,
                from_status=from_status,
                to_status=to_status,
                changed_by=member,
                actor_label="" if member is not None else actor_label[:100],
            )
            for session, from_status, to_status in changes
            if from_status != to_status
        ]
    )


# --- series scopes ---------------------------------------------------------------------------------


def scope_sessions(session: Session, scope: str) -> list[Session]:
    """The other sessions an edit or delete of `scope` reaches (this one excluded), ordered by start."""
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
    return list(qs.select_related("practitioner", "client", "therapy_type").order_by("starts_at", "id"))


# --- double booking -----------------------------------------------------------------------------------


def lock_booking(workspace: Workspace, practitioner_id: int, client_id: int) -> None:
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


def refuse_double_booking(
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
