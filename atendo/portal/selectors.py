"""Reads of the portal: what a client sees of their own record, and nothing else.

Every read starts from the portal session's workspace and client (`.for_workspace(ws)` and
`client_id`), so another client's or another practice's id is simply not found (404). Sessions are
read with their administrative columns only (`ADMIN_COLUMNS`: never the name, notes, phase fields,
admin notes or therapy fields) and handed to the pages as plain `Visit` rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from atendo.billing import pix
from atendo.billing.models import Payment, PaymentStatus, PixSettings
from atendo.billing.selectors import OUTSTANDING_STATUSES, client_payments, payment_pix
from atendo.core.errors import NotFound
from atendo.intake.selectors import open_requests_for_client
from atendo.portal.models import PortalSession
from atendo.scheduling.availability import free_slots
from atendo.scheduling.models import Session, SessionStatus
from atendo.scheduling.services.attendance import is_late
from atendo.workspaces.models import Membership

# The only columns of a session the portal ever reads.
ADMIN_COLUMNS = (
    "id",
    "workspace_id",
    "client_id",
    "starts_at",
    "ends_at",
    "duration_minutes",
    "status",
    "video_url",
    "version",
    "cancellation_late",
    "cancelled_by",
    "therapy_type__name",
    "practitioner__id",
    "practitioner__user__name",
    "practitioner__user__email",
)
PAST_LIMIT = 50


def move_days() -> int:
    return max(1, int(getattr(settings, "PORTAL_MOVE_DAYS", 60)))


@dataclass
class Visit:
    """One session as the client sees it."""

    id: int
    starts_at: dt.datetime  # in the practice's time zone
    ends_at: dt.datetime
    practitioner: str
    service: str
    status: str
    status_label: str
    video_url: str
    version: int
    cancelled_late: bool
    upcoming: bool
    can_cancel: bool
    cancel_is_late: bool  # cancelling now would be a late cancellation
    can_move: bool


def _sessions(portal: PortalSession) -> Any:
    return (
        Session.objects.for_workspace(portal.workspace)
        .filter(client_id=portal.client_id)
        .select_related("practitioner__user", "therapy_type")
        .only(*ADMIN_COLUMNS)
    )


def _visit(portal: PortalSession, session: Session, now: dt.datetime) -> Visit:
    workspace = portal.workspace
    tz = workspace.tz
    open_ = session.status == SessionStatus.SCHEDULED and session.starts_at > now
    late = is_late(workspace, starts_at=session.starts_at, cancelled_at=now, by="client")
    return Visit(
        id=session.pk,
        starts_at=session.starts_at.astimezone(tz),
        ends_at=session.ends_at.astimezone(tz),
        practitioner=session.practitioner.display_name,
        service=session.therapy_type.name if session.therapy_type else "",
        status=session.status,
        status_label=str(SessionStatus(session.status).label),
        video_url=session.video_url if open_ or session.status == SessionStatus.IN_PROGRESS else "",
        version=session.version,
        cancelled_late=bool(session.cancellation_late),
        upcoming=session.ends_at > now and session.status != SessionStatus.CANCELLED,
        can_cancel=open_,
        cancel_is_late=open_ and late,
        # A move keeps the session clear of the window: only one that is not late yet.
        can_move=open_ and not late,
    )


def visits(portal: PortalSession, now: dt.datetime | None = None) -> tuple[list[Visit], list[Visit]]:
    """(upcoming, soonest first; past and cancelled, latest first, at most `PAST_LIMIT`)."""
    now = now or timezone.now()
    qs = _sessions(portal)
    ahead = [
        _visit(portal, s, now)
        for s in qs.filter(ends_at__gt=now)
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("starts_at", "id")
    ]
    behind = [
        _visit(portal, s, now)
        for s in qs.exclude(pk__in=[v.id for v in ahead]).order_by("-starts_at", "-id")[:PAST_LIMIT]
    ]
    return ahead, behind


def visit_get(portal: PortalSession, session_id: int, now: dt.datetime | None = None) -> Visit:
    session = _sessions(portal).filter(pk=session_id).first()
    if session is None:
        raise NotFound()
    return _visit(portal, session, now or timezone.now())


def move_slots(portal: PortalSession, visit: Visit, now: dt.datetime | None = None) -> list[dt.datetime]:
    """The starts (practice's time zone) the session may move to: its practitioner's free slots of
    its length (working hours, their other sessions, the slot grid: `scheduling.availability`), no
    sooner than the cancellation window from now and within `PORTAL_MOVE_DAYS`."""
    now = now or timezone.now()
    session = _sessions(portal).get(pk=visit.id)
    practitioner = (
        Membership.objects.for_workspace(portal.workspace)
        .select_related("user", "role", "workspace")
        .get(pk=session.practitioner_id)
    )
    if not (practitioner.offers_sessions and practitioner.has_perm("session.read")):
        return []
    window = dt.timedelta(hours=portal.workspace.cancellation_window_hours)
    begin = max(now + window, now) + dt.timedelta(minutes=1)
    finish = now + dt.timedelta(days=move_days())
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    slots = free_slots(
        practitioner, practitioner_id=practitioner.pk, duration=minutes, start=begin, end=finish
    )
    tz = portal.workspace.tz
    return [s.start.astimezone(tz) for s in slots if s.start != session.starts_at]


# --- payments --------------------------------------------------------------------------------------


@dataclass
class Due:
    id: int
    amount: Decimal
    currency: str
    status: str
    status_label: str
    due_date: dt.date | None
    paid_date: dt.date | None
    day: dt.date
    service: str
    receipt: bool  # paid: a receipt may be downloaded
    pix: dict[str, str] = field(default_factory=dict)  # payload and QR (svg) of an amount due


def payments(portal: PortalSession) -> tuple[list[Due], list[Due]]:
    """(what is owed, with its PIX code when the practice has a key; what was paid, with receipts)."""
    workspace = portal.workspace
    rows = list(
        client_payments(workspace, portal.client_id)
        .select_related("session__therapy_type")
        .only(
            "id",
            "workspace_id",
            "amount",
            "currency",
            "status",
            "due_date",
            "paid_date",
            "session__id",
            "session__starts_at",
            "session__therapy_type__name",
        )
        .order_by("-due_date", "-id")
    )
    pix_settings = PixSettings.objects.filter(workspace=workspace).first()
    owed: list[Due] = []
    paid: list[Due] = []
    for payment in rows:
        due = _due(portal, payment)
        if payment.status in OUTSTANDING_STATUSES:
            code = payment_pix(workspace, payment, pix_settings)
            if code is not None:
                due.pix = {"payload": code.payload, "svg": pix.qr_svg(code.payload, title="PIX")}
            owed.append(due)
        elif payment.status == PaymentStatus.PAID:
            paid.append(due)
    return owed, paid


def _due(portal: PortalSession, payment: Payment) -> Due:
    session = payment.session
    return Due(
        id=payment.pk,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status,
        status_label=str(PaymentStatus(payment.status).label),
        due_date=payment.due_date,
        paid_date=payment.paid_date,
        day=session.starts_at.astimezone(portal.workspace.tz).date(),
        service=session.therapy_type.name if session.therapy_type else "",
        receipt=payment.status == PaymentStatus.PAID and payment.paid_date is not None,
    )


def paid_payment(portal: PortalSession, payment_id: int) -> Payment:
    """One of this client's paid payments, for its receipt; 404 otherwise (another client's, unpaid)."""
    payment = (
        client_payments(portal.workspace, portal.client_id)
        .filter(pk=payment_id, status=PaymentStatus.PAID, paid_date__isnull=False)
        .select_related("session__client", "session__practitioner__user", "session__therapy_type")
        .first()
    )
    if payment is None:
        raise NotFound()
    return payment


# --- forms (atendo.intake) ---------------------------------------------------------------------------


@dataclass
class OpenForm:
    title: str
    url: str
    due: Any = None


def open_forms(portal: PortalSession) -> list[OpenForm]:
    """The forms and consents the practice sent this client that are still open (`atendo.intake`)."""
    return [
        OpenForm(
            title=str(item.title),
            url=str(item.url),
            due=getattr(item, "due", None) or getattr(item, "created_at", None),
        )
        for item in open_requests_for_client(portal.client)
    ]
