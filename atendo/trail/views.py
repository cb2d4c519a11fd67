"""The audit trail page: filterable, newest first, one page at a time (cursor). Needs `audit.read`;
clinical labels redacted like the API's (`trail.selectors.events_to_json`)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from atendo.core.errors import ValidationFailed
from atendo.core.http import PageRequest
from atendo.trail import selectors
from atendo.trail.readable import ACTIONS, readable_events
from atendo.trail.record_reads import client_record_reads
from atendo.workspaces import selectors as workspace_selectors
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page

MIN_YEAR, MAX_YEAR = 1970, 2200


class AuditFilterForm(forms.Form):
    actor = forms.TypedChoiceField(label=_("Who"), required=False, coerce=int, empty_value=None)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"list": "audit-actions", "placeholder": "session."}),
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=40)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("since", "until"):
            day = data.get(name)
            if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
                self.add_error(
                    name,
                    _("Choose a date between %(min)d and %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR},
                )
        return data

    def __init__(self, *args: Any, members: list[Membership], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            *((m.user_id, m.user.display_name) for m in members),
        ]


@workspace_page("audit.read")
def audit_list(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    tz = member.workspace.tz
    members = list(workspace_selectors.members_list(member))
    form = AuditFilterForm(request.GET or None, members=members)
    events: list[Any] = []
    next_url = None
    status = 200
    filters: dict[str, Any] = {}
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        since: dt.date | None = data.get("since")
        until: dt.date | None = data.get("until")
        try:
            page = selectors.audit_events_list(
                member,
                actor_id=data.get("actor"),
                action=(data.get("action") or "").strip() or None,
                object_type=(data.get("object_type") or "").strip() or None,
                since=dt.datetime.combine(since, dt.time(0), tzinfo=tz) if since else None,
                until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
                if until
                else None,
                cursor=request.GET.get("cursor") or None,
            )
        except ValidationFailed as exc:
            for error in exc.fields:
                form.add_error(error.path if error.path in form.fields else None, error.message)
            status = 400
        else:
            events = readable_events(member, selectors.events_to_json(member, page.items))
            filters = {k: v for k, v in request.GET.items() if k != "cursor" and v}
            if page.next_cursor:
                next_url = "?" + urlencode({**filters, "cursor": page.next_cursor})
    return render(
        request,
        "trail/list.html",
        {
            "nav": "settings",
            "settings_active": "audit",
            "form": form,
            "events": events,
            "next_url": next_url,
            "first_url": "?" + urlencode(filters) if filters else "?",
            "is_later_page": bool(request.GET.get("cursor")),
            "action_suggestions": [(code, str(label)) for code, label in ACTIONS.items()],
        },
        status=status,
    )


@workspace_page("audit.read")
def client_reads(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    """The client page's "Who opened this record" card (loaded with htmx), for `audit.read`."""
    reads = client_record_reads(request.member, client_id)
    return render(request, "trail/_client_reads.html", {"reads": reads, "client_id": client_id})
