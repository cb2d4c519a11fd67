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
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from atendo.clinical.access import reads_clinical
from atendo.core.clean import id_or_none
from atendo.core.errors import Conflict, DomainError, FieldError, ValidationFailed
from atendo.core.formats import format_money
from atendo.core.http import PageRequest, safe_next
from atendo.core.times import date_or_none, time_or_none
from atendo.fields.engine import definitions_for
from atendo.fields.forms import FieldValuesForm as CustomFieldsForm
from atendo.scheduling import forms, selectors, services
from atendo.scheduling.clinical_record import clinical_record_context
from atendo.scheduling.models import PHASES, CancelledBy, SessionStatus
from atendo.scheduling.serializers import session_to_json, sessions_to_json
from atendo.scheduling.services import attendance
from atendo.therapies.models import TherapyType
from atendo.workspaces.hours import WEEKDAYS
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page
from atendo.workspaces.selectors import members_list

CALENDAR_VIEWS = ("day", "week", "month", "agenda")
DEFAULT_COLOR = "#2f6f73"
PAGE_SIZE = 50
STATUS_LABELS = dict(SessionStatus.choices)
PHASE_LABELS = [
    ("pre", gettext_lazy("Pre-session")),
    ("during", gettext_lazy("During the session")),
    ("post", gettext_lazy("Post-session")),
]


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
    day = date_or_none(request.GET.get("date"))
    initial_date = day.isoformat() if day is not None else ""
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
        "calendar_url": f"/api/v1/workspaces/{slug}/calendar",
        "check_url": f"/api/v1/workspaces/{slug}/sessions/check",
        "availability_url": f"/api/v1/workspaces/{slug}/availability",
        "new_url": reverse("scheduling:create", kwargs={"workspace_slug": slug}),
        "detail_url": reverse("scheduling:detail", kwargs={"workspace_slug": slug, "session_id": 0}),
        "status_labels": {value: str(label) for value, label in SessionStatus.choices},
        "button_text": {
            "today": _("Today"),
            "day": _("Day"),
            "week": _("Week"),
            "month": _("Month"),
            "list": _("Agenda"),
        },
        # The member's last view and filters are kept in the browser under this key and come
        # back on a bare visit (`bare`: nothing chosen in the URL).
        "store_key": f"{slug}.{member.pk}",
        "bare": not request.GET,
        "i18n": {
            "load_failed": _("The sessions could not be loaded: %(reason)s"),
            "recorded": _("recorded"),
            "late": _("late cancellation"),
            "more": _("+%(n)s more"),
            "more_label": _("%(n)s more sessions on %(date)s: open the day"),
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
def calendar(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    request.session["workspace_slug"] = workspace_slug
    params: Any = request.GET
    if not request.GET and member.offers_sessions and not member.has_perm("workspace.manage"):
        # A practitioner opens on their own schedule (the owner and the front desk on everyone's);
        # the browser then brings back the member's last view and filters, if any.
        params = {"practitioner": str(member.pk)}
    context = {
        "nav": "sessions",
        "config": _calendar_config(request, member),
        "filters": forms.filter_context(member, params),
        "color_by": "status" if request.GET.get("color") == "status" else "type",
        "status_colors": forms.STATUS_LEGEND,
        "therapy_types": _therapy_options(member),
        "therapy_defaults": _therapy_defaults(member),
        "slot_times": _slot_times(member.workspace.slot_minutes),
    }
    return render(request, "scheduling/calendar.html", context)


# --- shared helpers ------------------------------------------------------------------------------


def _when(item: dict[str, Any]) -> dict[str, Any]:
    """Add aware datetimes to a serialized session (for the template's date filters)."""
    item["start_dt"] = dt.datetime.fromisoformat(item["starts_at"])
    item["end_dt"] = dt.datetime.fromisoformat(item["ends_at"])
    item["recorded_dt"] = dt.datetime.fromisoformat(item["recorded_at"]) if item.get("recorded_at") else None
    item["created_dt"] = dt.datetime.fromisoformat(item["created_at"])
    item["status_label"] = STATUS_LABELS.get(item["status"], item["status"])
    return item


def _therapy_defaults(member: Membership) -> dict[str, dict[str, Any]]:
    """What choosing a therapy type fills in (therapy_defaults.js): its default duration."""
    rows = (
        TherapyType.objects.for_workspace(member.workspace)
        .filter(active=True)
        .values_list("id", "default_duration_minutes")
    )
    return {str(pk): {"duration": minutes} for pk, minutes in rows if minutes}


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
    "video_url": "video_url",
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
    member: Membership,
    *args: Any,
    include_client: int | None = None,
    include_practitioner: int | None = None,
    **kwargs: Any,
) -> forms.SessionForm:
    return forms.SessionForm(
        *args,
        client_options=forms.client_choices(member, include=include_client),
        practitioner_options=forms.practitioner_choices(member, include=include_practitioner),
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
def session_list(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
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
    return render(request, "scheduling/list.html", {"nav": "sessions", **context})


# --- create and edit -------------------------------------------------------------------------------


@workspace_page("session.read", "session.create")
def session_create(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    workspace = member.workspace
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    clinical_ok = reads_clinical(member)  # the service refuses a client they cannot read
    pre_form = CustomFieldsForm(
        member=member,
        definitions=definitions_for(workspace=workspace, scope="session", phase="pre"),
        prefix="fields.pre",
        can_write_clinical=clinical_ok,
    )
    if request.method == "POST":
        client_pk = id_or_none(request.POST.get("client"))
        form = _session_form(member, request.POST, include_client=client_pk, show_notes=clinical_ok)
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
                    date=data["date"],
                    start_time=data["start_time"],
                    duration_minutes=data["duration_minutes"],
                    status=data["status"],
                    notes=data.get("notes", ""),
                    admin_notes=data["admin_notes"],
                    video_url=data["video_url"],
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
        day = date_or_none(params.get("date")) or timezone.now().astimezone(workspace.tz).date()
        start = time_or_none(params.get("start_time")) or workspace.default_start_time
        therapy_pk = id_or_none(params.get("therapy_type"))
        duration = (
            id_or_none(params.get("duration_minutes"))
            or _therapy_defaults(member).get(str(therapy_pk), {}).get("duration")
            or workspace.default_duration_minutes
        )
        # A member who offers sessions books with themselves by default; anyone else chooses.
        practitioner = id_or_none(params.get("practitioner")) or (
            member.pk if member.offers_sessions else None
        )
        client_pk = id_or_none(params.get("client"))
        initial = {
            "name": (params.get("name") or "")[:200] or _("Session"),
            "therapy_type": id_or_none(params.get("therapy_type")),
            "client": client_pk,
            "practitioner": practitioner,
            "date": day,
            "start_time": start,
            "duration_minutes": duration,
            "status": workspace.default_status,
            # The practitioner's default video room, as the service gives a session created without
            # a link (the page always sends the field, so what is shown is what is saved).
            "video_url": selectors.video_room_of(member, practitioner),
        }
        form = _session_form(member, initial=initial, include_client=client_pk, show_notes=clinical_ok)
        recurrence = forms.RecurrenceForm(
            prefix="repeat", initial={"ends": "count", "count": 4, "interval": 2}
        )
    context = {
        "form": form,
        "recurrence": recurrence,
        "pre_form": pre_form,
        "next": next_url or "",
        "creating": True,
        "therapy_defaults": _therapy_defaults(member),
        "slot_times": _slot_times(workspace.slot_minutes),
        "check_url": f"/api/v1/workspaces/{workspace_slug}/sessions/check",
        "cancel_url": next_url or reverse("scheduling:calendar", kwargs={"workspace_slug": workspace_slug}),
    }
    return render(request, "scheduling/session_form.html", {"nav": "sessions", **context})


def _slot_times(step: int) -> list[str]:
    """Every start time of the day at the calendar's slot interval (suggestions for the time input)."""
    step = max(5, step)
    return [f"{m // 60:02d}:{m % 60:02d}" for m in range(0, 24 * 60, step)]


def _detail_url(workspace_slug: str, session_id: int) -> str:
    return reverse("scheduling:detail", kwargs={"workspace_slug": workspace_slug, "session_id": session_id})


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
        "video_url": item["video_url"] or "",
        "version": item["version"],
    }


def _changes(form: forms.SessionForm, before: dict[str, Any]) -> dict[str, Any]:
    """Only what the user changed, in the service's terms (so a series edit moves only what moved):
    the form's own types (ints, a `date`, a `time`), which the service takes as they are."""
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
        "video_url": "video_url",
    }
    for field_name, key in pairs.items():
        if field_name in form.fields and data.get(field_name) != before.get(field_name):
            changes[key] = data.get(field_name) if data.get(field_name) is not None else None
    if data["date"] != before["date"] or data["start_time"] != before["start_time"]:
        changes["date"] = data["date"]
        changes["start_time"] = data["start_time"]
    return changes


@workspace_page("session.read", "session.update")
def session_edit(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = request.member
    session = selectors.session_get_for(member, session_id)
    item = session_to_json(member, session)
    before = _initial_from(item)
    # Moving a session (client, practitioner, therapy type) needs the same read access as its notes;
    # a signed record moves no more, and its notes are corrected by addenda (the session page).
    show_notes = can_move = "notes" not in item["withheld"] and not item["signed_at"]
    conflict: dict[str, Any] | None = None
    scope = request.POST.get("scope", "this") if item["series_id"] else "this"
    refused = 200
    if request.method == "POST":
        form = _session_form(
            member,
            request.POST,
            include_client=item["client_id"],
            include_practitioner=item["practitioner_id"],
            show_notes=show_notes,
            can_move=can_move,
            initial=before,
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
                    refused = exc.status  # e.g. 409 `signed`: the record is locked
                else:
                    current = _when(dict(exc.extra["current"]))
                    conflict = {"message": exc.message, "current": current}
                    # Keep what was typed; the next save is knowingly based on the current version.
                    data = request.POST.copy()
                    data["version"] = str(current["version"])
                    form = _session_form(
                        member,
                        data,
                        include_client=item["client_id"],
                        include_practitioner=item["practitioner_id"],
                        show_notes=show_notes,
                        can_move=can_move,
                        initial=before,
                    )
                    form.is_valid()
            except DomainError as exc:
                _attach_errors(form, exc)
            else:
                _announce(request, result, _("Session “%(name)s” saved.") % {"name": result.session.name})
                return redirect(_detail_url(workspace_slug, session.pk))
    else:
        form = _session_form(
            member,
            initial=before,
            include_client=item["client_id"],
            include_practitioner=item["practitioner_id"],
            show_notes=show_notes,
            can_move=can_move,
        )
    context = {
        "form": form,
        "session": _when(item),
        "conflict": conflict,
        "creating": False,
        "therapy_defaults": _therapy_defaults(member),
        "slot_times": _slot_times(member.workspace.slot_minutes),
        "scope": scope,
        "check_url": f"/api/v1/workspaces/{workspace_slug}/sessions/check",
        "cancel_url": _detail_url(workspace_slug, session.pk),
    }
    return render(
        request,
        "scheduling/session_form.html",
        {"nav": "sessions", **context},
        status=409 if conflict else refused,
    )


# --- detail, status, phases, delete ----------------------------------------------------------------

# The status buttons of the session page (cancelling has its own form: who cancelled and why).
STATUS_ACTIONS = {
    "scheduled": [("in_progress", gettext_lazy("Start")), ("no_show", gettext_lazy("No-show"))],
    "in_progress": [("completed", gettext_lazy("Complete")), ("no_show", gettext_lazy("No-show"))],
    "completed": [("in_progress", gettext_lazy("Reopen"))],
    "cancelled": [("scheduled", gettext_lazy("Restore"))],
    "no_show": [("scheduled", gettext_lazy("Restore")), ("completed", gettext_lazy("The client came"))],
}
CANCELLED_BY_LABELS = dict(CancelledBy.choices)


def attendance_context(member: Membership, session: Any, item: dict[str, Any]) -> dict[str, Any]:
    """What the session page says and offers about attendance: the cancellation, the confirmation,
    whether cancelling now would be late and what it would cost (the rule is `services.attendance`)."""
    workspace = member.workspace
    now = timezone.now()
    status = item["status"]
    price = session.therapy_type.default_price if session.therapy_type_id else None
    late_now = attendance.is_late(
        workspace, starts_at=session.starts_at, cancelled_at=now, by=CancelledBy.CLIENT
    )
    late_fee = attendance.fee_amount(workspace, kind=attendance.LATE_CANCEL_FEE, price=price)
    no_show_fee = attendance.fee_amount(workspace, kind=attendance.NO_SHOW_FEE, price=price)
    can_update = member.has_perm("session.update")
    started = session.starts_at <= now
    cancellation = item["cancellation"]
    return {
        "cancellation": {
            **cancellation,
            "by_label": CANCELLED_BY_LABELS.get(cancellation["by"], cancellation["by"]),
        }
        if cancellation
        else None,
        "confirmed_dt": dt.datetime.fromisoformat(item["confirmed_at"]) if item["confirmed_at"] else None,
        "can_cancel": can_update and status != SessionStatus.CANCELLED,
        "cancel_late_now": late_now,
        "late_fee": late_fee if late_now else None,
        "no_show_fee": no_show_fee,
        "can_waive": member.has_perm("billing.manage"),
        "can_confirm": can_update and status == SessionStatus.SCHEDULED and session.ends_at > now,
        "actions": [
            (value, label)
            for value, label in (STATUS_ACTIONS.get(status, []) if can_update else [])
            if value != SessionStatus.NO_SHOW or started
        ],
        "window_hours": workspace.cancellation_window_hours,
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
        definitions = definitions_for(workspace=member.workspace, scope="session", phase=phase)
        form = (phase_forms or {}).get(phase) or _phase_form(
            member, phase, values, clinical_ok, definitions=definitions
        )
        # Fields of this phase the reader may not see: the tab says so instead of "no fields".
        hidden = sum(1 for d in definitions if not d.archived) - len(form.definitions)
        withheld_values = sum(1 for path in item["withheld"] if path.startswith(f"fields.{phase}."))
        answered = [n for n in form.nodes() if values.get(n["key"]) not in (None, "", [], {})]
        phases.append(
            {
                "key": phase,
                "label": label,
                "rows": answered,
                # A signed record's during and post values are shown, never edited (addenda correct them).
                "form": form
                if can_update and form.definitions and not (item["signed_at"] and phase in ("during", "post"))
                else None,
                "has_definitions": bool(form.definitions),
                "withheld_fields": hidden,
                "withheld_values": withheld_values,
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
                "by": change.changed_by.display_name if change.changed_by else change.actor_label,
            }
            for change in selectors.status_history(member, session.pk)
        ],
        **attendance_context(member, session, item),
        "can_update": can_update,
        # Deleting erases clinical content: offered to its readers only (the service refuses others).
        "can_delete": member.has_perm("session.delete") and clinical_ok and not item["signed_at"],
        "can_record": item["status"] in ("completed", "in_progress") and can_update,
        "record_url": reverse(
            "recording:record", kwargs={"workspace_slug": member.workspace.slug, "session_id": session.pk}
        ),
        # The pre-session briefing (insights, a page of its own loaded here), before the session ends.
        "briefing_url": reverse(
            "insights:briefing", kwargs={"workspace_slug": member.workspace.slug, "session_id": session.pk}
        )
        if member.has_perm("insights.read") and item["status"] in ("scheduled", "in_progress")
        else None,
        "client_url": reverse(
            "clients:detail", kwargs={"workspace_slug": member.workspace.slug, "client_id": item["client_id"]}
        )
        if member.has_perm("client.read")
        else None,
        "next_booking_url": _next_booking_url(member, item),
        **clinical_record_context(member, item),
        **_record_context(member, item),
    }


def _record_context(member: Membership, item: dict[str, Any]) -> dict[str, Any]:
    """The session page's record card: the therapy-specific answers as the redacted session JSON
    gives them (absent for a reader without clinical access, who is told they are withheld), and
    billing's payment partial (loaded with htmx: billing sits above scheduling)."""
    values = item.get("therapy_fields") or {}
    rows: list[dict[str, Any]] = []
    if values and item["therapy_type_id"]:
        definitions = definitions_for(
            workspace=member.workspace, scope="therapy_type", therapy_type_id=item["therapy_type_id"]
        )
        form = CustomFieldsForm(member=member, definitions=definitions, values=values)
        rows = [n for n in form.nodes() if values.get(n["key"]) not in (None, "", [], {})]
    return {
        "therapy_rows": rows,
        "therapy_withheld": "therapy_fields" in item["withheld"] and bool(item["therapy_type_id"]),
        "payment_url": reverse(
            "billing:session_payment",
            kwargs={"workspace_slug": member.workspace.slug, "session_id": item["id"]},
        )
        if member.has_perm("billing.read")
        else None,
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
    member: Membership,
    phase: str,
    values: dict[str, Any],
    clinical_ok: bool,
    *,
    definitions: list[Any] | None = None,
) -> CustomFieldsForm:
    if definitions is None:
        definitions = definitions_for(workspace=member.workspace, scope="session", phase=phase)
    return CustomFieldsForm(
        member=member,
        definitions=definitions,
        prefix=f"fields.{phase}",
        values=values,
        can_write_clinical=clinical_ok,
    )


@workspace_page("session.read")
def session_detail(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = request.member
    session = selectors.session_get_for(member, session_id)
    return render(
        request,
        "scheduling/session_detail.html",
        {"nav": "sessions", **_detail_context(request, member, session)},
    )


@require_POST
@workspace_page("session.read", "session.update")
def session_status(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    """A status button, or the cancel form (who cancelled, why, waive the fee)."""
    member = request.member
    session = selectors.session_get_for(member, session_id)
    version = id_or_none(request.POST.get("version"))
    status = request.POST.get("status")
    cancellation = None
    by, reason = request.POST.get("by") or "", request.POST.get("reason") or ""
    if status == SessionStatus.CANCELLED and (by or reason):
        # Who cancelled and why, from the cancel form; a bare "cancelled" (no form) is the
        # practice's, as in the API.
        cancellation = {"by": by, "reason": reason}
    try:
        result = services.session_set_status(
            member=member,
            session_id=session.pk,
            status=status,
            version=version,
            scope=request.POST.get("scope") or "this",
            cancellation=cancellation,
            charge_fee=request.POST.get("waive_fee") != "on",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        label = dict(SessionStatus.choices).get(result.session.status, result.session.status)
        _announce(request, result, _("Status changed to %(status)s.") % {"status": label})
        announce_fees(request, member, result)
    return redirect(safe_next(request, request.POST.get("next")) or _detail_url(workspace_slug, session.pk))


FEE_MESSAGES = {
    attendance.NO_SHOW_FEE: gettext_lazy("A no-show fee of %(amount)s is now pending."),
    attendance.LATE_CANCEL_FEE: gettext_lazy("A late cancellation fee of %(amount)s is now pending."),
}


def announce_fees(request: HttpRequest, member: Membership, result: services.SessionResult) -> None:
    for fee in result.fees:
        amount = format_money(fee.amount, member.workspace.currency)
        messages.info(request, FEE_MESSAGES[fee.kind] % {"amount": amount})


@require_POST
@workspace_page("session.read", "session.update")
def session_confirm(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    """Mark the session confirmed by the client (or take it back)."""
    member = request.member
    session = selectors.session_get_for(member, session_id)
    confirmed = request.POST.get("confirmed") != "false"
    try:
        services.session_confirm(
            workspace=member.workspace,
            member=member,
            session_id=session.pk,
            confirmed=confirmed,
            version=id_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as confirmed.") if confirmed else _("Confirmation removed."))
    return redirect(safe_next(request, request.POST.get("next")) or _detail_url(workspace_slug, session.pk))


@require_POST
@workspace_page("session.read", "session.update")
def session_phase(request: PageRequest, workspace_slug: str, session_id: int, phase: str) -> HttpResponse:
    member = request.member
    if phase not in PHASES:
        raise Http404
    session = selectors.session_get_for(member, session_id)
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
            version=id_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        form.add_errors(exc)
    else:
        messages.success(request, _("%(phase)s saved.") % {"phase": dict(PHASE_LABELS)[phase]})
        return redirect(f"{_detail_url(workspace_slug, session.pk)}?phase={phase}#phases")
    session = selectors.session_get_for(member, session_id)
    context = _detail_context(request, member, session, phase_forms={phase: form})
    return render(request, "scheduling/session_detail.html", {"nav": "sessions", **context}, status=422)


# What goes with a deleted session, counted in words: "1 session", "2 attachments" (plural forms).
DELETE_LABELS = {
    "sessions": lambda n: ngettext("%(n)d session", "%(n)d sessions", n),
    "session_status_changes": lambda n: ngettext("%(n)d status change", "%(n)d status changes", n),
    "attachments": lambda n: ngettext("%(n)d attachment", "%(n)d attachments", n),
    "payments": lambda n: ngettext("%(n)d payment", "%(n)d payments", n),
    "evaluations": lambda n: ngettext("%(n)d evaluation", "%(n)d evaluations", n),
}


@workspace_page("session.read", "session.delete")
def session_delete(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = request.member
    session = selectors.session_get_for(member, session_id)
    item = _when(session_to_json(member, session))
    scope = request.POST.get("scope") or request.GET.get("scope") or "this"
    if scope not in ("this", "following", "all") or not item["series_id"]:
        scope = "this"
    error = ""
    status = 200
    if request.method == "POST":
        try:
            deleted = services.session_delete(member=member, session_id=session.pk, scope=scope)
        except DomainError as exc:
            error, status = exc.message, exc.status
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
        if not error:
            error, status = exc.message, exc.status
    goes_with = [
        {
            "text": (DELETE_LABELS[key](count) if key in DELETE_LABELS else f"{count} {key}") % {"n": count},
            "count": count,
        }
        for key, count in preview.items()
        if count
    ]
    context = {"session": item, "goes_with": goes_with, "scope": scope, "error": error}
    return render(request, "scheduling/session_delete.html", {"nav": "sessions", **context}, status=status)


# --- small partials ------------------------------------------------------------------------------


@workspace_page("session.read")
def client_options(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """`<option>`s of the clients matching `q` (the searchable client picker of the form)."""
    member = request.member
    query = (request.GET.get("q") or "").strip()[:100]
    selected = id_or_none(request.GET.get("client"))
    options = forms.client_choices(member, query=query, include=selected)
    context = {"options": options, "selected": selected, "for_filter": request.GET.get("for") == "filter"}
    return render(request, "scheduling/_client_options.html", context)


@workspace_page("session.read")
def client_sessions(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    """A client's sessions, chronological (the Sessions tab of the client page loads this)."""
    member = request.member
    selectors.client_history(member, client_id)  # 404 for a client outside the workspace
    try:
        rows, next_cursor = selectors.sessions_page(
            member,
            sort="starts_at",
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
            client_id=client_id,
        )
    except ValidationFailed:
        rows, next_cursor = [], None
    context = {
        "client_sessions": [_when(item) for item in sessions_to_json(member, rows)],
        "next_cursor": next_cursor,
        "client_id": client_id,
    }
    return render(request, "scheduling/_client_sessions.html", {"nav": "sessions", **context})
