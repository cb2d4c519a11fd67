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

from atendo.audit.services import audit_record, diff
from atendo.billing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from atendo.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from atendo.scheduling.models import Session
from atendo.therapies.services import clean_money
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

PAYMENT_FIELDS = ("amount", "status", "method", "due_date", "paid_date")
MAX_INVOICE_SESSIONS = 200


# --- helpers -------------------------------------------------------------------------------------


def local_today(workspace: Workspace, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(workspace.tz).date()


def session_local_date(session: Session, workspace: Workspace) -> dt.date:
    return session.starts_at.astimezone(workspace.tz).date()


def _session_for(member: Membership, session_id: Any, *, lock: bool = False) -> Session:
    """A session of the member's workspace that they may see (`session.read`), else 404/403."""
    require(member, "session.read")
    if isinstance(session_id, bool) or not isinstance(session_id, int):
        raise NotFound()
    qs = Session.objects.for_workspace(member.workspace).select_related("therapy_type", "client")
    if lock:
        qs = qs.select_for_update(of=("self",))
    session = qs.filter(pk=session_id).first()
    if session is None:
        raise NotFound()
    return session


def _parse_date(value: Any, path: str, errors: list[FieldError]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        errors.append(FieldError(path, "Use a date like 2026-03-31."))
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(FieldError(path, "Use a date like 2026-03-31."))
    return None


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
    errors: list[FieldError] = []
    for key in sorted(set(data) - set(PAYMENT_FIELDS)):
        errors.append(FieldError(prefix + key, "Unknown field."))
    if existing is not None:
        current: dict[str, Any] = {key: getattr(existing, key) for key in PAYMENT_FIELDS}
    else:
        current = payment_defaults(session, workspace)
    result = dict(current)
    if "amount" in data:
        try:
            result["amount"] = clean_money(data["amount"], prefix + "amount", required=True)
        except ValidationFailed as exc:
            errors += exc.fields
    elif result["amount"] is None:
        errors.append(
            FieldError(prefix + "amount", "An amount is required (the session's therapy type has no price).")
        )
    if "status" in data:
        if data["status"] not in PaymentStatus.values:
            errors.append(FieldError(prefix + "status", "Use one of: paid, pending, overdue."))
        else:
            result["status"] = data["status"]
    if "method" in data:
        method = data["method"] if data["method"] is not None else ""
        if method != "" and method not in PaymentMethod.values:
            errors.append(FieldError(prefix + "method", "Use one of: cash, pix, card, other."))
        else:
            result["method"] = method
    if "due_date" in data:
        due = _parse_date(data["due_date"], prefix + "due_date", errors)
        if due is not None:
            result["due_date"] = due
        elif data["due_date"] in (None, ""):
            errors.append(FieldError(prefix + "due_date", "A due date is required."))
    if "paid_date" in data:
        result["paid_date"] = _parse_date(data["paid_date"], prefix + "paid_date", errors)
    if not errors:
        if result["status"] == PaymentStatus.PAID:
            if not result["method"]:
                errors.append(FieldError(prefix + "method", "Say how it was paid: cash, pix, card or other."))
            if result["paid_date"] is None:
                result["paid_date"] = local_today(workspace)
        elif "paid_date" in data and result["paid_date"] is not None:
            errors.append(FieldError(prefix + "paid_date", "Only a paid payment has a paid date."))
        else:
            result["paid_date"] = None
    if errors:
        raise ValidationFailed(errors)
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
            "This session already has a payment; update it instead.",
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
        raise ValidationFailed.single("session_ids", "Choose at least one session.")
    if len(session_ids) > MAX_INVOICE_SESSIONS:
        raise ValidationFailed.single("session_ids", f"At most {MAX_INVOICE_SESSIONS} sessions per invoice.")
    errors = [
        FieldError(f"session_ids[{i}]", "Must be a session id.")
        for i, sid in enumerate(session_ids)
        if isinstance(sid, bool) or not isinstance(sid, int)
    ]
    if errors:
        raise ValidationFailed(errors)
    return list(dict.fromkeys(session_ids))


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
        FieldError(f"session_ids[{i}]", f"There is no session {sid} in this workspace.")
        for i, sid in enumerate(session_ids)
        if sid not in sessions
    ]
    if missing:
        raise ValidationFailed(missing)
    client_ids = {s.client_id for s in sessions.values()}
    if len(client_ids) > 1:
        raise ValidationFailed.single(
            "session_ids",
            "An invoice is for one client: these sessions belong to different clients.",
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
    if notes is None:
        return ""
    if not isinstance(notes, str):
        raise ValidationFailed.single("notes", "Must be text.")
    if len(notes) > 2000:
        raise ValidationFailed.single("notes", "Use at most 2000 characters.")
    return notes.strip()


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
            "An issued invoice cannot be edited; void it and issue a new one.",
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
            "This invoice was already issued.", code="invoice_not_draft", invoice_status=invoice.status
        )
    if not invoice.lines.exists():
        raise ValidationFailed.single("session_ids", "An invoice needs at least one session.")
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
    if method is not None and method not in PaymentMethod.values:
        raise ValidationFailed.single("method", "Use one of: cash, pix, card, other.")
    invoice = _invoice_locked(member, invoice_id)
    if invoice.status != InvoiceStatus.ISSUED:
        raise Conflict(
            "Only an issued invoice can be marked paid.",
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
            "Only an issued, unpaid invoice can be voided.",
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
