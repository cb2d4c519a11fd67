"""Working hours: `{"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ..., "sun": []}`.

Intervals are local wall-clock times in the workspace time zone, start < end, sorted and
non-overlapping within a day. "24:00" may close the last interval of a day.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils.translation import gettext as _

from atendo.core.errors import FieldError, ValidationFailed
from atendo.core.times import format_hhmm, parse_hhmm

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate_working_hours(value: Any, path: str = "working_hours") -> dict[str, list[list[str]]]:
    """Return the normalized hours or raise ValidationFailed naming every bad interval."""
    errors: list[FieldError] = []
    if not isinstance(value, dict):
        raise ValidationFailed.single(
            path, _("Working hours must be an object keyed by weekday (mon … sun).")
        )
    unknown = sorted(set(value) - set(WEEKDAYS))
    for key in unknown:
        errors.append(
            FieldError(
                f"{path}.{key}",
                _("Unknown weekday '%(key)s'; use mon, tue, wed, thu, fri, sat, sun.") % {"key": key},
            )
        )
    result: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        intervals = value.get(day, [])
        if not isinstance(intervals, list):
            errors.append(FieldError(f"{path}.{day}", _("Must be a list of [start, end] pairs.")))
            continue
        parsed: list[tuple[int, int, int]] = []
        for i, interval in enumerate(intervals):
            ipath = f"{path}.{day}[{i}]"
            if not (isinstance(interval, list | tuple) and len(interval) == 2):
                errors.append(FieldError(ipath, _('Each interval is a pair like ["09:00", "12:00"].')))
                continue
            start, end = parse_hhmm(interval[0]), parse_hhmm(interval[1], allow_24=True)
            if start is None or end is None:
                errors.append(FieldError(ipath, _("Times must be 24-hour HH:mm, e.g. 09:00 or 18:30.")))
                continue
            if start >= end:
                errors.append(
                    FieldError(
                        ipath,
                        _("The interval ends (%(end)s) before it starts (%(start)s).")
                        % {"end": interval[1], "start": interval[0]},
                    )
                )
                continue
            parsed.append((start, end, i))
        parsed.sort()
        for (_s1, e1, i1), (s2, _e2, i2) in itertools.pairwise(parsed):
            if s2 < e1:
                errors.append(
                    FieldError(
                        f"{path}.{day}[{i2}]",
                        _("This interval overlaps interval %(number)d of the day.") % {"number": i1 + 1},
                    )
                )
        result[day] = [[format_hhmm(s), format_hhmm(e)] for s, e, _index in parsed]
    if errors:
        raise ValidationFailed(errors)
    return result


def intervals_on(
    hours: dict[str, list[list[str]]], day: dt.date
) -> list[tuple[dt.time | None, dt.time | None]]:
    """The intervals of `day` as (start, end) local times; an end of 24:00 is returned as None."""
    out: list[tuple[dt.time | None, dt.time | None]] = []
    for start, end in hours.get(WEEKDAYS[day.weekday()], []):
        s, e = parse_hhmm(start), parse_hhmm(end, allow_24=True)
        assert s is not None and e is not None
        out.append((dt.time(s // 60, s % 60), None if e == 1440 else dt.time(e // 60, e % 60)))
    return out


def local_intervals(
    hours: dict[str, list[list[str]]], day: dt.date, tz: dt.tzinfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Aware datetimes for the working intervals of a local `day` (correct across DST changes)."""
    result = []
    for start, end in intervals_on(hours, day):
        assert start is not None
        begin = dt.datetime.combine(day, start, tzinfo=tz)
        finish = (
            dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz)
            if end is None
            else dt.datetime.combine(day, end, tzinfo=tz)
        )
        result.append((begin, finish))
    return result
