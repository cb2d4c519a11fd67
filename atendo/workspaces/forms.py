"""Page forms for the workspace settings. They only parse what the browser sends; every rule
(ranges, time zones, overlapping hours, the last owner, unknown permission codes) lives in the
services, whose `ValidationFailed` field paths are mapped back onto these forms."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from atendo.core.errors import FieldError
from atendo.workspaces import permissions, settings_registry
from atendo.workspaces.hours import WEEKDAYS
from atendo.workspaces.models import Role, Workspace

WEEKDAY_LABELS: dict[str, Promise] = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}


def apply_errors(
    form: forms.Form, errors: Iterable[FieldError], aliases: dict[str, str] | None = None
) -> None:
    """Put a service's field errors on the form: `slot_minutes` → that field, `permissions[2]` →
    `permissions`, anything else → the form as a whole."""
    aliases = aliases or {}
    for error in errors:
        key = re.split(r"[.\[]", error.path, maxsplit=1)[0] if error.path else ""
        key = aliases.get(key, key)
        target = key if key in form.fields else None
        if target is not None and target in form.errors and error.message in form.errors[target]:
            continue
        form.add_error(target, error.message)


class WorkspaceSettingsForm(forms.Form):
    """The general settings page: one field per setting of `settings_registry` shown on it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for setting in settings_registry.form_settings():
            self.fields[setting.key] = setting.form_field()

    @classmethod
    def initial_from(cls, workspace: Workspace) -> dict[str, Any]:
        return {s.key: getattr(workspace, s.key) for s in settings_registry.form_settings()}


def least_privileged(roles: Iterable[Role]) -> Role | None:
    """The role a new member starts with: the non-owner role granting the fewest permissions."""
    candidates = [r for r in roles if not r.is_owner] or list(roles)
    return min(candidates, key=lambda r: (len(r.codes), r.name), default=None)


class SecuritySettingsForm(forms.Form):
    """Settings › Sign-in security: the settings of `settings_registry.SECURITY_SETTINGS`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for key in settings_registry.SECURITY_SETTINGS:
            self.fields[key] = settings_registry.SETTINGS[key].form_field()

    @classmethod
    def initial_from(cls, workspace: Workspace) -> dict[str, Any]:
        return {key: getattr(workspace, key) for key in settings_registry.SECURITY_SETTINGS}


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.TypedChoiceField(label=_("Role"), coerce=int)
    offers_sessions = forms.TypedChoiceField(
        label=_("Offers sessions"),
        choices=[
            ("", _("As the role suggests (with clinical access: yes)")),
            ("1", _("Yes: clients can be booked with them")),
            ("0", _("No")),
        ],
        coerce=lambda value: value == "1",
        empty_value=None,
        required=False,
        help_text=_("Practitioners appear in the practitioner pickers, filters and free-slot finder."),
    )

    def __init__(self, *args: Any, roles: Iterable[Role] = (), **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        roles = list(roles)
        default = least_privileged(roles)  # adding someone never grants more than asked for
        if default is not None:
            kwargs.setdefault("initial", {}).setdefault("role", default.pk)
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.pk, r.name) for r in roles]  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Role name"), max_length=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Spreadsheet sync”."),
    )
    sensitive = forms.BooleanField(
        label=_("Allow sensitive acts"),
        required=False,
        help_text=_(
            "Changing roles and members, assigning practitioners, security settings and full exports. "
            "Without it, the token is refused those (they need a recent sign-in)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# --- Permission checkboxes -------------------------------------------------------------------------

PERMISSION_GROUPS: list[tuple[Promise, tuple[str, ...]]] = [
    (_("Sessions"), ("session.read", "session.create", "session.update", "session.delete")),
    (_("Clients"), ("client.read", "client.create", "client.update", "client.delete")),
    (_("Clinical content"), ("clinical.read_own", "clinical.read_all", "client.assign", "insights.read")),
    (_("Billing and reports"), ("billing.read", "billing.manage", "reports.read", "reports.read_own")),
    (
        _("Forms and therapy types"),
        ("session.fields.manage", "client.fields.manage", "evaluation.fields.manage", "therapy_types.manage"),
    ),
    (_("Administration"), ("workspace.manage", "members.manage", "audit.read")),
]


@dataclass
class PermissionChoice:
    code: str
    label: str | Promise
    checked: bool


@dataclass
class PermissionGroup:
    label: str | Promise
    choices: list[PermissionChoice] = field(default_factory=list)


def permission_groups(selected: Iterable[str]) -> list[PermissionGroup]:
    """The whole catalogue in labelled groups; codes not placed in a group land in "Other"."""
    chosen = set(selected)
    placed: set[str] = set()
    groups: list[PermissionGroup] = []
    for label, codes in PERMISSION_GROUPS:
        group = PermissionGroup(label)
        for code in codes:
            if code in permissions.CATALOGUE:
                group.choices.append(PermissionChoice(code, permissions.CATALOGUE[code], code in chosen))
                placed.add(code)
        groups.append(group)
    rest = [code for code in permissions.CATALOGUE if code not in placed]
    if rest:
        groups.append(
            PermissionGroup(
                _("Other"), [PermissionChoice(c, permissions.CATALOGUE[c], c in chosen) for c in rest]
            )
        )
    return groups


# --- Working hours ---------------------------------------------------------------------------------

_ROW_KEY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)-(\d{1,3})-(start|end|remove)$")
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$")


@dataclass
class IntervalRow:
    index: int
    start: str = ""
    end: str = ""
    error: str = ""
    new: bool = False


@dataclass
class DayHours:
    key: str
    label: str | Promise
    rows: list[IntervalRow]
    error: str = ""

    @property
    def is_empty(self) -> bool:
        return all(row.new for row in self.rows)

    @property
    def next_index(self) -> int:
        return max((row.index for row in self.rows), default=-1) + 1


def _display_time(value: str) -> str:
    # <input type="time"> cannot hold 24:00; midnight at the end of a day is shown as 00:00.
    return "00:00" if value == "24:00" else value


def hours_editor_days(hours: dict[str, list[list[str]]] | None) -> list[DayHours]:
    """The editor's rows for saved hours, plus one empty row per day (how to add one without JS)."""
    days = []
    for key in WEEKDAYS:
        intervals = (hours or {}).get(key, [])
        rows = [IntervalRow(i, _display_time(s), _display_time(e)) for i, (s, e) in enumerate(intervals)]
        rows.append(IntervalRow(len(rows), new=True))
        days.append(DayHours(key, WEEKDAY_LABELS[key], rows))
    return days


def _normalize_time(value: str) -> str | None:
    match = _TIME.match(value)
    return f"{match.group(1)}:{match.group(2)}" if match else None


@dataclass
class ParsedHours:
    hours: dict[str, list[list[str]]]
    days: list[DayHours]
    # day -> position in `hours[day]` -> the row it came from (to put a service error on it)
    sent: dict[str, list[IntervalRow]]
    has_errors: bool

    def apply_service_errors(self, errors: Iterable[FieldError]) -> list[str]:
        """Attach `working_hours.mon[1]` errors to their rows; returns the ones that fit no row."""
        leftovers = []
        by_day = {day.key: day for day in self.days}
        for error in errors:
            match = re.match(r"^working_hours\.(\w+)(?:\[(\d+)\])?$", error.path)
            if match and match.group(1) in by_day:
                day_key, position = match.group(1), match.group(2)
                rows = self.sent.get(day_key, [])
                if position is not None and int(position) < len(rows):
                    row = rows[int(position)]
                    row.error = f"{row.error} {error.message}".strip()
                else:
                    by_day[day_key].error = error.message
            else:
                leftovers.append(error.message)
        self.has_errors = True
        return leftovers


def parse_hours_post(data: QueryDict) -> ParsedHours:
    """Read `<day>-<n>-start`, `<day>-<n>-end` and `<day>-<n>-remove` inputs.

    A row with both times empty, or ticked "remove", is dropped. A row with one time only is an
    error of the form. An end of 00:00 after a later start means midnight (24:00).
    """
    raw: dict[str, dict[int, dict[str, str]]] = {day: {} for day in WEEKDAYS}
    for key in data:
        match = _ROW_KEY.match(key)
        if match:
            day, index, part = match.group(1), int(match.group(2)), match.group(3)
            raw[day].setdefault(index, {})[part] = (data.get(key) or "").strip()
    hours: dict[str, list[list[str]]] = {}
    days: list[DayHours] = []
    sent: dict[str, list[IntervalRow]] = {}
    has_errors = False
    for day in WEEKDAYS:
        rows: list[IntervalRow] = []
        hours[day] = []
        sent[day] = []
        for index in sorted(raw[day]):
            parts = raw[day][index]
            start, end = parts.get("start", ""), parts.get("end", "")
            if parts.get("remove") or (not start and not end):
                continue
            row = IntervalRow(index, start, end)
            rows.append(row)
            if not start or not end:
                row.error = str(_("Give both a start and an end time, or leave both empty."))
                has_errors = True
                continue
            start_n, end_n = _normalize_time(start), _normalize_time(end)
            if start_n is None or end_n is None:
                row.error = str(_("Times must be 24-hour HH:mm, e.g. 09:00 or 18:30."))
                has_errors = True
                continue
            if end_n == "00:00" and start_n != "00:00":
                end_n = "24:00"
            row.start, row.end = start_n, _display_time(end_n)
            hours[day].append([start_n, end_n])
            sent[day].append(row)
        next_index = max((r.index for r in rows), default=-1) + 1
        rows.append(IntervalRow(next_index, new=True))
        days.append(DayHours(day, WEEKDAY_LABELS[day], rows))
    return ParsedHours(hours=hours, days=days, sent=sent, has_errors=has_errors)


class VideoRoomForm(forms.Form):
    """A member's default video room, set by someone who manages members (`services.member_update`
    checks it)."""

    video_room_url = forms.CharField(
        label=_("Video room URL"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
        help_text=_("Filled into the sessions booked with this member. Empty: no default link."),
    )


class ProfileForm(forms.Form):
    """The member's own profile page; `workspaces.profile` checks and saves it."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        help_text=_("As clients and colleagues see it, e.g. Dra. Mariana Souza. Empty: your e-mail."),
    )
    profession = forms.CharField(
        label=_("Profession"), max_length=100, required=False, help_text=_("e.g. Psicóloga, Reikiana.")
    )
    registration = forms.CharField(
        label=_("Professional registration"),
        max_length=60,
        required=False,
        help_text=_("Your council registration, e.g. CRP 06/123456, CREFITO 3/12345-F, or a US licence."),
    )
    tax_id = forms.CharField(
        label=_("Tax id (CPF/CNPJ, NPI/EIN)"),
        max_length=100,
        required=False,
        help_text=_("Printed on your receipts so clients can deduct them. A CPF or CNPJ is checked."),
    )
    video_room_url = forms.CharField(
        label=_("Video room URL"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
        help_text=_("Your default video call link (https://…): filled into the sessions booked with you."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
