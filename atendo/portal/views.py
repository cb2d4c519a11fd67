"""Pages of the portal (no staff log-in): asking for a link, opening it, the client's own page
(sessions, forms, what is owed and receipts), cancelling and moving a session, logging out; and the
staff side, the client page's "Portal" action.

A portal page runs only with a live portal session (`links.COOKIE`) of the workspace in its URL: no
session sends the client to the page that asks for a link; a session of another practice is 404. A
Django log-in opens nothing here, and a portal session opens nothing of the staff's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from atendo.accounts.forms import client_ip
from atendo.billing.api import receipt_response
from atendo.billing.receipts import receipt_of_payment
from atendo.clients.selectors import client_get_for
from atendo.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from atendo.core.http import PageRequest
from atendo.portal import links, selectors, services, throttle
from atendo.portal.models import PortalSession
from atendo.scheduling.models import Session
from atendo.scheduling.services.attendance import LATE_CANCEL_FEE, fee_amount
from atendo.workspaces.models import Workspace
from atendo.workspaces.pages import workspace_page


def _public(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def _language(request: HttpRequest, workspace: Workspace, client_id: int | None) -> str:
    """The language chosen with the page's switcher, else the client's (else the practice's)."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        return chosen
    if client_id is None:
        return translation.get_language() or "en"
    return services.client_language(workspace, client_id)


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, language: str, status: int = 200
) -> HttpResponse:
    with translation.override(language):
        return _public(render(request, template, context, status=status))


def _throttled(request: HttpRequest) -> HttpResponse:
    return _public(render(request, "booking/throttled.html", status=429))


class PortalRequest(HttpRequest):
    portal: PortalSession


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of a client's portal: sets `request.portal` from the portal cookie and runs the view
    in the client's language and the practice's time zone. No live session: to the link request
    page (a fresh one); a session of another practice: 404."""

    @wraps(view)
    def wrapper(request: PortalRequest, workspace_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        portal = services.session_for(request.COOKIES.get(links.COOKIE))
        if portal is None:
            if not Workspace.objects.filter(slug=workspace_slug).exists():
                raise Http404
            response = redirect("portal_public:ask", workspace_slug=workspace_slug)
            response.delete_cookie(links.COOKIE, path="/portal/")
            return response
        if portal.workspace.slug != workspace_slug:
            raise Http404
        request.portal = portal
        try:
            language = _language(request, portal.workspace, portal.client_id)
            with translation.override(language), timezone.override(portal.workspace.tz):
                return _public(view(request, workspace_slug, *args, **kwargs))
        except NotFound:
            raise Http404 from None

    return wrapper


# --- asking for a link, opening it ---------------------------------------------------------------


class AskForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your e-mail"),
        max_length=254,
        help_text=gettext_lazy("The e-mail address the practice has for you."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="email", inputmode="email")


@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    """Ask for a link by e-mail. The answer is the same whether the address is known or not."""
    workspace = Workspace.objects.filter(slug=workspace_slug).first()
    if workspace is None:
        raise Http404
    language = _language(request, workspace, None)
    form = AskForm(request.POST if request.method == "POST" else None)
    sent = False
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_link_request(
                workspace_slug=workspace_slug,
                email=form.cleaned_data["email"],
                ip=client_ip(request) or "unknown",
            )
        except throttle.Throttled:
            return _throttled(request)
        except ValidationFailed as exc:
            for error in exc.fields:
                form.add_error("email" if error.path == "email" else None, error.message)
        else:
            sent = True
    context = {
        "practice": workspace.name,
        "form": form,
        "sent": sent,
    }
    with translation.override(language):
        context["answer"] = services.request_answer(int(links.link_lifetime().total_seconds() // 60))
    status = 422 if request.method == "POST" and not sent else 200
    return _render(request, "portal/ask.html", context, language=language, status=status)


@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, token: str) -> HttpResponse:
    """The magic link. GET only shows a button (mail scanners open links and must not spend it);
    the button POSTs, spends the link and opens the portal session (its cookie)."""
    try:
        throttle.hit("open_ip", client_ip(request) or "unknown")
    except throttle.Throttled:
        return _throttled(request)
    if request.method == "POST":
        opened = services.link_open(token)
        if opened.session is not None:
            response = redirect("portal_public:home", workspace_slug=opened.session.workspace.slug)
            response.set_cookie(
                links.COOKIE,
                opened.key,
                max_age=int(links.session_lifetime().total_seconds()),
                path="/portal/",
                secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            return response
        state = opened.state
    else:
        state = services.link_state(token)
    link = state.link
    language = (
        _language(request, link.workspace, link.client_id) if link else (translation.get_language() or "en")
    )
    context = {
        "state": state.state,
        "practice": link.workspace.name if link else "",
        "ask_url": f"/portal/{link.workspace.slug}/" if link else "",
    }
    return _render(request, "portal/enter.html", context, language=language)


@require_POST
def logout(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    portal = services.session_for(request.COOKIES.get(links.COOKIE))
    if portal is not None:
        services.session_end(portal)
    response = redirect("portal_public:ask", workspace_slug=workspace_slug)
    response.delete_cookie(links.COOKIE, path="/portal/")
    return response


# --- the client's page ------------------------------------------------------------------------------


def _base(request: PortalRequest) -> dict[str, Any]:
    portal = request.portal
    return {
        "practice": portal.workspace.name,
        "address": portal.workspace.address,
        "slug": portal.workspace.slug,
        "first_name": (portal.client.name or "").split(" ")[0],
        "window_hours": portal.workspace.cancellation_window_hours,
    }


@portal_page
def home(request: PortalRequest, workspace_slug: str) -> HttpResponse:
    portal = request.portal
    upcoming, past = selectors.visits(portal)
    owed, paid = selectors.payments(portal)
    context = {
        **_base(request),
        "upcoming": upcoming,
        "past": past,
        "owed": owed,
        "paid": paid,
        "forms": selectors.open_forms(portal),
        "client": {"name": portal.client.name, "email": portal.client.email, "phone": portal.client.phone},
    }
    return render(request, "portal/home.html", context)


def _late_fee(portal: PortalSession, visit: selectors.Visit) -> Any:
    session = (
        Session.objects.for_workspace(portal.workspace)
        .select_related("therapy_type")
        .only("id", "therapy_type__default_price")
        .get(pk=visit.id)
    )
    price = session.therapy_type.default_price if session.therapy_type else None
    return fee_amount(portal.workspace, kind=LATE_CANCEL_FEE, price=price)


@portal_page
@require_http_methods(["GET", "POST"])
def cancel(request: PortalRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    portal = request.portal
    visit = selectors.visit_get(portal, session_id)
    error = ""
    if request.method == "POST":
        try:
            services.portal_cancel(portal=portal, session_id=session_id)
        except Conflict as exc:
            error = exc.message
        else:
            messages.success(request, _("The session is cancelled."))
            return redirect("portal_public:home", workspace_slug=workspace_slug)
    context = {
        **_base(request),
        "visit": visit,
        "fee": _late_fee(portal, visit) if visit.cancel_is_late else None,
        "currency": portal.workspace.currency,
        "error": error,
    }
    return render(request, "portal/cancel.html", context, status=409 if error else 200)


DAYS_SHOWN = 6


@portal_page
@require_http_methods(["GET", "POST"])
def move(request: PortalRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    portal = request.portal
    visit = selectors.visit_get(portal, session_id)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            services.portal_move(
                portal=portal,
                session_id=session_id,
                starts_at=request.POST.get("starts_at", ""),
                version=version,
            )
        except (Conflict, ValidationFailed) as exc:
            error, status = exc.message, exc.status
            visit = selectors.visit_get(portal, session_id)
        else:
            messages.success(request, _("The session is moved."))
            return redirect("portal_public:home", workspace_slug=workspace_slug)
    by_day: dict[dt.date, list[dt.datetime]] = {}
    if visit.can_move:
        for start in selectors.move_slots(portal, visit):
            by_day.setdefault(start.date(), []).append(start)
    all_days = sorted(by_day)
    page_from = _day(request.GET.get("from"))
    first = next((i for i, d in enumerate(all_days) if page_from and d >= page_from), 0)
    shown = all_days[first : first + DAYS_SHOWN]
    chosen = _day(request.GET.get("day"))
    day = chosen if chosen in shown else (shown[0] if shown else None)
    context = {
        **_base(request),
        "visit": visit,
        "days": [{"date": d, "current": d == day} for d in shown],
        "day": day,
        "page_from": shown[0] if first else None,
        "earlier_from": all_days[max(0, first - DAYS_SHOWN)] if first else None,
        "later_from": all_days[first + DAYS_SHOWN] if first + DAYS_SHOWN < len(all_days) else None,
        "times": [{"label": s.strftime("%H:%M"), "value": s.isoformat()} for s in by_day.get(day, [])]
        if day
        else [],
        "error": error,
    }
    return render(request, "portal/move.html", context, status=status)


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@portal_page
def receipt(request: PortalRequest, workspace_slug: str, payment_id: int) -> HttpResponse:
    """A receipt of one of this client's paid payments (another client's, or unpaid: 404)."""
    portal = request.portal
    payment = selectors.paid_payment(portal, payment_id)
    return receipt_response(receipt_of_payment(portal.workspace, payment))


# --- staff: the client page's "Portal" action --------------------------------------------------------


@workspace_page("client.read", "client.update")
@require_http_methods(["GET", "POST"])
def client_portal(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    """Send the client a link to their portal, by one of the channels that reach them."""
    member = request.member
    client = client_get_for(member, client_id)
    error = ""
    if request.method == "POST":
        channel = request.POST.get("channel", "")
        try:
            services.portal_link_send(member=member, client_id=client.pk, channel=channel)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            error = exc.fields[0].message if exc.fields else exc.message
        else:
            messages.success(request, _("A link to the portal was sent to %(name)s.") % {"name": client.name})
            return redirect("portal:client", workspace_slug=workspace_slug, client_id=client.pk)
    labels = {"email": _("E-mail"), "whatsapp": "WhatsApp", "sms": "SMS"}
    channels = services.channels_for(member.workspace, client)
    context = {
        "nav": "clients",
        "client": client,
        "channels": [{"value": c, "label": labels[c]} for c in channels],
        "error": error,
        "minutes": int(links.link_lifetime().total_seconds() // 60),
        "ask_url": settings.ATENDO_PUBLIC_URL.rstrip("/") + f"/portal/{workspace_slug}/",
    }
    return render(request, "portal/client.html", context, status=422 if error else 200)
