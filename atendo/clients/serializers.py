"""THE client serializer (API and pages): Client JSON, redacted by `atendo.clinical.redact`.

`{"id", "name", "email", "phone", "birth_date", "practitioner_ids", "archived", "fields",
"withheld"}` — values of clinical client fields (and of keys without a definition) are absent for
a reader without clinical access to that client, and listed in `withheld` as `fields.<key>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from atendo.audit.reads import read_record
from atendo.clients.models import Client
from atendo.clinical.redact import administrative_keys, redact
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.workspaces.models import Membership


def client_definitions(workspace: Any) -> list[FieldDefinition]:
    """Every client field definition (archived too: their stored values are still redacted)."""
    return engine.definitions_for(workspace=workspace, scope="client", include_archived=True)


def open_keys(definitions: Iterable[FieldDefinition]) -> set[str]:
    """Keys of administrative (non-clinical) client fields: readable by every client reader."""
    return administrative_keys(definitions)


def clients_to_json(member: Membership, clients: Sequence[Client]) -> list[dict[str, Any]]:
    """Serialize a page of clients: two queries at most (clinical access; definitions, only when a
    withheld client has field values)."""
    return redact(member, [_one(c) for c in clients], "client")


def client_to_json(member: Membership, client: Client) -> dict[str, Any]:
    return clients_to_json(member, [client])[0]


def _practitioner_ids(client: Client) -> list[int]:
    return sorted(a.member_id for a in client.assignments.all())


def _one(client: Client) -> dict[str, Any]:
    return {
        "id": client.pk,
        "name": client.name,
        "email": client.email,
        "phone": client.phone,
        "birth_date": client.birth_date.isoformat() if client.birth_date else None,
        "practitioner_ids": _practitioner_ids(client),
        "archived": client.archived,
        "fields": dict(client.fields or {}),
    }


def record_clinical_read(
    member: Membership,
    client: Client,
    shown: dict[str, Any],
    definitions: list[FieldDefinition] | None = None,
) -> None:
    """Note, for the read audit, that `member` was shown this client's clinical field values (their
    keys, never the values): one `clinical.read` event per request (`audit.reads`)."""
    if definitions is None:
        definitions = client_definitions(member.workspace)
    administrative = open_keys(definitions)
    clinical = sorted(k for k in shown["fields"] if k not in administrative)
    if clinical:
        read_record(member, kind="client", ids=clinical, client_ids=[client.pk])
