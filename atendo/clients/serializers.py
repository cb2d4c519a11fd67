"""THE client serializer (API and pages): Client JSON with clinical field values withheld.

`{"id", "name", "email", "phone", "birth_date", "practitioner_ids", "archived", "fields",
"withheld"}` — values of clinical client fields (and of keys without a definition, to be safe)
are absent for a reader without clinical access to that client, and listed in `withheld` as
`fields.<key>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from atendo.clients.clinical import readable_client_ids
from atendo.clients.models import Client
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.workspaces.models import Membership


def client_definitions(workspace: Any) -> list[FieldDefinition]:
    """Every client field definition (archived too: their stored values are still redacted)."""
    return engine.definitions_for(workspace=workspace, scope="client", include_archived=True)


def open_keys(definitions: Iterable[FieldDefinition]) -> set[str]:
    """Keys of administrative (non-clinical) client fields: readable by every client reader."""
    return {d.key for d in definitions if not d.clinical}


def clients_to_json(
    member: Membership,
    clients: Sequence[Client],
    *,
    definitions: list[FieldDefinition] | None = None,
) -> list[dict[str, Any]]:
    """Serialize a page of clients: two queries at most (definitions, clinical access)."""
    if not clients:
        return []
    if definitions is None:
        definitions = client_definitions(member.workspace)
    administrative = open_keys(definitions)
    readable = readable_client_ids(member, [c.pk for c in clients])
    return [_one(c, c.pk in readable, administrative) for c in clients]


def client_to_json(member: Membership, client: Client, **kwargs: Any) -> dict[str, Any]:
    return clients_to_json(member, [client], **kwargs)[0]


def _practitioner_ids(client: Client) -> list[int]:
    return sorted(a.member_id for a in client.assignments.all())


def _one(client: Client, can_read: bool, administrative: set[str]) -> dict[str, Any]:
    stored = client.fields or {}
    if can_read:
        fields, withheld = dict(stored), []
    else:
        fields = {k: v for k, v in stored.items() if k in administrative}
        withheld = [f"fields.{k}" for k in sorted(stored) if k not in administrative]
    return {
        "id": client.pk,
        "name": client.name,
        "email": client.email,
        "phone": client.phone,
        "birth_date": client.birth_date.isoformat() if client.birth_date else None,
        "practitioner_ids": _practitioner_ids(client),
        "archived": client.archived,
        "fields": fields,
        "withheld": withheld,
    }


def record_clinical_read(
    member: Membership,
    client: Client,
    shown: dict[str, Any],
    definitions: list[FieldDefinition] | None = None,
) -> None:
    """Audit that `member` was shown this client's clinical field values (keys only, never values)."""
    from atendo.audit.services import audit_record

    if definitions is None:
        definitions = client_definitions(member.workspace)
    administrative = open_keys(definitions)
    clinical = sorted(k for k in shown["fields"] if k not in administrative)
    if clinical:
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="client.read_clinical",
            obj=client,
            changes={"fields": clinical},
        )
