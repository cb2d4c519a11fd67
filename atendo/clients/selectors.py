"""Reads of clients, scoped to the member's workspace and to `client.read`.

Redaction of clinical client field values is `serializers.clients_to_json`'s job, through
`clinical.readable_client_ids` (one query per page).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext as _

from atendo.clients.models import Client, ClientPractitioner
from atendo.core.errors import NotFound, ValidationFailed
from atendo.fields import engine
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

DEFAULT_PAGE = 50
MAX_PAGE = 200


def clients_for(member: Membership) -> QuerySet[Client]:
    """Every client of the member's workspace (with `client.read`), practitioners prefetched."""
    require(member, "client.read")
    return Client.objects.for_workspace(member.workspace).prefetch_related(
        Prefetch(
            "assignments",
            queryset=ClientPractitioner.objects.filter(workspace_id=member.workspace_id).only(
                "id", "client_id", "member_id"
            ),
        )
    )


def client_get_for(member: Membership, client_id: int) -> Client:
    client = clients_for(member).filter(pk=client_id).first()
    if client is None:
        raise NotFound(_("No such client."))
    return client


def encode_cursor(client: Client) -> str:
    raw = json.dumps([client.name, client.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(name, str) or not isinstance(pk, int) or "\x00" in name or not 0 < pk < 2**63:
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationFailed.single(
            "cursor", _("This cursor is not valid; start again without one.")
        ) from None
    return name, pk


def _field_filter(
    member: Membership, qs: QuerySet[Client], field_filters: dict[str, Any]
) -> QuerySet[Client]:
    """`{key: raw}` -> clients whose filterable client field equals the value (both databases).
    Clinical fields filter only among clients whose clinical content the member may read."""
    definitions = engine.filterable_definitions(workspace=member.workspace, scope="client")
    clinical = False
    for index, (key, raw) in enumerate(field_filters.items()):
        definition = definitions.get(key)
        path = f"field.{key}"
        if definition is None:
            raise ValidationFailed.single(
                path, _("'{key}' is not a filterable client field.").format(key=key)
            )
        value = engine.coerce_filter_value(definition, raw, path)
        alias = f"_field_{index}"
        qs = qs.alias(**{alias: KeyTransform(key, "fields")}).filter(**{alias: value})
        clinical = clinical or definition.clinical
    if clinical and not member.has_perm("clinical.read_all"):
        if member.has_perm("clinical.read_own"):
            own = ClientPractitioner.objects.filter(workspace_id=member.workspace_id, member=member)
            qs = qs.filter(pk__in=own.values("client_id"))
        else:
            qs = qs.none()
    return qs


def clients_page(
    member: Membership,
    *,
    q: str = "",
    archived: str = "false",
    practitioner_id: int | None = None,
    field_filters: dict[str, Any] | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> tuple[list[Client], str | None]:
    """A page of clients by name (then id), with search on name, e-mail and phone, and the cursor
    of the next page (None at the end). `archived`: "false" (default), "true" or "all"."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed.single(
            "limit", _("limit must be between 1 and {MAX_PAGE}.").format(MAX_PAGE=MAX_PAGE)
        )
    qs = clients_for(member)
    if archived == "false":
        qs = qs.filter(archived=False)
    elif archived == "true":
        qs = qs.filter(archived=True)
    elif archived != "all":
        raise ValidationFailed.single("archived", _("archived must be false, true or all."))
    q = (q or "").strip()
    if len(q) > 100 or "\x00" in q:
        raise ValidationFailed.single("q", _("Search for at most 100 characters."))
    if q:
        condition = Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 3:
            condition |= Q(phone_digits__contains=digits)
        qs = qs.filter(condition)
    if practitioner_id is not None:
        own = ClientPractitioner.objects.filter(workspace_id=member.workspace_id, member_id=practitioner_id)
        qs = qs.filter(pk__in=own.values("client_id"))
    if field_filters:
        qs = _field_filter(member, qs, field_filters)
    if cursor:
        name, pk = decode_cursor(cursor)
        qs = qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    rows = list(qs.order_by("name", "pk")[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor
