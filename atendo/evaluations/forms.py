"""The evaluation form: a few fixed inputs plus the workspace's evaluation fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class EvaluationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    session = forms.TypedChoiceField(label=_("Linked session"), coerce=int, empty_value=None, required=False)
    clinical = forms.BooleanField(
        label=_("Clinical (only readers of this client's clinical content see it)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, session_choices: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", "—"), *session_choices]  # type: ignore[attr-defined]
