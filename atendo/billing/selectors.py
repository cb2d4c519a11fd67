"""Reads of payments and invoices, scoped to the workspace; `billing.read` governs them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from atendo.billing import pix
from atendo.billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PixSettings,
)
from atendo.clients.models import Client
from atendo.core.errors import NotFound, ValidationFailed
from atendo.scheduling.models import Session
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership


def _check_choice(parameter: str, value: str, choices: list[str]) -> None:
    """A list filter given a value outside its choices is refused (422 at the parameter), never
    read as "no filter" or "no match"."""
    if value not in choices:
        message = _("Unknown %(parameter)s '%(value)s'; use %(choices)s.") % {
            "parameter": parameter,
            "value": value,
            "choices": ", ".join(choices),
        }
        raise ValidationFailed.single(parameter, message)


# A status filter may also ask for what is still owed: pending or overdue (the worklist).
OUTSTANDING = "outstanding"
OUTSTANDING_STATUSES = (PaymentStatus.PENDING.value, PaymentStatus.OVERDUE.value)
STATUS_FILTERS = [*PaymentStatus.values, OUTSTANDING]


def client_payments(workspace: Any, client_id: int) -> Any:
    """A client's payments, found through the client's sessions (their (workspace, client) index)
    and each session's one payment: joining payments to sessions to filter by client makes SQLite
    read every payment of the practice first (0.8 s in a practice of 1,000,000 sessions). The
    caller checks what the member may read."""
    return Payment.objects.for_workspace(workspace).filter(
        session_id__in=_client_session_ids(workspace, client_id)
    )


def _client_session_ids(workspace: Any, client_id: int) -> Any:
    return Session.objects.for_workspace(workspace).filter(client_id=client_id).values("id")


def payments_for(
    member: Membership,
    *,
    status: str | None = None,
    method: str | None = None,
    client_id: int | None = None,
    session_id: int | None = None,
    practitioner_id: int | None = None,
    therapy_type_id: int | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
) -> Any:
    """The workspace's payments with these filters (each optional, all combined).

    `status` is paid, pending, overdue, or `outstanding` (pending or overdue: what is still owed);
    practitioner and therapy type are the session's."""
    require(member, "billing.read")
    qs = Payment.objects.for_workspace(member.workspace).select_related(
        "session__client", "session__practitioner__user", "session__therapy_type"
    )
    if status is not None:
        _check_choice("status", status, STATUS_FILTERS)
        qs = qs.filter(status__in=OUTSTANDING_STATUSES) if status == OUTSTANDING else qs.filter(status=status)
    if method is not None:
        if method:  # empty: payments without a method yet (unpaid)
            _check_choice("method", method, PaymentMethod.values)
        qs = qs.filter(method=method)
    if client_id is not None:
        qs = qs.filter(session_id__in=_client_session_ids(member.workspace, client_id))
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    if practitioner_id is not None:
        qs = qs.filter(session__practitioner_id=practitioner_id)
    if therapy_type_id is not None:
        qs = qs.filter(session__therapy_type_id=therapy_type_id)
    if due_from is not None:
        qs = qs.filter(due_date__gte=due_from)
    if due_to is not None:
        qs = qs.filter(due_date__lte=due_to)
    return qs


def payment_totals(payments: Any) -> dict[str, dict[str, Any]]:
    """Amount and count per status of a payments query (one GROUP BY query, exact decimals):
    `{"paid": {"amount", "count"}, "pending": …, "overdue": …, "outstanding": …}`."""
    rows = payments.order_by().values("status").annotate(total=Sum("amount"), count=Count("id"))
    totals: dict[str, dict[str, Any]] = {
        status: {"amount": Decimal("0.00"), "count": 0} for status in PaymentStatus.values
    }
    for row in rows:
        totals[row["status"]] = {
            "amount": Decimal(row["total"] or 0).quantize(Decimal("0.01")),
            "count": row["count"],
        }
    totals[OUTSTANDING] = {
        "amount": sum((totals[s]["amount"] for s in OUTSTANDING_STATUSES), Decimal("0.00")),
        "count": sum(totals[s]["count"] for s in OUTSTANDING_STATUSES),
    }
    return totals


def payment_get_for(member: Membership, payment_id: int) -> Payment:
    require(member, "billing.read")
    payment = (
        Payment.objects.for_workspace(member.workspace)
        .select_related("session__client", "session__practitioner__user", "session__therapy_type")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise NotFound()
    return payment


def client_balance(member: Membership, client_id: int) -> dict[str, Any]:
    """Totals of a client's payments by status: paid, pending, overdue (exact decimals)."""
    require(member, "billing.read")
    if not Client.objects.for_workspace(member.workspace).filter(pk=client_id).exists():
        raise NotFound()
    rows = (
        client_payments(member.workspace, client_id)
        .values("status")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by()
    )
    totals = {status: Decimal("0.00") for status in PaymentStatus.values}
    counts = dict.fromkeys(PaymentStatus.values, 0)
    for row in rows:
        totals[row["status"]] = Decimal(row["total"] or 0).quantize(Decimal("0.01"))
        counts[row["status"]] = row["count"]
    return {
        "client_id": client_id,
        "currency": member.workspace.currency,
        "paid": totals["paid"],
        "pending": totals["pending"],
        "overdue": totals["overdue"],
        "outstanding": totals["pending"] + totals["overdue"],
        "counts": counts,
    }


def invoices_for(member: Membership, *, status: str | None = None, client_id: int | None = None) -> Any:
    require(member, "billing.read")
    qs = Invoice.objects.for_workspace(member.workspace).select_related("client")
    if status is not None:
        _check_choice("status", status, InvoiceStatus.values)
        qs = qs.filter(status=status)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    return qs


def invoice_get_for(member: Membership, invoice_id: int) -> Invoice:
    require(member, "billing.read")
    invoice = (
        Invoice.objects.for_workspace(member.workspace)
        .select_related("client")
        .prefetch_related("lines")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound()
    return invoice


# --- PIX -----------------------------------------------------------------------------------------

PIX_CURRENCY = "BRL"


@dataclass(frozen=True)
class PixCode:
    """A payment's static PIX code: the "copia e cola" string, its amount and txid."""

    payload: str
    amount: Decimal
    txid: str


def pix_settings_for(member: Membership) -> PixSettings | None:
    """The workspace's PIX settings (None until saved). `billing.read`."""
    require(member, "billing.read")
    return PixSettings.objects.filter(workspace=member.workspace).first()


def pix_txid(payment: Payment) -> str:
    """Field 62-05 of a payment's code: its id only (no name, nothing clinical, no secret)."""
    return pix.clean_txid(f"ATENDO{payment.pk}")


def _pix_code(
    workspace: Any, settings: PixSettings | None, *, owner_id: int, currency: str, amount: Any, txid: str
) -> str:
    """The one check of every PIX code: a BRL workspace with a key, an amount of its own above zero
    in reais. -> the BR Code payload, or "" when there is none to give."""
    if settings is None or not settings.key or workspace.currency != PIX_CURRENCY:
        return ""
    if owner_id != workspace.pk or currency != PIX_CURRENCY or amount <= 0:
        return ""
    return pix.static_payload(
        key=settings.key,
        name=settings.merchant_name,
        city=settings.city,
        amount=amount,
        txid=txid,
        description=settings.description,
    )


def payment_pix(workspace: Any, payment: Payment, settings: PixSettings | None) -> PixCode | None:
    """The PIX code of an amount due (pending or overdue, above zero) of a BRL workspace with a
    PIX key; None otherwise. The caller has checked `billing.read` on this payment."""
    if payment.status not in OUTSTANDING_STATUSES:
        return None
    txid = pix_txid(payment)
    payload = _pix_code(
        workspace,
        settings,
        owner_id=payment.workspace_id,
        currency=payment.currency,
        amount=payment.amount,
        txid=txid,
    )
    return PixCode(payload=payload, amount=payment.amount, txid=txid) if payload else None


def payment_pix_for(member: Membership, payment_id: int) -> PixCode:
    """A payment's PIX code. NotFound (404) when the reader lacks `billing.read`, the payment is
    another workspace's or paid, or the workspace has no PIX key: a code reveals nothing either way."""
    if not member.has_perm("billing.read"):
        raise NotFound()
    payment = payment_get_for(member, payment_id)
    code = payment_pix(member.workspace, payment, pix_settings_for(member))
    if code is None:
        raise NotFound()
    return code


def invoice_pix_payload(member: Membership, invoice: Invoice) -> str:
    """The PIX code printed on an issued, unpaid invoice of a BRL workspace with a PIX key (its
    total; txid from the invoice number), else "". The caller read the invoice with `billing.read`."""
    if invoice.status != InvoiceStatus.ISSUED:
        return ""
    return _pix_code(
        member.workspace,
        pix_settings_for(member),
        owner_id=invoice.workspace_id,
        currency=invoice.currency,
        amount=invoice.total,
        txid=pix.clean_txid(f"ATENDOF{invoice.number}"),
    )
