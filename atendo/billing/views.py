"""Pages: invoices (list, new, detail, issue / mark paid / void / delete, PDF) and a client's payments
tab."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from atendo.billing import pix, receipts, selectors, services
from atendo.billing.api import pdf_response, receipt_response
from atendo.billing.forms import InvoiceNewForm, PixSettingsForm
from atendo.billing.models import InvoiceLine, InvoiceStatus, PaymentMethod, PaymentStatus
from atendo.billing.services import local_today
from atendo.clients.models import Client
from atendo.core.clean import id_or_none
from atendo.core.errors import DomainError, NotFound, ValidationFailed
from atendo.core.formats import format_datetime, format_money
from atendo.core.http import PageRequest, safe_next
from atendo.core.pagination import Keyset, keyset_page
from atendo.core.times import date_or_none
from atendo.scheduling.forms import client_choices, practitioner_choices
from atendo.scheduling.models import Session
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page


def session_url(workspace_slug: str, session_id: int) -> str:
    return reverse("scheduling:detail", kwargs={"workspace_slug": workspace_slug, "session_id": session_id})


def client_url(workspace_slug: str, client_id: int) -> str:
    return reverse("clients:detail", kwargs={"workspace_slug": workspace_slug, "client_id": client_id})


# --- invoices ------------------------------------------------------------------------------------


@workspace_page("billing.read")
def invoice_list(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    status = request.GET.get("status") or None
    if status not in (None, *InvoiceStatus.values):
        status = None
    qs = selectors.invoices_for(member, status=status, client_id=id_or_none(request.GET.get("client")))
    try:
        rows, next_cursor = keyset_page(qs, cursor=request.GET.get("cursor"), limit=50)
    except ValidationFailed:
        rows, next_cursor = keyset_page(qs, cursor=None, limit=50)
    return render(
        request,
        "billing/invoice_list.html",
        {
            "nav": "invoices",
            "invoices": rows,
            "next_cursor": next_cursor,
            "status": status or "",
            "statuses": InvoiceStatus.choices,
            "can_manage": member.has_perm("billing.manage"),
        },
    )


def _invoiceable_sessions(member: Membership, client: Client) -> list[Session]:
    taken = InvoiceLine.objects.for_workspace(member.workspace).filter(live=True).values("session_id")
    return list(
        Session.objects.for_workspace(member.workspace)
        .filter(client=client)
        .exclude(pk__in=taken)
        .exclude(status="cancelled")
        .select_related("therapy_type", "payment")
        .order_by("-starts_at")[:100]
    )


@workspace_page("billing.manage", "session.read")
def invoice_new(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    client_id = id_or_none(request.GET.get("client") or request.POST.get("client"))
    client = (
        Client.objects.for_workspace(member.workspace).filter(pk=client_id).first() if client_id else None
    )
    if client is None:
        raise Http404
    tz = member.workspace.tz
    sessions = _invoiceable_sessions(member, client)

    def label(s: Session) -> str:
        payment = getattr(s, "payment", None)
        amount = payment.amount if payment else (s.therapy_type.default_price if s.therapy_type else None)
        parts = [format_datetime(s.starts_at, tz=tz), s.name]
        if s.therapy_type:
            parts.append(s.therapy_type.name)
        if amount is not None:
            parts.append(format_money(amount, member.workspace.currency))
        return " · ".join(parts)

    form = InvoiceNewForm(request.POST or None, session_choices=[(s.pk, label(s)) for s in sessions])
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_create(
                member=member, session_ids=form.cleaned_data["sessions"], notes=form.cleaned_data["notes"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("Draft invoice created. Check it, then issue it."))
            return redirect("billing:invoice_detail", workspace_slug=workspace_slug, invoice_id=invoice.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "billing/invoice_new.html",
        {
            "nav": "clients",
            "client": client,
            "form": form,
            "client_url": client_url(workspace_slug, client.pk),
        },
        status=status,
    )


@workspace_page("billing.read")
def invoice_detail(request: PageRequest, workspace_slug: str, invoice_id: int) -> HttpResponse:
    member = request.member
    invoice = selectors.invoice_get_for(member, invoice_id)
    lines = sorted(invoice.lines.all(), key=lambda line: (line.position, line.pk))
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "nav": "invoices",
            "invoice": invoice,
            "lines": [(line, session_url(workspace_slug, line.session_id)) for line in lines],
            "can_manage": member.has_perm("billing.manage"),
            "methods": PaymentMethod.choices,
            "client_url": client_url(workspace_slug, invoice.client_id),
        },
    )


@workspace_page("billing.manage")
def invoice_issue_confirm(request: PageRequest, workspace_slug: str, invoice_id: int) -> HttpResponse:
    """Before a draft is issued: what will be frozen (client, lines, total) and that it then gets the
    next number of the practice and can no longer be edited, only voided. The button posts to the
    issue action."""
    member = request.member
    invoice = selectors.invoice_get_for(member, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        messages.error(request, _("This invoice was already issued."))
        return redirect("billing:invoice_detail", workspace_slug=workspace_slug, invoice_id=invoice_id)
    lines = sorted(invoice.lines.all(), key=lambda line: (line.position, line.pk))
    return render(
        request,
        "billing/invoice_issue_confirm.html",
        {"nav": "invoices", "invoice": invoice, "lines": lines},
    )


ACTIONS = {"issue", "mark-paid", "void", "delete"}


@require_POST
@workspace_page("billing.manage")
def invoice_action(request: PageRequest, workspace_slug: str, invoice_id: int, action: str) -> HttpResponse:
    member = request.member
    if action not in ACTIONS:
        raise Http404
    try:
        if action == "issue":
            invoice = services.invoice_issue(member=member, invoice_id=invoice_id)
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.display_number})
        elif action == "mark-paid":
            services.invoice_mark_paid(
                member=member, invoice_id=invoice_id, method=request.POST.get("method") or None
            )
            messages.success(request, _("Invoice marked paid; its sessions are paid too."))
        elif action == "void":
            services.invoice_void(member=member, invoice_id=invoice_id)
            messages.success(request, _("Invoice voided. Its sessions can be invoiced again."))
        else:
            services.invoice_delete(member=member, invoice_id=invoice_id)
            messages.success(request, _("Draft deleted."))
            return redirect("billing:invoices", workspace_slug=workspace_slug)
    except NotFound:
        raise  # before DomainError, which it is: the page decorator answers 404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("billing:invoice_detail", workspace_slug=workspace_slug, invoice_id=invoice_id)


@workspace_page("billing.read")
def invoice_pdf(request: PageRequest, workspace_slug: str, invoice_id: int) -> HttpResponse:
    member = request.member
    invoice = selectors.invoice_get_for(member, invoice_id)
    return pdf_response(invoice, member.workspace, pix_payload=selectors.invoice_pix_payload(member, invoice))


# --- a client's payments (the Payments tab of the client page) ---------------------------------


@workspace_page("billing.read")
def client_payments(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = request.member
    balance = selectors.client_balance(member, client_id)
    client = Client.objects.for_workspace(member.workspace).get(pk=client_id)
    payments = list(
        selectors.payments_for(member, client_id=client_id).order_by("-session__starts_at", "-pk")[:50]
    )
    invoices = list(
        selectors.invoices_for(member, client_id=client_id)
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "pk")))
        .order_by("-pk")[:20]
    )
    codes = pix_codes(member, payments)
    context = {
        "nav": "clients",
        "client": client,
        "balance": balance,
        "payments": [(p, session_url(workspace_slug, p.session_id), codes.get(p.pk)) for p in payments],
        "invoices": invoices,
        "can_manage": member.has_perm("billing.manage") and member.has_perm("session.read"),
        "client_url": client_url(workspace_slug, client_id),
        "methods": PaymentMethod.choices,
    }
    template = "billing/_client_payments.html" if request.htmx else "billing/client_payments.html"
    return render(request, template, context)


@require_POST
@workspace_page("billing.manage")
def payment_mark_paid(request: PageRequest, workspace_slug: str, payment_id: int) -> HttpResponse:
    """Take a pending or overdue payment (from the client's Payments tab)."""
    member = request.member
    try:
        payment = services.payment_update(
            member=member,
            payment_id=payment_id,
            data={"status": "paid", "method": request.POST.get("method") or ""},
        )
    except NotFound:
        raise  # before DomainError, which it is: the page decorator answers 404
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(
            safe_next(request, request.POST.get("next")) or reverse("billing:invoices", args=[workspace_slug])
        )
    messages.success(request, _("Payment received."))
    return redirect(f"{client_url(workspace_slug, payment.session.client_id)}?tab=payments")


# --- money owed: the practice-wide payments worklist -------------------------------------------

WORKLIST_STATUSES = [
    (selectors.OUTSTANDING, _("Owed")),
    (PaymentStatus.OVERDUE.value, _("Overdue")),
    (PaymentStatus.PENDING.value, _("Pending")),
    (PaymentStatus.PAID.value, _("Paid")),
    ("all", _("All")),
]
WORKLIST_PAGE = 50
# The page's query-string names → the payments API's, for the CSV link of the same query.
API_NAMES = {
    "status": "status",
    "practitioner": "practitioner_id",
    "client": "client_id",
    "therapy_type": "therapy_type_id",
    "method": "method",
    "due_from": "due_from",
    "due_to": "due_to",
}


def worklist_filters(params: Any) -> dict[str, Any]:
    """The worklist's filters from the query string; a value that is not one means "no filter"
    (a page, unlike the API, does not refuse a hand-edited URL)."""
    status = params.get("status", selectors.OUTSTANDING)
    if status not in {value for value, _label in WORKLIST_STATUSES}:
        status = selectors.OUTSTANDING
    method = params.get("method") or None
    return {
        "status": None if status == "all" else status,
        "practitioner_id": id_or_none(params.get("practitioner")),
        "client_id": id_or_none(params.get("client")),
        "therapy_type_id": id_or_none(params.get("therapy_type")),
        "method": method if method in PaymentMethod.values else None,
        "due_from": date_or_none(params.get("due_from")),
        "due_to": date_or_none(params.get("due_to")),
    }


def _query(values: dict[str, Any]) -> str:
    query = QueryDict(mutable=True)
    for key, value in values.items():
        if value not in (None, ""):
            query[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
    return query.urlencode()


@workspace_page("billing.read")
def payments_worklist(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """What the practice is owed: pending and overdue payments (or any status), oldest due first,
    filtered by practitioner, client, therapy type, method and due dates; totals per status of the
    same filters; several marked paid at once; a CSV of the same query."""
    member = request.member
    filters = worklist_filters(request.GET)
    status = filters["status"] or "all"
    qs = selectors.payments_for(member, **filters)
    order = Keyset("due_date")
    try:
        rows, next_cursor = keyset_page(
            qs, cursor=request.GET.get("cursor"), limit=WORKLIST_PAGE, order=order
        )
    except ValidationFailed:
        rows, next_cursor = keyset_page(qs, cursor=None, limit=WORKLIST_PAGE, order=order)
    # The status cards: the same filters in every status (each card opens its status).
    totals = selectors.payment_totals(selectors.payments_for(member, **{**filters, "status": None}))
    page_values = {
        "status": status,
        "practitioner": filters["practitioner_id"],
        "client": filters["client_id"],
        "therapy_type": filters["therapy_type_id"],
        "method": filters["method"],
        "due_from": filters["due_from"],
        "due_to": filters["due_to"],
    }
    api_values = {API_NAMES[key]: value for key, value in page_values.items() if key != "status"}
    api_values["status"] = filters["status"]
    api_values["sort"] = "due_date"
    context = {
        "nav": "payments",
        "payments": rows,
        "next_url": f"?{_query({**page_values, 'cursor': next_cursor})}" if next_cursor else None,
        "appending": bool(request.GET.get("cursor")),
        "values": page_values,
        "statuses": WORKLIST_STATUSES,
        # Each card: its status, label, totals of the same filters, and the link that opens it.
        "status_cards": [
            (value, label, totals[value], f"?{_query({**page_values, 'status': value})}")
            for value, label in WORKLIST_STATUSES
            if value in totals
        ],
        "practitioners": practitioner_choices(member, include=filters["practitioner_id"]),
        "clients": client_choices(member, include=filters["client_id"]),
        "therapy_types": list(
            TherapyType.objects.for_workspace(member.workspace).order_by("name").values_list("id", "name")
        ),
        "methods": PaymentMethod.choices,
        "csv_url": reverse("api:payments_export", kwargs={"workspace_slug": workspace_slug})
        + f"?{_query(api_values)}",
        "can_mark_paid": member.has_perm("billing.manage") and member.has_perm("session.read"),
        "today": local_today(member.workspace),
        "here": request.get_full_path(),
    }
    template = (
        "billing/_worklist_rows.html" if request.htmx and context["appending"] else "billing/worklist.html"
    )
    return render(request, template, context)


@require_POST
@workspace_page("billing.manage", "session.read")
def payments_mark_paid(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """The worklist's bulk action: the chosen payments paid with one method (all or none)."""
    member = request.member
    back = safe_next(request, request.POST.get("next")) or reverse(
        "billing:payments", kwargs={"workspace_slug": workspace_slug}
    )
    ids = [id_or_none(value) or value for value in request.POST.getlist("payment")]
    try:
        saved = services.payments_mark_paid(
            member=member,
            payment_ids=ids,
            method=request.POST.get("method") or None,
            paid_date=request.POST.get("paid_date") or None,
        )
    except NotFound:
        raise  # before DomainError, which it is: the page decorator answers 404
    except DomainError as exc:
        details = [error.message for error in exc.fields if error.message != exc.message]
        messages.error(request, " ".join([exc.message, *details]))
        return redirect(back)
    total = sum((p.amount for p in saved), Decimal("0.00"))
    messages.success(
        request,
        ngettext(
            "%(count)d payment marked paid (%(total)s).",
            "%(count)d payments marked paid (%(total)s).",
            len(saved),
        )
        % {"count": len(saved), "total": format_money(total, member.workspace.currency)},
    )
    return redirect(back)


@workspace_page("billing.read")
def payment_receipt(request: PageRequest, workspace_slug: str, payment_id: int) -> HttpResponse:
    return receipt_response(receipts.payment_receipt(request.member, payment_id))


@workspace_page("billing.read")
def invoice_receipt(request: PageRequest, workspace_slug: str, invoice_id: int) -> HttpResponse:
    return receipt_response(receipts.invoice_receipt(request.member, invoice_id))


# --- partials other pages load (htmx): a client's balance, a session's payment ------------------


@workspace_page("billing.read")
def client_balance(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    """The client page's header badge: what the client owes (pending and overdue), or that they owe
    nothing; links to their Payments tab."""
    balance = selectors.client_balance(request.member, client_id)
    return render(
        request,
        "billing/_client_balance.html",
        {"balance": balance, "client_url": client_url(workspace_slug, client_id)},
    )


@workspace_page("billing.read", "session.read")
def session_payment(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    """The session page's payment: amount, status, method, dates and the receipt once paid (or that
    none was recorded). Administrative only; a session of another workspace is a 404."""
    member = request.member
    payment = selectors.payments_for(member, session_id=session_id).first()
    if payment is None and not Session.objects.for_workspace(member.workspace).filter(pk=session_id).exists():
        raise NotFound()
    return render(
        request,
        "billing/_session_payment.html",
        {
            "payment": payment,
            "pix": pix_codes(member, [payment]).get(payment.pk) if payment is not None else None,
            "session_id": session_id,
            "can_manage": member.has_perm("billing.manage"),
            "methods": PaymentMethod.choices,
            "here": session_url(workspace_slug, session_id),
        },
    )


# --- PIX: the codes on pages, and the settings page ---------------------------------------------


def pix_codes(member: Membership, payments: list[Any]) -> dict[int, dict[str, Any]]:
    """Payment id -> its PIX code and QR (inline SVG), for each amount due (the payments were read
    with `billing.read`); a paid payment, a workspace without a key or not in BRL has none."""
    settings = selectors.pix_settings_for(member)
    shown: dict[int, dict[str, Any]] = {}
    for payment in payments:
        code = selectors.payment_pix(member.workspace, payment, settings)
        if code is not None:
            svg = pix.qr_svg(code.payload, title=_("PIX QR code"))
            shown[payment.pk] = {"payload": code.payload, "txid": code.txid, "svg": svg}
    return shown


@workspace_page("workspace.manage")
def pix_settings(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """Settings → PIX: the key, receiver name and city printed in the codes of amounts due."""
    member = request.member
    current = selectors.pix_settings_for(member)
    initial = {
        "key": current.key if current else "",
        "merchant_name": current.merchant_name if current else member.workspace.name[: pix.NAME_MAX],
        "city": current.city if current else "",
        "description": current.description if current else "",
    }
    form = PixSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.pix_settings_update(member=member, data=form.cleaned_data)
        except ValidationFailed as exc:
            for error in exc.fields:
                form.add_error(error.path if error.path in form.fields else None, error.message)
        else:
            messages.success(request, _("PIX settings saved."))
            return redirect("billing:pix_settings", workspace_slug=workspace_slug)
    example = None
    if current is not None and current.key:
        example = pix.static_payload(
            key=current.key, name=current.merchant_name, city=current.city, description=current.description
        )
    return render(
        request,
        "billing/pix_settings.html",
        {
            "nav": "settings",
            "settings_active": "pix",
            "form": form,
            "brl": member.workspace.currency == selectors.PIX_CURRENCY,
            "example": example,
            "example_svg": pix.qr_svg(example, title=_("PIX QR code")) if example else "",
        },
    )
