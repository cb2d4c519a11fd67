"""API: payments, client balances and invoices (with their PDF); also mounts session recording,
session attachments (atendo/scheduling/recording_api.py) and nothing else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt

from atendo.billing import selectors, services
from atendo.billing.models import Invoice, InvoiceLine, Payment
from atendo.billing.pdf import invoice_pdf
from atendo.core.api_auth import api_member
from atendo.scheduling.recording_api import router as recording_router

router = Router(tags=["billing"])


# --- schemas -------------------------------------------------------------------------------------


class PaymentOut(Schema):
    id: int
    session_id: int
    client_id: int
    client_name: str
    session_name: str
    session_starts_at: str
    amount: str = Field(description="Exact decimal as a string, e.g. '150.00'.")
    currency: str
    status: str = Field(description="paid | pending | overdue")
    method: str = Field(description="cash | pix | card | other, or empty while unpaid")
    due_date: str
    paid_date: str | None
    created_at: str
    updated_at: str


class PaymentList(Schema):
    items: list[PaymentOut]
    next_cursor: str | None


class PaymentFields(Schema):
    amount: Decimal | None = Field(None, description="Defaults to the therapy type's price.")
    status: str | None = Field(None, description="paid | pending | overdue (default pending)")
    method: str | None = Field(None, description="cash | pix | card | other")
    due_date: dt.date | None = Field(
        None, description="Defaults to the session date + the workspace's due days."
    )
    paid_date: dt.date | None = Field(None, description="Defaults to today when paid.")


class PaymentCreate(PaymentFields):
    session_id: int


class BalanceOut(Schema):
    client_id: int
    currency: str
    paid: str
    pending: str
    overdue: str
    outstanding: str
    counts: dict[str, int]


class InvoiceLineOut(Schema):
    id: int
    session_id: int
    description: str
    session_date: str
    therapy_type_name: str
    amount: str


class InvoiceOut(Schema):
    id: int
    number: int | None
    display_number: str
    status: str = Field(description="draft | issued | paid | void")
    client_id: int
    client_name: str
    currency: str
    total: str
    notes: str
    issue_date: str | None
    issued_at: str | None
    paid_at: str | None
    voided_at: str | None
    details: dict[str, Any]
    lines: list[InvoiceLineOut]
    pdf_url: str
    created_at: str


class InvoiceList(Schema):
    items: list[InvoiceOut]
    next_cursor: str | None


class InvoiceCreate(Schema):
    session_ids: list[StrictInt] = Field(
        description="Sessions of one client, none already on a live invoice."
    )
    notes: str = ""


class InvoicePatch(Schema):
    session_ids: list[StrictInt] | None = None
    notes: str | None = None


class MarkPaid(Schema):
    method: str | None = Field(None, description="cash | pix | card | other, for the sessions' payments")


# --- JSON ----------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def payment_json(payment: Payment, tz: Any) -> dict[str, Any]:
    session = payment.session
    return {
        "id": payment.pk,
        "session_id": payment.session_id,
        "client_id": session.client_id,
        "client_name": session.client.name,
        "session_name": session.name,
        "session_starts_at": session.starts_at.astimezone(tz).isoformat(),
        "amount": str(payment.amount),
        "currency": payment.currency,
        "status": payment.status,
        "method": payment.method,
        "due_date": payment.due_date.isoformat(),
        "paid_date": _iso(payment.paid_date),
        "created_at": payment.created_at.astimezone(tz).isoformat(),
        "updated_at": payment.updated_at.astimezone(tz).isoformat(),
    }


def invoice_json(invoice: Invoice, workspace: Any) -> dict[str, Any]:
    tz = workspace.tz
    lines = sorted(invoice.lines.all(), key=lambda line: (line.position, line.pk))
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "display_number": invoice.display_number,
        "status": invoice.status,
        "client_id": invoice.client_id,
        "client_name": invoice.client.name,
        "currency": invoice.currency,
        "total": str(invoice.total),
        "notes": invoice.notes,
        "issue_date": _iso(invoice.issue_date),
        "issued_at": invoice.issued_at.astimezone(tz).isoformat() if invoice.issued_at else None,
        "paid_at": invoice.paid_at.astimezone(tz).isoformat() if invoice.paid_at else None,
        "voided_at": invoice.voided_at.astimezone(tz).isoformat() if invoice.voided_at else None,
        "details": invoice.details or {},
        "lines": [
            {
                "id": line.pk,
                "session_id": line.session_id,
                "description": line.description,
                "session_date": line.session_date.isoformat(),
                "therapy_type_name": line.therapy_type_name,
                "amount": str(line.amount),
            }
            for line in lines
        ],
        "pdf_url": f"/api/v1/workspaces/{workspace.slug}/invoices/{invoice.pk}/pdf",
        "created_at": invoice.created_at.astimezone(tz).isoformat(),
    }


def _with_lines(qs: Any) -> Any:
    return qs.prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "pk")))


def _invoice_out(member: Any, invoice_id: int) -> dict[str, Any]:
    return invoice_json(selectors.invoice_get_for(member, invoice_id), member.workspace)


# --- payments ------------------------------------------------------------------------------------

PREFIX = "/workspaces/{workspace_slug}"


@router.get(PREFIX + "/payments", response=PaymentList)
def payments_list(
    request: HttpRequest,
    workspace_slug: str,
    status: str | None = None,
    method: str | None = None,
    client_id: int | None = None,
    session_id: int | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    member = api_member(request, workspace_slug)
    qs = selectors.payments_for(
        member,
        status=status,
        method=method,
        client_id=client_id,
        session_id=session_id,
        due_from=due_from,
        due_to=due_to,
    )
    rows, next_cursor = selectors.page_of(qs, cursor=cursor, limit=limit)
    tz = member.workspace.tz
    return {"items": [payment_json(p, tz) for p in rows], "next_cursor": next_cursor}


@router.post(PREFIX + "/payments", response={201: PaymentOut})
def payments_create(request: HttpRequest, workspace_slug: str, payload: PaymentCreate) -> Any:
    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    session_id = data.pop("session_id")
    payment = services.payment_create(member=member, session_id=session_id, data=data)
    return Status(201, payment_json(selectors.payment_get_for(member, payment.pk), member.workspace.tz))


@router.get(PREFIX + "/payments/{payment_id}", response=PaymentOut)
def payments_read(request: HttpRequest, workspace_slug: str, payment_id: int) -> Any:
    member = api_member(request, workspace_slug)
    return payment_json(selectors.payment_get_for(member, payment_id), member.workspace.tz)


@router.patch(PREFIX + "/payments/{payment_id}", response=PaymentOut)
def payments_update(
    request: HttpRequest, workspace_slug: str, payment_id: int, payload: PaymentFields
) -> Any:
    member = api_member(request, workspace_slug)
    services.payment_update(member=member, payment_id=payment_id, data=payload.model_dump(exclude_unset=True))
    return payment_json(selectors.payment_get_for(member, payment_id), member.workspace.tz)


@router.get(PREFIX + "/clients/{client_id}/balance", response=BalanceOut)
def client_balance(request: HttpRequest, workspace_slug: str, client_id: int) -> Any:
    member = api_member(request, workspace_slug)
    balance = selectors.client_balance(member, client_id)
    for key in ("paid", "pending", "overdue", "outstanding"):
        balance[key] = str(balance[key])
    return balance


# --- invoices ------------------------------------------------------------------------------------


@router.get(PREFIX + "/invoices", response=InvoiceList)
def invoices_list(
    request: HttpRequest,
    workspace_slug: str,
    status: str | None = None,
    client_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    member = api_member(request, workspace_slug)
    qs = _with_lines(selectors.invoices_for(member, status=status, client_id=client_id))
    rows, next_cursor = selectors.page_of(qs, cursor=cursor, limit=limit)
    return {"items": [invoice_json(i, member.workspace) for i in rows], "next_cursor": next_cursor}


@router.post(PREFIX + "/invoices", response={201: InvoiceOut})
def invoices_create(request: HttpRequest, workspace_slug: str, payload: InvoiceCreate) -> Any:
    member = api_member(request, workspace_slug)
    invoice = services.invoice_create(member=member, session_ids=payload.session_ids, notes=payload.notes)
    return Status(201, _invoice_out(member, invoice.pk))


@router.get(PREFIX + "/invoices/{invoice_id}", response=InvoiceOut)
def invoices_read(request: HttpRequest, workspace_slug: str, invoice_id: int) -> Any:
    member = api_member(request, workspace_slug)
    return _invoice_out(member, invoice_id)


@router.patch(PREFIX + "/invoices/{invoice_id}", response=InvoiceOut)
def invoices_update(request: HttpRequest, workspace_slug: str, invoice_id: int, payload: InvoicePatch) -> Any:
    member = api_member(request, workspace_slug)
    services.invoice_update(
        member=member, invoice_id=invoice_id, session_ids=payload.session_ids, notes=payload.notes
    )
    return _invoice_out(member, invoice_id)


@router.delete(PREFIX + "/invoices/{invoice_id}", response={204: None})
def invoices_delete(request: HttpRequest, workspace_slug: str, invoice_id: int) -> Any:
    member = api_member(request, workspace_slug)
    services.invoice_delete(member=member, invoice_id=invoice_id)
    return Status(204, None)


@router.post(PREFIX + "/invoices/{invoice_id}/issue", response=InvoiceOut)
def invoices_issue(request: HttpRequest, workspace_slug: str, invoice_id: int) -> Any:
    member = api_member(request, workspace_slug)
    services.invoice_issue(member=member, invoice_id=invoice_id)
    return _invoice_out(member, invoice_id)


@router.post(PREFIX + "/invoices/{invoice_id}/mark-paid", response=InvoiceOut)
def invoices_mark_paid(
    request: HttpRequest, workspace_slug: str, invoice_id: int, payload: MarkPaid | None = None
) -> Any:
    member = api_member(request, workspace_slug)
    services.invoice_mark_paid(
        member=member, invoice_id=invoice_id, method=payload.method if payload else None
    )
    return _invoice_out(member, invoice_id)


@router.post(PREFIX + "/invoices/{invoice_id}/void", response=InvoiceOut)
def invoices_void(request: HttpRequest, workspace_slug: str, invoice_id: int) -> Any:
    member = api_member(request, workspace_slug)
    services.invoice_void(member=member, invoice_id=invoice_id)
    return _invoice_out(member, invoice_id)


@router.get(PREFIX + "/invoices/{invoice_id}/pdf", response={200: None})
def invoices_pdf(request: HttpRequest, workspace_slug: str, invoice_id: int) -> HttpResponse:
    """The invoice as a PDF (application/pdf), in the workspace's language."""
    member = api_member(request, workspace_slug)
    invoice = selectors.invoice_get_for(member, invoice_id)
    return pdf_response(invoice, member.workspace)


def pdf_response(invoice: Invoice, workspace: Any) -> HttpResponse:
    body = invoice_pdf(invoice, workspace=workspace)
    name = f"invoice-{invoice.display_number or f'draft-{invoice.pk}'}.pdf"
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


router.add_router("", recording_router)
