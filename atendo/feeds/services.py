"""Calendar feeds: making, revoking and reading them.

- A member makes a feed of their own sessions (`session.read`). A feed of every session needs
  `workspace.manage`, or is for a member who schedules for others and offers no sessions (the
  front desk). A feed for another member needs `members.manage`.
- The feed answers as its member: their permissions now, not when it was made (a member who lost
  `session.read` or left gets 404), and a therapist's feed holds only their sessions.
- An event says when, the client's first name and last initial (or initials only, or nothing
  without `client.read`), the practitioner on a workspace feed, and the practice's address: never a
  session's name, notes or any field value, so no feed carries clinical content whoever reads it.
- A session's video-call link (administrative, `Session.video_url`) is the event's LOCATION (an
  online session takes place there; the address otherwise) and a line of its DESCRIPTION.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.core.clean import clean_bool, clean_choice
from atendo.core.errors import Forbidden, NotFound
from atendo.feeds.models import CalendarFeed, FeedScope
from atendo.scheduling.ics import EVENT_COLUMNS, EventText, new_calendar
from atendo.scheduling.models import Session
from atendo.scheduling.selectors import sessions_for
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

PAST = dt.timedelta(days=90)
FUTURE = dt.timedelta(days=400)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return settings.ATENDO_PUBLIC_URL.rstrip("/") + reverse("feeds_public:ics", args=[token])


def may_feed_workspace(member: Membership) -> bool:
    return member.has_perm("session.read") and (
        member.has_perm("workspace.manage") or not member.offers_sessions
    )


def feeds_for(member: Membership) -> QuerySet[CalendarFeed]:
    """The member's own live feeds; with `members.manage`, everyone's."""
    require(member, "session.read")
    qs = (
        CalendarFeed.objects.for_workspace(member.workspace)
        .filter(revoked_at__isnull=True)
        .select_related("member__user")
    )
    return qs if member.has_perm("members.manage") else qs.filter(member=member)


@transaction.atomic
def feed_create(
    *,
    member: Membership,
    member_id: int | None = None,
    scope: object = FeedScope.MINE,
    initials_only: object = False,
) -> tuple[CalendarFeed, str]:
    """A new feed. -> (feed, its URL: shown this once)."""
    require(member, "session.read")
    scope = clean_choice(scope, "scope", FeedScope.values)
    initials = clean_bool(initials_only, "initials_only")
    target = member
    if member_id is not None and member_id != member.pk:
        require(member, "members.manage")
        found = (
            Membership.objects.for_workspace(member.workspace).filter(pk=member_id, is_active=True).first()
        )
        if found is None:
            raise NotFound(_("No such member."))
        target = found
    if scope == FeedScope.WORKSPACE and not may_feed_workspace(target):
        raise Forbidden(_("A feed of every session is for the practice's owner and front desk."))
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        workspace=member.workspace,
        member=target,
        scope=scope,
        initials_only=initials,
        token_hash=_hash(token),
        token_hint=token[:6],
    )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="calendar_feed.create",
        object_type="calendar_feed",
        object_id=str(feed.pk),
        object_label=_("Calendar feed of %(name)s") % {"name": target.user.display_name},
        changes={"member_id": target.pk, "scope": scope, "initials_only": initials},
    )
    return feed, feed_url(token)


@transaction.atomic
def feed_revoke(*, member: Membership, feed_id: int) -> None:
    feed = feeds_for(member).filter(pk=feed_id).first()
    if feed is None:
        raise NotFound(_("No such feed."))
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="calendar_feed.revoke",
        object_type="calendar_feed",
        object_id=str(feed.pk),
        object_label=_("Calendar feed of %(name)s") % {"name": feed.member.user.display_name},
    )


def feed_by_token(token: str) -> CalendarFeed:
    feed = (
        CalendarFeed.objects.filter(token_hash=_hash(token), revoked_at__isnull=True)
        .select_related("member__user", "member__role", "workspace")
        .first()
    )
    if feed is None or not feed.member.is_active or not feed.member.has_perm("session.read"):
        raise NotFound(_("No such feed."))
    if feed.scope == FeedScope.WORKSPACE and not may_feed_workspace(feed.member):
        raise NotFound(_("No such feed."))
    return feed


def feed_sessions(feed: CalendarFeed, now: dt.datetime | None = None) -> QuerySet[Session]:
    now = now or timezone.now()
    qs = sessions_for(feed.member).filter(starts_at__gte=now - PAST, starts_at__lt=now + FUTURE)
    if feed.scope == FeedScope.MINE:
        qs = qs.filter(practitioner=feed.member)
    return qs.order_by("starts_at", "pk")


@dataclass
class Version:
    etag: str
    last_modified: dt.datetime | None


def feed_version(feed: CalendarFeed, qs: QuerySet[Session]) -> Version:
    """The feed's version: it changes when any of its sessions, their clients (a name in a title),
    the workspace (its address), the feed's settings or what its member may read changes."""
    agg = qs.order_by().aggregate(n=Count("pk"), last=Max("updated_at"), clients=Max("client__updated_at"))
    last = max(filter(None, [agg["last"], agg["clients"], feed.updated_at, feed.workspace.updated_at]))
    names = feed.member.has_perm("client.read")
    raw = f"{feed.pk}:{feed.initials_only}:{names}:{agg['n']}:{last.isoformat()}"
    return Version(etag='"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"', last_modified=last)


BODY_CACHE_SECONDS = 6 * 3600


def feed_body(feed: CalendarFeed, sessions: QuerySet[Session], version: Version) -> bytes:
    """The feed's iCalendar text, kept in the cache under its version: calendar apps poll often, so
    an unchanged year is not built again."""
    key = f"feeds:ics:{feed.pk}:{version.etag}"
    body = cache.get(key)
    if body is None:
        body = feed_ics(feed, sessions)
        cache.set(key, body, BODY_CACHE_SECONDS)
    return bytes(body)


def client_label(name: str, initials_only: bool) -> str:
    words = [w for w in name.split() if w]
    if not words:
        return ""
    if initials_only:
        return " ".join(f"{w[0].upper()}." for w in words[:3])
    return words[0] + (f" {words[-1][0].upper()}." if len(words) > 1 else "")


EVENT_CHUNK = 1000
# What an event of the feed reads of its session (`scheduling.ics.EVENT_COLUMNS`), its client and
# its practitioner: nothing else (no name, notes or field values: never written, now not even read).
ROW_COLUMNS = (*EVENT_COLUMNS, "client__name", "practitioner_id")
_MARK = 918273645  # a session id in a reversed URL, replaced by each session's


def feed_ics(feed: CalendarFeed, sessions: QuerySet[Session]) -> bytes:
    """The calendar of the sessions' events (`scheduling.ics`), written as text: the same bytes as
    `icalendar`'s `Calendar.to_ical()`, at a few percent of its cost, from plain rows (no model
    instances: a tenth of the cost of making them)."""
    workspace = feed.workspace
    can_name_clients = feed.member.has_perm("client.read")
    cal = new_calendar(
        prodid="-//Atendo//Calendar feed//EN",
        name=f"{workspace.name} · {feed.member.user.display_name}",
        timezone_name=workspace.timezone,
    )
    practitioners: dict[int, str] | None = None
    if feed.scope == FeedScope.WORKSPACE:  # their names, once each
        members = Membership.objects.for_workspace(workspace).select_related("user")
        practitioners = {m.pk: m.user.display_name for m in members.only("user__name", "user__email")}
    # The session page's URL, reversed once: the id (after the slug) is the only part that differs.
    url_head, _mark, url_tail = reverse("scheduling:detail", args=[workspace.slug, _MARK]).rpartition(
        str(_MARK)
    )
    url_head = settings.ATENDO_PUBLIC_URL.rstrip("/") + url_head
    untitled = _("Session")
    labels: dict[str, str] = {}
    writer = EventText(workspace)
    events = []
    rows = sessions.select_related(None).values_list(*ROW_COLUMNS, named=True)
    # Row by row (`iterator`): thousands of rows kept to the end would be swept again and again by
    # the garbage collector.
    for row in rows.iterator(chunk_size=EVENT_CHUNK):
        summary = untitled
        if can_name_clients:
            name = row.client__name
            who = labels.get(name)
            if who is None:
                who = labels[name] = client_label(name, feed.initials_only)
            summary = who or untitled
        if practitioners is not None:
            summary += f" · {practitioners[row.practitioner_id]}"
        url = f"{url_head}{row.pk}{url_tail}"
        events.append(writer.event(row, summary=summary, url=url))
    return writer.calendar(cal, events)
