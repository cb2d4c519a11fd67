"""Reading times at the edges: ISO 8601 dates and datetimes, `HH:mm`, always in a workspace's zone.

One parser for every door (services, pages' query strings, field values, working hours), so each
accepts the same spellings and refuses the rest with the same translated message at the value's
path. The database holds aware UTC datetimes; a naive input is local wall time of the workspace. A
wall time that does not exist (skipped by a daylight-saving jump) is refused; one that happens
twice (the clock going back) is read as its first occurrence (`fold=0`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from atendo.core.errors import ValidationFailed

UTC = dt.UTC
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# Date, then optionally a time with optional seconds/fraction and an optional offset or Z.
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE | re.ASCII,
)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$", re.ASCII)

# Years a date can reasonably have; far dates would overflow time-zone arithmetic.
MIN_YEAR, MAX_YEAR = 1900, 2200


def _check_year(year: int, path: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed.single(
            path, _("The year must be between %(min)d and %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR}
        )


def exists_locally(naive: dt.datetime, tz: dt.tzinfo) -> bool:
    """False for a wall time skipped by a daylight-saving jump in `tz`."""
    aware = naive.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def local_to_utc(naive: dt.datetime, tz: ZoneInfo, *, path: str) -> dt.datetime:
    """A local wall time of `tz` as an aware UTC datetime; a skipped wall time is a 422 on `path`."""
    if not exists_locally(naive, tz):
        raise ValidationFailed.single(
            path,
            _(
                "%(time)s does not exist in %(zone)s: the clocks jump forward at that moment "
                "(daylight saving). Choose another time."
            )
            % {"time": naive.strftime("%Y-%m-%d %H:%M"), "zone": str(tz)},
            code="nonexistent_time",
        )
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


def parse_date(value: Any, *, path: str) -> dt.date:
    """`YYYY-MM-DD` (or a `date`, as forms give it) -> date; a datetime is not a date."""
    if isinstance(value, dt.datetime):
        raise ValidationFailed.single(path, _("Give a date as YYYY-MM-DD."))
    if isinstance(value, dt.date):
        _check_year(value.year, path)
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValidationFailed.single(path, _("Give a date as YYYY-MM-DD, e.g. 2026-03-14."))
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.single(
            path, _("%(value)s is not a day of the calendar.") % {"value": value}
        ) from None
    _check_year(day.year, path)
    return day


def parse_optional_date(value: Any, *, path: str) -> dt.date | None:
    """`parse_date`, with None or "" meaning no date (a cleared optional date)."""
    if value is None or value == "":
        return None
    return parse_date(value, path=path)


def date_or_none(value: Any) -> dt.date | None:
    """A date read from a page's query string, or None if it is not one (a bad value means "none")."""
    try:
        return parse_date(value, path="date")
    except ValidationFailed:
        return None


def parse_hhmm(value: Any, *, allow_24: bool = False) -> int | None:
    """'09:30' -> 570 minutes after midnight; None if it is not a 24-hour HH:mm.

    `allow_24` admits "24:00", the end of a day's last interval.
    """
    if not isinstance(value, str):
        return None
    if allow_24 and value == "24:00":
        return 24 * 60
    match = _HHMM.match(value)
    if not match:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def format_hhmm(minutes: int) -> str:
    """570 -> '09:30' (1440 -> '24:00')."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hhmm_time(value: Any, *, path: str) -> dt.time:
    """`HH:mm` (or a `time`, as forms give it, seconds dropped) -> time."""
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    minutes = parse_hhmm(value)
    if minutes is None:
        raise ValidationFailed.single(path, _("Give a 24-hour time as HH:mm, e.g. 09:00 or 18:30."))
    return dt.time(minutes // 60, minutes % 60)


def time_or_none(value: Any) -> dt.time | None:
    """An HH:mm read from a page's query string, or None if it is not one."""
    minutes = parse_hhmm(value)
    return None if minutes is None else dt.time(minutes // 60, minutes % 60)


def parse_datetime(value: Any, tz: ZoneInfo, *, path: str, date_only_ok: bool = False) -> dt.datetime:
    """ISO 8601 (with or without an offset) -> aware UTC. Without an offset it is local to `tz`.

    With `date_only_ok`, a bare date means local midnight of that day.
    """
    if isinstance(value, dt.datetime):
        naive_or_aware = value
    else:
        if not isinstance(value, str) or not _DATETIME.match(value.strip()):
            raise ValidationFailed.single(
                path,
                _("Give a date and time in ISO 8601, e.g. 2026-03-14T09:00 or 2026-03-14T09:00-03:00."),
            )
        text = value.strip()
        if _DATE.match(text):
            if not date_only_ok:
                raise ValidationFailed.single(
                    path, _("A time is needed as well, e.g. %(value)sT09:00.") % {"value": text}
                )
            # Local midnight; where a DST jump skips midnight, the day starts just after the jump.
            midnight = dt.datetime.combine(parse_date(text, path=path), dt.time(0, 0))
            return midnight.replace(tzinfo=tz, fold=0).astimezone(UTC)
        try:
            naive_or_aware = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationFailed.single(
                path, _("%(value)s is not a valid date and time.") % {"value": text}
            ) from None
    _check_year(naive_or_aware.year, path)
    if naive_or_aware.tzinfo is None:
        return local_to_utc(naive_or_aware, tz, path=path)
    try:
        return naive_or_aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed.single(path, _("This date and time is out of range.")) from None


def isoformat_local(value: dt.datetime, tz: ZoneInfo) -> str:
    """An aware datetime as ISO 8601 in the workspace offset, to the second."""
    return value.astimezone(tz).isoformat(timespec="seconds")
