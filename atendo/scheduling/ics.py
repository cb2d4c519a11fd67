"""A session as an iCalendar event (RFC 5545, the `icalendar` package): the one home of what an
event says, for the practitioners' feeds and the client's invite alike.

An event carries the time, a summary the caller chooses, where (the video call or the practice's
address), the status, a stable UID and the session's version as SEQUENCE (a calendar updates the
event it already has instead of adding another). Never the session's name, notes or any field.
"""

from __future__ import annotations

import icalendar
from django.utils.translation import gettext as _

from atendo.scheduling.models import Session, SessionStatus


def new_calendar(*, prodid: str, name: str, timezone_name: str, method: str = "") -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", timezone_name)
    return cal


def session_event(session: Session, *, summary: str, url: str = "") -> icalendar.Event:
    workspace = session.workspace
    tz = workspace.tz
    event = icalendar.Event()
    event.add("uid", f"session-{session.pk}@{workspace.slug}.atendo")
    event.add("sequence", session.version)
    event.add("dtstamp", session.updated_at)
    event.add("last-modified", session.updated_at)
    event.add("dtstart", session.starts_at.astimezone(tz))
    event.add("dtend", session.ends_at.astimezone(tz))
    event.add("summary", summary)
    if session.video_url:
        event.add("location", session.video_url)
        event.add("description", _("Video call: %(url)s") % {"url": session.video_url})
    elif workspace.address:
        event.add("location", workspace.address.replace("\n", ", "))
    if session.status == SessionStatus.CANCELLED:
        event.add("status", "CANCELLED")
    elif session.confirmed_at is not None:
        event.add("status", "CONFIRMED")
    else:
        event.add("status", "TENTATIVE")
    if url:
        event.add("url", url)
    return event
