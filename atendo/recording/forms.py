"""The record form's own part (the payment part is billing's `PaymentForm`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from atendo.scheduling.models import MAX_DURATION_MINUTES


class RecordForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    therapy_type = forms.TypedChoiceField(
        label=_("Therapy type"), coerce=int, empty_value=None, required=False
    )
    actual_duration_minutes = forms.IntegerField(
        label=_("Actual duration (minutes)"), min_value=1, max_value=MAX_DURATION_MINUTES
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
            # Shown, not changeable: another type would replace therapy fields this member cannot see.
            self.fields["therapy_type"].disabled = True
