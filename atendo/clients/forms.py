"""Page form for a client's basic details (the custom fields come from `fields.forms`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from atendo.core.errors import DomainError
from atendo.workspaces.models import Membership


class ClientForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    practitioner_ids = forms.MultipleChoiceField(
        label=_("Practitioners"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Practitioners with access to this client's clinical content."),
    )

    def __init__(self, *args: Any, member: Membership, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not member.has_perm("client.assign"):
            # Choosing who reads a client's record is `client.assign`'s (see clinical.access).
            del self.fields["practitioner_ids"]
            return
        members = (
            Membership.objects.for_workspace(member.workspace)
            .filter(is_active=True)
            .select_related("user")
            .order_by("user__name", "user__email")
        )
        field = self.fields["practitioner_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(m.pk), m.user.display_name) for m in members]

    def to_data(self) -> dict[str, Any]:
        """The services' input: a `date`, ids as ints; `practitioner_ids` only if the form has it."""
        d = self.cleaned_data
        data: dict[str, Any] = {
            "name": d.get("name", ""),
            "email": d.get("email", ""),
            "phone": d.get("phone", ""),
            "birth_date": d.get("birth_date"),
        }
        if "practitioner_ids" in self.fields:
            data["practitioner_ids"] = [int(v) for v in d.get("practitioner_ids") or []]
        return data

    def add_domain_error(self, exc: DomainError) -> bool:
        """Put service errors on the basic fields; True if any error was not for them."""
        rest = False
        for error in exc.fields:
            head = error.path.split("[", 1)[0].split(".", 1)[0]
            if head in self.fields:
                self.add_error(head, error.message)
            else:
                rest = True
        if not exc.fields:
            self.add_error(None, exc.message)
        return rest
