"""THE session serializer: the API, the pages, exports and feeds all go through `sessions_to_json`.

It applies the clinical barrier (`atendo.clients.clinical`): notes, therapy-specific fields and the
values of clinical custom fields are present only for readers allowed to see that client's
clinical content; otherwise they are absent and listed in `withheld` (`notes`, `therapy_fields`,
`fields.<phase>.<key>`). A value whose definition is unknown is treated as clinical.

One call serializes a whole page with a constant number of queries: one for the readable clients,
one for the session field definitions (only when some withheld session has field values). The
sessions must come with `client`, `practitioner__user` and `therapy_type` loaded (the selectors do).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from atendo.clients.clinical import readable_client_ids
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.scheduling.models import PHASES, Session
from atendo.scheduling.times import isoformat_local
from atendo.workspaces.models import Membership, Workspace


def session_definitions(workspace: Workspace) -> list[FieldDefinition]:
    """Every session field definition of the workspace, archived ones included."""
    return engine.definitions_for(workspace=workspace, scope="session", include_archived=True)


def non_clinical_keys(definitions: Iterable[FieldDefinition]) -> set[str]:
    """Keys any session reader may see (administrative definitions). Everything else is clinical."""
    return {d.key for d in definitions if not d.clinical}


def sessions_to_json(member: Membership, sessions: Sequence[Session]) -> list[dict[str, Any]]:
    """Serialize `sessions` for `member`, redacting what the clinical barrier withholds."""
    sessions = list(sessions)
    if not sessions:
        return []
    workspace = member.workspace
    tz = workspace.tz
    readable = readable_client_ids(member, {s.client_id for s in sessions})
    open_keys: set[str] | None = None
    if any(s.client_id not in readable and any(s.phase_values(p) for p in PHASES) for s in sessions):
        open_keys = non_clinical_keys(session_definitions(workspace))
    out = []
    for s in sessions:
        can_read = s.client_id in readable
        withheld: list[str] = []
        fields: dict[str, dict[str, Any]] = {}
        for phase in PHASES:
            values = s.phase_values(phase) or {}
            if can_read or not values:
                fields[phase] = dict(values)
                continue
            assert open_keys is not None
            fields[phase] = {k: v for k, v in values.items() if k in open_keys}
            withheld += [f"fields.{phase}.{k}" for k in values if k not in open_keys]
        item: dict[str, Any] = {
            "id": s.pk,
            "name": s.name,
            "client_id": s.client_id,
            "client_name": s.client.name,
            "practitioner_id": s.practitioner_id,
            "practitioner_name": s.practitioner.display_name,
            "therapy_type_id": s.therapy_type_id,
            "therapy_type_name": s.therapy_type.name if s.therapy_type else None,
            "therapy_type_color": s.therapy_type.color if s.therapy_type else None,
            "starts_at": isoformat_local(s.starts_at, tz),
            "ends_at": isoformat_local(s.ends_at, tz),
            "duration_minutes": s.duration_minutes,
            "status": s.status,
            "fields": fields,
            "admin_notes": s.admin_notes,
            "series_id": s.series_id,
            "recorded_at": isoformat_local(s.recorded_at, tz) if s.recorded_at else None,
            "actual_duration_minutes": s.actual_duration_minutes,
            "version": s.version,
            "created_at": isoformat_local(s.created_at, tz),
            "updated_at": isoformat_local(s.updated_at, tz),
        }
        if can_read:
            item["notes"] = s.notes
            item["therapy_fields"] = dict(s.therapy_fields or {})
        else:
            withheld = ["notes", "therapy_fields", *withheld]
        item["withheld"] = withheld
        out.append(item)
    return out


def session_to_json(member: Membership, session: Session) -> dict[str, Any]:
    return sessions_to_json(member, [session])[0]
