"""What the public booking page may show: the workspace's offer (its bookable services and
practitioners) and their free slots.

Slots come from the scheduling engine (`scheduling.availability.free_slots_of`: working hours, the
practitioners' sessions with the buffer kept free around each, the slot grid, time zones; one query
for every practitioner asked), then narrowed by the booking rules the engine does not know: the
minimum notice and the horizon.
Nothing here names a client, a session or a note: a slot is a start, an end and who is free.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.booking.models import BookingSettings
from atendo.core.errors import NotFound, ValidationFailed
from atendo.core.times import parse_date
from atendo.scheduling.availability import free_slots_of
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership, Workspace

MAX_DAYS = 14  # days of slots per request


@dataclass(frozen=True)
class Offer:
    """A workspace that takes online bookings, with what is bookable there now."""

    workspace: Workspace
    settings: BookingSettings
    services: list[TherapyType]
    practitioners: list[Membership]

    def service(self, therapy_type_id: object, path: str = "therapy_type_id") -> TherapyType:
        for t in self.services:
            if t.pk == therapy_type_id and not isinstance(therapy_type_id, bool):
                return t
        raise ValidationFailed.single(path, _("Choose one of the services offered online."))

    def practitioners_for(self, practitioner_id: object, path: str = "practitioner_id") -> list[Membership]:
        """The chosen practitioner (a list of one), or everyone bookable for None ("anyone")."""
        if practitioner_id is None:
            return list(self.practitioners)
        for p in self.practitioners:
            if p.pk == practitioner_id and not isinstance(practitioner_id, bool):
                return [p]
        raise ValidationFailed.single(path, _("Choose one of the practitioners shown, or anyone."))

    def duration(self, therapy_type: TherapyType) -> int:
        return int(therapy_type.default_duration_minutes or self.workspace.default_duration_minutes or 50)


def settings_of(workspace: Workspace) -> BookingSettings:
    bs, _created = BookingSettings.objects.get_or_create(workspace=workspace)
    return bs


def bookable(member: Membership) -> bool:
    """A practitioner the public page may book: active, offering sessions, and whose role lets the
    booking act for them (see the availability engine and the scheduling service)."""
    return (
        member.is_active
        and member.offers_sessions
        and member.has_perm("session.read")
        and member.has_perm("session.create")
    )


def offer_for(workspace_slug: object) -> Offer:
    """The offer of the workspace at this slug, or NotFound: unknown, off, or nothing to book
    answer alike."""
    workspace = (
        Workspace.objects.filter(slug=workspace_slug).first()
        if isinstance(workspace_slug, str) and len(workspace_slug) <= 60
        else None
    )
    bs = BookingSettings.objects.for_workspace(workspace).filter(enabled=True).first() if workspace else None
    if workspace is None or bs is None:
        raise NotFound(_("No online booking here."))
    type_ids = [i for i in bs.therapy_type_ids if isinstance(i, int)]
    member_ids = [i for i in bs.practitioner_ids if isinstance(i, int)]
    services = list(
        TherapyType.objects.for_workspace(workspace)
        .filter(pk__in=type_ids, active=True)
        .order_by("name", "pk")
    )
    practitioners = [
        m
        for m in Membership.objects.for_workspace(workspace)
        .filter(pk__in=member_ids)
        .select_related("user", "role", "workspace")
        .order_by("user__name", "pk")
        if bookable(m)
    ]
    if not services or not practitioners:
        raise NotFound(_("No online booking here."))
    return Offer(workspace, bs, services, practitioners)


def parse_days(offer: Offer, start: object, end: object) -> tuple[dt.date, dt.date]:
    """The local days [start, end] asked for (the `date` parameter and `end`, which defaults to
    it), at most `MAX_DAYS`."""
    first = parse_date(start, path="date")
    last = first if end in (None, "") else parse_date(end, path="end")
    if last < first:
        raise ValidationFailed.single("end", _("The last day must not be before the first."))
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed.single(
            "end", _("Ask for at most %(days)d days at a time.") % {"days": MAX_DAYS}
        )
    return first, last


@dataclass(frozen=True)
class OpenSlot:
    start: dt.datetime
    end: dt.datetime
    practitioner_ids: tuple[int, ...]


def window(offer: Offer, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[earliest start, latest start) a client may book now: after the notice, within the horizon."""
    now = now or timezone.now()
    bs = offer.settings
    return now + dt.timedelta(minutes=bs.lead_minutes), now + dt.timedelta(days=bs.horizon_days)


def practitioners_slots(
    offer: Offer,
    practitioners: list[Membership],
    duration: int,
    begin: dt.datetime,
    finish: dt.datetime,
    now: dt.datetime | None = None,
) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """Each practitioner's bookable slots starting in [begin, finish) (UTC): one query for all."""
    earliest, latest = window(offer, now)
    begin, latest_start = max(begin, earliest), min(finish, latest)
    if begin >= latest_start:
        return {p.pk: [] for p in practitioners}
    # The engine wants whole slots inside its range: let the range end a slot after the last start.
    found = free_slots_of(
        offer.workspace,
        practitioners,
        duration=duration,
        begin=begin,
        finish=latest_start + dt.timedelta(minutes=duration),
        buffer=dt.timedelta(minutes=offer.settings.buffer_minutes),
    )
    return {
        pk: [(s.start, s.end) for s in slots if begin <= s.start < latest_start]
        for pk, slots in found.items()
    }


def practitioner_slots(
    offer: Offer,
    practitioner: Membership,
    duration: int,
    begin: dt.datetime,
    finish: dt.datetime,
    now: dt.datetime | None = None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The practitioner's bookable slots starting in [begin, finish) (UTC)."""
    return practitioners_slots(offer, [practitioner], duration, begin, finish, now)[practitioner.pk]


def open_slots(
    offer: Offer,
    *,
    therapy_type_id: object,
    practitioner_id: object,
    first: dt.date,
    last: dt.date,
    now: dt.datetime | None = None,
) -> list[OpenSlot]:
    """Free slots on the local days [first, last] for the service, with the chosen practitioner or
    anyone bookable; one entry per start, naming who is free then."""
    service = offer.service(therapy_type_id)
    practitioners = offer.practitioners_for(practitioner_id)
    tz = offer.workspace.tz
    begin = dt.datetime.combine(first, dt.time(0, 0)).replace(tzinfo=tz).astimezone(dt.UTC)
    finish = (
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 0)).replace(tzinfo=tz).astimezone(dt.UTC)
    )
    duration = offer.duration(service)
    by_start: dict[tuple[dt.datetime, dt.datetime], list[int]] = {}
    found = practitioners_slots(offer, practitioners, duration, begin, finish, now)
    for p in practitioners:
        for slot in found[p.pk]:
            by_start.setdefault(slot, []).append(p.pk)
    return [OpenSlot(s, e, tuple(ids)) for (s, e), ids in sorted(by_start.items())]


def next_slots(
    offer: Offer,
    *,
    therapy_type_id: object,
    practitioner_id: object,
    after: dt.datetime,
    count: int = 3,
    now: dt.datetime | None = None,
) -> list[OpenSlot]:
    """The first `count` free slots after `after`, looking up to two weeks ahead of it."""
    tz = offer.workspace.tz
    first = after.astimezone(tz).date()
    found = open_slots(
        offer,
        therapy_type_id=therapy_type_id,
        practitioner_id=practitioner_id,
        first=first,
        last=first + dt.timedelta(days=MAX_DAYS - 1),
        now=now,
    )
    return [s for s in found if s.start > after][:count]
