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
            if self.cleaned_data.get(key):
                data[key] = self.cleaned_data[key].isoformat()
        return data


class RecordForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    therapy_type = forms.TypedChoiceField(
        label=_("Therapy type"), coerce=int, empty_value=None, required=False
    )
    actual_duration_minutes = forms.IntegerField(
        label=_("Actual duration (minutes)"), min_value=1, max_value=24 * 60
    )
    notes = forms.CharField(
        label=_("Session notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Clinical: only readers of this client's clinical content see them."),
    )
    take_payment = forms.BooleanField(label=_("Record the payment"), required=False, initial=True)

    def __init__(self, *args: Any, therapy_choices: list[tuple[int, str]], clinical_ok: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["therapy_type"].choices = [("", "—"), *therapy_choices]  # type: ignore[attr-defined]
        self.fields["therapy_type"].widget.attrs["data-reload-param"] = "therapy_type"
        if not clinical_ok:
            del self.fields["notes"]


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
