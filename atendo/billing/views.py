"""Pages: invoices (list, new, detail, issue / mark paid / void / delete, PDF), a client's payments
tab, recording a session, and a session's attachments (an include of the session page)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendo.billing import selectors, services
from atendo.billing.api import pdf_response
from atendo.billing.forms import InvoiceNewForm, PaymentForm, RecordForm, attach_errors
from atendo.billing.models import InvoiceLine, InvoiceStatus, PaymentMethod
from atendo.clients.clinical import can_read_clinical
from atendo.clients.models import Client
from atendo.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from atendo.core.views import workspace_page
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    member = _member(request)
    context.setdefault("nav", "clients")
    with timezone.override(member.workspace.tz):
        return render(request, template, context, status=status)


def _url_or_none(name: str, **kwargs: Any) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def session_url(workspace_slug: str, session_id: int) -> str:
    return _url_or_none("scheduling:detail", workspace_slug=workspace_slug, session_id=session_id) or "#"


def client_url(workspace_slug: str, client_id: int) -> str | None:
    return _url_or_none("clients:detail", workspace_slug=workspace_slug, client_id=client_id)


# --- invoices ------------------------------------------------------------------------------------


@workspace_page("billing.read")
def invoice_list(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    member = _member(request)
    status = request.GET.get("status") or None
    if status not in (None, *InvoiceStatus.values):
        status = None
    client_id = request.GET.get("client")
    qs = selectors.invoices_for(
        member, status=status, client_id=int(client_id) if client_id and client_id.isdigit() else None
    )
    try:
        rows, next_cursor = selectors.page_of(qs, cursor=request.GET.get("cursor"), limit=50)
    except ValidationFailed:
        rows, next_cursor = selectors.page_of(qs, cursor=None, limit=50)
    return _render(
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
def invoice_new(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    member = _member(request)
    raw = request.GET.get("client") or request.POST.get("client") or ""
    client = (
        Client.objects.for_workspace(member.workspace).filter(pk=int(raw)).first() if raw.isdigit() else None
    )
    if client is None:
        raise Http404
    tz = member.workspace.tz
    sessions = _invoiceable_sessions(member, client)

    def label(s: Session) -> str:
        payment = getattr(s, "payment", None)
        amount = payment.amount if payment else (s.therapy_type.default_price if s.therapy_type else None)
        parts = [s.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), s.name]
        if s.therapy_type:
            parts.append(s.therapy_type.name)
        if amount is not None:
            parts.append(f"{member.workspace.currency} {amount}")
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
    return _render(
        request,
        "billing/invoice_new.html",
        {"client": client, "form": form, "client_url": client_url(workspace_slug, client.pk)},
        status=status,
    )


@workspace_page("billing.read")
def invoice_detail(request: HttpRequest, workspace_slug: str, invoice_id: int) -> HttpResponse:
    member = _member(request)
    try:
        invoice = selectors.invoice_get_for(member, invoice_id)
    except NotFound:
        raise Http404 from None
    lines = sorted(invoice.lines.all(), key=lambda line: (line.position, line.pk))
    return _render(
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


ACTIONS = {"issue", "mark-paid", "void", "delete"}


@require_POST
@workspace_page("billing.manage")
def invoice_action(request: HttpRequest, workspace_slug: str, invoice_id: int, action: str) -> HttpResponse:
    member = _member(request)
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
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("billing:invoice_detail", workspace_slug=workspace_slug, invoice_id=invoice_id)


@workspace_page("billing.read")
def invoice_pdf(request: HttpRequest, workspace_slug: str, invoice_id: int) -> HttpResponse:
    member = _member(request)
    try:
        invoice = selectors.invoice_get_for(member, invoice_id)
    except NotFound:
        raise Http404 from None
    return pdf_response(invoice, member.workspace)


# --- a client's payments (the Payments tab of the client page) ---------------------------------


@workspace_page("billing.read")
def client_payments(request: HttpRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = _member(request)
    try:
        balance = selectors.client_balance(member, client_id)
    except NotFound:
        raise Http404 from None
    client = Client.objects.for_workspace(member.workspace).get(pk=client_id)
    payments = list(
        selectors.payments_for(member, client_id=client_id).order_by("-session__starts_at", "-pk")[:50]
    )
    invoices = list(
        selectors.invoices_for(member, client_id=client_id)
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "pk")))
        .order_by("-pk")[:20]
    )
    context = {
        "client": client,
        "balance": balance,
        "payments": [(p, session_url(workspace_slug, p.session_id)) for p in payments],
        "invoices": invoices,
        "can_manage": member.has_perm("billing.manage") and member.has_perm("session.read"),
        "client_url": client_url(workspace_slug, client_id),
        "methods": PaymentMethod.choices,
    }
    template = "billing/_client_payments.html" if request.htmx else "billing/client_payments.html"  # type: ignore[attr-defined]
    return _render(request, template, context)


@require_POST
@workspace_page("billing.manage")
def payment_mark_paid(request: HttpRequest, workspace_slug: str, payment_id: int) -> HttpResponse:
    """Take a pending or overdue payment (from the client's Payments tab)."""
    member = _member(request)
    try:
        payment = services.payment_update(
            member=member,
            payment_id=payment_id,
            data={"status": "paid", "method": request.POST.get("method") or ""},
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(request.POST.get("next") or reverse("billing:invoices", args=[workspace_slug]))
    messages.success(request, _("Payment received."))
    target = client_url(workspace_slug, payment.session.client_id)
    return redirect(
        f"{target}?tab=payments" if target else reverse("billing:invoices", args=[workspace_slug])
    )


# --- recording a session -------------------------------------------------------------------------


def _therapy_choices(member: Membership, current_id: int | None) -> list[tuple[int, str]]:
    from atendo.therapies.models import TherapyType

    qs = TherapyType.objects.for_workspace(member.workspace).order_by("name")
    return [(tt.pk, tt.name) for tt in qs if tt.active or tt.pk == current_id]


def _selected_therapy_type(
    request: HttpRequest, session: Session, choices: list[tuple[int, str]]
) -> int | None:
    raw = request.POST.get("therapy_type") if request.method == "POST" else request.GET.get("therapy_type")
    if raw is None:
        return session.therapy_type_id
    if raw == "":
        return None
    ids = {pk for pk, _label in choices}
    return int(raw) if raw.isdigit() and int(raw) in ids else session.therapy_type_id


@workspace_page("session.read", "session.update")
def record(request: HttpRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    """Record a session: therapy type, actual duration, notes, therapy fields and payment, one save."""
    from atendo.fields.engine import definitions_for
    from atendo.fields.forms import FieldValuesForm as CustomFieldsForm
    from atendo.scheduling.recording import record_defaults, recordable, session_record
    from atendo.scheduling.selectors import session_get_for
    from atendo.therapies.models import TherapyType

    member = _member(request)
    try:
        session = session_get_for(member, session_id)
    except NotFound:
        raise Http404 from None
    back = session_url(workspace_slug, session.pk)
    if not recordable(session):
        return _render(
            request,
            "scheduling/record_unavailable.html",
            {"nav": "sessions", "session": session, "back": back},
            status=409,
        )
    clinical_ok = can_read_clinical(member, session.client_id)
    can_pay = member.has_perm("billing.manage")
    choices = _therapy_choices(member, session.therapy_type_id)
    tt_id = _selected_therapy_type(request, session, choices)
    therapy_type = (
        TherapyType.objects.for_workspace(member.workspace).filter(pk=tt_id).first() if tt_id else None
    )
    definitions = (
        definitions_for(workspace=member.workspace, scope="therapy_type", therapy_type_id=tt_id)
        if clinical_ok and tt_id
        else []
    )
    defaults = record_defaults(session)
    existing_payment = session.payment if hasattr(session, "payment") else None  # type: ignore[attr-defined]
    session.therapy_type = therapy_type
    if existing_payment is not None:
        pay_initial = {
            "amount": existing_payment.amount,
            "status": existing_payment.status,
            "method": existing_payment.method,
            "due_date": existing_payment.due_date,
            "paid_date": existing_payment.paid_date,
        }
    else:
        pay_initial = services.payment_defaults(session, member.workspace)
        if pay_initial["amount"] is None:
            pay_initial.pop("amount")
    post = request.POST if request.method == "POST" else None
    form = RecordForm(
        post,
        therapy_choices=choices,
        clinical_ok=clinical_ok,
        initial={
            "version": session.version,
            "therapy_type": tt_id,
            "actual_duration_minutes": defaults["actual_duration_minutes"],
            "notes": defaults["notes"],
            "take_payment": existing_payment is not None or "amount" in pay_initial,
        },
    )
    tf_form = CustomFieldsForm(
        member=member,
        definitions=definitions,
        prefix="therapy_fields",
        values=defaults["therapy_fields"] if tt_id == session.therapy_type_id else {},
        can_write_clinical=clinical_ok,
    )
    pay_form = PaymentForm(post, prefix="pay", initial=pay_initial) if can_pay else None
    status = 200
    if request.method == "POST":
        therapy_values = tf_form.parse(request.POST, request.FILES) if clinical_ok else {}
        valid = form.is_valid() & (pay_form.is_valid() if pay_form else True)
        if valid:
            data: dict[str, Any] = {
                "version": form.cleaned_data["version"],
                "therapy_type_id": form.cleaned_data["therapy_type"],
                "actual_duration_minutes": form.cleaned_data["actual_duration_minutes"],
            }
            if clinical_ok:
                data["notes"] = form.cleaned_data.get("notes") or ""
                data["therapy_fields"] = {k: v for k, v in therapy_values.items() if v is not None}
            if pay_form is not None and form.cleaned_data.get("take_payment"):
                data["payment"] = pay_form.to_data()
            try:
                tf_form.raise_upload_errors()
                session_record(member=member, session_id=session.pk, data=data)
            except (ValidationFailed, Conflict, Forbidden) as exc:
                tf_form.add_errors(exc)
                others = [e for e in exc.fields if not e.path.startswith("therapy_fields")]
                if others or not exc.fields:
                    targets: dict[str, Any] = {"payment": pay_form} if pay_form is not None else {}
                    attach_errors(
                        type(exc)(others) if others and isinstance(exc, ValidationFailed) else exc,
                        targets,
                        form,
                    )
                status = exc.status
            else:
                messages.success(request, _("Session recorded."))
                return redirect(back)
        else:
            status = 400
    return _render(
        request,
        "scheduling/record.html",
        {
            "nav": "sessions",
            "session": session,
            "form": form,
            "tf_form": tf_form,
            "pay_form": pay_form,
            "existing_payment": existing_payment,
            "clinical_ok": clinical_ok,
            "therapy_type": therapy_type,
            "back": back,
            "currency": member.workspace.currency,
        },
        status=status,
    )


# --- a session's attachments (included in the session page) ------------------------------------


@workspace_page("session.read")
def session_attachments(request: HttpRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    from atendo.scheduling.recording import session_attachment_add, session_attachments

    member = _member(request)
    status = 200
    error = ""
    if request.method == "POST":
        declared = request.META.get("CONTENT_LENGTH") or "0"
        declared_size = int(declared) if declared.isdigit() else 0
        small = declared_size <= settings.ATTACHMENT_MAX_BYTES + 64 * 1024
        try:
            session_attachment_add(
                member=member,
                session_id=session_id,
                uploaded_file=request.FILES.get("file") if small else None,
                declared_size=declared_size,
                kind=(request.POST.get("kind") or "file") if small else "file",
                clinical=(request.POST.get("clinical", "1") != "0") if small else True,
            )
        except NotFound:
            raise Http404 from None
        except Forbidden as exc:
            error, status = exc.message, 403
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, _("File attached."))
                return redirect(session_url(workspace_slug, session_id))
    try:
        rows, withheld = session_attachments(member, session_id)
    except NotFound:
        raise Http404 from None
    context = {
        "attachments": rows,
        "withheld": withheld,
        "session_id": session_id,
        "can_update": member.has_perm("session.update"),
        "error": error,
        "max_mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }
    if request.htmx or error:  # type: ignore[attr-defined]
        return _render(request, "billing/_session_attachments.html", context, status=status)
    return _render(request, "billing/session_attachments.html", {**context, "nav": "sessions"}, status=status)


@require_POST
@workspace_page("session.read", "session.update")
def session_attachment_delete(
    request: HttpRequest, workspace_slug: str, session_id: int, attachment_id: int
) -> HttpResponse:
    from atendo.scheduling.recording import session_attachment_remove

    member = _member(request)
    try:
        session_attachment_remove(member=member, session_id=session_id, attachment_id=attachment_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Attachment deleted."))
    return redirect(session_url(workspace_slug, session_id))
