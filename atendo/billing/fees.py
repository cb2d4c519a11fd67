"""No-show and late-cancellation fees: the payments the attendance rule charges.

`scheduling.services.attendance` decides whether a fee is due and how much (the workspace
settings `no_show_fee` / `late_cancel_fee`); this module writes it, as the session's payment (a
session has at most one), registered in `scheduling.hooks` by `BillingConfig.ready()`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from atendo.audit.services import audit_record
from atendo.billing.models import InvoiceLine, Payment, PaymentFee, PaymentStatus
from atendo.scheduling.hooks import ChargedFee
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership, Workspace

FEE_KINDS = frozenset(PaymentFee.values)


class BillingFees:
    """`scheduling.hooks.SessionFees`, implemented with payments."""

    def charge(
        self,
        *,
        workspace: Workspace,
        session: Session,
        kind: str,
        amount: Decimal,
        actor: Membership | None,
        actor_label: str = "",
    ) -> ChargedFee | None:
        if kind not in FEE_KINDS:
            raise ValueError(f"Unknown fee kind: {kind}")
        if Payment.objects.for_workspace(workspace).select_for_update().filter(session=session).exists():
            return None
        local_day = session.starts_at.astimezone(workspace.tz).date()
        payment = Payment.objects.create(
            workspace=workspace,
            session=session,
            amount=amount,
            currency=workspace.currency,
            status=PaymentStatus.PENDING,
            method="",
            due_date=local_day + dt.timedelta(days=workspace.payment_due_days),
            fee=kind,
            recorded_by=actor,
        )
        audit_record(
            workspace=workspace,
            actor=actor,
            actor_label=actor_label,
            action="payment.fee_charge",
            obj=payment,
            changes={"session_id": session.pk, "fee": kind, "amount": str(payment.amount)},
        )
        return ChargedFee(session_id=session.pk, payment_id=payment.pk, kind=kind, amount=payment.amount)

    def void(
        self, *, workspace: Workspace, session: Session, actor: Membership | None, actor_label: str = ""
    ) -> int | None:
        payment = (
            Payment.objects.for_workspace(workspace)
            .select_for_update()
            .filter(session=session, fee__in=FEE_KINDS)
            .exclude(status=PaymentStatus.PAID)
            .first()
        )
        if payment is None:
            return None
        if InvoiceLine.objects.for_workspace(workspace).filter(session=session, live=True).exists():
            return None
        payment_id = payment.pk
        audit_record(
            workspace=workspace,
            actor=actor,
            actor_label=actor_label,
            action="payment.fee_void",
            obj=payment,
            changes={"session_id": session.pk, "fee": payment.fee, "amount": str(payment.amount)},
        )
        payment.delete()
        return payment_id
