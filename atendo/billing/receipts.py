"""Receipts (a *Recibo* in Brazil, a *Receipt* in the US): what a client keeps as proof of payment,
e.g. for the income-tax deduction of health expenses (Receita Federal asks for the professional's
name, registration and CPF/CNPJ, the client's name and CPF, the amount, the date and the service).

One receipt per paid payment and one per paid invoice. A receipt is administrative: it names the
service (the therapy type, else the session's name) and never carries clinical content — no notes,
no field values, no therapy answers. The client's tax id is the value of the client field the
workspace names (`client_tax_id_field`), read only when that field is administrative: a clinical
field is never printed, whoever downloads the receipt.

`payment_receipt` / `invoice_receipt` gather the facts (checking access, 409 until paid);
`receipt_pdf` renders them in the workspace's document language (`Workspace.language`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from atendo.billing import selectors
from atendo.billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod, PaymentStatus
from atendo.billing.words import amount_in_words
from atendo.clients.models import Client
from atendo.core import formats
from atendo.core.errors import Conflict
from atendo.fields.models import FieldDefinition
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership, Workspace


@dataclass(frozen=True)
class Professional:
    name: str
    profession: str
    registration: str
    tax_id: str


@dataclass(frozen=True)
class ReceiptItem:
    day: dt.date
    description: str
    amount: Decimal


@dataclass
class Receipt:
    """Everything a receipt prints, already chosen and checked (no database access when rendering)."""

    kind: str  # "payment" | "invoice"
    number: str
    language: str  # "pt-br" | "en"
    practice_name: str
    practice_address: str
    professionals: list[Professional]
    client_name: str
    client_tax_id: str
    amount: Decimal
    currency: str
    method: str  # the method's label in the receipt's language
    paid_on: dt.date
    issued_on: dt.date
    items: list[ReceiptItem] = field(default_factory=list)

    @property
    def amount_words(self) -> str:
        return amount_in_words(self.amount, self.currency, self.language)

    @property
    def filename(self) -> str:
        word = "recibo" if self.language == "pt-br" else "receipt"
        return f"{word}-{self.number}.pdf"


def client_tax_id(workspace: Workspace, client: Client) -> str:
    """The client's tax id from the field the workspace names, if that field is an administrative,
    active client field; else "" (never a clinical value)."""
    key = workspace.client_tax_id_field
    if not key:
        return ""
    usable = (
        FieldDefinition.objects.for_workspace(workspace)
        .filter(scope="client", key=key, clinical=False, archived=False)
        .exists()
    )
    value = (client.fields or {}).get(key) if usable else None
    if value is None or isinstance(value, dict | list | bool):
        return ""
    return str(value).strip()[:60]


def professional(member: Membership) -> Professional:
    return Professional(
        name=member.display_name,
        profession=member.profession,
        registration=member.registration,
        tax_id=member.tax_id,
    )


def service_name(session: Session) -> str:
    """What was paid for: the therapy type, else the session's (administrative) name."""
    return session.therapy_type.name if session.therapy_type_id else session.name  # type: ignore[union-attr]


def method_label(method: str, language: str) -> str:
    if not method:
        return ""
    with translation.override(language):
        return str(PaymentMethod(method).label) if method in PaymentMethod.values else method


def _not_paid() -> Conflict:
    return Conflict(_("A receipt is issued once the payment is paid."), code="not_paid")


def payment_receipt(member: Membership, payment_id: int) -> Receipt:
    """The receipt of one paid payment (`billing.read`); 404 outside the workspace, 409 unpaid."""
    payment: Payment = selectors.payment_get_for(member, payment_id)
    return receipt_of_payment(member.workspace, payment)


def receipt_of_payment(workspace: Workspace, payment: Payment) -> Receipt:
    """The receipt of a paid payment the caller has already found readable (the client portal's
    door reads a client's own payments without a member); 409 unpaid."""
    if payment.status != PaymentStatus.PAID or payment.paid_date is None:
        raise _not_paid()
    session = payment.session
    language = formats.language_of(workspace.language)
    return Receipt(
        kind="payment",
        number=f"{payment.pk:06d}",
        language=language,
        practice_name=workspace.name,
        practice_address=workspace.address,
        professionals=[professional(session.practitioner)],
        client_name=session.client.name,
        client_tax_id=client_tax_id(workspace, session.client),
        amount=payment.amount,
        currency=payment.currency,
        method=method_label(payment.method, language),
        paid_on=payment.paid_date,
        issued_on=timezone.localdate(timezone=workspace.tz),
        items=[
            ReceiptItem(
                day=session.starts_at.astimezone(workspace.tz).date(),
                description=service_name(session),
                amount=payment.amount,
            )
        ],
    )


def invoice_receipt(member: Membership, invoice_id: int) -> Receipt:
    """The receipt of a paid invoice (`billing.read`): its lines, their practitioners; 409 unless paid."""
    invoice: Invoice = selectors.invoice_get_for(member, invoice_id)
    if invoice.status != InvoiceStatus.PAID or invoice.paid_at is None:
        raise _not_paid()
    workspace = member.workspace
    language = formats.language_of(workspace.language)
    lines = sorted(invoice.lines.all(), key=lambda line: (line.position, line.pk))
    sessions = {
        s.pk: s
        for s in Session.objects.for_workspace(workspace)
        .filter(pk__in=[line.session_id for line in lines])
        .select_related("practitioner__user", "payment")
    }
    practitioners: dict[int, Membership] = {}
    methods: list[str] = []
    for line in lines:
        session = sessions.get(line.session_id)
        if session is None:
            continue
        practitioners.setdefault(session.practitioner_id, session.practitioner)
        payment = getattr(session, "payment", None)
        if payment is not None and payment.method and payment.method not in methods:
            methods.append(payment.method)
    return Receipt(
        kind="invoice",
        number=invoice.display_number,
        language=language,
        practice_name=workspace.name,
        practice_address=workspace.address,
        professionals=[professional(m) for m in practitioners.values()],
        client_name=invoice.client.name,
        client_tax_id=client_tax_id(workspace, invoice.client),
        amount=invoice.total,
        currency=invoice.currency,
        method=", ".join(method_label(m, language) for m in methods),
        paid_on=invoice.paid_at.astimezone(workspace.tz).date(),
        issued_on=timezone.localdate(timezone=workspace.tz),
        items=[
            ReceiptItem(
                day=line.session_date,
                description=line.therapy_type_name or line.description,
                amount=line.amount,
            )
            for line in lines
        ],
    )
