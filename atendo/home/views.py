"""The home page (`/w/<slug>/`, where members land) and its quick actions.

Views stay thin: `workspace_page` → the home selectors (the agenda through the session serializer)
→ template. The quick actions (start a session, confirm it, mark its payment paid) call the same
services as the session and payment pages and answer the home again: with htmx the page swaps its
`#today` part (messages included), without it the browser follows the redirect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendo.billing.models import Payment, PaymentMethod, PaymentStatus
from atendo.billing.services import payment_create, payment_update
from atendo.core.clean import id_or_none
from atendo.core.errors import DomainError, NotFound
from atendo.core.http import PageRequest
from atendo.core.times import date_or_none
from atendo.home import selectors, todo
from atendo.scheduling import selectors as session_selectors
from atendo.scheduling import services as session_services
from atendo.scheduling.models import SessionStatus
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page

STATUS_LABELS = dict(SessionStatus.choices)
PAYMENT_LABELS = dict(PaymentStatus.choices)


def _scope(request: HttpRequest) -> dict[str, Any]:
    """The day and whose agenda, from the query string: `date`, `practitioner` (an id or "all")."""
    params = request.GET if request.method == "GET" else request.POST
    chosen = params.get("practitioner", "")
    return {
        "day": date_or_none(params.get("date")),
        "everyone": chosen == "all",
        "practitioner_id": id_or_none(chosen),
    }


def _home_url(member: Membership, day: dt.date | None, practitioner: str) -> str:
    url = reverse("home:today", kwargs={"workspace_slug": member.workspace.slug})
    query = QueryDict(mutable=True)
    if day is not None:
        query["date"] = day.isoformat()
    if practitioner:
        query["practitioner"] = practitioner
    return f"{url}?{query.urlencode()}" if query else url


def _row(
    member: Membership, item: dict[str, Any], payment: dict[str, Any] | None, now: dt.datetime
) -> dict[str, Any]:
    start = dt.datetime.fromisoformat(item["starts_at"])
    end = dt.datetime.fromisoformat(item["ends_at"])
    status = item["status"]
    slug = member.workspace.slug
    started = start <= now
    live = status not in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW)
    return {
        "session": item,
        "start": start,
        "end": end,
        "status_label": STATUS_LABELS.get(status, status),
        "confirmed": bool(item["confirmed_at"]),
        "recorded": bool(item["recorded_at"]),
        "payment": {**payment, "label": PAYMENT_LABELS.get(payment["status"], payment["status"])}
        if payment
        else None,
        "detail_url": reverse("scheduling:detail", kwargs={"workspace_slug": slug, "session_id": item["id"]}),
        "record_url": reverse("recording:record", kwargs={"workspace_slug": slug, "session_id": item["id"]}),
        "can_start": status == SessionStatus.SCHEDULED and end > now,
        "can_record": live and started and not item["recorded_at"],
        "can_confirm": status == SessionStatus.SCHEDULED and end > now and not item["confirmed_at"],
        "can_mark_paid": live and not (payment and payment["status"] == PaymentStatus.PAID),
    }


def _readable(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    if "starts_at" in item:
        out["start_dt"] = dt.datetime.fromisoformat(item["starts_at"])
    if "due_date" in item:
        out["due_dt"] = dt.date.fromisoformat(item["due_date"])
    return out


def home_context(request: PageRequest) -> dict[str, Any]:
    member = request.member
    scope = _scope(request)
    today = selectors.today_for(
        member, day=scope["day"], practitioner_id=scope["practitioner_id"], everyone=scope["everyone"]
    )
    now = dt.datetime.now(dt.UTC)
    payments = today.payments or {}
    rows = [_row(member, item, payments.get(item["id"]), now) for item in today.sessions]
    # What a person reads: aware datetimes and dates for the template's format filters.
    todo_lists = {key: [_readable(item) for item in items] for key, items in today.todo.items()}
    chosen = "all" if today.practitioner_id is None else str(today.practitioner_id)
    real_today = selectors.local_today(member)
    can_update = member.has_perm("session.update")
    return {
        "nav": "home",
        "today": today,
        "todo": todo_lists,
        "rows": rows,
        "chosen": chosen,
        "is_today": today.date == real_today,
        "day_before": today.date - dt.timedelta(days=1),
        "day_after": today.date + dt.timedelta(days=1),
        "real_today": real_today,
        "practitioners": selectors.practitioner_options(member),
        "can_sessions": member.has_perm("session.read"),
        "can_billing": member.has_perm("billing.read"),
        "can_update": can_update,
        "can_pay": member.has_perm("billing.manage"),
        "can_create": member.has_perm("session.create"),
        "signing": todo.signing_exists(),
        "methods": PaymentMethod.choices,
        "getting_started": selectors.getting_started(member),
        "notices": list(messages.get_messages(request)),
        "scope_practitioner": scope_query(request),
    }


def scope_query(request: HttpRequest) -> str:
    params = request.GET if request.method == "GET" else request.POST
    return (params.get("practitioner") or "")[:20]


@workspace_page()
def home(request: PageRequest, workspace_slug: str) -> HttpResponse:
    return render(request, "home/home.html", home_context(request))


def _back(request: PageRequest) -> HttpResponse:
    """Answer a quick action with the home of the same day and scope."""
    scope = _scope(request)
    return redirect(_home_url(request.member, scope["day"], scope_query(request)))


@require_POST
@workspace_page("session.read", "session.update")
def start(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = request.member
    session_selectors.session_get_for(member, session_id)  # 404 for a foreign or missing session
    try:
        result = session_services.session_set_status(
            member=member,
            session_id=session_id,
            status=SessionStatus.IN_PROGRESS,
            version=id_or_none(request.POST.get("version")),
        )
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(client)s” started.") % {"client": result.session.client.name})
    return _back(request)


@require_POST
@workspace_page("session.read", "session.update")
def confirm(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = request.member
    session_selectors.session_get_for(member, session_id)  # 404 for a foreign or missing session
    try:
        result = session_services.session_confirm(
            workspace=member.workspace,
            member=member,
            session_id=session_id,
            version=id_or_none(request.POST.get("version")),
        )
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(client)s” confirmed.") % {"client": result.session.client.name})
    return _back(request)


@require_POST
@workspace_page("session.read", "billing.manage")
def mark_paid(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    """The session's payment, paid today by `method` (created at the therapy type's price if the
    session has none yet)."""
    member = request.member
    session_selectors.session_get_for(member, session_id)  # 404 for a foreign or missing session
    data = {"status": PaymentStatus.PAID.value, "method": request.POST.get("method") or ""}
    try:
        existing = Payment.objects.for_workspace(member.workspace).filter(session_id=session_id).first()
        if existing is not None:
            payment_update(member=member, payment_id=existing.pk, data=data)
        else:
            payment_create(member=member, session_id=session_id, data=data)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, " ".join([exc.message, *(f.message for f in exc.fields)]))
    else:
        messages.success(request, _("Payment marked as paid."))
    return _back(request)
