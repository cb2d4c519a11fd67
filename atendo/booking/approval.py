"""Requests: with `needs_approval` on, an online booking's session holds the slot (an ordinary
scheduled session named "Requested: <service>") until a member accepts or declines it.

Who decides: a member with `session.read` and `session.update`; one who offers sessions (a
practitioner) only for their own sessions, unless they manage the workspace (`workspace.manage`).
A front desk that does not offer sessions decides for everyone. Others get the same 404 as for a
request that does not exist, so the list and the doors reveal nothing beyond what they may decide.

- accept: the session gets the service's name back (`session_update`, as the member), is marked
  confirmed if the client already confirmed their address, and the client is told by e-mail with
  the invite (.ics).
- decline: the session is cancelled by the practice with the reason (`session_cancel`, as the
  member, no fee), and the client is told by e-mail with the reason.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.booking import mail
from atendo.booking.models import Approval, Booking
from atendo.booking.services import confirm_session
from atendo.core.clean import clean_text
from atendo.core.errors import Conflict, NotFound
from atendo.scheduling.models import SessionStatus
from atendo.scheduling.services import session_update
from atendo.scheduling.services.status import session_cancel
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

MAX_LISTED = 200  # requests on one page (a practice has a handful at a time)


def may_decide_all(member: Membership) -> bool:
    return member.has_perm("workspace.manage") or not member.offers_sessions


def requests_for(member: Membership) -> QuerySet[Booking]:
    """The open requests this member may decide, soonest session first."""
    require(member, "session.read", "session.update")
    qs = (
        Booking.objects.for_workspace(member.workspace)
        .filter(approval=Approval.REQUESTED, expired_at__isnull=True)
        .filter(session__status=SessionStatus.SCHEDULED, session__starts_at__gt=timezone.now())
        .select_related("session__practitioner__user", "session__therapy_type", "client", "workspace")
        .order_by("session__starts_at", "pk")
    )
    if not may_decide_all(member):
        qs = qs.filter(session__practitioner=member)
    return qs


def requests_count(member: Membership) -> int:
    if not (member.has_perm("session.read") and member.has_perm("session.update")):
        return 0
    return requests_for(member).count()


def _request(member: Membership, booking_id: Any) -> Booking:
    require(member, "session.read", "session.update")
    qs = Booking.objects.for_workspace(member.workspace).select_for_update(of=("self",))
    booking = qs.filter(pk=booking_id).first() if isinstance(booking_id, int) else None
    if booking is None or (not may_decide_all(member) and booking.session.practitioner_id != member.pk):
        raise NotFound(_("No such booking request."))
    if (
        booking.approval != Approval.REQUESTED
        or booking.expired_at is not None
        or booking.session.status != SessionStatus.SCHEDULED
        or booking.session.starts_at <= timezone.now()
    ):
        raise Conflict(_("This booking request was already decided or has lapsed."), code="not_requested")
    return booking


def _decided(member: Membership, booking: Booking, approval: str, reason: str = "") -> Booking:
    booking.approval = approval
    booking.decided_at = timezone.now()
    booking.decided_by = member
    booking.decline_reason = reason
    booking.save(update_fields=["approval", "decided_at", "decided_by", "decline_reason", "updated_at"])
    audit_record(
        workspace=member.workspace,
        actor=member,
        action=f"booking.{'accept' if approval == Approval.ACCEPTED else 'decline'}",
        obj=booking,
        changes={"session_id": booking.session_id, "approval": approval},
    )
    return booking


def booking_accept(*, member: Membership, booking_id: Any) -> Booking:
    """Accept a request: the session is the client's (see the module's docstring)."""
    with transaction.atomic():
        booking = _request(member, booking_id)
        session = booking.session
        service = session.therapy_type
        if service is not None:
            session_update(
                member=member,
                session_id=session.pk,
                version=session.version,
                changes={"name": service.name},
            )
        _decided(member, booking, Approval.ACCEPTED)
        if booking.confirmed_at is not None:
            confirm_session(booking)
    booking = _fresh(booking)
    mail.send_decision(booking)
    return booking


def booking_decline(*, member: Membership, booking_id: Any, reason: Any = "") -> Booking:
    """Decline a request: the session is cancelled by the practice, the client told why."""
    text = clean_text(reason if reason is not None else "", "reason", max_length=300)
    with transaction.atomic():
        booking = _request(member, booking_id)
        session_cancel(
            workspace=member.workspace,
            member=member,
            session_id=booking.session_id,
            by="practice",
            reason=text or _("Online booking request declined"),
        )
        _decided(member, booking, Approval.DECLINED, text)
    booking = _fresh(booking)
    mail.send_decision(booking)
    return booking


def _fresh(booking: Booking) -> Booking:
    return (
        Booking.objects.for_workspace(booking.workspace_id)
        .select_related(
            "session__practitioner__user",
            "session__therapy_type",
            "session__workspace",
            "client",
            "workspace",
        )
        .get(pk=booking.pk)
    )


def request_json(booking: Booking) -> dict[str, Any]:
    session = booking.session
    tz = booking.workspace.tz
    return {
        "id": booking.pk,
        "session_id": session.pk,
        "client_id": booking.client_id,
        "client_name": booking.client.name,
        "practitioner_id": session.practitioner_id,
        "practitioner_name": session.practitioner.user.display_name,
        "therapy_type_id": session.therapy_type_id,
        "service": session.therapy_type.name if session.therapy_type else "",
        "starts_at": session.starts_at.astimezone(tz).isoformat(timespec="seconds"),
        "ends_at": session.ends_at.astimezone(tz).isoformat(timespec="seconds"),
        "approval": booking.approval,
        "email_confirmed": booking.confirmed_at is not None,
        "decline_reason": booking.decline_reason,
        "created_at": booking.created_at.astimezone(tz).isoformat(timespec="seconds"),
    }
