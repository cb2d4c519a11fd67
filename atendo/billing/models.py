"""Payments (one per session), invoices with gapless numbers per workspace, and their lines."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class PaymentStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    PENDING = "pending", _("Pending")
    OVERDUE = "overdue", _("Overdue")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    PIX = "pix", _("PIX")
    CARD = "card", _("Card")
    OTHER = "other", _("Other")


class PaymentFee(models.TextChoices):
    """A payment that is a fee for a session that did not take place (see `billing.fees`)."""

    NO_SHOW = "no_show", _("No-show fee")
    LATE_CANCEL = "late_cancel", _("Late cancellation fee")


class Payment(TenantModel):
    """What a session costs and whether it was paid. Administrative, never clinical.

    `fee` is blank for the price of a session, or says it is a no-show / late-cancellation fee."""

    session = models.OneToOneField("scheduling.Session", on_delete=models.CASCADE, related_name="payment")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices, blank=True)
    due_date = models.DateField(_("due date"))
    paid_date = models.DateField(_("paid on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    fee = models.CharField(
        _("fee"), max_length=20, choices=PaymentFee.choices, blank=True, default="", db_default=""
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "status", "due_date"], name="payment_ws_status_due"),
            models.Index(fields=["workspace", "-id"], name="payment_ws_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=models.Q(status__in=["paid", "pending", "overdue"]), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=["", "cash", "pix", "card", "other"]),
                name="payment_method_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.amount} ({self.status})"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class Invoice(TenantModel):
    """An invoice to one client for one or more of their sessions.

    Drafts have no number; `invoice_issue` assigns the next gapless number of the workspace and
    freezes the workspace and client details in `details`. Issued invoices are never edited, only
    marked paid or voided (a voided number stays used, so the sequence keeps no gaps).
    """

    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=0)
    notes = models.TextField(_("notes"), blank=True)
    # Workspace and client details frozen at issue (name, e-mail, phone…), so a later edit of the
    # client does not change an issued invoice.
    details = models.JSONField(default=dict, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "client", "-id"], name="invoice_ws_client"),
            models.Index(fields=["workspace", "status", "-id"], name="invoice_ws_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "number"],
                condition=models.Q(number__isnull=False),
                name="invoice_unique_number",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False),
                name="invoice_issued_has_number",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}" if self.number else f"draft {self.pk}"

    @property
    def display_number(self) -> str:
        return f"{self.number:06d}" if self.number else ""


class InvoiceLine(TenantModel):
    """One session on an invoice. `live` is False once the invoice is void, so the partial unique
    constraint lets a session be on at most one live (non-void) invoice, enforced by the database."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", db_index=False)
    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.PROTECT, related_name="invoice_lines", db_index=False
    )
    position = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=200)
    session_date = models.DateField()
    therapy_type_name = models.CharField(max_length=120, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    live = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "invoice", "position"], name="invoiceline_ws_invoice"),
            models.Index(fields=["workspace", "session"], name="invoiceline_ws_session"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "session"],
                condition=models.Q(live=True),
                name="invoiceline_one_live_invoice_per_session",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="invoiceline_amount_not_negative"),
        ]


class InvoiceCounter(models.Model):
    """The last invoice number of a workspace. Issuing locks this row (select_for_update), so
    concurrent issues queue and the numbers stay 1, 2, 3… with no gap or duplicate."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.last_number}"


class PixSettings(models.Model):
    """A Brazilian workspace's PIX receiving details: the key (as the BR Code carries it, see
    `billing.pix.normalize_key`), the receiver's name and city printed in the code, and an optional
    short description. With a key, pending payments of a BRL workspace show a "copia e cola" code."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("PIX key"), max_length=77, blank=True)
    key_type = models.CharField(_("key type"), max_length=10, blank=True)
    merchant_name = models.CharField(_("receiver name"), max_length=25, blank=True)
    city = models.CharField(_("city"), max_length=15, blank=True)
    description = models.CharField(_("description"), max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.key_type}"
