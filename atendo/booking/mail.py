"""The e-mails of online booking: to the client (confirm the address; the request accepted or
declined) and to the practitioner (a new online booking).

Each carries the practice, the service, the time, the practitioner, and for the client the
practice's address and a link: never a note, a field or anything else of the session. The client's
e-mail that means "this time is yours" (a booking without approval, or a request accepted) carries
the session's invite (.ics) built by the one builder, `scheduling.ics`, with the feeds' UID and
SEQUENCE so a calendar updates the event it already has.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from atendo.booking import links
from atendo.booking.models import Booking
from atendo.scheduling.ics import new_calendar, session_event
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership, Workspace

logger = logging.getLogger("atendo.booking")

LANGUAGES = ("en", "pt-br")
INVITE_NAME = {"pt-br": "sessao.ics", "en": "session.ics"}


def language_of(value: str) -> str:
    """ "pt-BR", "pt", "pt-br" -> "pt-br"; anything else -> "en"."""
    return "pt-br" if (value or "").lower().startswith("pt") else "en"


def when_text(value: dt.datetime, tz: Any) -> str:
    """ "Friday, 4 December 2026, 14:00" in the active language, in the practice's zone."""
    local = value.astimezone(tz)
    return f"{formats.date_format(local, 'l')}, {formats.date_format(local, 'DATE_FORMAT')}, {local:%H:%M}"


def invite_ics(session: Session) -> bytes:
    """The client's invite: one event named after the practitioner and the practice."""
    workspace = session.workspace
    cal = new_calendar(
        prodid="-//Atendo//Online booking//EN",
        name=workspace.name,
        timezone_name=workspace.timezone,
        method="PUBLISH",
    )
    summary = f"{session.practitioner.user.display_name} · {workspace.name}"
    cal.add_component(session_event(session, summary=summary))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def send(*, subject: str, body: str, to: str, invite: Session | None = None, language: str = "en") -> bool:
    """Send one plain-text e-mail (with the session's invite attached when given). -> sent."""
    message = EmailMultiAlternatives(
        subject=subject, body=body, to=[to], headers={"Auto-Submitted": "auto-generated"}
    )
    if invite is not None:
        message.attach(
            INVITE_NAME[language_of(language)],
            invite_ics(invite),
            "text/calendar; method=PUBLISH; charset=utf-8",
        )
    try:
        message.send()
    except OSError as exc:  # smtplib's errors are OSErrors: logged, the booking stands
        logger.warning("online booking e-mail not sent: %s", exc)
        return False
    return True


def _session_context(workspace: Workspace, session: Session) -> dict[str, Any]:
    return {
        "practice": workspace.name,
        "address": workspace.address,
        "practitioner": session.practitioner.user.display_name,
        "service": session.therapy_type.name if session.therapy_type else "",
        "when": when_text(session.starts_at, workspace.tz),
    }


def notify_practitioner(booking: Booking) -> bool:
    """Tell the session's practitioner of a new online booking (or request): the client's name, the
    service and the time, and a link to the session (or the requests page). No clinical content."""
    session = booking.session
    workspace = booking.workspace
    practitioner: Membership = session.practitioner
    address = practitioner.user.email
    if not address:
        return False
    base = settings.ATENDO_PUBLIC_URL.rstrip("/")
    requested = booking.approval == "requested"
    url = (
        reverse("booking:requests", kwargs={"workspace_slug": workspace.slug})
        if requested
        else reverse("scheduling:detail", kwargs={"workspace_slug": workspace.slug, "session_id": session.pk})
    )
    language = language_of(practitioner.user.language or workspace.language)
    with translation.override(language):
        context = {
            **_session_context(workspace, session),
            "client": booking.client.name,
            "requested": requested,
            "link": base + url,
        }
        body = render_to_string("booking/email_practitioner.txt", context)
        subject = (
            _("Online booking request: %(when)s") if requested else _("New online booking: %(when)s")
        ) % {"when": context["when"]}
    return send(subject=subject, body=body, to=address, language=language)


def send_decision(booking: Booking) -> bool:
    """Tell the client their request was accepted (with the invite) or declined (with the reason)."""
    session = booking.session
    workspace = booking.workspace
    accepted = booking.approval == "accepted"
    language = booking.language if booking.language in LANGUAGES else "en"
    with translation.override(language):
        context = {
            **_session_context(workspace, session),
            "reason": booking.decline_reason,
            "book_url": settings.ATENDO_PUBLIC_URL.rstrip("/")
            + reverse("booking_public:book", args=[workspace.slug]),
        }
        template = "booking/email_accepted.txt" if accepted else "booking/email_declined.txt"
        body = render_to_string(template, context)
        subject = (
            _("Your booking at %(practice)s is confirmed")
            if accepted
            else _("Your booking request at %(practice)s was declined")
        ) % {"practice": workspace.name}
    return send(
        subject=subject,
        body=body,
        to=booking.email,
        invite=session if accepted else None,
        language=language,
    )


def confirm_link(booking: Booking) -> str:
    return links.link_url(links.make_token(workspace_id=booking.workspace_id, booking_id=booking.pk))
