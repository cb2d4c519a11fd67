"""Writes on clients: create, update (custom fields through the field engine), archive, delete,
assign and unassign practitioners. Keyword-only, atomic, audited (never with clinical values).

Clinical client fields follow the barrier for writes too: a member who may not read a client's
clinical content writes its administrative values only (any other key is 403, whatever its value),
and the values stored under every other key (which they never saw) are kept exactly as they are.

Who is assigned is decided by `clinical.access` alone (`client.assign`; nobody widens their own
access). A therapist who creates a client and reads clinical content only of their own clients
becomes one of its practitioners (a new client has no content, so that opens nothing), so they can
read what they just wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atendo.audit.services import audit_record
from atendo.clients.models import Client
from atendo.clients.serializers import client_definitions, open_keys
from atendo.clinical import crypto
from atendo.clinical.access import (
    assigned_ids,
    can_read_clinical,
    practitioners_assign,
    practitioners_unassign,
)
from atendo.clinical.changes import content_changed
from atendo.clinical.sealing import seal_fields
from atendo.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from atendo.core.times import parse_optional_date
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

BASIC = ("name", "email", "phone", "birth_date")


def _clean_basic(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    errors: list[FieldError] = [
        FieldError(key, _("This text contains a NUL character, which is not allowed."))
        for key in BASIC
        if isinstance(data.get(key), str) and "\x00" in data[key]
    ]
    if errors:
        raise ValidationFailed(errors)
    cleaned: dict[str, Any] = {}
    if "name" in data or creating:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(FieldError("name", _("A name is required.")))
        elif len(name.strip()) > 200:
            errors.append(FieldError("name", _("The name can have at most 200 characters.")))
        else:
            cleaned["name"] = " ".join(name.split())
    if "email" in data:
        email = data.get("email") or ""
        if not isinstance(email, str):
            errors.append(FieldError("email", _("The e-mail address must be text.")))
        else:
            email = email.strip().lower()
            try:
                if email:
                    validate_email(email)
                cleaned["email"] = email
            except DjangoValidationError:
                errors.append(
                    FieldError(
                        "email", _("'{value}' is not a valid e-mail address.").format(value=email[:60])
                    )
                )
    if "phone" in data:
        phone = data.get("phone") or ""
        if not isinstance(phone, str) or len(phone.strip()) > 40:
            errors.append(FieldError("phone", _("The phone number is text of at most 40 characters.")))
        elif phone.strip() and not all(ch.isdigit() or ch in " +-().#" for ch in phone.strip()):
            errors.append(FieldError("phone", _("A phone number holds digits, spaces and + - ( ) only.")))
        else:
            cleaned["phone"] = phone.strip()
    if "birth_date" in data:
        try:
            day = parse_optional_date(data.get("birth_date"), path="birth_date")
        except ValidationFailed as exc:
            errors += exc.fields
        else:
            if day is not None and day > dt.date.today():
                errors.append(FieldError("birth_date", _("The birth date must be between 1900 and today.")))
            else:
                cleaned["birth_date"] = day
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _clean_practitioners(member: Membership, raw: Any) -> list[Membership]:
    if not isinstance(raw, list | tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in raw
    ):
        raise ValidationFailed.single("practitioner_ids", _("practitioner_ids must be a list of member ids."))
    if not raw:
        return []
    found = {
        m.pk: m
        for m in Membership.objects.for_workspace(member.workspace).filter(pk__in=set(raw), is_active=True)
    }
    errors = [
        FieldError(f"practitioner_ids[{i}]", _("{v} is not an active member of this workspace.").format(v=v))
        for i, v in enumerate(raw)
        if v not in found
    ]
    if errors:
        raise ValidationFailed(errors)
    return [found[i] for i in dict.fromkeys(raw)]


def _clean_fields(
    member: Membership,
    values: Any,
    *,
    stored: dict[str, Any],
    can_read: bool,
    definitions: list[FieldDefinition],
    complete: bool,
) -> dict[str, Any]:
    """The new stored `fields` of a client.

    `complete=True` (a form showing every field the member may write): the values replace those
    fields and required ones are enforced. `complete=False` (an API PATCH): only the keys given
    change; null removes an optional key.
    """
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ValidationFailed.single("fields", _("Field values must be an object keyed by field key."))
    administrative = open_keys(definitions)
    if can_read:
        writable = definitions
        seen = stored
        # Values no form shows (keys without a definition) are kept, as archived ones are.
        known = {d.key for d in definitions}
        kept = {k: v for k, v in stored.items() if k not in known}
    else:
        # Any key but an administrative one counts as clinical (unknown ones too), refused whatever
        # its value; the values stored under those keys are neither validated nor changed.
        hidden = sorted(k for k in values if k not in administrative)
        if hidden:
            raise Forbidden(
                _("You may not write clinical content for this client (fields.{first}).").format(
                    first=hidden[0]
                ),
                code="clinical_forbidden",
            )
        writable = [d for d in definitions if d.key in administrative]
        seen = {k: v for k, v in stored.items() if k in administrative}
        kept = {k: v for k, v in stored.items() if k not in administrative}
    cleaned = engine.validate_values(
        workspace=member.workspace,
        scope="client",
        path="fields",
        values=values,
        require_all=complete,
        definitions=writable,
        previous=seen,
    )
    if complete:
        result = {**kept, **cleaned}
        archived = {d.key for d in definitions if d.archived}
        result.update({k: v for k, v in stored.items() if k in archived and k not in result})
    else:
        result = {**stored, **cleaned}
    return {k: v for k, v in result.items() if v is not None}


def _clean_new(
    member: Membership, data: Mapping[str, Any], definitions: list[FieldDefinition] | None = None
) -> tuple[dict[str, Any], list[Membership], dict[str, Any], list[FieldDefinition]]:
    """A new client's input, cleaned: (basic details, practitioners, field values, definitions).

    Every bad value is named at once (basic details, practitioners and custom fields together), so
    an import's dry run reports each bad cell of a row. A clinical field written by a member who
    may not write it is 403, unless the input is already invalid (422 first, as before)."""
    errors: list[FieldError] = []
    basic: dict[str, Any] = {}
    practitioners: list[Membership] = []
    try:
        basic = _clean_basic(data, creating=True)
    except ValidationFailed as exc:
        errors += exc.fields
    try:
        practitioners = _clean_practitioners(member, data.get("practitioner_ids") or [])
    except ValidationFailed as exc:
        errors += exc.fields
    self_assign = (
        not member.has_perm("clinical.read_all")
        and member.has_perm("clinical.read_own")
        and member.pk not in {p.pk for p in practitioners}
    )
    if self_assign:
        practitioners.append(member)
    # With clinical.read_own the creator is now one of the practitioners.
    can_read = member.has_perm("clinical.read_all") or member.has_perm("clinical.read_own")
    if definitions is None:
        definitions = client_definitions(member.workspace)
    fields: dict[str, Any] = {}
    try:
        fields = _clean_fields(
            member, data.get("fields"), stored={}, can_read=can_read, definitions=definitions, complete=True
        )
    except ValidationFailed as exc:
        errors += exc.fields
    except Forbidden:
        if not errors:
            raise
    if errors:
        raise ValidationFailed(errors)
    return basic, practitioners, fields, definitions


def client_check(
    *, member: Membership, data: Mapping[str, Any], definitions: list[FieldDefinition] | None = None
) -> None:
    """Whether `client_create` would accept `data` (the same rules; writes nothing): raises its
    errors, every bad value named. `definitions` (the workspace's client definitions) saves a
    query per call when many are checked."""
    require(member, "client.create")
    _clean_new(member, data, definitions)


@transaction.atomic
def client_create(
    *, member: Membership, data: Mapping[str, Any], definitions: list[FieldDefinition] | None = None
) -> Client:
    require(member, "client.create")
    basic, practitioners, fields, definitions = _clean_new(member, data, definitions)
    # Clinical values are sealed with the client's id, right after the insert (`_store_fields`).
    client = Client.objects.create(workspace=member.workspace, fields={}, **basic)
    if fields:
        client.fields = _store_fields(client, fields, definitions)
        Client.objects.filter(pk=client.pk).update(fields=client.fields)
    practitioners_assign(member=member, client_id=client.pk, practitioners=practitioners, new_client=True)
    engine.attachments_claim(
        member=member, values=fields, scope="client", definitions=definitions, client_id=client.pk
    )
    if fields:
        content_changed(workspace_id=member.workspace_id, client_ids=[client.pk])
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="client.create",
        obj=client,
        changes={"fields": sorted(fields), "practitioner_ids": [p.pk for p in practitioners]},
    )
    return client


def _store_fields(
    client: Client, values: dict[str, Any], definitions: list[FieldDefinition]
) -> dict[str, Any]:
    """The client's field values as stored: clinical ones sealed (`clinical.sealing`)."""
    return seal_fields(
        crypto.sealer(client.workspace_id), crypto.CLIENT_FIELDS, client.pk, values, definitions
    )


def _locked(member: Membership, client_id: int) -> Client:
    client = Client.objects.for_workspace(member.workspace).select_for_update().filter(pk=client_id).first()
    if client is None:
        raise NotFound(_("No such client."))
    return client


@transaction.atomic
def client_update(
    *, member: Membership, client_id: int, data: Mapping[str, Any], fields_complete: bool = False
) -> Client:
    """Change basic details, practitioners (`practitioner_ids` replaces the set) and field values.

    A different set of practitioners needs `client.assign` (`clinical.access`); sending the current
    set, as a form does, changes nothing and needs nothing more."""
    require(member, "client.read")
    client = _locked(member, client_id)
    require(member, "client.update")
    unknown = set(data) - {*BASIC, "fields", "practitioner_ids"}
    if unknown:
        raise ValidationFailed(
            [FieldError(k, _("'{k}' cannot be changed here.").format(k=k)) for k in sorted(unknown)]
        )
    basic = _clean_basic(data, creating=False)
    changes: dict[str, Any] = {}
    for key, value in basic.items():
        if getattr(client, key) != value:
            changes[key] = "changed"
            setattr(client, key, value)
    definitions = client_definitions(member.workspace)
    if "fields" in data:
        can_read = can_read_clinical(member, client.pk)
        # A reader edits the plaintext; anyone else keeps the sealed values exactly as stored.
        stored = (
            crypto.open_values(client.workspace_id, crypto.CLIENT_FIELDS, client.pk, client.fields)
            if can_read
            else dict(client.fields or {})
        )
        new_fields = _clean_fields(
            member,
            data["fields"],
            stored=stored,
            can_read=can_read,
            definitions=definitions,
            complete=fields_complete,
        )
        changed_keys = sorted(k for k in set(stored) | set(new_fields) if stored.get(k) != new_fields.get(k))
        if changed_keys:
            changes["fields"] = changed_keys
            client.fields = _store_fields(client, new_fields, definitions)
            new_fields = {k: v for k, v in new_fields.items() if not crypto.is_sealed(v)}
            engine.attachments_claim(
                member=member, values=new_fields, scope="client", definitions=definitions, client_id=client.pk
            )
    if "practitioner_ids" in data:
        wanted = _clean_practitioners(member, data["practitioner_ids"])
        current = assigned_ids(workspace_id=client.workspace_id, client_id=client.pk)
        wanted_ids = {m.pk for m in wanted}
        if wanted_ids != current:
            require(member, "client.assign")
            practitioners_assign(member=member, client_id=client.pk, practitioners=wanted)
            practitioners_unassign(member=member, client_id=client.pk, practitioner_ids=current - wanted_ids)
            changes["practitioner_ids"] = [sorted(current), sorted(wanted_ids)]
    client.save()
    if "fields" in changes:
        content_changed(workspace_id=member.workspace_id, client_ids=[client.pk])
    if changes:
        audit_record(
            workspace=member.workspace, actor=member, action="client.update", obj=client, changes=changes
        )
    return client


def _set_archived(member: Membership, client_id: int, archived: bool) -> Client:
    require(member, "client.read")
    client = _locked(member, client_id)
    require(member, "client.update")
    if client.archived != archived:
        client.archived = archived
        client.save(update_fields=["archived", "updated_at"])
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="client.archive" if archived else "client.unarchive",
            obj=client,
        )
    return client


@transaction.atomic
def client_archive(*, member: Membership, client_id: int) -> Client:
    """Hide the client from lists and pickers; everything about them is kept."""
    return _set_archived(member, client_id, True)


@transaction.atomic
def client_unarchive(*, member: Membership, client_id: int) -> Client:
    return _set_archived(member, client_id, False)


@transaction.atomic
def client_delete(*, member: Membership, client_id: int) -> None:
    """Delete a client with no sessions (409 otherwise: archive them instead). Their attachments go
    with them; `files.signals` removes the files from disk after commit."""
    require(member, "client.read")
    client = _locked(member, client_id)
    require(member, "client.delete")
    count = client.sessions.count()
    if count:
        raise Conflict(
            ngettext(
                "{name} has {count} session; a client with sessions cannot be deleted. Archive the "
                "client instead, or delete the sessions first.",
                "{name} has {count} sessions; a client with sessions cannot be deleted. Archive the "
                "client instead, or delete the sessions first.",
                count,
            ).format(name=client.name, count=count),
            code="has_sessions",
            sessions=count,
        )
    audit_record(workspace=member.workspace, actor=member, action="client.delete", obj=client)
    try:
        with transaction.atomic():
            client.delete()
    except ProtectedError:
        raise Conflict(
            _(
                "{name} still has records (payments, invoices or evaluations) that keep them; "
                "archive the client instead."
            ).format(name=client.name),
            code="has_records",
        ) from None


@transaction.atomic
def client_assign(*, member: Membership, client_id: int, practitioner_id: int) -> Client:
    """Assign a practitioner (`client.assign`; never oneself, unless that opens nothing)."""
    require(member, "client.read")
    client = _locked(member, client_id)
    require(member, "client.assign")
    (practitioner,) = _clean_practitioners(member, [practitioner_id])
    if practitioners_assign(member=member, client_id=client.pk, practitioners=[practitioner]):
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="client.assign",
            obj=client,
            changes={"practitioner_id": practitioner.pk},
        )
    return client


@transaction.atomic
def client_unassign(*, member: Membership, client_id: int, practitioner_id: int) -> Client:
    require(member, "client.read")
    client = _locked(member, client_id)
    if not practitioners_unassign(member=member, client_id=client.pk, practitioner_ids=[practitioner_id]):
        raise NotFound(
            _("Member {practitioner_id} is not assigned to this client.").format(
                practitioner_id=practitioner_id
            )
        )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="client.unassign",
        obj=client,
        changes={"practitioner_id": practitioner_id},
    )
    return client
