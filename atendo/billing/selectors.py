"""Reads of payments and invoices, scoped to the workspace; `billing.read` governs them."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from atendo.billing.models import Invoice, Payment, PaymentStatus
from atendo.clients.models import Client
from atendo.core.errors import NotFound, ValidationFailed
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

MAX_LIMIT = 200


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "id" or not value.isdigit():
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.single(
            "cursor", "This cursor is not valid; start again without one."
        ) from None


def page_of(qs: Any, *, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """Keyset page ordered by id descending (newest first): (rows, next_cursor)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.single("limit", f"Use a limit between 1 and {MAX_LIMIT}.")
    after = decode_cursor(cursor)
    if after is not None:
        qs = qs.filter(pk__lt=after)
    rows = list(qs.order_by("-pk")[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor


def payments_for(
    member: Membership,
    *,
    status: str | None = None,
    method: str | None = None,
    client_id: int | None = None,
    session_id: int | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
) -> Any:
    require(member, "billing.read")
    qs = Payment.objects.for_workspace(member.workspace).select_related("session__client")
    if status is not None:
        if status not in PaymentStatus.values:
            raise ValidationFailed.single("status", "Use one of: paid, pending, overdue.")
        qs = qs.filter(status=status)
    if method is not None:
        qs = qs.filter(method=method)
    if client_id is not None:
        qs = qs.filter(session__client_id=client_id)
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    if due_from is not None:
        qs = qs.filter(due_date__gte=due_from)
    if due_to is not None:
        qs = qs.filter(due_date__lte=due_to)
    return qs


def payment_get_for(member: Membership, payment_id: int) -> Payment:
    require(member, "billing.read")
    payment = (
        Payment.objects.for_workspace(member.workspace)
        .select_related("session__client")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise NotFound()
    return payment


def payment_for_session(member: Membership, session_id: int) -> Payment | None:
    require(member, "billing.read")
    return Payment.objects.for_workspace(member.workspace).filter(session_id=session_id).first()


def client_balance(member: Membership, client_id: int) -> dict[str, Any]:
    """Totals of a client's payments by status: paid, pending, overdue (exact decimals)."""
    require(member, "billing.read")
    if not Client.objects.for_workspace(member.workspace).filter(pk=client_id).exists():
        raise NotFound()
    rows = (
        Payment.objects.for_workspace(member.workspace)
        .filter(session__client_id=client_id)
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
