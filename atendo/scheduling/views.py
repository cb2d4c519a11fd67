"""Dashboard › Sessions pages: calendar, list, session form and detail.

Views stay thin: access (`workspace_page`) → form → the sessions services/selectors/serializer of
`atendo.scheduling` → template. Validation, warnings, permissions and redaction live there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from atendo.core.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed
from atendo.core.views import workspace_page
from atendo.fields.engine import definitions_for
from atendo.fields.forms import FieldValuesForm as CustomFieldsForm
from atendo.scheduling import forms, selectors, services
from atendo.scheduling.models import PHASES, SessionStatus
from atendo.scheduling.serializers import session_to_json, sessions_to_json
from atendo.therapies.models import TherapyType
from atendo.workspaces.hours import WEEKDAYS
from atendo.workspaces.models import Membership
from atendo.workspaces.selectors import members_list

CALENDAR_VIEWS = ("day", "week", "month")
DEFAULT_COLOR = "#2f6f73"
PAGE_SIZE = 50
STATUS_LABELS = dict(SessionStatus.choices)
PHASE_LABELS = [
    ("pre", gettext_lazy("Pre-session")),
    ("during", gettext_lazy("During the session")),
    ("post", gettext_lazy("Post-session")),
]


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


def business_hours(hours: dict[str, list[list[str]]]) -> list[dict[str, Any]]:
    """Workspace working hours in FullCalendar's `businessHours` shape (Sunday = 0)."""
    out = []
    for index, day in enumerate(WEEKDAYS):
        fc_day = (index + 1) % 7
        for start, end in hours.get(day, []):
            out.append({"daysOfWeek": [fc_day], "startTime": start, "endTime": end})
    return out


def _scroll_time(hours: dict[str, list[list[str]]]) -> str:
    starts = [interval[0] for day in WEEKDAYS for interval in hours.get(day, [])]
    if not starts:
        return "08:00:00"
    earliest = min(starts)
    hour = max(0, int(earliest[:2]) - 1)
    return f"{hour:02d}:00:00"


def _calendar_config(request: HttpRequest, member: Membership) -> dict[str, Any]:
    workspace = member.workspace
    slug = workspace.slug
    view = request.GET.get("view") or workspace.default_calendar_view
    if view not in CALENDAR_VIEWS:
        view = "week"
    initial_date = ""
    try:
        initial_date = dt.date.fromisoformat(request.GET.get("date", "")).isoformat()
    except ValueError:
        initial_date = ""
    language = translation.get_language() or "en"
    return {
        "timezone": workspace.timezone,
        "slot_minutes": workspace.slot_minutes,
        "default_duration": workspace.default_duration_minutes,
        "default_start_time": workspace.default_start_time.strftime("%H:%M"),
        "initial_view": view,
        "initial_date": initial_date,
        "locale": "pt-br" if language.lower().startswith("pt") else "en-gb",
        "business_hours": business_hours(workspace.working_hours or {}),
        # Members with their own hours: shaded instead of the workspace's when the calendar shows only them.
        "practitioner_hours": {
            str(m.pk): business_hours(m.working_hours)
            for m in members_list(member, include_inactive=False)
            if m.working_hours
        },
        "scroll_time": _scroll_time(workspace.working_hours or {}),
        "default_color": DEFAULT_COLOR,
        "can_create": member.has_perm("session.create"),
        "can_update": member.has_perm("session.update"),
        "sessions_url": f"/api/v1/workspaces/{slug}/sessions",
        "check_url": f"/api/v1/workspaces/{slug}/sessions/check",
        "availability_url": f"/api/v1/workspaces/{slug}/availability",
        "new_url": reverse("scheduling:create", kwargs={"workspace_slug": slug}),
        "detail_url": reverse("scheduling:detail", kwargs={"workspace_slug": slug, "session_id": 0}),
        "status_labels": {value: str(label) for value, label in SessionStatus.choices},
        "button_text": {"today": _("Today"), "day": _("Day"), "week": _("Week"), "month": _("Month")},
        "i18n": {
            "load_failed": _("The sessions could not be loaded: %(reason)s"),
            "recorded": _("recorded"),
            "confirm_move": _("Move “%(name)s” to %(when)s? Check these warnings first:"),
            "moved": _("“%(name)s” moved to %(when)s."),
            "move_cancelled": _("Nothing changed."),
            "refused": _("The change was refused and put back: %(reason)s"),
            "undo": _("Undo"),
            "created": _("“%(name)s” booked for %(when)s."),
            "undone": _("The move was undone."),
            "no_free_slots": _("No free slot in this period."),
            "free_slots_found": _("%(n)s free slots"),
        },
    }


@workspace_page("session.read")
def calendar(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    member = _member(request)
    request.session["workspace_slug"] = workspace_slug
    context = {
        "nav": "sessions",
        "config": _calendar_config(request, member),
        "filters": forms.filter_context(member, request.GET),
        "color_by": "status" if request.GET.get("color") == "status" else "type",
        "status_colors": forms.STATUS_LEGEND,
        "therapy_types": _therapy_options(member),
        "slot_times": _slot_times(member.workspace.slot_minutes),
    }
    return render(request, "scheduling/calendar.html", context)


# --- shared helpers ------------------------------------------------------------------------------


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render in the workspace time zone (dates in templates are shown as the practice sees them)."""
    member = _member(request)
    context.setdefault("nav", "sessions")
    with timezone.override(member.workspace.tz):
        return render(request, template, context, status=status)


def _when(item: dict[str, Any]) -> dict[str, Any]:
    """Add aware datetimes to a serialized session (for the template's date filters)."""
    item["start_dt"] = dt.datetime.fromisoformat(item["starts_at"])
    item["end_dt"] = dt.datetime.fromisoformat(item["ends_at"])
    item["recorded_dt"] = dt.datetime.fromisoformat(item["recorded_at"]) if item.get("recorded_at") else None
    item["created_dt"] = dt.datetime.fromisoformat(item["created_at"])
    item["status_label"] = STATUS_LABELS.get(item["status"], item["status"])
    return item


def _safe_next(request: HttpRequest, value: str | None) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def _therapy_options(member: Membership) -> list[tuple[int, str]]:
    rows = (
        TherapyType.objects.for_workspace(member.workspace)
        .filter(active=True)
        .order_by("name")
        .values_list("id", "name")
    )
    return list(rows)


# Service error paths -> the form field that shows them.
FORM_FIELD_FOR_PATH = {
    "name": "name",
    "client_id": "client",
    "practitioner_id": "practitioner",
    "therapy_type_id": "therapy_type",
    "date": "date",
    "start_time": "start_time",
    "starts_at": "start_time",
    "duration_minutes": "duration_minutes",
    "status": "status",
    "notes": "notes",
    "admin_notes": "admin_notes",
    "version": None,
    "scope": None,
}


def _attach_errors(
    form: forms.SessionForm, exc: DomainError, fields_form: CustomFieldsForm | None = None
) -> None:
    """Show a service's errors next to the fields they name (the rest above the form)."""
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    custom: list[FieldError] = []
    for error in exc.fields:
        target = FORM_FIELD_FOR_PATH.get(error.path.split(".")[0].split("[")[0])
        if error.path.startswith("fields.") and fields_form is not None:
            custom.append(error)
        elif error.path.startswith("recurrence"):
            form.add_error(None, error.message)
        elif target and target in form.fields:
            form.add_error(target, error.message)
        else:
            form.add_error(None, f"{error.path}: {error.message}" if error.path else error.message)
    if custom and fields_form is not None:
        fields_form.add_errors(ValidationFailed(custom))
        form.add_error(None, _("Check the pre-session fields below."))


def _announce(request: HttpRequest, result: services.SessionResult, message: str) -> None:
    messages.success(request, message)
    for warning in result.warnings:
        messages.warning(request, warning["message"])


def _session_form(
    member: Membership, *args: Any, include_client: int | None = None, **kwargs: Any
) -> forms.SessionForm:
    return forms.SessionForm(
        *args,
        client_options=forms.client_choices(member, include=include_client),
        practitioner_options=forms.practitioner_choices(member),
        therapy_options=_therapy_options(member),
        **kwargs,
    )


# --- list ----------------------------------------------------------------------------------------

LIST_COLUMNS = [
    ("starts_at", gettext_lazy("When")),
    ("name", gettext_lazy("Name")),
    (None, gettext_lazy("Client")),
    (None, gettext_lazy("Practitioner")),
    (None, gettext_lazy("Therapy type")),
    ("duration_minutes", gettext_lazy("Duration")),
    ("status", gettext_lazy("Status")),
]


@workspace_page("session.read")
def session_list(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    member = _member(request)
    sort = request.GET.get("sort") or "-starts_at"
    if sort.lstrip("-") not in selectors.SORTS:
        sort = "-starts_at"
    chosen = forms.selected_filters(member, request.GET)
    error = ""
    try:
        rows, next_cursor = selectors.sessions_page(
            member, sort=sort, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE, **chosen
        )
    except ValidationFailed as exc:
        rows, next_cursor, error = [], None, exc.message
    items = [_when(item) for item in sessions_to_json(member, rows)]
    query = request.GET.copy()
    query.pop("cursor", None)
    columns = []
    for key, label in LIST_COLUMNS:
        link = None
        state = None
        if key:
            current = sort.lstrip("-") == key
            descending = sort.startswith("-")
            state = ("descending" if descending else "ascending") if current else None
            q = query.copy()
            q["sort"] = (key if descending else f"-{key}") if current else key
            link = "?" + q.urlencode()
        columns.append({"label": label, "link": link, "sort": state})
    next_link = None
    if next_cursor:
        q = query.copy()
        q["cursor"] = next_cursor
        next_link = "?" + q.urlencode()
    export_query = QueryDict(mutable=True)
    if chosen["client_id"]:
        export_query["client_id"] = str(chosen["client_id"])
    if chosen["practitioner_id"]:
        export_query["practitioner_id"] = str(chosen["practitioner_id"])
    if chosen["status"]:
        export_query["status"] = chosen["status"][0]
    for key, value in (chosen["field_filters"] or {}).items():
        export_query[f"field.{key}"] = value
    context = {
        "items": items,
        "columns": columns,
        "next_link": next_link,
        "first_link": "?" + query.urlencode() if request.GET.get("cursor") else None,
        "filters": forms.filter_context(member, request.GET),
        "sort": sort,
        "error": error,
        "export_url": f"/api/v1/workspaces/{workspace_slug}/sessions/export.csv"
        + (f"?{export_query.urlencode()}" if export_query else ""),
        "calendar_query": query.urlencode(),
        "can_create": member.has_perm("session.create"),
    }
    return _render(request, "scheduling/list.html", context)


# --- create and edit -------------------------------------------------------------------------------


@workspace_page("session.read", "session.create")
def session_create(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    member = _member(request)
    workspace = member.workspace
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    clinical_ok = member.has_perm("clinical.read_all") or member.has_perm("clinical.read_own")
    pre_form = CustomFieldsForm(
        member=member,
        definitions=definitions_for(workspace=workspace, scope="session", phase="pre"),
        prefix="fields.pre",
        can_write_clinical=clinical_ok,
    )
    if request.method == "POST":
        client_pk = forms.int_or_none(request.POST.get("client"))
        form = _session_form(member, request.POST, include_client=client_pk)
        recurrence = forms.RecurrenceForm(request.POST, prefix="repeat")
        pre_values = pre_form.parse(request.POST, request.FILES)
        given = {k: v for k, v in pre_values.items() if v not in (None, "", [], {})}
        if form.is_valid() and recurrence.is_valid():
            data = form.cleaned_data
            rrule = recurrence.rrule()
            try:
                pre_form.raise_upload_errors()
                result = services.session_create(
                    member=member,
                    name=data["name"],
                    client_id=data["client"],
                    practitioner_id=data["practitioner"],
                    therapy_type_id=data["therapy_type"],
                    date=data["date"].isoformat(),
                    start_time=data["start_time"].strftime("%H:%M"),
                    duration_minutes=data["duration_minutes"],
                    status=data["status"],
                    notes=data.get("notes", ""),
                    admin_notes=data["admin_notes"],
                    fields={"pre": given} if given else None,
                    recurrence={"rrule": rrule} if rrule else None,
                )
            except DomainError as exc:
                _attach_errors(form, exc, pre_form)
            else:
                if result.occurrences > 1:
                    message = _("Series created: %(n)d sessions.") % {"n": result.occurrences}
                else:
                    message = _("Session “%(name)s” created.") % {"name": result.session.name}
                _announce(request, result, message)
                return redirect(next_url or _detail_url(workspace_slug, result.session.pk))
    else:
        params = request.GET
        day = _parse_date(params.get("date")) or timezone.now().astimezone(workspace.tz).date()
        start = _parse_time(params.get("start_time")) or workspace.default_start_time
        duration = forms.int_or_none(params.get("duration_minutes")) or workspace.default_duration_minutes
        practitioner = forms.int_or_none(params.get("practitioner")) or member.pk
        client_pk = forms.int_or_none(params.get("client"))
        initial = {
            "name": (params.get("name") or "")[:200] or _("Session"),
            "therapy_type": forms.int_or_none(params.get("therapy_type")),
            "client": client_pk,
            "practitioner": practitioner,
            "date": day,
            "start_time": start,
            "duration_minutes": duration,
            "status": workspace.default_status,
        }
        form = _session_form(member, initial=initial, include_client=client_pk)
        recurrence = forms.RecurrenceForm(
            prefix="repeat", initial={"ends": "count", "count": 4, "interval": 2}
        )
    context = {
        "form": form,
        "recurrence": recurrence,
        "pre_form": pre_form,
        "next": next_url or "",
        "creating": True,
        "slot_times": _slot_times(workspace.slot_minutes),
        "check_url": f"/api/v1/workspaces/{workspace_slug}/sessions/check",
        "cancel_url": next_url or reverse("scheduling:calendar", kwargs={"workspace_slug": workspace_slug}),
    }
    return _render(request, "scheduling/session_form.html", context)


def _slot_times(step: int) -> list[str]:
    """Every start time of the day at the calendar's slot interval (suggestions for the time input)."""
    step = max(5, step)
    return [f"{m // 60:02d}:{m % 60:02d}" for m in range(0, 24 * 60, step)]


def _detail_url(workspace_slug: str, session_id: int) -> str:
    return reverse("scheduling:detail", kwargs={"workspace_slug": workspace_slug, "session_id": session_id})


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _parse_time(value: str | None) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value or "")
    except ValueError:
        return None


def _initial_from(item: dict[str, Any]) -> dict[str, Any]:
    start = dt.datetime.fromisoformat(item["starts_at"])
    return {
        "name": item["name"],
        "client": item["client_id"],
        "practitioner": item["practitioner_id"],
        "therapy_type": item["therapy_type_id"],
        "date": start.date(),
        "start_time": start.time().replace(second=0, microsecond=0),
        "duration_minutes": item["duration_minutes"],
        "status": item["status"],
        "notes": item.get("notes", ""),
        "admin_notes": item["admin_notes"],
        "version": item["version"],
    }


def _changes(form: forms.SessionForm, before: dict[str, Any]) -> dict[str, Any]:
    """Only what the user changed, in the service's terms (so a series edit moves only what moved)."""
    data = form.cleaned_data
    changes: dict[str, Any] = {}
    pairs = {
        "name": "name",
        "client": "client_id",
        "practitioner": "practitioner_id",
        "therapy_type": "therapy_type_id",
        "duration_minutes": "duration_minutes",
        "status": "status",
        "notes": "notes",
        "admin_notes": "admin_notes",
    }
    for field_name, key in pairs.items():
        if field_name in form.fields and data.get(field_name) != before.get(field_name):
            changes[key] = data.get(field_name) if data.get(field_name) is not None else None
    if data["date"] != before["date"] or data["start_time"] != before["start_time"]:
        changes["date"] = data["date"].isoformat()
        changes["start_time"] = data["start_time"].strftime("%H:%M")
    return changes


@workspace_page("session.read", "session.update")
def session_edit(request: HttpRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = _member(request)
    session = _get_or_404(member, session_id)
    item = session_to_json(member, session)
    before = _initial_from(item)
    show_notes = "notes" not in item["withheld"]
    conflict: dict[str, Any] | None = None
    scope = request.POST.get("scope", "this") if item["series_id"] else "this"
    if request.method == "POST":
        form = _session_form(
            member, request.POST, include_client=item["client_id"], show_notes=show_notes, initial=before
        )
        if form.is_valid():
            changes = _changes(form, before)
            try:
                result = services.session_update(
                    member=member,
                    session_id=session.pk,
                    version=form.cleaned_data["version"],
                    changes=changes,
                    scope=scope,
                )
            except Conflict as exc:
                if exc.code != "version_conflict":
                    form.add_error(None, exc.message)
                else:
                    current = _when(dict(exc.extra["current"]))
                    conflict = {"message": exc.message, "current": current}
                    # Keep what was typed; the next save is knowingly based on the current version.
                    data = request.POST.copy()
                    data["version"] = str(current["version"])
                    form = _session_form(
                        member, data, include_client=item["client_id"], show_notes=show_notes, initial=before
                    )
                    form.is_valid()
            except DomainError as exc:
                _attach_errors(form, exc)
            else:
                _announce(request, result, _("Session “%(name)s” saved.") % {"name": result.session.name})
                return redirect(_detail_url(workspace_slug, session.pk))
    else:
        form = _session_form(member, initial=before, include_client=item["client_id"], show_notes=show_notes)
    context = {
        "form": form,
        "session": _when(item),
        "conflict": conflict,
        "creating": False,
        "slot_times": _slot_times(member.workspace.slot_minutes),
        "scope": scope,
        "check_url": f"/api/v1/workspaces/{workspace_slug}/sessions/check",
        "cancel_url": _detail_url(workspace_slug, session.pk),
    }
    return _render(request, "scheduling/session_form.html", context, status=409 if conflict else 200)


def _get_or_404(member: Membership, session_id: int) -> Any:
    try:
        return selectors.session_get_for(member, session_id)
    except NotFound:
        raise Http404 from None


# --- detail, status, phases, delete ----------------------------------------------------------------

STATUS_ACTIONS = {
    "scheduled": [("in_progress", gettext_lazy("Start")), ("cancelled", gettext_lazy("Cancel"))],
    "in_progress": [("completed", gettext_lazy("Complete")), ("cancelled", gettext_lazy("Cancel"))],
    "completed": [("in_progress", gettext_lazy("Reopen"))],
    "cancelled": [("scheduled", gettext_lazy("Restore"))],
}


def _detail_context(
    request: HttpRequest, member: Membership, session: Any, phase_forms: dict[str, Any] | None = None
) -> dict[str, Any]:
    item = _when(session_to_json(member, session))
    clinical_ok = "notes" not in item["withheld"]
    can_update = member.has_perm("session.update")
    phases: list[dict[str, Any]] = []
    for phase, label in PHASE_LABELS:
        values = item["fields"].get(phase, {})
        form = (phase_forms or {}).get(phase) or _phase_form(member, phase, values, clinical_ok)
        answered = [n for n in form.nodes() if values.get(n["key"]) not in (None, "", [], {})]
        phases.append(
            {
                "key": phase,
                "label": label,
                "rows": answered,
                "form": form if can_update and form.definitions else None,
                "has_definitions": bool(form.definitions),
            }
        )
    active_phase = request.GET.get("phase")
    if phase_forms:
        active_phase = next(iter(phase_forms))
    if active_phase not in PHASES:
        # The phase of the moment (during an in-progress session, after a completed one) when it has
        # fields; else the first phase that has any.
        preferred = {"in_progress": "during", "completed": "post"}.get(item["status"], "pre")
        with_fields: list[str] = [p["key"] for p in phases if p["has_definitions"] or p["rows"]]
        active_phase = preferred if preferred in with_fields or not with_fields else with_fields[0]
    return {
        "session": item,
        "phases": phases,
        "active_phase": active_phase,
        "history": [
            {
                "at": change.created_at,
                "from": STATUS_LABELS.get(change.from_status, change.from_status),
                "to": STATUS_LABELS.get(change.to_status, change.to_status),
                "by": change.changed_by.display_name if change.changed_by else "",
            }
            for change in selectors.status_history(member, session.pk)
        ],
        "actions": STATUS_ACTIONS.get(item["status"], []) if can_update else [],
        "can_update": can_update,
        "can_delete": member.has_perm("session.delete"),
        "can_record": item["status"] in ("completed", "in_progress") and can_update,
        "record_url": _optional_url("billing:record", member.workspace.slug, session.pk),
        "client_url": _optional_url("clients:detail", member.workspace.slug, item["client_id"], "client_id"),
        "attachments_template": _first_template(ATTACHMENT_INCLUDES),
        "next_booking_url": _next_booking_url(member, item),
    }


def _next_booking_url(member: Membership, item: dict[str, Any]) -> str | None:
    """The create form pre-filled for the same client, practitioner and time one week later."""
    if not member.has_perm("session.create"):
        return None
    start = item["start_dt"].astimezone(member.workspace.tz)
    query = QueryDict(mutable=True)
    query.update(
        {
            "date": (start.date() + dt.timedelta(days=7)).isoformat(),
            "start_time": start.strftime("%H:%M"),
            "duration_minutes": str(item["duration_minutes"]),
            "client": str(item["client_id"]),
            "practitioner": str(item["practitioner_id"]),
            "name": item["name"],
        }
    )
    if item["therapy_type_id"]:
        query["therapy_type"] = str(item["therapy_type_id"])
    create_url = reverse("scheduling:create", kwargs={"workspace_slug": member.workspace.slug})
    return f"{create_url}?{query.urlencode()}"


def _phase_form(
    member: Membership, phase: str, values: dict[str, Any], clinical_ok: bool
) -> CustomFieldsForm:
    return CustomFieldsForm(
        member=member,
        definitions=definitions_for(workspace=member.workspace, scope="session", phase=phase),
        prefix=f"fields.{phase}",
        values=values,
        can_write_clinical=clinical_ok,
    )


ATTACHMENT_INCLUDES = ["files/_session_attachments.html", "scheduling/record_attachments.html"]


def _first_template(names: list[str]) -> str | None:
    try:
        return select_template(names).template.name
    except TemplateDoesNotExist:
        return None


def _optional_url(name: str, workspace_slug: str, pk: int, kwarg: str = "session_id") -> str | None:
    try:
        return reverse(name, kwargs={"workspace_slug": workspace_slug, kwarg: pk})
    except NoReverseMatch:
        return None


@workspace_page("session.read")
def session_detail(request: HttpRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = _member(request)
    session = _get_or_404(member, session_id)
    return _render(request, "scheduling/session_detail.html", _detail_context(request, member, session))


@require_POST
@workspace_page("session.read", "session.update")
def session_status(request: HttpRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = _member(request)
    session = _get_or_404(member, session_id)
    version = forms.int_or_none(request.POST.get("version"))
    try:
        result = services.session_set_status(
            member=member,
            session_id=session.pk,
            status=request.POST.get("status"),
            version=version,
            scope=request.POST.get("scope") or "this",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        label = dict(SessionStatus.choices).get(result.session.status, result.session.status)
        _announce(request, result, _("Status changed to %(status)s.") % {"status": label})
    return redirect(_detail_url(workspace_slug, session.pk))


@require_POST
@workspace_page("session.read", "session.update")
def session_phase(request: HttpRequest, workspace_slug: str, session_id: int, phase: str) -> HttpResponse:
    member = _member(request)
    if phase not in PHASES:
        raise Http404
    session = _get_or_404(member, session_id)
    item = session_to_json(member, session)
    form = _phase_form(member, phase, item["fields"].get(phase, {}), "notes" not in item["withheld"])
    values = form.parse(request.POST, request.FILES)
    try:
        form.raise_upload_errors()
        services.session_save_phase(
            member=member,
            session_id=session.pk,
            phase=phase,
            values=values,
            version=forms.int_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        form.add_errors(exc)
    else:
        messages.success(request, _("%(phase)s saved.") % {"phase": dict(PHASE_LABELS)[phase]})
        return redirect(f"{_detail_url(workspace_slug, session.pk)}?phase={phase}#phases")
    session = _get_or_404(member, session_id)
    context = _detail_context(request, member, session, phase_forms={phase: form})
    return _render(request, "scheduling/session_detail.html", context, status=422)


DELETE_LABELS = {
    "sessions": gettext_lazy("sessions"),
    "session_status_changes": gettext_lazy("status changes"),
    "attachments": gettext_lazy("attachments"),
    "payments": gettext_lazy("payments"),
    "evaluations": gettext_lazy("evaluations"),
}


@workspace_page("session.read", "session.delete")
def session_delete(request: HttpRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = _member(request)
    session = _get_or_404(member, session_id)
    item = _when(session_to_json(member, session))
    scope = request.POST.get("scope") or request.GET.get("scope") or "this"
    if scope not in ("this", "following", "all") or not item["series_id"]:
        scope = "this"
    error = ""
    if request.method == "POST":
        try:
            deleted = services.session_delete(member=member, session_id=session.pk, scope=scope)
        except DomainError as exc:
            error = exc.message
        else:
            n = deleted.get("sessions", 1)
            messages.success(
                request,
                ngettext("%(n)d session deleted.", "%(n)d sessions deleted.", n) % {"n": n},
            )
            return redirect("scheduling:calendar", workspace_slug=workspace_slug)
    preview: dict[str, int] = {}
    try:
        preview = services.session_delete_preview(member=member, session_id=session.pk, scope=scope)
    except DomainError as exc:
        error = error or exc.message
    goes_with = [
        {"label": DELETE_LABELS.get(key, key.replace("_", " ")), "count": count}
        for key, count in preview.items()
        if count
    ]
    context = {"session": item, "goes_with": goes_with, "scope": scope, "error": error}
    return _render(request, "scheduling/session_delete.html", context, status=409 if error else 200)


# --- small partials ------------------------------------------------------------------------------


@workspace_page("session.read")
def client_options(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    """`<option>`s of the clients matching `q` (the searchable client picker of the form)."""
    member = _member(request)
    query = (request.GET.get("q") or "").strip()[:100]
    selected = forms.int_or_none(request.GET.get("client"))
    options = forms.client_choices(member, query=query, include=selected)
    context = {"options": options, "selected": selected, "for_filter": request.GET.get("for") == "filter"}
    return render(request, "scheduling/_client_options.html", context)


@workspace_page("session.read")
def client_sessions(request: HttpRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    """A client's sessions, chronological (the Sessions tab of the client page loads this)."""
    member = _member(request)
    try:
        selectors.client_history(member, client_id)
        rows, next_cursor = selectors.sessions_page(
            member,
            sort="starts_at",
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
            client_id=client_id,
        )
    except NotFound:
        raise Http404 from None
    except ValidationFailed:
        rows, next_cursor = [], None
    context = {
        "client_sessions": [_when(item) for item in sessions_to_json(member, rows)],
        "next_cursor": next_cursor,
        "client_id": client_id,
    }
    return _render(request, "scheduling/_client_sessions.html", context)
