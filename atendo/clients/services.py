"""Writes on clients: create, update (custom fields through the field engine), archive, delete,
assign and unassign practitioners. Keyword-only, atomic, audited (never with clinical values).

Clinical client fields follow the barrier for writes too: a member who may not read a client's
clinical content cannot write clinical values for it (403), and the clinical values already stored
(which they never saw) are kept as they are. A therapist who creates a client and reads clinical
content only of their own clients becomes one of its practitioners, so they can read what they
just wrote.
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
from atendo.clients.clinical import can_read_clinical
from atendo.clients.models import Client, ClientPractitioner
from atendo.clients.serializers import client_definitions, open_keys
from atendo.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.files.services import attachment_ids_in, attachments_link
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
        raw = data.get("birth_date")
        if raw in (None, ""):
            cleaned["birth_date"] = None
        else:
            day = None
            if isinstance(raw, dt.date):
                day = raw
            elif isinstance(raw, str):
                try:
                    day = dt.date.fromisoformat(raw) if len(raw) == 10 else None
                except ValueError:
                    day = None
            if day is None:
                errors.append(FieldError("birth_date", _("The birth date is written as YYYY-MM-DD.")))
            elif day > dt.date.today() or day.year < 1900:
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
    if not can_read:
        hidden = [k for k in values if k not in administrative]
        clinical = engine.clinical_keys(definitions)
        if any(k in clinical for k in hidden):
            first = next(k for k in hidden if k in clinical)
            raise Forbidden(
                _("You may not write clinical content for this client (fields.{first}).").format(first=first)
            )
    writable = definitions if can_read else [d for d in definitions if not d.clinical]
    kept = {} if can_read else {k: v for k, v in stored.items() if k not in administrative}
    cleaned = engine.validate_values(
        workspace=member.workspace,
        scope="client",
        path="fields",
        values=values,
        require_all=complete,
        definitions=writable,
        previous=stored,
    )
    if complete:
        result = {**kept, **cleaned}
        archived = {d.key for d in definitions if d.archived}
        result.update({k: v for k, v in stored.items() if k in archived and k not in result})
    else:
        result = {**stored, **cleaned}
    return {k: v for k, v in result.items() if v is not None}


def _assign(client: Client, members: list[Membership]) -> None:
    existing = set(
        ClientPractitioner.objects.filter(workspace_id=client.workspace_id, client=client).values_list(
            "member_id", flat=True
        )
    )
    ClientPractitioner.objects.bulk_create(
        [
            ClientPractitioner(workspace_id=client.workspace_id, client=client, member=m)
            for m in members
            if m.pk not in existing
        ]
    )


@transaction.atomic
def client_create(*, member: Membership, data: Mapping[str, Any]) -> Client:
    require(member, "client.create")
    basic = _clean_basic(data, creating=True)
    practitioners = _clean_practitioners(member, data.get("practitioner_ids") or [])
    self_assign = (
        not member.has_perm("clinical.read_all")
        and member.has_perm("clinical.read_own")
        and member.pk not in {p.pk for p in practitioners}
    )
    if self_assign:
        practitioners.append(member)
    # With clinical.read_own the creator is now one of the practitioners.
    can_read = member.has_perm("clinical.read_all") or member.has_perm("clinical.read_own")
    definitions = client_definitions(member.workspace)
    fields = _clean_fields(
        member, data.get("fields"), stored={}, can_read=can_read, definitions=definitions, complete=True
    )
    client = Client.objects.create(workspace=member.workspace, fields=fields, **basic)
    _assign(client, practitioners)
    attachments_link(
        workspace_id=member.workspace_id,
        ids=attachment_ids_in(fields, definitions),
        uploaded_by_ids=[member.pk],
        client=client,
    )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="client.create",
        obj=client,
        changes={"fields": sorted(fields), "practitioner_ids": [p.pk for p in practitioners]},
    )
    return client


def _locked(member: Membership, client_id: int) -> Client:
    client = Client.objects.for_workspace(member.workspace).select_for_update().filter(pk=client_id).first()
    if client is None:
        raise NotFound(_("No such client."))
    return client


@transaction.atomic
def client_update(
    *, member: Membership, client_id: int, data: Mapping[str, Any], fields_complete: bool = False
) -> Client:
    """Change basic details, practitioners (`practitioner_ids` replaces the set) and field values."""
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
        stored = dict(client.fields or {})
        new_fields = _clean_fields(
            member,
            data["fields"],
            stored=stored,
            can_read=can_read_clinical(member, client.pk),
            definitions=definitions,
            complete=fields_complete,
        )
        changed_keys = sorted(k for k in set(stored) | set(new_fields) if stored.get(k) != new_fields.get(k))
        if changed_keys:
            changes["fields"] = changed_keys
            client.fields = new_fields
            attachments_link(
                workspace_id=member.workspace_id,
                ids=attachment_ids_in(new_fields, definitions),
                uploaded_by_ids=[member.pk],
                client=client,
            )
    if "practitioner_ids" in data:
        wanted = _clean_practitioners(member, data["practitioner_ids"])
        current = set(
            ClientPractitioner.objects.filter(workspace_id=client.workspace_id, client=client).values_list(
                "member_id", flat=True
            )
        )
        wanted_ids = {m.pk for m in wanted}
        if wanted_ids != current:
            ClientPractitioner.objects.filter(workspace_id=client.workspace_id, client=client).exclude(
                member_id__in=wanted_ids
            ).delete()
            _assign(client, wanted)
            changes["practitioner_ids"] = [sorted(current), sorted(wanted_ids)]
    client.save()
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
    from atendo.scheduling.models import Session

    count = Session.objects.filter(workspace_id=client.workspace_id, client_id=client.pk).count()
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
    require(member, "client.read")
    client = _locked(member, client_id)
    require(member, "client.update")
    (practitioner,) = _clean_practitioners(member, [practitioner_id])
    _assign(client, [practitioner])
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
    require(member, "client.update")
    deleted, _by_model = ClientPractitioner.objects.filter(
        workspace_id=client.workspace_id, client=client, member_id=practitioner_id
    ).delete()
    if not deleted:
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
