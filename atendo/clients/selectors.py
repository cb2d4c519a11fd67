"""Reads of clients, scoped to the member's workspace and to `client.read`.

Redaction of clinical client field values is `serializers.clients_to_json`'s job, through
`clinical.readable_client_ids` (one query per page).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext as _

from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.access import assigned_clients, readable_clients_q
from atendo.clinical.models import ClientPractitioner
from atendo.clinical.sealing import blind_index_filter, reseal_key
from atendo.core.errors import NotFound, ValidationFailed
from atendo.core.pagination import DEFAULT_PAGE, Keyset, keyset_page
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

BY_NAME = Keyset("name")


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
        if definition.clinical:  # sealed at rest: matched by its blind index (`clinical.sealing`)
            qs = qs.filter(blind_index_filter(member.workspace_id, crypto.CLIENT_FIELDS, key, value))
        else:
            qs = qs.alias(**{alias: KeyTransform(key, "fields")}).filter(**{alias: value})
        clinical = clinical or definition.clinical
    if clinical:
        qs = qs.filter(readable_clients_q(member, "pk"))
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
        qs = qs.filter(pk__in=assigned_clients(workspace_id=member.workspace_id, member_id=practitioner_id))
    if field_filters:
        qs = _field_filter(member, qs, field_filters)
    return keyset_page(qs, order=BY_NAME, cursor=cursor, limit=limit)


def client_values_exist(definition: FieldDefinition) -> bool:
    """Does any client store a value under this client field's key? (For `fields.registry`: a
    definition in use may not change its type.)"""
    return Client.objects.filter(
        workspace_id=definition.workspace_id, fields__has_key=definition.key
    ).exists()


def client_values_reseal(definition: FieldDefinition) -> int:
    """After a client field's clinical or filterable flag changed (`fields.registry`)."""
    rows = (
        Client.objects.for_workspace(definition.workspace_id)
        .filter(fields__has_key=definition.key)
        .only("id", "workspace_id", "fields")
        .order_by("id")
    )
    return reseal_key(rows, field="fields", column=crypto.CLIENT_FIELDS, definition=definition)
