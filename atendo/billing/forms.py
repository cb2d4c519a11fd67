"""Page forms of billing and of the record page. They only carry input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from atendo.billing.models import PaymentMethod, PaymentStatus
from atendo.core.errors import DomainError


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PaymentForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "150.00"}),
    )
    status = forms.ChoiceField(label=_("Payment status"), choices=PaymentStatus.choices, initial="pending")
    method = forms.ChoiceField(label=_("Method"), choices=[("", "—"), *PaymentMethod.choices], required=False)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput())
    paid_date = forms.DateField(label=_("Paid on"), required=False, widget=DateInput())

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.cleaned_data["status"],
            "method": self.cleaned_data.get("method") or "",
        }
        amount = (self.cleaned_data.get("amount") or "").strip().replace(",", ".")
        if amount:
            data["amount"] = amount
        for key in ("due_date", "paid_date"):
            # A paid date belongs to a paid payment: a form whose status left "paid" drops it.
            if key == "paid_date" and data["status"] != "paid":
                continue
            if self.cleaned_data.get(key):
                data[key] = self.cleaned_data[key].isoformat()
        return data


class InvoiceNewForm(forms.Form):
    sessions = forms.TypedMultipleChoiceField(
        label=_("Sessions"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one session.")},
    )
    notes = forms.CharField(
        label=_("Notes on the invoice"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, session_choices: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["sessions"].choices = session_choices  # type: ignore[attr-defined]


def attach_errors(exc: DomainError, targets: dict[str, forms.Form], default: forms.Form) -> None:
    """Put each error of a service next to its input: `payment.amount` on the payment form,
    `therapy_fields.chakras[0]` on the therapy-fields form, others on `default`."""
    if not exc.fields:
        default.add_error(None, exc.message)
        return
    for error in exc.fields:
        head, _sep, rest = error.path.partition(".")
        form = targets.get(head)
        if form is not None and rest:
            key = rest.split(".")[0].split("[")[0]
            if key in form.fields:
                form.add_error(key, error.message)
                continue
            form.add_error(None, f"{rest}: {error.message}")
            continue
        key = {"therapy_type_id": "therapy_type"}.get(head, head.split("[")[0])
        if key in default.fields:
            default.add_error(key, error.message)
        else:
            default.add_error(None, f"{error.path}: {error.message}" if error.path else error.message)


class PixSettingsForm(forms.Form):
    """The PIX settings page: the services validate (key check digits, lengths)."""

    key = forms.CharField(
        label=_("PIX key"),
        required=False,
        max_length=100,
        help_text=_("CPF, CNPJ, e-mail, phone with +55 or random key. Leave empty to turn PIX codes off."),
    )
    merchant_name = forms.CharField(
        label=_("Receiver name"),
        required=False,
        max_length=60,
        help_text=_("As the bank shows it; up to 25 letters."),
    )
    city = forms.CharField(label=_("City"), required=False, max_length=40, help_text=_("Up to 15 letters."))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=40,
        help_text=_("Optional, shown by some banking apps."),
    )
