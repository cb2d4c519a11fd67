"""A session as an iCalendar event (RFC 5545, the `icalendar` package): the one home of what an
event says, for the practitioners' feeds and the client's invite alike.

An event carries the time, a summary the caller chooses, where (the video call or the practice's
address), the status, a stable UID and the session's version as SEQUENCE (a calendar updates the
event it already has instead of adding another). Never the session's name, notes or any field.

`event_properties` decides what an event says; `session_event` makes it an `icalendar.Event` (an
invite: one event), and `EventText` writes the same properties as text, byte for byte what
`icalendar` writes (TEXT escaping, DATE-TIME forms, folding at 75 octets), without its object
model, which costs about half a millisecond an event: for the feeds' thousands of events.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any, Protocol

import icalendar
from django.utils.translation import gettext as _

from atendo.scheduling.models import Session, SessionStatus
from atendo.workspaces.models import Workspace


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


class EventSource(Protocol):
    """What an event reads of its session: a `Session`, or a row of these columns (a feed's)."""

    @property
    def pk(self) -> int: ...
    @property
    def starts_at(self) -> dt.datetime: ...
    @property
    def ends_at(self) -> dt.datetime: ...
    @property
    def updated_at(self) -> dt.datetime: ...
    @property
    def version(self) -> int: ...
    @property
    def video_url(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def confirmed_at(self) -> dt.datetime | None: ...


EVENT_COLUMNS = ("pk", "starts_at", "ends_at", "updated_at", "version", "video_url", "status", "confirmed_at")


def event_properties(
    session: EventSource, *, summary: str, url: str, workspace: Workspace
) -> list[tuple[str, Any]]:
    """What the session's event says: (property, value) in the order `icalendar` writes them (its
    canonical SUMMARY, DTSTART, DTEND, DTSTAMP, UID, SEQUENCE, then by name)."""
    tz = workspace.tz
    video = session.video_url
    props: list[tuple[str, Any]] = [
        ("SUMMARY", summary),
        ("DTSTART", session.starts_at.astimezone(tz)),
        ("DTEND", session.ends_at.astimezone(tz)),
        ("DTSTAMP", session.updated_at),
        ("UID", f"session-{session.pk}@{workspace.slug}.atendo"),
        ("SEQUENCE", session.version),
    ]
    if video:
        props.append(("DESCRIPTION", _("Video call: %(url)s") % {"url": video}))
    props.append(("LAST-MODIFIED", session.updated_at))
    if video:
        props.append(("LOCATION", video))
    elif workspace.address:
        props.append(("LOCATION", workspace.address.replace("\n", ", ")))
    if session.status == SessionStatus.CANCELLED:
        props.append(("STATUS", "CANCELLED"))
    elif session.confirmed_at is not None:
        props.append(("STATUS", "CONFIRMED"))
    else:
        props.append(("STATUS", "TENTATIVE"))
    if url:
        props.append(("URL", url))
    return props


def session_event(session: Session, *, summary: str, url: str = "") -> icalendar.Event:
    event = icalendar.Event()
    for name, value in event_properties(session, summary=summary, url=url, workspace=session.workspace):
        event.add(name, value)
    return event


# --- the same as text ----------------------------------------------------------------------------

_UTC_PROPERTIES = frozenset({"DTSTAMP", "LAST-MODIFIED"})  # `icalendar` writes them in UTC
_LOCAL_PROPERTIES = frozenset({"DTSTART", "DTEND"})  # in the practice's zone, with its TZID
_RAW_PROPERTIES = frozenset({"URL", "SEQUENCE"})  # URI and INTEGER: written as they are
_TEXT_SPECIALS = ("\\", ";", ",", "\n", "\r")


def escape_text(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11), as `icalendar` escapes it."""
    if not any(c in text for c in _TEXT_SPECIALS):
        return text
    return (
        text.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def fold(line: str) -> str:
    """A content line folded as `icalendar` folds it (RFC 5545 3.1): a break and a space before the
    octet that would make a line 75 octets long, never inside a character, and never right after a
    backslash or caret (the escape moves to the next line with what it escapes)."""
    if len(line) < 75 and (line.isascii() or len(line.encode()) < 75):
        return line
    folded: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = len(char.encode())
        if current and count + size >= 75:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                folded.append("".join(current))
                current = [carried]
                count = len(carried.encode())
            else:
                folded.append("".join(current))
                current = []
                count = 0
        current.append(char)
        count += size
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)


def _stamp(value: dt.datetime) -> str:
    return f"{value.year:04}{value.month:02}{value.day:02}T{value.hour:02}{value.minute:02}{value.second:02}"


@functools.lru_cache(maxsize=64)
def _zone_forms(tz: dt.tzinfo) -> tuple[str, str, str]:
    """How `icalendar` writes a DATE-TIME of the zone, asked once -> (the parameters before the
    colon, the suffix after the value: "Z" for UTC, the VTIMEZONE components a calendar using the
    zone carries: none for UTC)."""
    sample = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=tz)
    event = icalendar.Event()
    event.add("dtstart", sample)
    cal = icalendar.Calendar()
    cal.add_component(event)
    cal.add_missing_timezones()
    line = next(li for li in event.to_ical().decode().split("\r\n") if li.startswith("DTSTART"))
    head, _colon, value = line.rpartition(":")
    assert value.startswith(_stamp(sample)), line
    zones = "".join(component.to_ical().decode() for component in cal.timezones)
    return head[len("DTSTART") :], value[len(_stamp(sample)) :], zones


class EventText:
    """Events of one workspace's sessions as iCalendar text, and the calendar that holds them."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.params, self.suffix, self.zones = _zone_forms(workspace.tz)

    def event(self, session: EventSource, *, summary: str, url: str = "") -> str:
        """The VEVENT's lines, each ending in CRLF. `session` is one of the workspace's: a `Session`
        or a row of `EVENT_COLUMNS` (`values_list(..., named=True)`: no model instances)."""
        lines = ["BEGIN:VEVENT"]
        for name, value in event_properties(session, summary=summary, url=url, workspace=self.workspace):
            if name in _LOCAL_PROPERTIES:
                lines.append(fold(f"{name}{self.params}:{_stamp(value)}{self.suffix}"))
                continue
            if name in _UTC_PROPERTIES:
                text = _stamp(value.astimezone(dt.UTC)) + "Z"
            elif name in _RAW_PROPERTIES:
                text = str(value)
                if "\r" in text or "\n" in text:  # as `icalendar` refuses them: never a line break
                    raise ValueError(f"{name} may not contain CR or LF characters: {text!r}")
            else:
                text = escape_text(value)
            lines.append(fold(f"{name}:{text}"))
        lines.append("END:VEVENT\r\n")
        return "\r\n".join(lines)

    def calendar(self, cal: icalendar.Calendar, events: Iterable[str]) -> bytes:
        """`cal` (made by `new_calendar`, without components) with the events, and the VTIMEZONE
        their times need (none without an event): what `add_missing_timezones` and `to_ical` give."""
        head = cal.to_ical().decode()
        end = "END:VCALENDAR\r\n"
        assert head.endswith(end) and not cal.subcomponents
        body = "".join(events)
        zones = self.zones if body else ""
        return (head[: -len(end)] + zones + body + end).encode()
