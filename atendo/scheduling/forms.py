"""Forms of the session pages, and the filter bar shared by the calendar and the list.

Forms only shape input for the services (`atendo.scheduling.services`); every rule (times, overlaps,
permissions, custom-field validation) is checked there, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from atendo.clients.models import Client
from atendo.core.clean import id_or_none
from atendo.fields.engine import filterable_definitions
from atendo.scheduling.models import MAX_DURATION_MINUTES, MAX_NAME_LENGTH, SessionStatus
from atendo.workspaces.models import Membership
from atendo.workspaces.selectors import members_list, practitioners_list

STATUS_LEGEND = [
    ("scheduled", "#2f6fb3"),
    ("in_progress", "#b54708"),
    ("completed", "#067647"),
    ("cancelled", "#98a2b3"),
]
CLIENT_OPTIONS_LIMIT = 300


def practitioner_choices(member: Membership, *, include: int | None = None) -> list[tuple[int, str]]:
    """The members who offer sessions (plus `include`, a session's current practitioner)."""
    return [(m.pk, m.display_name) for m in practitioners_list(member, include=include)]


def team_choices(member: Membership) -> list[tuple[int, str]]:
    """Every active member (a `team_member` field may name anyone who works here)."""
    return [(m.pk, m.display_name) for m in members_list(member, include_inactive=False)]


def client_choices(
    member: Membership, *, query: str = "", include: int | None = None
) -> list[tuple[int, str]]:
    """Clients to pick from (names only; no clinical content). Needs `client.read`."""
    if not member.has_perm("client.read"):
        return []
    qs = Client.objects.for_workspace(member.workspace).filter(archived=False)
    if query:
        qs = qs.filter(name__icontains=query)
    rows = list(qs.order_by("name", "id").values_list("id", "name")[:CLIENT_OPTIONS_LIMIT])
    if include and all(pk != include for pk, _name in rows):
        rows += list(
            Client.objects.for_workspace(member.workspace).filter(pk=include).values_list("id", "name")
        )
    return rows


def filter_context(member: Membership, params: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the filter bar needs: choices and the values currently chosen (from the URL)."""
    definitions = filterable_definitions(workspace=member.workspace, scope="session")
    field_filters = []
    for key, definition in definitions.items():
        options: list[tuple[str, str]] = []
        if definition.type == "select":
            options = [
                (str(o.get("value")), str(o.get("label") or o.get("value")))
                for o in (definition.options or [])
                if not o.get("retired")
            ]
        elif definition.type == "boolean":
            options = [("true", str(_("Yes"))), ("false", str(_("No")))]
        elif definition.type == "team_member":
            options = [(str(pk), name) for pk, name in team_choices(member)]
        field_filters.append(
            {
                "key": key,
                "name": f"field.{key}",
                "label": definition.label,
                "type": definition.type,
                "options": options,
                "value": str(params.get(f"field.{key}", "")),
            }
        )
    client_id = id_or_none(params.get("client"))
    clients = client_choices(member, include=client_id)
    return {
        "practitioners": practitioner_choices(member),
        "clients": clients,
        "many_clients": len(clients) >= CLIENT_OPTIONS_LIMIT,
        "statuses": list(SessionStatus.choices),
        "fields": field_filters,
        "client": client_id,
        "practitioner": id_or_none(params.get("practitioner")),
        "status": params.get("status", "") if params.get("status") in SessionStatus.values else "",
    }


def selected_filters(member: Membership, params: Mapping[str, Any]) -> dict[str, Any]:
    """The filters in the selector's terms (`client_id`, `practitioner_id`, `status`, fields)."""
    definitions = filterable_definitions(workspace=member.workspace, scope="session")
    fields = {
        key: str(params.get(f"field.{key}"))
        for key in definitions
        if params.get(f"field.{key}") not in (None, "")
    }
    status = params.get("status")
    return {
        "client_id": id_or_none(params.get("client")),
        "practitioner_id": id_or_none(params.get("practitioner")),
        "status": [status] if status in SessionStatus.values else None,
        "field_filters": fields or None,
    }


class DateInput(forms.DateInput):
    input_type = "date"


class SessionForm(forms.Form):
    """The basic details of a session (create and edit). Phases and recurrence are separate.

    `can_move=False` (a member who cannot read the session's clinical content) shows the client,
    practitioner and therapy type without letting them change: the service refuses that anyway.
    """

    name = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH)
    client = forms.TypedChoiceField(label=_("Client"), coerce=int)
    practitioner = forms.TypedChoiceField(label=_("Practitioner"), coerce=int)
    therapy_type = forms.TypedChoiceField(
        label=_("Therapy type"), coerce=int, required=False, empty_value=None
    )
    date = forms.DateField(label=_("Date"), widget=DateInput)
    start_time = forms.TimeField(
        label=_("Start time"),
        help_text=_("24-hour, HH:mm"),
        widget=forms.TimeInput(
            format="%H:%M",
            attrs={
                "inputmode": "numeric",
                "pattern": "([01][0-9]|2[0-3]):[0-5][0-9]",
                "placeholder": "HH:mm",
                "list": "slot-times",
                "autocomplete": "off",
                "size": 5,
            },
        ),
        input_formats=["%H:%M", "%H:%M:%S"],
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=MAX_DURATION_MINUTES
    )
    status = forms.ChoiceField(label=_("Status"), choices=SessionStatus.choices)
    notes = forms.CharField(
        label=_("Session notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    admin_notes = forms.CharField(
        label=_("Admin notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    video_url = forms.CharField(
        label=_("Video link"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
        help_text=_(
            "For an online session (https://…). Sent to the client in reminders: no clinical details."
        ),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        client_options: list[tuple[int, str]],
        practitioner_options: list[tuple[int, str]],
        therapy_options: list[tuple[int, str]],
        show_notes: bool = True,
        can_move: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", _("Choose a client…")), *client_options]  # type: ignore[attr-defined]
        # No practitioner is preselected for a member who does not offer sessions (an assistant
        # booking): the form asks for one rather than defaulting to them.
        self.fields["practitioner"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose the practitioner…")),
            *practitioner_options,
        ]
        self.fields["therapy_type"].choices = [("", _("None")), *therapy_options]  # type: ignore[attr-defined]
        if not show_notes:
            del self.fields["notes"]
        if not can_move:
            for name in ("client", "practitioner", "therapy_type"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Changing it needs read access to this session's clinical content."
                )


REPEAT_CHOICES = [
    ("", _("Does not repeat")),
    ("weekly", _("Every week")),
    ("every_n_weeks", _("Every N weeks")),
    ("monthly", _("Every month")),
]


class RecurrenceForm(forms.Form):
    """Turns the repeat controls into an RFC 5545 RRULE for the series service."""

    repeat = forms.ChoiceField(label=_("Repeat"), choices=REPEAT_CHOICES, required=False)
    interval = forms.IntegerField(label=_("Every how many weeks"), min_value=1, max_value=52, required=False)
    ends = forms.ChoiceField(
        label=_("Ends"),
        choices=[("count", _("After a number of sessions")), ("until", _("On a date"))],
        required=False,
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(label=_("Number of sessions"), min_value=1, max_value=200, required=False)
    until = forms.DateField(label=_("Last date"), required=False, widget=DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("repeat"):
            return data
        ends = data.get("ends") or "count"
        if ends == "count" and not data.get("count"):
            self.add_error("count", _("How many sessions should the series have?"))
        if ends == "until" and not data.get("until"):
            self.add_error("until", _("Choose the date of the last session."))
        if data.get("repeat") == "every_n_weeks" and not data.get("interval"):
            self.add_error("interval", _("Every how many weeks?"))
        return data

    def rrule(self) -> str | None:
        data = self.cleaned_data
        repeat = data.get("repeat")
        if not repeat:
            return None
        parts = ["FREQ=MONTHLY" if repeat == "monthly" else "FREQ=WEEKLY"]
        if repeat == "every_n_weeks":
            parts.append(f"INTERVAL={data['interval']}")
        if (data.get("ends") or "count") == "until":
            parts.append(f"UNTIL={data['until']:%Y%m%d}T235959")
        else:
            parts.append(f"COUNT={data['count']}")
        return ";".join(parts)
