"""Writes of online booking: the settings, a client's booking, its confirmation, and the expiry of
unconfirmed holds.

A booking is made by the same services as a staff booking (`clients.services.client_create` for a
new client, `scheduling.services.session_create` for the session), acting for the practitioner
whose session it is: their permissions are the ones checked, and the session's assignment rules
apply as for any booking (booking never widens anyone's access to an existing client's record).
A `booking.*` audit event names the door ("online booking"); nothing clinical is written.

The race: the whole booking runs in one transaction that first locks the workspace's booking
settings row and the practitioners' membership rows (`select_for_update`; on SQLite the IMMEDIATE
transaction already admits one writer at a time), then asks the availability engine again whether
the slot is free. Of two clients taking one slot at once, the second waits for the first, then
finds the slot gone: 409 `slot_taken` with the next free slots.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.booking import links, mail, throttle
from atendo.booking.models import Approval, Booking, BookingSettings
from atendo.booking.selectors import (
    Offer,
    OpenSlot,
    bookable,
    next_slots,
    offer_for,
    practitioner_slots,
    settings_of,
    window,
)
from atendo.clients.models import Client
from atendo.clients.services import client_create
from atendo.core.clean import FieldErrors, clean_bool, clean_ids, clean_int, clean_text
from atendo.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from atendo.core.times import parse_datetime
from atendo.scheduling.models import SessionStatus
from atendo.scheduling.services import session_create
from atendo.scheduling.services.status import session_cancel, session_confirm
from atendo.therapies.models import TherapyType
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

logger = logging.getLogger("atendo.booking")

ACTOR = "online booking"
MAX_LEAD_MINUTES = 60 * 24 * 30
MAX_HORIZON_DAYS = 365
MAX_BUFFER_MINUTES = 240
LANGUAGES = mail.LANGUAGES

# --- settings ---------------------------------------------------------------------------------


def booking_settings_get(*, member: Membership) -> BookingSettings:
    require(member, "workspace.manage")
    return settings_of(member.workspace)


def settings_to_json(bs: BookingSettings) -> dict[str, Any]:
    return {
        "enabled": bs.enabled,
        "therapy_type_ids": list(bs.therapy_type_ids),
        "practitioner_ids": list(bs.practitioner_ids),
        "lead_minutes": bs.lead_minutes,
        "horizon_days": bs.horizon_days,
        "buffer_minutes": bs.buffer_minutes,
        "new_clients": bs.new_clients,
        "needs_approval": bs.needs_approval,
    }


KNOWN = {
    "enabled",
    "therapy_type_ids",
    "practitioner_ids",
    "lead_minutes",
    "horizon_days",
    "buffer_minutes",
    "new_clients",
    "needs_approval",
}


@transaction.atomic
def booking_settings_update(*, member: Membership, changes: dict[str, Any]) -> BookingSettings:
    """Change some settings (only the keys given); every bad key is named at its path."""
    require(member, "workspace.manage")
    workspace = member.workspace
    bs = BookingSettings.objects.select_for_update().get(pk=settings_of(workspace).pk)
    errors = FieldErrors()
    for key in sorted(set(changes) - KNOWN):
        errors.add(key, _("Unknown field."))
    new: dict[str, Any] = {}
    for key in ("enabled", "new_clients", "needs_approval"):
        if key in changes:
            new[key] = errors.check(clean_bool, changes[key], key)
    for key, maximum in (
        ("lead_minutes", MAX_LEAD_MINUTES),
        ("horizon_days", MAX_HORIZON_DAYS),
        ("buffer_minutes", MAX_BUFFER_MINUTES),
    ):
        if key in changes:
            new[key] = errors.check(
                clean_int, changes[key], key, minimum=1 if key == "horizon_days" else 0, maximum=maximum
            )
    if "therapy_type_ids" in changes:
        ids = errors.check(clean_ids, changes["therapy_type_ids"], "therapy_type_ids", max_items=200)
        if ids is not None:
            found = set(
                TherapyType.objects.for_workspace(workspace)
                .filter(pk__in=ids, active=True)
                .values_list("pk", flat=True)
            )
            for i, pk in enumerate(ids):
                if pk not in found:
                    errors.add(f"therapy_type_ids[{i}]", _("No such active therapy type in this workspace."))
            new["therapy_type_ids"] = sorted(set(ids))
    if "practitioner_ids" in changes:
        ids = errors.check(clean_ids, changes["practitioner_ids"], "practitioner_ids", max_items=200)
        if ids is not None:
            members = {
                m.pk: m
                for m in Membership.objects.for_workspace(workspace).filter(pk__in=ids).select_related("role")
            }
            for i, pk in enumerate(ids):
                if pk not in members or not bookable(members[pk]):
                    errors.add(
                        f"practitioner_ids[{i}]",
                        _("Choose active members who offer sessions and may book them."),
                    )
            new["practitioner_ids"] = sorted(set(ids))
    errors.raise_if_any()
    types = new.get("therapy_type_ids", bs.therapy_type_ids)
    people = new.get("practitioner_ids", bs.practitioner_ids)
    if new.get("enabled", bs.enabled) and (not types or not people):
        raise ValidationFailed.single(
            "enabled" if types and people else ("therapy_type_ids" if not types else "practitioner_ids"),
            _("To turn online booking on, choose at least one service and one practitioner."),
        )
    changed = {}
    for key, value in new.items():
        old = getattr(bs, key)
        if old != value:
            changed[key] = [old, value]
            setattr(bs, key, value)
    if changed:
        bs.save()
        audit_record(
            workspace=workspace,
            actor=member,
            action="booking.settings_update",
            object_type="booking_settings",
            object_id=str(bs.pk),
            object_label=_("Online booking"),
            changes=changed,
        )
    return bs


# --- a client's booking ------------------------------------------------------------------------


@dataclass
class BookingAnswer:
    """What the client is told; the same whether their e-mail is known, new, or not accepted."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    practitioner: Membership
    therapy_type: TherapyType
    offer: Offer
    email: str
    booking: Booking | None = field(default=None, repr=False)  # None: not held (see docstring)


def slot_taken(
    offer: Offer, therapy_type_id: int, practitioner_id: int | None, after: dt.datetime
) -> Conflict:
    upcoming = next_slots(
        offer, therapy_type_id=therapy_type_id, practitioner_id=practitioner_id, after=after
    )
    return Conflict(
        _("Sorry, this time was just taken. Please choose another."),
        code="slot_taken",
        next_slots=[slot_json(offer, s) for s in upcoming],
    )


def slot_json(offer: Offer, slot: OpenSlot) -> dict[str, Any]:
    tz = offer.workspace.tz
    return {
        "starts_at": slot.start.astimezone(tz).isoformat(timespec="seconds"),
        "ends_at": slot.end.astimezone(tz).isoformat(timespec="seconds"),
        "practitioner_ids": list(slot.practitioner_ids),
    }


def _clean_contact(name: Any, email: Any, phone: Any, consent: Any) -> tuple[str, str, str]:
    errors = FieldErrors()
    clean_name = errors.check(clean_text, name, "name", max_length=200, required=True) or ""
    address = ""
    if not isinstance(email, str) or not email.strip():
        errors.add("email", _("Your e-mail address is needed to confirm the booking."))
    else:
        address = email.strip().lower()
        try:
            if len(address) > 254 or "\x00" in address:
                raise DjangoValidationError("too long")
            validate_email(address)
        except DjangoValidationError:
            errors.add("email", _("This is not a valid e-mail address."))
    number = ""
    if phone not in (None, ""):
        if not isinstance(phone, str) or len(phone.strip()) > 40:
            errors.add("phone", _("The phone number is text of at most 40 characters."))
        elif not all(ch.isdigit() or ch in " +-().#" for ch in phone.strip()):
            errors.add("phone", _("A phone number holds digits, spaces and + - ( ) only."))
        else:
            number = phone.strip()
    if consent is not True:
        errors.add("consent", _("Please accept the privacy notice to book."))
    errors.raise_if_any()
    return " ".join(clean_name.split()), address, number


def booking_create(
    *,
    workspace_slug: Any,
    therapy_type_id: Any,
    practitioner_id: Any,
    starts_at: Any,
    name: Any,
    email: Any,
    phone: Any = "",
    consent: Any = False,
    ip: str = "",
    language: str = "en",
    now: dt.datetime | None = None,
) -> BookingAnswer:
    """A client books a slot on the public page (no log-in). -> what they are told.

    The answer is the same whoever the e-mail belongs to: a known client (matched by e-mail in the
    workspace) gets the session; a new one too, when the workspace takes new clients; otherwise
    nothing is held and the e-mail explains that the practice books existing clients only. In every
    case an e-mail goes to the address, so only its owner learns which it was.
    """
    if ip:
        throttle.hit("book_ip", ip)
    offer = offer_for(workspace_slug)
    errors = FieldErrors()
    service = errors.check(offer.service, therapy_type_id)
    candidates = errors.check(offer.practitioners_for, practitioner_id) or []
    start = errors.check(parse_datetime, starts_at, offer.workspace.tz, path="starts_at")
    contact = errors.check(_clean_contact, name, email, phone, consent)
    errors.raise_if_any()
    assert service is not None and start is not None and contact is not None
    earliest, latest = window(offer, now)
    if not earliest <= start < latest:
        raise ValidationFailed.single(
            "starts_at", _("This time cannot be booked online; choose one of the times shown.")
        )
    client_name, address, number = contact
    throttle.hit("book_email", address)
    answer = _book(offer, service, candidates, start, client_name, address, number, language, now)
    _send_mail(answer, language)
    return answer


@transaction.atomic
def _book(
    offer: Offer,
    service: TherapyType,
    candidates: list[Membership],
    start: dt.datetime,
    name: str,
    email: str,
    phone: str,
    language: str,
    now: dt.datetime | None,
) -> BookingAnswer:
    workspace = offer.workspace
    # The locks: one booking at a time per workspace (new clients are matched by e-mail once), and
    # the practitioners' rows, which staff bookings with double booking prevented lock too.
    list(
        BookingSettings.objects.select_for_update().filter(pk=offer.settings.pk).values_list("pk", flat=True)
    )
    list(
        Membership.objects.select_for_update()
        .filter(workspace=workspace, pk__in=sorted(p.pk for p in candidates))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    duration = offer.duration(service)
    end = start + dt.timedelta(minutes=duration)
    practitioner = next(
        (
            p
            for p in candidates
            if (start, end)
            in practitioner_slots(offer, p, duration, start, start + dt.timedelta(seconds=1), now)
        ),
        None,
    )
    chosen_id = candidates[0].pk if len(candidates) == 1 else None
    if practitioner is None:
        raise slot_taken(offer, service.pk, chosen_id, start)
    client = (
        Client.objects.for_workspace(workspace)
        .filter(email__iexact=email, archived=False)
        .order_by("pk")
        .first()
    )
    answer = BookingAnswer(start, end, practitioner, service, offer, email)
    new_client = client is None
    if client is None:
        if not offer.settings.new_clients:
            return answer
        try:
            client = client_create(member=practitioner, data={"name": name, "email": email, "phone": phone})
        except (ValidationFailed, Forbidden) as exc:
            # Required client fields, or a role that may not create clients: as if new clients were
            # not taken (the same answer; the e-mail asks them to contact the practice).
            logger.warning("online booking could not create a client in %s: %s", workspace.slug, exc)
            return answer
    requested = offer.settings.needs_approval
    try:
        result = session_create(
            member=practitioner,
            client_id=client.pk,
            name=requested_name(workspace, service) if requested else service.name,
            practitioner_id=practitioner.pk,
            therapy_type_id=service.pk,
            starts_at=start,
            duration_minutes=duration,
            status=SessionStatus.SCHEDULED,
            video_url=None,
        )
    except Conflict:
        # Double booking prevented and this client already has a session then: the slot is not
        # theirs to take (said like any taken slot).
        raise slot_taken(offer, service.pk, chosen_id, start) from None
    booking = Booking.objects.create(
        workspace=workspace,
        session=result.session,
        client=client,
        email=email,
        language=language if language in LANGUAGES else "en",
        new_client=new_client,
        approval=Approval.REQUESTED if requested else Approval.NOT_NEEDED,
    )
    audit_record(
        workspace=workspace,
        actor=None,
        actor_label=ACTOR,
        action="booking.create",
        obj=booking,
        changes={
            "session_id": result.session.pk,
            "client_id": client.pk,
            "practitioner_id": practitioner.pk,
            "therapy_type_id": service.pk,
            "starts_at": start.isoformat(),
            "new_client": new_client,
            "approval": booking.approval,
        },
    )
    answer.booking = booking
    return answer


def requested_name(workspace: Any, service: TherapyType) -> str:
    """The name of a requested booking's session, in the practice's language: the calendar, the
    list and the feeds show "Requested: <service>" until a member accepts (docs/booking.md)."""
    with translation.override(mail.language_of(workspace.language)):
        return _("Requested: %(service)s") % {"service": service.name}


def _send_mail(answer: BookingAnswer, language: str) -> None:
    workspace = answer.offer.workspace
    booking = answer.booking
    language = language if language in LANGUAGES else "en"
    with translation.override(language):
        context = {
            "practice": workspace.name,
            "address": workspace.address,
            "practitioner": answer.practitioner.display_name,
            "service": answer.therapy_type.name,
            "when": mail.when_text(answer.starts_at, workspace.tz),
            "hold_minutes": links.hold_minutes(),
            "requested": booking is not None and booking.approval == Approval.REQUESTED,
            "link": "" if booking is None else mail.confirm_link(booking),
        }
        template = "booking/email_confirm.txt" if booking else "booking/email_not_booked.txt"
        body = render_to_string(template, context)
        subject = (
            _("Confirm your booking at %(practice)s")
            if booking
            else _("Your booking request at %(practice)s")
        ) % {"practice": workspace.name}
    # The invite goes with the e-mail that means "this time is yours": not with a request.
    held = booking is not None and booking.approval == Approval.NOT_NEEDED
    mail.send(
        subject=subject,
        body=body,
        to=answer.email,
        invite=booking.session if held and booking is not None else None,
        language=language,
    )
    if booking is not None:
        mail.notify_practitioner(booking)


# --- the confirmation link ----------------------------------------------------------------------


@dataclass(frozen=True)
class LinkState:
    state: str  # open | confirmed | expired | invalid
    booking: Booking | None = None


def link_state(token: str, now: dt.datetime | None = None) -> LinkState:
    now = now or timezone.now()
    try:
        target = links.read_token(token)
    except links.LinkExpired:
        return LinkState("expired")
    except links.LinkInvalid:
        return LinkState("invalid")
    booking = (
        Booking.objects.for_workspace(target.workspace_id)
        .select_related("session__practitioner__user", "session__therapy_type", "workspace")
        .filter(pk=target.booking_id)
        .first()
    )
    if booking is None:
        return LinkState("invalid")
    if booking.confirmed_at is not None:
        return LinkState("confirmed", booking)
    if (
        booking.expired_at is not None
        or booking.session.status != SessionStatus.SCHEDULED
        or booking.session.starts_at <= now
        or booking.created_at + dt.timedelta(minutes=links.hold_minutes()) <= now
    ):
        return LinkState("expired", booking)
    return LinkState("open", booking)


def booking_confirm(token: str) -> LinkState:
    """The client confirms their address (the button on the link's page). -> the page's state."""
    current = link_state(token)
    if current.state != "open" or current.booking is None:
        return current
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=current.booking.pk)
        if booking.confirmed_at is None and booking.expired_at is None:
            booking.confirmed_at = timezone.now()
            booking.save(update_fields=["confirmed_at", "updated_at"])
            # The session changed meanwhile (staff moved or cancelled it): the address is confirmed
            # anyway. A request's session is confirmed when a member accepts it, not before.
            if booking.approval != Approval.REQUESTED:
                confirm_session(booking)
            audit_record(
                workspace=booking.workspace,
                actor=None,
                actor_label=ACTOR,
                action="booking.confirm",
                obj=booking,
                changes={"session_id": booking.session_id},
            )
    return link_state(token)


# --- holds that were never confirmed --------------------------------------------------------------


def bookings_expire(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Cancel the sessions of bookings not confirmed within the hold (the periodic task). -> count."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=links.hold_minutes())
    ids = list(
        Booking.objects.filter(confirmed_at__isnull=True, expired_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            booking = (
                Booking.objects.select_for_update()
                .select_related("workspace", "session")
                .filter(pk=pk, confirmed_at__isnull=True, expired_at__isnull=True)
                .first()
            )
            if booking is None:
                continue
            booking.expired_at = now
            booking.save(update_fields=["expired_at", "updated_at"])
            if booking.session.status == SessionStatus.SCHEDULED and booking.session.starts_at > now:
                session_cancel(
                    workspace=booking.workspace,
                    member=None,
                    session_id=booking.session_id,
                    by="practice",
                    reason=_("Online booking not confirmed in time"),
                    actor_label=ACTOR,
                    charge_fee=False,
                )
            audit_record(
                workspace=booking.workspace,
                actor=None,
                actor_label=ACTOR,
                action="booking.expire",
                obj=booking,
                changes={"session_id": booking.session_id},
            )
            done += 1
    return done


def confirm_session(booking: Booking) -> None:
    """Mark the booking's session confirmed (the client will come), as the reminder link does;
    nothing when staff moved or cancelled it meanwhile."""
    with contextlib.suppress(DomainError):
        session_confirm(
            workspace=booking.workspace, member=None, session_id=booking.session_id, actor_label=ACTOR
        )


def public_url(workspace_slug: str) -> str:
    return settings.ATENDO_PUBLIC_URL.rstrip("/") + reverse("booking_public:book", args=[workspace_slug])


def done_message() -> str:
    return _(
        "Almost done: we sent you an e-mail. Open the link in it within %(minutes)d minutes to confirm "
        "your booking; until then the time is held for you."
    ) % {"minutes": links.hold_minutes()}
