"""Writes on payments and invoices. Keyword-only, atomic, audited.

`billing.manage` governs every write here. Payments and invoices are administrative: they never
carry clinical content, so assistants (who never read clinical content) can take payments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record, diff
from atendo.billing import pix
from atendo.billing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PixSettings,
)
from atendo.core.clean import FieldErrors, clean_choice, clean_ids, clean_money, clean_text, is_id
from atendo.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from atendo.core.times import parse_date, parse_optional_date
from atendo.scheduling.models import Session
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

PAYMENT_FIELDS = ("amount", "status", "method", "due_date", "paid_date")
MAX_INVOICE_SESSIONS = 200
MAX_INVOICE_NOTES = 2000


# --- helpers -------------------------------------------------------------------------------------


def local_today(workspace: Workspace, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(workspace.tz).date()


def session_local_date(session: Session, workspace: Workspace) -> dt.date:
    return session.starts_at.astimezone(workspace.tz).date()


def _session_for(member: Membership, session_id: Any, *, lock: bool = False) -> Session:
    """A session of the member's workspace that they may see (`session.read`), else 404/403."""
    require(member, "session.read")
    if not is_id(session_id):
        raise NotFound()
    qs = Session.objects.for_workspace(member.workspace).select_related("therapy_type", "client")
    if lock:
        qs = qs.select_for_update(of=("self",))
    session = qs.filter(pk=session_id).first()
    if session is None:
        raise NotFound()
    return session


def payment_defaults(session: Session, workspace: Workspace) -> dict[str, Any]:
    """Amount from the therapy type's price; due date N days (workspace setting) after the session."""
    price = session.therapy_type.default_price if session.therapy_type_id else None  # type: ignore[union-attr]
    return {
        "amount": price,
        "status": PaymentStatus.PENDING.value,
        "method": "",
        "due_date": session_local_date(session, workspace) + dt.timedelta(days=workspace.payment_due_days),
        "paid_date": None,
    }


def clean_payment(
    data: dict[str, Any],
    *,
    session: Session,
    workspace: Workspace,
    existing: Payment | None,
    path: str = "",
) -> dict[str, Any]:
    """Validate a payment (create or partial update) and fill the defaults; raises ValidationFailed."""
    prefix = f"{path}." if path else ""
    errors = FieldErrors()
    for key in sorted(set(data) - set(PAYMENT_FIELDS)):
        errors.add(prefix + key, _("Unknown field."))
    if existing is not None:
        current: dict[str, Any] = {key: getattr(existing, key) for key in PAYMENT_FIELDS}
    else:
        current = payment_defaults(session, workspace)
    result = dict(current)
    if "amount" in data:
        amount = errors.check(clean_money, data["amount"], prefix + "amount", required=True)
        if amount is not None:
            result["amount"] = amount
    elif result["amount"] is None:
        errors.add(prefix + "amount", _("An amount is required (the session's therapy type has no price)."))
    if "status" in data:
        status = errors.check(clean_choice, data["status"], prefix + "status", PaymentStatus.values)
        if status is not None:
            result["status"] = status
    if "method" in data:
        if data["method"] in (None, ""):
            result["method"] = ""
        else:
            method = errors.check(clean_choice, data["method"], prefix + "method", PaymentMethod.values)
            if method is not None:
                result["method"] = method
    if "due_date" in data:
        if data["due_date"] in (None, ""):
            errors.add(prefix + "due_date", _("A due date is required."))
        else:
            due = errors.check(parse_date, data["due_date"], path=prefix + "due_date")
            if due is not None:
                result["due_date"] = due
    if "paid_date" in data:
        result["paid_date"] = errors.check(parse_optional_date, data["paid_date"], path=prefix + "paid_date")
    if not errors:
        if result["status"] == PaymentStatus.PAID:
            if not result["method"]:
                errors.add(prefix + "method", _("Say how it was paid: cash, pix, card or other."))
            if result["paid_date"] is None:
                result["paid_date"] = local_today(workspace)
        elif "paid_date" in data and result["paid_date"] is not None:
            errors.add(prefix + "paid_date", _("Only a paid payment has a paid date."))
        else:
            result["paid_date"] = None
    errors.raise_if_any()
    return result


def _payment_snapshot(payment: Payment) -> dict[str, Any]:
    return {
        "amount": str(payment.amount),
        "status": payment.status,
        "method": payment.method,
        "due_date": payment.due_date.isoformat() if payment.due_date else None,
        "paid_date": payment.paid_date.isoformat() if payment.paid_date else None,
    }


# --- payments ------------------------------------------------------------------------------------


def payment_save_locked(
    *, member: Membership, session: Session, data: dict[str, Any], path: str = ""
) -> tuple[Payment, bool]:
    """Create or update the payment of an already locked and access-checked session.

    Called inside an atomic block by `payment_create`/`payment_update` and by `session_record`.
    """
    require(member, "billing.manage")
    workspace = member.workspace
    existing = Payment.objects.for_workspace(workspace).select_for_update().filter(session=session).first()
    cleaned = clean_payment(data, session=session, workspace=workspace, existing=existing, path=path)
    if existing is None:
        payment = Payment.objects.create(
            workspace=workspace,
            session=session,
            currency=workspace.currency,
            recorded_by=member,
            **cleaned,
        )
        audit_record(
            workspace=workspace,
            actor=member,
            action="payment.create",
            obj=payment,
            changes={"session_id": session.pk, **_payment_snapshot(payment)},
        )
        return payment, True
    before = _payment_snapshot(existing)
    for key, value in cleaned.items():
        setattr(existing, key, value)
    existing.recorded_by = member
    existing.save()
    changes = diff(before, _payment_snapshot(existing))
    if changes:
        audit_record(
            workspace=workspace, actor=member, action="payment.update", obj=existing, changes=changes
        )
    return existing, False


@transaction.atomic
def payment_create(*, member: Membership, session_id: int, data: dict[str, Any]) -> Payment:
    require(member, "billing.manage")
    session = _session_for(member, session_id, lock=True)
    if Payment.objects.for_workspace(member.workspace).filter(session=session).exists():
        raise Conflict(
            _("This session already has a payment; update it instead."),
            code="payment_exists",
            session_id=session.pk,
        )
    payment, _created = payment_save_locked(member=member, session=session, data=data)
    return payment


@transaction.atomic
def payment_update(*, member: Membership, payment_id: int, data: dict[str, Any]) -> Payment:
    require(member, "billing.manage")
    payment = Payment.objects.for_workspace(member.workspace).filter(pk=payment_id).first()
    if payment is None:
        raise NotFound()
    session = _session_for(member, payment.session_id, lock=True)
    updated, _created = payment_save_locked(member=member, session=session, data=data)
    return updated


MAX_MARK_PAID = 200


@transaction.atomic
def payments_mark_paid(
    *, member: Membership, payment_ids: Any, method: Any, paid_date: Any = None
) -> list[Payment]:
    """Mark several pending or overdue payments paid at once (the worklist): all or none.

    The method is required (how the money came in); the paid date defaults to today in the
    workspace. An id that is not a payment of this workspace is a 422 at `payment_ids[i]`; a payment
    already paid (by someone else meanwhile, say) is a 409 `already_paid` naming it, and nothing
    changes. Each payment is saved through `payment_save_locked` (the one payment rule) and audited.
    """
    require(member, "billing.manage", "session.read")
    if not isinstance(payment_ids, list | tuple) or not payment_ids:
        raise ValidationFailed.single("payment_ids", _("Choose at least one payment."))
    ids = clean_ids(payment_ids, "payment_ids", max_items=MAX_MARK_PAID)
    errors = FieldErrors()
    if method in (None, ""):
        errors.add("method", _("Say how it was paid: cash, pix, card or other."))
    else:
        errors.check(clean_choice, method, "method", PaymentMethod.values)
    day = errors.check(parse_optional_date, paid_date, path="paid_date")
    errors.raise_if_any()
    workspace = member.workspace
    # Sessions first, then payments, in id order: the lock order of every payment write.
    session_ids = dict(
        Payment.objects.for_workspace(workspace).filter(pk__in=ids).values_list("pk", "session_id")
    )
    missing = [
        FieldError(f"payment_ids[{i}]", _("There is no payment %(id)d in this workspace.") % {"id": pid})
        for i, pid in enumerate(ids)
        if pid not in session_ids
    ]
    if missing:
        raise ValidationFailed(missing)
    sessions = {
        s.pk: s
        for s in Session.objects.for_workspace(workspace)
        .select_for_update(of=("self",))
        .select_related("therapy_type", "client")
        .filter(pk__in=session_ids.values())
        .order_by("pk")
    }
    locked = list(
        Payment.objects.for_workspace(workspace).select_for_update().filter(pk__in=ids).order_by("pk")
    )
    paid = [p.pk for p in locked if p.status == PaymentStatus.PAID]
    if paid:
        raise Conflict(
            _("Already paid: %(ids)s. Nothing was changed; reload the list.")
            % {"ids": ", ".join(map(str, paid))},
            code="already_paid",
            payment_ids=paid,
        )
    data = {"status": PaymentStatus.PAID.value, "method": method, "paid_date": day or local_today(workspace)}
    saved = []
    for payment in locked:
        updated, _created = payment_save_locked(
            member=member, session=sessions[payment.session_id], data=data
        )
        saved.append(updated)
    return saved


def payments_mark_overdue(*, now: dt.datetime | None = None) -> int:
    """Turn pending payments past their due date (in each workspace's own today) into overdue.

    Idempotent: running it twice changes nothing the second time. Audited as the system.
    """
    now = now or timezone.now()
    # The latest "today" anywhere on Earth is at most UTC+14: only those rows can be late.
    horizon = (now + dt.timedelta(hours=14)).date()
    workspace_ids = (
        Payment.objects.filter(status=PaymentStatus.PENDING, due_date__lt=horizon)
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    changed = 0
    for workspace in Workspace.objects.filter(pk__in=list(workspace_ids)).order_by("pk"):
        today = local_today(workspace, now)
        with transaction.atomic():
            late = list(
                Payment.objects.for_workspace(workspace)
                .select_for_update()
                .filter(status=PaymentStatus.PENDING, due_date__lt=today)
                .order_by("pk")
            )
            if not late:
                continue
            Payment.objects.for_workspace(workspace).filter(pk__in=[p.pk for p in late]).update(
                status=PaymentStatus.OVERDUE, updated_at=now
            )
            for payment in late:
                audit_record(
                    workspace=workspace,
                    actor=None,
                    action="payment.overdue",
                    obj=payment,
                    changes={"status": [PaymentStatus.PENDING.value, PaymentStatus.OVERDUE.value]},
                )
            changed += len(late)
    return changed


# --- invoices ------------------------------------------------------------------------------------


def _clean_session_ids(session_ids: Any) -> list[int]:
    if not isinstance(session_ids, list | tuple) or not session_ids:
        raise ValidationFailed.single("session_ids", _("Choose at least one session."))
    return clean_ids(session_ids, "session_ids", max_items=MAX_INVOICE_SESSIONS)


def _build_lines(
    member: Membership, invoice: Invoice | None, session_ids: list[int]
) -> tuple[int, list[InvoiceLine]]:
    """Lines for these sessions: all of one client, none on another live invoice.

    Returns (client_id, lines)."""
    workspace = member.workspace
    sessions = {
        s.pk: s
        for s in Session.objects.for_workspace(workspace)
        .select_related("therapy_type", "payment")
        .filter(pk__in=session_ids)
    }
    missing = [
        FieldError(f"session_ids[{i}]", _("There is no session %(id)d in this workspace.") % {"id": sid})
        for i, sid in enumerate(session_ids)
        if sid not in sessions
    ]
    if missing:
        raise ValidationFailed(missing)
    client_ids = {s.client_id for s in sessions.values()}
    if len(client_ids) > 1:
        raise ValidationFailed.single(
            "session_ids",
            _("An invoice is for one client: these sessions belong to different clients."),
            code="mixed_clients",
        )
    taken = InvoiceLine.objects.for_workspace(workspace).filter(session_id__in=session_ids, live=True)
    if invoice is not None:
        taken = taken.exclude(invoice=invoice)
    taken_ids = sorted(set(taken.values_list("session_id", flat=True)))
    if taken_ids:
        raise Conflict(
            "A session can be on only one invoice that is not void: "
            f"session {', '.join(map(str, taken_ids))} is already invoiced.",
            code="already_invoiced",
            session_ids=taken_ids,
        )
    ordered = sorted(sessions.values(), key=lambda s: (s.starts_at, s.pk))
    lines = []
    for position, session in enumerate(ordered):
        payment = getattr(session, "payment", None)
        if payment is not None:
            amount = payment.amount
        elif session.therapy_type is not None and session.therapy_type.default_price is not None:
            amount = session.therapy_type.default_price
        else:
            amount = Decimal("0.00")
        lines.append(
            InvoiceLine(
                workspace=workspace,
                session=session,
                position=position,
                description=session.name[:200],
                session_date=session_local_date(session, workspace),
                therapy_type_name=session.therapy_type.name if session.therapy_type else "",
                amount=amount,
            )
        )
    return client_ids.pop(), lines


def _save_lines(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    for line in lines:
        line.invoice = invoice
    try:
        with transaction.atomic():
            InvoiceLine.objects.bulk_create(lines)
    except IntegrityError:
        raise Conflict(
            "A session can be on only one invoice that is not void.", code="already_invoiced"
        ) from None
    invoice.total = sum((line.amount for line in lines), Decimal("0.00"))


def _clean_notes(notes: Any) -> str:
    return clean_text(notes, "notes", max_length=MAX_INVOICE_NOTES)


@transaction.atomic
def invoice_create(*, member: Membership, session_ids: Any, notes: Any = "") -> Invoice:
    """A draft invoice for sessions of one client (no number until it is issued)."""
    require(member, "billing.manage", "session.read")
    ids = _clean_session_ids(session_ids)
    cleaned_notes = _clean_notes(notes)
    client_id, lines = _build_lines(member, None, ids)
    invoice = Invoice.objects.create(
        workspace=member.workspace,
        client_id=client_id,
        currency=member.workspace.currency,
        notes=cleaned_notes,
        created_by=member,
    )
    _save_lines(invoice, lines)
    invoice.save(update_fields=["total", "updated_at"])
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="invoice.create",
        obj=invoice,
        changes={"client_id": client_id, "session_ids": ids, "total": str(invoice.total)},
    )
    return invoice


def _invoice_locked(member: Membership, invoice_id: int) -> Invoice:
    invoice = (
        Invoice.objects.for_workspace(member.workspace).select_for_update().filter(pk=invoice_id).first()
    )
    if invoice is None:
        raise NotFound()
    return invoice


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict(
            _("An issued invoice cannot be edited; void it and issue a new one."),
            code="invoice_not_editable",
            invoice_status=invoice.status,
        )


@transaction.atomic
def invoice_update(
    *, member: Membership, invoice_id: int, session_ids: Any = None, notes: Any = None
) -> Invoice:
    """Change a draft's sessions or notes. Issued, paid and void invoices are never edited."""
    require(member, "billing.manage", "session.read")
    invoice = _invoice_locked(member, invoice_id)
    _require_draft(invoice)
    changes: dict[str, Any] = {}
    if notes is not None:
        invoice.notes = _clean_notes(notes)
        changes["notes"] = "changed"
    if session_ids is not None:
        ids = _clean_session_ids(session_ids)
        client_id, lines = _build_lines(member, invoice, ids)
        invoice.lines.all().delete()
        invoice.client_id = client_id
        _save_lines(invoice, lines)
        changes["session_ids"] = ids
        changes["total"] = str(invoice.total)
    invoice.save()
    audit_record(
        workspace=member.workspace, actor=member, action="invoice.update", obj=invoice, changes=changes
    )
    return invoice


@transaction.atomic
def invoice_delete(*, member: Membership, invoice_id: int) -> None:
    """Delete a draft (it has no number yet, so the sequence keeps no gaps)."""
    require(member, "billing.manage")
    invoice = _invoice_locked(member, invoice_id)
    _require_draft(invoice)
    audit_record(workspace=member.workspace, actor=member, action="invoice.delete", obj=invoice)
    invoice.delete()


def _details(invoice: Invoice, member: Membership) -> dict[str, Any]:
    workspace = member.workspace
    client = invoice.client
    return {
        "workspace": {"name": workspace.name, "slug": workspace.slug, "language": workspace.language},
        "client": {"name": client.name, "email": client.email, "phone": client.phone},
        "issued_by": member.display_name,
    }


@transaction.atomic
def invoice_issue(*, member: Membership, invoice_id: int) -> Invoice:
    """Give a draft the next number of the workspace (gapless) and freeze it.

    The counter row is locked with select_for_update (on SQLite the IMMEDIATE transaction holds the
    write lock), so concurrent issues queue: numbers are 1..N with no gap and no duplicate.
    """
    require(member, "billing.manage")
    invoice = _invoice_locked(member, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict(
            _("This invoice was already issued."), code="invoice_not_draft", invoice_status=invoice.status
        )
    if not invoice.lines.exists():
        raise ValidationFailed.single("session_ids", _("An invoice needs at least one session."))
    counter = InvoiceCounter.objects.select_for_update().filter(workspace=member.workspace).first()
    if counter is None:
        try:
            with transaction.atomic():
                InvoiceCounter.objects.create(workspace=member.workspace)
        except IntegrityError:
            pass  # created by a concurrent issue; lock it below
        counter = InvoiceCounter.objects.select_for_update().get(workspace=member.workspace)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    now = timezone.now()
    invoice.number = counter.last_number
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_at = now
    invoice.issue_date = local_today(member.workspace, now)
    invoice.details = _details(invoice, member)
    invoice.save()
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="invoice.issue",
        obj=invoice,
        changes={"number": invoice.number, "total": str(invoice.total)},
    )
    return invoice


@transaction.atomic
def invoice_mark_paid(*, member: Membership, invoice_id: int, method: Any = None) -> Invoice:
    """An issued invoice was paid: so were its sessions (their payments become paid too)."""
    require(member, "billing.manage")
    if method is not None:
        clean_choice(method, "method", PaymentMethod.values)
    invoice = _invoice_locked(member, invoice_id)
    if invoice.status != InvoiceStatus.ISSUED:
        raise Conflict(
            _("Only an issued invoice can be marked paid."),
            code="invoice_not_issued",
            invoice_status=invoice.status,
        )
    now = timezone.now()
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = now
    invoice.save()
    today = local_today(member.workspace, now)
    for line in invoice.lines.select_related("session__therapy_type", "session__payment"):
        payment = getattr(line.session, "payment", None)
        if payment is not None and payment.status == PaymentStatus.PAID:
            continue
        data: dict[str, Any] = {"status": "paid", "paid_date": today.isoformat()}
        if payment is None:
            data["amount"] = line.amount
        if method or payment is None or not payment.method:
            data["method"] = method or (payment.method if payment is not None and payment.method else "other")
        payment_save_locked(member=member, session=line.session, data=data)
    audit_record(workspace=member.workspace, actor=member, action="invoice.paid", obj=invoice)
    return invoice


@transaction.atomic
def invoice_void(*, member: Membership, invoice_id: int) -> Invoice:
    """Void an issued invoice. Its number stays used (no gap); its sessions are free again."""
    require(member, "billing.manage")
    invoice = _invoice_locked(member, invoice_id)
    if invoice.status == InvoiceStatus.DRAFT:
        raise Conflict(
            "A draft has no number: delete it instead.",
            code="invoice_is_draft",
            invoice_status=invoice.status,
        )
    if invoice.status != InvoiceStatus.ISSUED:
        raise Conflict(
            _("Only an issued, unpaid invoice can be voided."),
            code="invoice_not_voidable",
            invoice_status=invoice.status,
        )
    previous = invoice.status
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.save()
    invoice.lines.update(live=False)
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="invoice.void",
        obj=invoice,
        changes={"status": [previous, InvoiceStatus.VOID.value]},
    )
    return invoice


# --- PIX settings --------------------------------------------------------------------------------

PIX_FIELDS = ("key", "merchant_name", "city", "description")


def pix_settings_update(*, member: Membership, data: dict[str, Any]) -> PixSettings:
    """Save the workspace's PIX key, receiver name, city and description (`workspace.manage`: the
    key says where clients' money goes). An empty key turns PIX codes off. Validated as a whole:
    422 at `key`, `merchant_name`, `city` or `description`."""
    require(member, "workspace.manage")
    workspace = member.workspace
    with transaction.atomic():
        settings, _created = PixSettings.objects.select_for_update().get_or_create(workspace=workspace)
        values = {name: getattr(settings, name) for name in PIX_FIELDS}
        errors: list[FieldError] = []
        for name in PIX_FIELDS:
            if name in data and data[name] is not None:
                if not isinstance(data[name], str):
                    errors.append(FieldError(name, _("Enter text.")))
                    continue
                values[name] = data[name].strip()
        if errors:
            raise ValidationFailed(errors)
        before = {"key_type": settings.key_type, "key": settings.key}
        if values["key"]:
            problems = pix.validate_settings(
                key=values["key"],
                name=values["merchant_name"],
                city=values["city"],
                description=values["description"],
            )
            if len(values["description"]) > 40:
                problems.setdefault("description", _("Keep the description to 40 characters."))
            if problems:
                raise ValidationFailed([FieldError(path, message) for path, message in problems.items()])
            key = pix.normalize_key(values["key"])
            settings.key, settings.key_type = key.value, key.kind
            settings.merchant_name = pix.ascii_text(values["merchant_name"], pix.NAME_MAX)
            settings.city = pix.ascii_text(values["city"], pix.CITY_MAX)
            settings.description = pix.ascii_text(values["description"], 40)
        else:
            settings.key, settings.key_type = "", ""
            settings.merchant_name = values["merchant_name"][: pix.NAME_MAX]
            settings.city = values["city"][: pix.CITY_MAX]
            settings.description = values["description"][:40]
        settings.save()
        changes = diff(before, {"key_type": settings.key_type, "key": settings.key})
        audit_record(
            workspace=workspace,
            actor=member,
            action="billing.pix_settings.update",
            object_type="pix_settings",
            object_id=str(settings.pk),
            changes=changes,
        )
    return settings
