"""Pages: Settings › Online booking (members), and the public doors (no log-in): the booking page
`/book/<slug>/` and the confirmation link `/book/confirm/<token>/`.

The booking page is plain links and one form, one step per screen (service → practitioner → day
and time → details → done), the choices carried in the query string: it works from the keyboard
and without JavaScript, and a step can be bookmarked or shared.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from atendo.accounts.forms import client_ip
from atendo.booking import approval, selectors, services, throttle
from atendo.core.clean import id_or_none
from atendo.core.errors import Conflict, NotFound, ValidationFailed
from atendo.core.http import PageRequest
from atendo.core.times import date_or_none, parse_datetime
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page

LEAD_CHOICES = [
    (0, gettext_lazy("No minimum")),
    (60, gettext_lazy("1 hour")),
    (120, gettext_lazy("2 hours")),
    (240, gettext_lazy("4 hours")),
    (720, gettext_lazy("12 hours")),
    (1440, gettext_lazy("1 day")),
    (2880, gettext_lazy("2 days")),
    (4320, gettext_lazy("3 days")),
    (10080, gettext_lazy("1 week")),
]
STRIP_DAYS = 7


class SettingsForm(forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Clients may book online"), required=False)
    therapy_type_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Services clients may book"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    practitioner_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Practitioners clients may book"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    lead_minutes = forms.TypedChoiceField(
        label=gettext_lazy("Minimum notice"), coerce=int, choices=LEAD_CHOICES
    )
    horizon_days = forms.IntegerField(
        label=gettext_lazy("How far ahead (days)"), min_value=1, max_value=services.MAX_HORIZON_DAYS
    )
    buffer_minutes = forms.IntegerField(
        label=gettext_lazy("Free time kept before and after each session (minutes)"),
        min_value=0,
        max_value=services.MAX_BUFFER_MINUTES,
    )
    new_clients = forms.BooleanField(
        label=gettext_lazy("People who are not yet clients may book"), required=False
    )
    needs_approval = forms.BooleanField(
        label=gettext_lazy("A member accepts each booking"),
        help_text=gettext_lazy(
            "The time is held as a request until the practitioner (or someone who schedules for "
            "them) accepts or declines it; the client is told by e-mail."
        ),
        required=False,
    )

    def __init__(self, *args: Any, types: list[TherapyType], people: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["therapy_type_ids"].choices = [(t.pk, t.name) for t in types]  # type: ignore[attr-defined]
        self.fields["practitioner_ids"].choices = [(m.pk, m.display_name) for m in people]  # type: ignore[attr-defined]


@workspace_page("workspace.manage")
def settings_page(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    workspace = member.workspace
    bs = services.booking_settings_get(member=member)
    types = list(TherapyType.objects.for_workspace(workspace).filter(active=True).order_by("name", "pk"))
    people = [
        m
        for m in Membership.objects.for_workspace(workspace)
        .select_related("user", "role")
        .order_by("user__name", "pk")
        if selectors.bookable(m)
    ]
    form = SettingsForm(
        request.POST or None, types=types, people=people, initial=services.settings_to_json(bs)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_settings_update(member=member, changes=dict(form.cleaned_data))
        except ValidationFailed as exc:
            for error in exc.fields:
                key = error.path.split("[")[0]
                form.add_error(key if key in form.fields else None, error.message)
        else:
            messages.success(request, _("Online booking settings saved."))
            return redirect("booking:settings", workspace_slug=workspace_slug)
    context = {
        "nav": "settings",
        "settings_active": "booking",
        "form": form,
        "enabled": bs.enabled,
        "public_url": services.public_url(workspace.slug),
    }
    return render(request, "booking/settings.html", context)


# --- requests waiting for approval ---------------------------------------------------------------


@workspace_page("session.read", "session.update")
@require_http_methods(["GET", "POST"])
def requests_page(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """The online bookings waiting for a decision that this member may take; accept or decline."""
    member = request.member
    if request.method == "POST":
        booking_id = id_or_none(request.POST.get("booking"))
        try:
            if request.POST.get("decision") == "accept":
                approval.booking_accept(member=member, booking_id=booking_id)
                messages.success(request, _("Booking accepted; the client was told by e-mail."))
            else:
                approval.booking_decline(
                    member=member, booking_id=booking_id, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("Booking declined; the client was told by e-mail."))
        except (Conflict, ValidationFailed) as exc:
            messages.error(request, exc.message)
        return redirect("booking:requests", workspace_slug=workspace_slug)
    tz = member.workspace.tz
    items = [
        {
            "booking": b,
            "at_label": _long_day(b.session.starts_at.astimezone(tz).date())
            + " · "
            + b.session.starts_at.astimezone(tz).strftime("%H:%M"),
        }
        for b in approval.requests_for(member)[: approval.MAX_LISTED]
    ]
    context = {"nav": "sessions", "items": items, "reason_max": 300}
    return render(request, "booking/requests.html", context)


# --- public ---------------------------------------------------------------------------------------


def _public(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def _throttled(request: HttpRequest) -> HttpResponse:
    return _public(render(request, "booking/throttled.html", status=429))


class DetailsForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        max_length=254,
        help_text=gettext_lazy("We send a link to confirm the booking to this address."),
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I have read the privacy notice and agree that the practice keeps these details "
            "to book and remind me of my sessions."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update(autocomplete="name")
        self.fields["email"].widget.attrs.update(autocomplete="email", inputmode="email")
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel", type="tel")


def _long_day(day: dt.date) -> str:
    return formats.date_format(day, "l") + ", " + formats.date_format(day, "DATE_FORMAT")


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    """The booking page: one step at a time, the choices so far in the query string."""
    try:
        throttle.hit("read_ip", client_ip(request) or "unknown")
    except throttle.Throttled:
        return _throttled(request)
    try:
        offer = selectors.offer_for(workspace_slug)
    except NotFound as exc:
        raise Http404(exc.message) from None
    params = request.POST if request.method == "POST" else request.GET
    tz = offer.workspace.tz
    base = {"practice": offer.workspace.name, "address": offer.workspace.address, "slug": workspace_slug}

    def link(**choices: Any) -> str:
        return "?" + urlencode({k: v for k, v in choices.items() if v not in (None, "")})

    # 1. The service (chosen for the client when there is one).
    service_id = id_or_none(params.get("service"))
    service = next((t for t in offer.services if t.pk == service_id), None)
    if service is None and len(offer.services) == 1:
        service = offer.services[0]
    if service is None:
        items = [
            {"service": t, "duration": offer.duration(t), "url": link(service=t.pk)} for t in offer.services
        ]
        return _public(render(request, "booking/book.html", {**base, "step": "service", "services": items}))
    # 2. The practitioner, or anyone.
    raw_with = params.get("with") or ""
    practitioner = next((p for p in offer.practitioners if str(p.pk) == raw_with), None)
    anyone = raw_with == "any"
    if practitioner is None and not anyone and len(offer.practitioners) == 1:
        practitioner = offer.practitioners[0]
    with_value = "any" if anyone else (str(practitioner.pk) if practitioner else "")
    summary = {
        "service": service,
        "duration": offer.duration(service),
        "practitioner": practitioner,
        "anyone": anyone,
        "change_service": link() if len(offer.services) > 1 else "",
        "change_with": link(service=service.pk) if len(offer.practitioners) > 1 else "",
    }
    if not practitioner and not anyone:
        items = [
            {"name": p.display_name, "url": link(service=service.pk, **{"with": p.pk})}
            for p in offer.practitioners
        ]
        people = {
            **base,
            **summary,
            "step": "practitioner",
            "people": items,
            "anyone_url": link(service=service.pk, **{"with": "any"}),
        }
        return _public(render(request, "booking/book.html", people))
    practitioner_id = practitioner.pk if practitioner else None
    choice = {"service": service.pk, "with": with_value}
    # 3. A day of the strip (a week from `week`) and a free time on it.
    earliest, latest = selectors.window(offer)
    first_day, last_day = earliest.astimezone(tz).date(), latest.astimezone(tz).date()
    week = date_or_none(params.get("week")) or first_day
    week = min(max(week, first_day), last_day)
    strip_end = week + dt.timedelta(days=STRIP_DAYS - 1)
    slots = selectors.open_slots(
        offer, therapy_type_id=service.pk, practitioner_id=practitioner_id, first=week, last=strip_end
    )
    by_day: dict[dt.date, list[Any]] = {}
    for s in slots:
        by_day.setdefault(s.start.astimezone(tz).date(), []).append(s)
    day = date_or_none(params.get("day"))
    if day not in by_day:
        day = min(by_day) if by_day else None
    days = [
        {
            "date": d,
            "count": len(by_day.get(d, [])),
            "url": link(**choice, week=week.isoformat(), day=d.isoformat()),
            "current": d == day,
        }
        for d in (week + dt.timedelta(days=i) for i in range(STRIP_DAYS))
        if d <= last_day
    ]
    nav = {
        "prev_url": link(**choice, week=(week - dt.timedelta(days=STRIP_DAYS)).isoformat())
        if week > first_day
        else "",
        "next_url": link(**choice, week=(strip_end + dt.timedelta(days=1)).isoformat())
        if strip_end < last_day
        else "",
    }

    def times(for_day: dt.date | None) -> list[dict[str, Any]]:
        if for_day is None:
            return []
        return [
            {
                "label": s.start.astimezone(tz).strftime("%H:%M"),
                "url": link(
                    **choice,
                    week=week.isoformat(),
                    day=for_day.isoformat(),
                    at=s.start.astimezone(tz).isoformat(timespec="minutes"),
                ),
            }
            for s in by_day.get(for_day, [])
        ]

    context: dict[str, Any] = {
        **base,
        **summary,
        "days": days,
        **nav,
        "day": day,
        "day_label": _long_day(day) if day else "",
    }
    at = None
    if params.get("at"):
        try:
            at = parse_datetime(params.get("at"), tz, path="at")
        except ValidationFailed:
            at = None
    if at is None:
        context.update(step="time", times=times(day))
        return _public(render(request, "booking/book.html", context))
    # 4. The details, and the booking.
    at_local = at.astimezone(tz)
    context.update(
        step="details",
        at=at_local,
        at_value=at_local.isoformat(timespec="minutes"),
        at_label=_long_day(at_local.date()) + " · " + at_local.strftime("%H:%M"),
        change_time=link(**choice, week=week.isoformat(), day=at_local.date().isoformat()),
        with_value=with_value,
    )
    form = DetailsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            answer = services.booking_create(
                workspace_slug=workspace_slug,
                therapy_type_id=service.pk,
                practitioner_id=practitioner_id,
                starts_at=at,
                name=cd["name"],
                email=cd["email"],
                phone=cd["phone"],
                consent=cd["consent"],
                ip=client_ip(request) or "unknown",
                language=_language(request),
            )
        except throttle.Throttled:
            return _throttled(request)
        except Conflict as exc:
            # Taken meanwhile: that day's times again, and the next free ones.
            context.update(
                step="time",
                taken=exc.message,
                next_times=[
                    {
                        "label": _long_day(start.date()) + " · " + start.strftime("%H:%M"),
                        "url": link(**choice, at=start.isoformat(timespec="minutes")),
                    }
                    for start in (
                        dt.datetime.fromisoformat(s["starts_at"]) for s in exc.extra.get("next_slots", [])
                    )
                ],
            )
            fresh = selectors.open_slots(
                offer,
                therapy_type_id=service.pk,
                practitioner_id=practitioner_id,
                first=at_local.date(),
                last=at_local.date(),
            )
            by_day[at_local.date()] = fresh
            context.update(
                times=times(at_local.date()), day=at_local.date(), day_label=_long_day(at_local.date())
            )
            return _public(render(request, "booking/book.html", context, status=409))
        except ValidationFailed as exc:
            for error in exc.fields:
                form.add_error(error.path if error.path in form.fields else None, error.message)
        else:
            done = {
                **base,
                "step": "done",
                "service": answer.therapy_type,
                "practitioner": answer.practitioner,
                "at_label": _long_day(answer.starts_at.astimezone(tz).date())
                + " · "
                + answer.starts_at.astimezone(tz).strftime("%H:%M"),
                "email": answer.email,
                "message": services.done_message(),
            }
            return _public(render(request, "booking/book.html", done))
    context["form"] = form
    status = 422 if request.method == "POST" else 200
    return _public(render(request, "booking/book.html", context, status=status))


def _language(request: HttpRequest) -> str:
    language = (getattr(request, "LANGUAGE_CODE", "") or "en").lower()
    return "pt-br" if language.startswith("pt") else "en"


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the booking e-mail. GET changes nothing (mail scanners open links); the button
    POSTs."""
    try:
        throttle.hit("confirm_ip", client_ip(request) or "unknown")
    except throttle.Throttled:
        return _throttled(request)
    state = services.booking_confirm(token) if request.method == "POST" else services.link_state(token)
    context: dict[str, Any] = {"state": state.state, "token": token}
    booking = state.booking
    if booking is not None:
        workspace = booking.workspace
        session = booking.session
        local = session.starts_at.astimezone(workspace.tz)
        context.update(
            practice=workspace.name,
            address=workspace.address,
            practitioner=session.practitioner.user.display_name,
            service=session.therapy_type.name if session.therapy_type else "",
            at_label=_long_day(local.date()) + " · " + local.strftime("%H:%M"),
            just_confirmed=request.method == "POST" and state.state == "confirmed",
            requested=state.state == "confirmed" and booking.approval == "requested",
            past=session.starts_at <= timezone.now(),
        )
    return _public(render(request, "booking/confirm.html", context))
