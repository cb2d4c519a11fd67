"""Reading times at the edges: ISO 8601, `date` + `HH:mm`, always in the workspace time zone.

The database holds aware UTC datetimes; a naive input is local wall time of the workspace. A wall
time that does not exist (skipped by a daylight-saving jump) is refused; one that happens twice
(the clock going back) is read as its first occurrence (`fold=0`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from atendo.core.errors import ValidationFailed
from atendo.workspaces.hours import parse_hhmm

UTC = dt.UTC
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Date, then optionally a time with optional seconds/fraction and an optional offset or Z.
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$", re.IGNORECASE
)


# Years a session can reasonably have; far dates would overflow time-zone arithmetic.
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


def parse_hhmm_time(value: Any, *, path: str) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    minutes = parse_hhmm(value)
    if minutes is None:
        raise ValidationFailed.single(path, _("Give a 24-hour time as HH:mm, e.g. 09:00 or 18:30."))
    return dt.time(minutes // 60, minutes % 60)


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
    return naive_or_aware.astimezone(UTC)


def isoformat_local(value: dt.datetime, tz: ZoneInfo) -> str:
    """An aware datetime as ISO 8601 in the workspace offset, to the second."""
    return value.astimezone(tz).isoformat(timespec="seconds")
