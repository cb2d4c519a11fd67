"""API: payments, client balances and invoices (with their PDF)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt

from atendo.billing import receipts, selectors, services
from atendo.billing.models import Invoice, InvoiceLine, Payment, PaymentStatus
from atendo.billing.pdf import invoice_pdf
from atendo.billing.receipt_pdf import receipt_pdf
from atendo.core.api_schemas import Id, InputSchema
from atendo.core.csvs import csv_response
from atendo.core.pagination import Keyset, keyset_page
from atendo.workspaces.api_auth import api_member

router = Router(tags=["billing"])


# --- schemas -------------------------------------------------------------------------------------


class PaymentOut(Schema):
    id: int
    session_id: int
    client_id: int
    client_name: str
    session_name: str
    session_starts_at: str
    practitioner_id: int
    practitioner_name: str
    therapy_type_id: int | None
    therapy_type_name: str
    amount: str = Field(description="Exact decimal as a string, e.g. '150.00'.")
    currency: str
    status: str = Field(description="paid | pending | overdue")
    method: str = Field(description="cash | pix | card | other, or empty while unpaid")
    due_date: str
    paid_date: str | None
    receipt_url: str | None = Field(description="The receipt PDF, once the payment is paid.")
    created_at: str
    updated_at: str


class PaymentList(Schema):
    items: list[PaymentOut]
    next_cursor: str | None


class StatusTotal(Schema):
    amount: str = Field(description="Exact decimal as a string.")
    count: int


class PaymentTotals(Schema):
    currency: str
    paid: StatusTotal
    pending: StatusTotal
    overdue: StatusTotal
    outstanding: StatusTotal = Field(description="pending + overdue")


class MarkPaymentsPaid(InputSchema):
    payment_ids: list[StrictInt] = Field(description="Pending or overdue payments, at most 200.")
    method: str = Field(description="cash | pix | card | other")
    paid_date: dt.date | None = Field(None, description="Defaults to today in the workspace.")


class MarkedPaid(Schema):
    items: list[PaymentOut]


class PaymentFields(InputSchema):
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


class InvoiceCreate(InputSchema):
    session_ids: list[StrictInt] = Field(
        description="Sessions of one client, none already on a live invoice."
    )
    notes: str = ""


class InvoicePatch(InputSchema):
    session_ids: list[StrictInt] | None = None
    notes: str | None = None


class MarkPaid(InputSchema):
    method: str | None = Field(None, description="cash | pix | card | other, for the sessions' payments")


# --- JSON ----------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def payment_json(payment: Payment, workspace: Any) -> dict[str, Any]:
    """A payment as the API shows it (administrative only: no clinical content), times in the
    workspace's zone."""
    session = payment.session
    therapy_type = session.therapy_type
    tz = workspace.tz
    return {
        "id": payment.pk,
        "session_id": payment.session_id,
        "client_id": session.client_id,
        "client_name": session.client.name,
        "session_name": session.name,
        "session_starts_at": session.starts_at.astimezone(tz).isoformat(),
        "practitioner_id": session.practitioner_id,
        "practitioner_name": session.practitioner.display_name,
        "therapy_type_id": session.therapy_type_id,
        "therapy_type_name": therapy_type.name if therapy_type is not None else "",
        "amount": str(payment.amount),
        "currency": payment.currency,
        "status": payment.status,
        "method": payment.method,
        "due_date": payment.due_date.isoformat(),
        "paid_date": _iso(payment.paid_date),
        "receipt_url": (
            f"/api/v1/workspaces/{workspace.slug}/payments/{payment.pk}/receipt.pdf"
            if payment.status == PaymentStatus.PAID
            else None
        ),
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


_STATUS = Query(None, description="paid | pending | overdue | outstanding (pending or overdue)")
_SORT = Query("-id", description="-id (newest first, the default), due_date or -due_date")
PAYMENT_SORTS = ("id", "due_date")


class PaymentFilters:
    """The filters of the payments list, shared by the list, its totals and its CSV."""

    def __init__(
        self,
        status: str | None,
        method: str | None,
        client_id: int | None,
        session_id: int | None,
        practitioner_id: int | None,
        therapy_type_id: int | None,
        due_from: dt.date | None,
        due_to: dt.date | None,
    ) -> None:
        self.values: dict[str, Any] = {
            "status": status,
            "method": method,
            "client_id": client_id,
            "session_id": session_id,
            "practitioner_id": practitioner_id,
            "therapy_type_id": therapy_type_id,
            "due_from": due_from,
            "due_to": due_to,
        }

    def query(self, member: Any) -> Any:
        return selectors.payments_for(member, **self.values)


@router.get(PREFIX + "/payments", response=PaymentList)
def payments_list(
    request: HttpRequest,
    workspace_slug: str,
    status: str | None = _STATUS,
    method: str | None = None,
    client_id: Id | None = None,
    session_id: Id | None = None,
    practitioner_id: Id | None = None,
    therapy_type_id: Id | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    sort: str = _SORT,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    """The workspace's payments. The worklist of what is owed is `status=outstanding&sort=due_date`
    (oldest due first); filters combine."""
    member = api_member(request, workspace_slug)
    filters = PaymentFilters(
        status, method, client_id, session_id, practitioner_id, therapy_type_id, due_from, due_to
    )
    qs = filters.query(member)
    order = Keyset.parse(sort, allowed=PAYMENT_SORTS)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, order=order)
    return {"items": [payment_json(p, member.workspace) for p in rows], "next_cursor": next_cursor}


def _totals_json(totals: dict[str, dict[str, Any]], currency: str) -> dict[str, Any]:
    return {
        "currency": currency,
        **{key: {"amount": str(value["amount"]), "count": value["count"]} for key, value in totals.items()},
    }


@router.get(PREFIX + "/payments/totals", response=PaymentTotals)
def payments_totals(
    request: HttpRequest,
    workspace_slug: str,
    status: str | None = _STATUS,
    method: str | None = None,
    client_id: Id | None = None,
    session_id: Id | None = None,
    practitioner_id: Id | None = None,
    therapy_type_id: Id | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
) -> Any:
    """Amount and count per status of the same filters as GET payments (one aggregate query)."""
    member = api_member(request, workspace_slug)
    filters = PaymentFilters(
        status, method, client_id, session_id, practitioner_id, therapy_type_id, due_from, due_to
    )
    return _totals_json(selectors.payment_totals(filters.query(member)), member.workspace.currency)


PAYMENT_CSV_HEADER = (
    "payment_id",
    "session_id",
    "session_date",
    "session_name",
    "client_id",
    "client_name",
    "practitioner_id",
    "practitioner_name",
    "therapy_type",
    "amount",
    "currency",
    "status",
    "method",
    "due_date",
    "paid_date",
)
CSV_CHUNK = 1000


def payment_csv_rows(qs: Any, tz: Any) -> Any:
    """The CSV rows of a payments query, read in chunks (ISO dates, exact decimal amounts)."""
    for p in qs.iterator(chunk_size=CSV_CHUNK):
        session = p.session
        yield [
            p.pk,
            p.session_id,
            session.starts_at.astimezone(tz).date().isoformat(),
            session.name,
            session.client_id,
            session.client.name,
            session.practitioner_id,
            session.practitioner.display_name,
            session.therapy_type.name if session.therapy_type else "",
            str(p.amount),
            p.currency,
            p.status,
            p.method,
            p.due_date.isoformat(),
            _iso(p.paid_date) or "",
        ]


@router.get(
    PREFIX + "/payments/export.csv",
    summary="CSV export of the same query as GET payments",
    response={200: str},
    openapi_extra={"responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}}},
)
def payments_export(
    request: HttpRequest,
    workspace_slug: str,
    status: str | None = _STATUS,
    method: str | None = None,
    client_id: Id | None = None,
    session_id: Id | None = None,
    practitioner_id: Id | None = None,
    therapy_type_id: Id | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    sort: str = _SORT,
) -> StreamingHttpResponse:
    member = api_member(request, workspace_slug)
    filters = PaymentFilters(
        status, method, client_id, session_id, practitioner_id, therapy_type_id, due_from, due_to
    )
    order = Keyset.parse(sort, allowed=PAYMENT_SORTS)
    qs = filters.query(member).order_by(*order.order_by())
    return csv_response("payments.csv", PAYMENT_CSV_HEADER, payment_csv_rows(qs, member.workspace.tz))


@router.post(PREFIX + "/payments/mark-paid", response=MarkedPaid)
def payments_mark_paid(request: HttpRequest, workspace_slug: str, payload: MarkPaymentsPaid) -> Any:
    """Mark several pending or overdue payments paid at once: all or none (409 `already_paid` if
    one of them was paid meanwhile). Needs `billing.manage`."""
    member = api_member(request, workspace_slug)
    saved = services.payments_mark_paid(
        member=member, payment_ids=payload.payment_ids, method=payload.method, paid_date=payload.paid_date
    )
    rows = {p.pk: p for p in selectors.payments_for(member).filter(pk__in=[p.pk for p in saved])}
    return {"items": [payment_json(rows[p.pk], member.workspace) for p in saved]}


@router.post(PREFIX + "/payments", response={201: PaymentOut})
def payments_create(request: HttpRequest, workspace_slug: str, payload: PaymentCreate) -> Any:
    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    session_id = data.pop("session_id")
    payment = services.payment_create(member=member, session_id=session_id, data=data)
    return Status(201, payment_json(selectors.payment_get_for(member, payment.pk), member.workspace))


@router.get(
    PREFIX + "/payments/{payment_id}/receipt.pdf",
    summary="The receipt (recibo) of a paid payment",
    response={200: None},
    openapi_extra={"responses": {"200": {"description": "PDF", "content": {"application/pdf": {}}}}},
)
def payments_receipt(request: HttpRequest, workspace_slug: str, payment_id: Id) -> HttpResponse:
    """A *Recibo* / *Receipt* PDF in the workspace's document language; 409 `not_paid` until the
    payment is paid. It carries no clinical content."""
    member = api_member(request, workspace_slug)
    return receipt_response(receipts.payment_receipt(member, payment_id))


class PixOut(Schema):
    payload: str = Field(description='The static PIX "copia e cola" code (EMV BR Code, with its CRC16).')
    amount: str = Field(description="The amount due, exact decimal as a string, e.g. '150.00'.")
    txid: str = Field(description="The code's transaction id (from the payment id).")


@router.get(PREFIX + "/payments/{payment_id}/pix", response=PixOut)
def payments_pix(request: HttpRequest, workspace_slug: str, payment_id: Id) -> Any:
    """The PIX code of a pending or overdue payment of a BRL workspace with a PIX key. 404 when
    the workspace has no key, the payment is paid (or another workspace's), or the reader lacks
    `billing.read`. Recording the payment stays manual."""
    member = api_member(request, workspace_slug)
    code = selectors.payment_pix_for(member, payment_id)
    return {"payload": code.payload, "amount": str(code.amount), "txid": code.txid}


@router.get(PREFIX + "/payments/{payment_id}", response=PaymentOut)
def payments_read(request: HttpRequest, workspace_slug: str, payment_id: int) -> Any:
    member = api_member(request, workspace_slug)
    return payment_json(selectors.payment_get_for(member, payment_id), member.workspace)


@router.patch(PREFIX + "/payments/{payment_id}", response=PaymentOut)
def payments_update(
    request: HttpRequest, workspace_slug: str, payment_id: int, payload: PaymentFields
) -> Any:
    member = api_member(request, workspace_slug)
    services.payment_update(member=member, payment_id=payment_id, data=payload.model_dump(exclude_unset=True))
    return payment_json(selectors.payment_get_for(member, payment_id), member.workspace)


@router.get(PREFIX + "/clients/{client_id}/balance", response=BalanceOut)
def client_balance(request: HttpRequest, workspace_slug: str, client_id: int) -> Any:
    member = api_member(request, workspace_slug)
    balance = selectors.client_balance(member, client_id)
    for key in ("paid", "pending", "overdue", "outstanding"):
        balance[key] = str(balance[key])
    return balance


# --- PIX settings --------------------------------------------------------------------------------


class PixSettingsOut(Schema):
    key: str = Field(description="The PIX key as the code carries it; empty when PIX is off.")
    key_type: str = Field(description="cpf | cnpj | email | phone | evp, or empty")
    merchant_name: str = Field(description="The receiver's name in the code (up to 25, no accents).")
    city: str = Field(description="The receiver's city in the code (up to 15, no accents).")
    description: str
    enabled: bool = Field(description="True when pending payments show a PIX code (a key and BRL).")


class PixSettingsIn(InputSchema):
    key: str | None = Field(
        None, description="CPF, CNPJ, e-mail, +55 phone or random key; empty turns PIX off."
    )
    merchant_name: str | None = None
    city: str | None = None
    description: str | None = None


def pix_settings_json(settings: Any, workspace: Any) -> dict[str, Any]:
    key = settings.key if settings else ""
    return {
        "key": key,
        "key_type": settings.key_type if settings else "",
        "merchant_name": settings.merchant_name if settings else "",
        "city": settings.city if settings else "",
        "description": settings.description if settings else "",
        "enabled": bool(key) and workspace.currency == selectors.PIX_CURRENCY,
    }


@router.get(PREFIX + "/billing/pix", response=PixSettingsOut)
def pix_settings_read(request: HttpRequest, workspace_slug: str) -> Any:
    """The workspace's PIX receiving details (`billing.read`)."""
    member = api_member(request, workspace_slug)
    return pix_settings_json(selectors.pix_settings_for(member), member.workspace)


@router.put(PREFIX + "/billing/pix", response=PixSettingsOut)
def pix_settings_update(request: HttpRequest, workspace_slug: str, payload: PixSettingsIn) -> Any:
    """Save the PIX key, name, city and description (`workspace.manage`); 422 at the field."""
    member = api_member(request, workspace_slug)
    settings = services.pix_settings_update(member=member, data=payload.model_dump(exclude_unset=True))
    return pix_settings_json(settings, member.workspace)


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
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
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
    return pdf_response(invoice, member.workspace, pix_payload=selectors.invoice_pix_payload(member, invoice))


@router.get(
    PREFIX + "/invoices/{invoice_id}/receipt.pdf",
    summary="The receipt (recibo) of a paid invoice",
    response={200: None},
    openapi_extra={"responses": {"200": {"description": "PDF", "content": {"application/pdf": {}}}}},
)
def invoices_receipt(request: HttpRequest, workspace_slug: str, invoice_id: Id) -> HttpResponse:
    """A *Recibo* / *Receipt* PDF for a paid invoice (its sessions, their professionals); 409
    `not_paid` until it is paid. No clinical content."""
    member = api_member(request, workspace_slug)
    return receipt_response(receipts.invoice_receipt(member, invoice_id))


def receipt_response(receipt: receipts.Receipt) -> HttpResponse:
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_response(invoice: Invoice, workspace: Any, *, pix_payload: str = "") -> HttpResponse:
    body = invoice_pdf(invoice, workspace=workspace, pix_payload=pix_payload)
    name = f"invoice-{invoice.display_number or f'draft-{invoice.pk}'}.pdf"
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
