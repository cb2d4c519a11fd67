"""Writes of retention: the policy, a client's erasure (anonymisation at once), the request log, and
the purge of what is past retention. Keyword-only, atomic, audited with keys and counts only (never
the values erased). The rules and why: docs/retention.md.

An erasure anonymises the client's identifying data (name → a pseudonym, e-mail, phone, birth date,
the tax id field and the custom fields the policy marks identifying) and keeps the clinical record,
pseudonymised, until retention ends (CFP Resolução 001/2009: at least five years; LGPD art. 16 I).
It changes nobody's access: assignments stay as they are, and only a member who may read the
client's clinical content may erase (an identifying field may be clinical; nobody erases what they
cannot read).

The purge runs as the system (`tasks.purge_expired_clients`, daily; `manage.py purge_expired`):
a client whose last session — or, with none, whose creation — is older than the period, and whose
issued invoices are past their fiscal retention, goes with everything of theirs: sessions, values,
payments, invoices, evaluations, attachments (their files leave the disk after commit,
`files.signals`), exports (files too), reminder preferences and search entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max, ProtectedError, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from atendo.accounts.signin import require_recent_sign_in
from atendo.audit.services import audit_record
from atendo.billing.models import Invoice, InvoiceStatus
from atendo.billing.selectors import client_payments
from atendo.booking.models import Booking
from atendo.clients.models import Client
from atendo.clients.serializers import client_definitions
from atendo.clinical import crypto
from atendo.clinical.access import can_read_clinical
from atendo.clinical.changes import content_changed
from atendo.core.clean import clean_choice, clean_int, clean_text
from atendo.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from atendo.core.times import parse_optional_date
from atendo.evaluations.models import Evaluation
from atendo.exports import storage as export_storage
from atendo.exports.models import Export
from atendo.fields import engine
from atendo.files.models import Attachment
from atendo.reminders.models import ClientReminderPrefs
from atendo.retention.models import (
    MAX_YEARS,
    MIN_YEARS,
    RECORDED_KINDS,
    AskedBy,
    DataRequest,
    RequestKind,
    RequestStatus,
    RetentionPolicy,
)
from atendo.scheduling.models import Session
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

# Brazilian tax law (CTN art. 173 I, 195 par.): fiscal documents are kept until the tax can no
# longer be assessed, five years from the first day of the year after the one they belong to.
FISCAL_YEARS = 5
NOTE_MAX = 1000
POLICY_KEYS = {"years", "identifying_fields"}
REQUESTER_CHOICES = [c for c in AskedBy.values if c != AskedBy.RETENTION]


# --- the policy -------------------------------------------------------------------------------------


def policy_for(workspace: Workspace | int) -> RetentionPolicy:
    """The workspace's policy: its row, or the defaults (unsaved) when it has none."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    policy = RetentionPolicy.objects.for_workspace(workspace_id).first()
    return policy or RetentionPolicy(workspace_id=workspace_id)


def identifying_keys(workspace: Workspace, policy: RetentionPolicy | None = None) -> list[str]:
    """The custom client field keys an erasure clears: the policy's and the tax id field."""
    policy = policy or policy_for(workspace)
    keys = list(dict.fromkeys(policy.identifying_fields or []))
    if workspace.client_tax_id_field and workspace.client_tax_id_field not in keys:
        keys.append(workspace.client_tax_id_field)
    return keys


@transaction.atomic
def policy_update(*, member: Membership, data: Mapping[str, Any]) -> RetentionPolicy:
    """Change the period and/or the identifying fields. A shorter period makes the next purge delete
    more, so it is a sensitive act (a recent sign-in)."""
    require(member, "workspace.manage")
    if not isinstance(data, Mapping):
        raise ValidationFailed.single("", _("Give an object."))
    unknown = sorted(set(data) - POLICY_KEYS)
    if unknown:
        raise ValidationFailed(
            [FieldError(k, _("'{k}' cannot be changed here.").format(k=k)) for k in unknown]
        )
    require_recent_sign_in(member)
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    if "years" in data:
        try:
            cleaned["years"] = clean_int(data["years"], "years", minimum=MIN_YEARS, maximum=MAX_YEARS)
        except ValidationFailed as exc:
            errors += exc.fields
    if "identifying_fields" in data:
        raw = data["identifying_fields"]
        known = {d.key for d in client_definitions(member.workspace)}
        if not isinstance(raw, list | tuple):
            errors.append(FieldError("identifying_fields", _("Give a list of client field keys.")))
        else:
            for i, key in enumerate(raw):
                if not isinstance(key, str) or key not in known:
                    errors.append(
                        FieldError(
                            f"identifying_fields[{i}]", _("'{key}' is not a client field.").format(key=key)
                        )
                    )
            cleaned["identifying_fields"] = sorted({k for k in raw if isinstance(k, str)})
    if errors:
        raise ValidationFailed(errors)
    policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(workspace=member.workspace)
    changes = {
        key: [getattr(policy, key), value] for key, value in cleaned.items() if getattr(policy, key) != value
    }
    if changes:
        for key, value in cleaned.items():
            setattr(policy, key, value)
        policy.save()
        audit_record(
            workspace=member.workspace, actor=member, action="retention.update", obj=policy, changes=changes
        )
    return policy


# --- erasure ----------------------------------------------------------------------------------------


def pseudonym(workspace: Workspace, client_id: int) -> str:
    """The name an erased client keeps, in the practice's language."""
    with translation.override(workspace.language or "en"):
        return _("Anonymised client #{id}").format(id=client_id)


def erased_client_ids(workspace: Workspace | int, client_ids: Any = None) -> set[int]:
    qs = DataRequest.objects.for_workspace(workspace).filter(
        kind=RequestKind.ERASURE, status=RequestStatus.DONE
    )
    if client_ids is not None:
        qs = qs.filter(client_id__in=list(client_ids))
    return set(qs.values_list("client_id", flat=True))


@dataclass(frozen=True)
class ErasurePlan:
    """What an erasure of this client would clear (labels for the confirm page, keys for the log)."""

    basic: list[str]
    field_keys: list[str]
    field_labels: list[str]
    exports: int
    reminder_prefs: bool
    upcoming_sessions: int


def _basic_present(client: Client) -> list[str]:
    present = ["name"]
    present += [k for k in ("email", "phone") if getattr(client, k)]
    if client.birth_date is not None:
        present.append("birth_date")
    return present


def erasure_plan(member: Membership, client: Client) -> ErasurePlan:
    """What `client_erase` would do to `client` (read by the confirm page; writes nothing)."""
    keys = identifying_keys(member.workspace)
    labels = {d.key: d.label for d in client_definitions(member.workspace)}
    stored = [k for k in keys if k in (client.fields or {})]
    return ErasurePlan(
        basic=_basic_present(client),
        field_keys=stored,
        field_labels=[labels.get(k, k) for k in stored],
        exports=Export.objects.for_workspace(member.workspace_id).filter(client_id=client.pk).count(),
        reminder_prefs=ClientReminderPrefs.objects.for_workspace(member.workspace_id)
        .filter(client_id=client.pk)
        .exists(),
        upcoming_sessions=Session.objects.for_workspace(member.workspace_id)
        .filter(client_id=client.pk, starts_at__gte=timezone.now(), status="scheduled")
        .count(),
    )


def _clean_request(
    member: Membership, *, asked_by: Any, note: Any, received_on: Any
) -> tuple[str, str, dt.date]:
    errors: list[FieldError] = []
    cleaned_asked = AskedBy.CLIENT.value
    cleaned_note = ""
    day = timezone.localdate(timezone.now(), member.workspace.tz)
    try:
        cleaned_asked = clean_choice(asked_by, "asked_by", REQUESTER_CHOICES)
    except ValidationFailed as exc:
        errors += exc.fields
    try:
        cleaned_note = clean_text(note, "note", max_length=NOTE_MAX)
    except ValidationFailed as exc:
        errors += exc.fields
    try:
        given = parse_optional_date(received_on, path="received_on")
    except ValidationFailed as exc:
        errors += exc.fields
    else:
        if given is not None:
            if given > day:
                errors.append(
                    FieldError("received_on", _("The day a request arrived cannot be in the future."))
                )
            day = given
    if errors:
        raise ValidationFailed(errors)
    return cleaned_asked, cleaned_note, day


def _locked_client(member: Membership, client_id: Any) -> Client:
    client = (
        Client.objects.for_workspace(member.workspace).select_for_update().filter(pk=client_id).first()
        if isinstance(client_id, int) and not isinstance(client_id, bool)
        else None
    )
    if client is None:
        raise NotFound(_("No such client."))
    return client


@transaction.atomic
def client_erase(
    *,
    member: Membership,
    client_id: int,
    asked_by: Any = "client",
    note: Any = "",
    received_on: Any = None,
) -> DataRequest:
    """Anonymise a client at once, on their request (LGPD art. 18 IV/VI), keeping the clinical
    record pseudonymised until retention ends. -> the log entry."""
    require(member, "client.read")
    client = _locked_client(member, client_id)
    require(member, "client.erase")
    if not can_read_clinical(member, client.pk):
        raise Forbidden(
            _("Only a member who may read this client's clinical record may erase the client."),
            code="clinical_forbidden",
        )
    require_recent_sign_in(member)
    cleaned_asked, cleaned_note, day = _clean_request(
        member, asked_by=asked_by, note=note, received_on=received_on
    )
    if erased_client_ids(member.workspace, [client.pk]):
        raise Conflict(_("This client was already anonymised."), code="already_erased")
    workspace = member.workspace
    plan = erasure_plan(member, client)
    definitions = [d for d in client_definitions(workspace) if d.key in plan.field_keys]
    opened = crypto.open_values(workspace.pk, crypto.CLIENT_FIELDS, client.pk, client.fields or {})
    attachment_ids = engine.attachment_ids_in({k: opened.get(k) for k in plan.field_keys}, definitions)

    client.fields = {k: v for k, v in (client.fields or {}).items() if k not in plan.field_keys}
    client.name = pseudonym(workspace, client.pk)
    client.email = ""
    client.phone = ""
    client.birth_date = None
    client.archived = True
    client.save()

    attachments, _kinds = (
        Attachment.objects.for_workspace(workspace)
        .filter(client_id=client.pk, pk__in=attachment_ids)
        .delete()
        if attachment_ids
        else (0, {})
    )
    ClientReminderPrefs.objects.for_workspace(workspace).filter(client_id=client.pk).delete()
    # The address an online booking was made for (its provenance stays: when, confirmed or not).
    bookings = (
        Booking.objects.for_workspace(workspace)
        .filter(client_id=client.pk)
        .exclude(email="")
        .update(email="")
    )
    exports = _delete_exports(workspace, client.pk)
    if plan.field_keys:
        content_changed(workspace_id=workspace.pk, client_ids=[client.pk])

    cleared = [*plan.basic, *(f"fields.{k}" for k in plan.field_keys)]
    details = {
        "cleared": cleared,
        "attachments": attachments,
        "exports": exports,
        "bookings": bookings,
        "reminder_prefs": plan.reminder_prefs,
        "kept": ["sessions", "evaluations", "payments", "invoices", "clinical_fields"],
    }
    request = DataRequest.objects.create(
        workspace=workspace,
        client_id=client.pk,
        kind=RequestKind.ERASURE,
        asked_by=cleaned_asked,
        status=RequestStatus.DONE,
        received_on=day,
        recorded_by=member,
        details=details,
        note=cleaned_note,
    )
    # After the anonymisation, so the event's label is the pseudonym; no erased value in it.
    audit_record(
        workspace=workspace,
        actor=member,
        action="client.erase",
        obj=client,
        changes={**details, "request_id": request.pk},
    )
    return request


def _delete_exports(workspace: Workspace, client_id: int) -> int:
    """Delete the client's exports and (after commit) their files: they hold what was erased."""
    exports = Export.objects.for_workspace(workspace).filter(client_id=client_id)
    names = [n for n in exports.values_list("storage_name", flat=True) if n]
    count = len(exports)
    exports.delete()
    for name in names:
        transaction.on_commit(lambda name=name: export_storage.delete(name))  # type: ignore[misc]
    return count


# --- the log ----------------------------------------------------------------------------------------


@transaction.atomic
def data_request_record(
    *,
    member: Membership,
    client_id: Any,
    kind: Any,
    asked_by: Any = "client",
    status: Any = "done",
    note: Any = "",
    received_on: Any = None,
) -> DataRequest:
    """Record a request answered by other means (a copy of the record from Exports, a correction
    made on the client page...). Erasures and purges are recorded by their own services."""
    require(member, "client.read")
    require(member, "client.erase")
    errors: list[FieldError] = []
    try:
        cleaned_kind = clean_choice(kind, "kind", [str(k) for k in RECORDED_KINDS])
    except ValidationFailed as exc:
        errors += exc.fields
    try:
        cleaned_status = clean_choice(status, "status", RequestStatus.values)
    except ValidationFailed as exc:
        errors += exc.fields
    try:
        cleaned_asked, cleaned_note, day = _clean_request(
            member, asked_by=asked_by, note=note, received_on=received_on
        )
    except ValidationFailed as exc:
        errors += exc.fields
    client = (
        Client.objects.for_workspace(member.workspace).filter(pk=client_id).first()
        if isinstance(client_id, int) and not isinstance(client_id, bool)
        else None
    )
    if client is None:
        raise NotFound(_("No such client."))
    if errors:
        raise ValidationFailed(errors)
    request = DataRequest.objects.create(
        workspace=member.workspace,
        client_id=client.pk,
        kind=cleaned_kind,
        asked_by=cleaned_asked,
        status=cleaned_status,
        received_on=day,
        recorded_by=member,
        note=cleaned_note,
    )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="data_request.create",
        obj=request,
        client_id=client.pk,
        changes={"kind": cleaned_kind, "asked_by": cleaned_asked, "status": cleaned_status},
    )
    return request


# --- the purge --------------------------------------------------------------------------------------


def _years_before(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def expired_clients(workspace: Workspace, *, now: dt.datetime | None = None) -> QuerySet[Client]:
    """Clients past retention: the last session (any status) — or, with none, the client's creation
    — older than the period, and no issued invoice still in its fiscal retention. Annotated with
    `last_session`."""
    now = now or timezone.now()
    policy = policy_for(workspace)
    cutoff = _years_before(now, policy.years)
    fiscal_from = dt.date(timezone.localdate(now, workspace.tz).year - FISCAL_YEARS, 1, 1)
    held = (
        Invoice.objects.for_workspace(workspace)
        .exclude(status=InvoiceStatus.DRAFT)
        .filter(issue_date__gte=fiscal_from)
        .values("client_id")
    )
    return (
        Client.objects.for_workspace(workspace)
        .annotate(last_session=Max("sessions__starts_at"))
        .filter(Q(last_session__lt=cutoff) | Q(last_session__isnull=True, created_at__lt=cutoff))
        .exclude(pk__in=held)
        .order_by("pk")
    )


def purge_counts(workspace: Workspace, client_id: int) -> dict[str, Any]:
    """What a purge of this client removes, as counts (never content)."""
    sessions = Session.objects.for_workspace(workspace).filter(client_id=client_id)
    invoices = Invoice.objects.for_workspace(workspace).filter(client_id=client_id)
    return {
        "sessions": sessions.count(),
        "payments": client_payments(workspace, client_id).count(),
        "invoices": invoices.count(),
        "invoice_numbers": sorted(n for n in invoices.values_list("number", flat=True) if n is not None),
        "evaluations": Evaluation.objects.for_workspace(workspace).filter(client_id=client_id).count(),
        "attachments": Attachment.objects.for_workspace(workspace)
        .filter(Q(client_id=client_id) | Q(session__client_id=client_id))
        .count(),
        "exports": Export.objects.for_workspace(workspace).filter(client_id=client_id).count(),
    }


@dataclass(frozen=True)
class Purged:
    workspace_slug: str
    client_id: int
    last_session: dt.date | None
    counts: dict[str, Any]
    request_id: int | None = None
    error: str = ""


@transaction.atomic
def client_purge(*, workspace: Workspace, client_id: int, now: dt.datetime | None = None) -> Purged | None:
    """Purge one client past retention (the system acts; None if they are not past it any more)."""
    # Lock the row first (a lock cannot go with the aggregate), then ask again whether it expired.
    if not Client.objects.for_workspace(workspace).select_for_update().filter(pk=client_id).exists():
        return None
    client = expired_clients(workspace, now=now).filter(pk=client_id).first()
    if client is None:
        return None
    last = client.last_session.astimezone(workspace.tz).date() if client.last_session else None  # type: ignore[attr-defined]
    counts = purge_counts(workspace, client.pk)
    erased = bool(erased_client_ids(workspace, [client.pk]))
    _delete_exports(workspace, client.pk)
    Invoice.objects.for_workspace(workspace).filter(client_id=client.pk).delete()
    sessions = list(
        Session.objects.for_workspace(workspace).filter(client_id=client.pk).values_list("pk", flat=True)
    )
    Session.objects.for_workspace(workspace).filter(pk__in=sessions).delete()
    Client.objects.for_workspace(workspace).filter(pk=client.pk).delete()
    details = {**counts, "last_session": last.isoformat() if last else None, "erased_before": erased}
    request = DataRequest.objects.create(
        workspace=workspace,
        client_id=client_id,
        kind=RequestKind.PURGE,
        asked_by=AskedBy.RETENTION,
        status=RequestStatus.DONE,
        received_on=timezone.localdate(now or timezone.now(), workspace.tz),
        recorded_by=None,
        details=details,
    )
    # The client's name is not written: the event names the client by id.
    audit_record(
        workspace=workspace,
        actor=None,
        actor_label="retention",
        action="client.purge",
        object_type="client",
        object_id=str(client_id),
        object_label=f"#{client_id}",
        client_id=client_id,
        changes={**details, "request_id": request.pk},
    )
    return Purged(workspace.slug, client_id, last, counts, request.pk)


def purge_expired(*, dry_run: bool = False, now: dt.datetime | None = None) -> list[Purged]:
    """Purge every client past retention in every workspace, one transaction per client (a client
    who cannot go is reported and skipped, never stopping the others). `dry_run` lists what would
    go and changes nothing."""
    now = now or timezone.now()
    done: list[Purged] = []
    for workspace in Workspace.objects.order_by("pk"):
        for client in expired_clients(workspace, now=now):
            last = client.last_session.astimezone(workspace.tz).date() if client.last_session else None  # type: ignore[attr-defined]
            if dry_run:
                done.append(Purged(workspace.slug, client.pk, last, purge_counts(workspace, client.pk)))
                continue
            try:
                purged = client_purge(workspace=workspace, client_id=client.pk, now=now)
            except ProtectedError as exc:
                done.append(Purged(workspace.slug, client.pk, last, {}, error=type(exc).__name__))
                continue
            if purged is not None:
                done.append(purged)
    return done
