"""Demo payments for the past demo sessions (paid, pending and overdue) and one issued invoice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from atendo.billing.services import invoice_create, invoice_issue, payment_create, payments_mark_overdue
from atendo.scheduling.models import Session

METHODS = ["pix", "card", "cash", "pix", "other"]


def seed(ctx: dict[str, Any]) -> None:
    workspace, owner = ctx["workspace"], ctx["owner"]
    now = timezone.now()
    past = list(
        Session.objects.for_workspace(workspace)
        .filter(starts_at__lt=now)
        .exclude(status="cancelled")
        .select_related("therapy_type")
        .order_by("starts_at", "pk")
    )
    if not past:
        return
    today = now.astimezone(workspace.tz).date()
    by_client: dict[int, list[Session]] = {}
    for i, session in enumerate(past):
        data: dict[str, Any] = {}
        if session.therapy_type is None or session.therapy_type.default_price is None:
            data["amount"] = "120.00"
        local_day = session.starts_at.astimezone(workspace.tz).date()
        if i % 3 != 2:
            data.update(status="paid", method=METHODS[i % len(METHODS)], paid_date=local_day.isoformat())
        elif local_day + dt.timedelta(days=workspace.payment_due_days) < today:
            data.update(status="pending")  # past due: the overdue task below turns it overdue
        payment_create(member=owner, session_id=session.pk, data=data)
        by_client.setdefault(session.client_id, []).append(session)
    payments_mark_overdue()
    # One issued invoice: the two earliest sessions of the client with the most past sessions.
    sessions = max(by_client.values(), key=len)[:2]
    invoice = invoice_create(
        member=owner,
        session_ids=[s.pk for s in sessions],
        notes="Pagamento via PIX: financeiro@atendo.example",
    )
    invoice_issue(member=owner, invoice_id=invoice.pk)
    ctx["invoice"] = invoice
