"""Page forms for therapy types; the rules live in the services, the forms only carry input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from atendo.core.errors import ValidationFailed


def apply_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Show a service's ValidationFailed next to the matching form fields (or on top)."""
    for error in exc.fields or []:
        key = error.path.split(".")[0].split("[")[0]
        form.add_error(key if key in form.fields else None, error.message)
    if not exc.fields:
        form.add_error(None, exc.message)


class TherapyTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    color = forms.CharField(
        label=_("Colour"), max_length=7, initial="#4f7cac", widget=forms.TextInput(attrs={"type": "color"})
    )
    default_duration_minutes = forms.IntegerField(
        label=_("Default duration (minutes)"), required=False, min_value=1, max_value=1440
    )
    default_price = forms.CharField(
        label=_("Default price"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "150.00"}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def to_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["default_price"] = (data.get("default_price") or "").replace(",", ".").strip() or None
        return data
