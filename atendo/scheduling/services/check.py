"""Warnings a session would get, without saving."""

from __future__ import annotations

import datetime as dt
from typing import Any

from atendo.core.errors import FieldError, ValidationFailed
from atendo.scheduling.checks import session_warnings
from atendo.scheduling.selectors import session_get_for
from atendo.scheduling.services.common import (
    clean_duration,
    clean_id,
    clean_status,
    client_of,
    practitioner_of,
    resolve_start,
    therapy_type_of,
)
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

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
    current = session_get_for(member, clean_id(session_id, "session_id")) if session_id is not None else None
    errors: list[FieldError] = []

    def collect(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            errors.extend(exc.fields)
            return None

    practitioner = (
        collect(practitioner_of, workspace, practitioner_id)
        if practitioner_id is not None
        else (current.practitioner if current else member)
    )
    if client_id is not None:
        client = collect(client_of, workspace, client_id)
        client_pk = client.pk if client is not None else None
    else:
        client_pk = current.client_id if current else None
    therapy_type = collect(therapy_type_of, workspace, therapy_type_id)
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
    duration = collect(clean_duration, duration_minutes)
    if status is None:
        status = current.status if current else workspace.default_status
    checked_status = collect(clean_status, status)
    if errors:
        raise ValidationFailed(errors)
    return session_warnings(
        workspace=workspace,
        practitioner=practitioner,
        client_id=client_pk,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=duration),
        status=checked_status,
        exclude_ids=[current.pk] if current else [],
        reader=member,
    )
