"""Recurring series: a small, validated subset of RFC 5545 RRULE, expanded in local wall time.

Occurrences are computed in the workspace time zone (so a weekly 09:00 stays at 09:00 across
daylight-saving changes) and only then converted to UTC. Supported: FREQ=WEEKLY or MONTHLY,
INTERVAL, COUNT or UNTIL (one of them is required: a series always ends), BYDAY (weekly: plain
days like MO,WE; monthly: also 1MO / -1FR), BYMONTHDAY (monthly), WKST.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from django.utils.translation import gettext as _

from atendo.core.errors import ValidationFailed
from atendo.core.times import UTC

MAX_OCCURRENCES = 200
PATH = "recurrence.rrule"

_FREQS = {"WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY}
_DAYS = {"MO": du.MO, "TU": du.TU, "WE": du.WE, "TH": du.TH, "FR": du.FR, "SA": du.SA, "SU": du.SU}
_BYDAY = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^(\d{8})(T(\d{6})(Z)?)?$")
_ALLOWED = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "WKST"}


@dataclass(frozen=True)
class Rule:
    text: str  # normalized RRULE text, stored on the series
    freq: int
    interval: int
    count: int | None
    until: dt.datetime | None  # local wall time (naive), inclusive
    byweekday: tuple[du.weekday, ...] | None
    bymonthday: tuple[int, ...] | None
    wkst: du.weekday | None


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed.single(PATH, message, code="unsupported_rrule")


def parse_rule(text: object, tz: ZoneInfo) -> Rule:
    """Validate an RRULE string (optionally prefixed with `RRULE:`) or raise a 422 on recurrence.rrule."""
    if not isinstance(text, str) or not text.strip():
        raise _fail(_("Give a recurrence rule, e.g. FREQ=WEEKLY;COUNT=4."))
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts: dict[str, str] = {}
    for chunk in body.split(";"):
        if not chunk:
            continue
        key, sep, value = chunk.partition("=")
        key = key.strip().upper()
        if not sep or not value.strip():
            raise _fail(_("'%(part)s' is not NAME=VALUE.") % {"part": chunk})
        if key not in _ALLOWED:
            raise _fail(
                _("%(key)s is not supported; use FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY.")
                % {"key": key}
            )
        if key in parts:
            raise _fail(_("%(key)s is given twice.") % {"key": key})
        parts[key] = value.strip().upper()
    freq_name = parts.get("FREQ")
    if freq_name not in _FREQS:
        raise _fail(_("FREQ must be WEEKLY or MONTHLY (every N weeks: add INTERVAL=N)."))
    freq = _FREQS[freq_name]
    interval = _positive_int(parts.get("INTERVAL", "1"), "INTERVAL", maximum=52)
    count = _positive_int(parts["COUNT"], "COUNT", maximum=MAX_OCCURRENCES) if "COUNT" in parts else None
    until = _parse_until(parts["UNTIL"], tz) if "UNTIL" in parts else None
    if count is None and until is None:
        raise _fail(_("A series must end: give COUNT=n or UNTIL=YYYYMMDD."))
    if count is not None and until is not None:
        raise _fail(_("Give COUNT or UNTIL, not both."))
    byweekday: tuple[du.weekday, ...] | None = None
    if "BYDAY" in parts:
        days = []
        for item in parts["BYDAY"].split(","):
            match = _BYDAY.match(item.strip())
            if not match:
                raise _fail(_("BYDAY takes days like MO,WE or (monthly) 1MO, -1FR."))
            nth, day = match.groups()
            if nth and freq != du.MONTHLY:
                raise _fail(_("A numbered BYDAY (like 1MO) needs FREQ=MONTHLY."))
            days.append(_DAYS[day](int(nth)) if nth else _DAYS[day])
        byweekday = tuple(days)
    bymonthday: tuple[int, ...] | None = None
    if "BYMONTHDAY" in parts:
        if freq != du.MONTHLY:
            raise _fail(_("BYMONTHDAY needs FREQ=MONTHLY."))
        try:
            bymonthday = tuple(int(v) for v in parts["BYMONTHDAY"].split(","))
        except ValueError:
            raise _fail(_("BYMONTHDAY takes day numbers like 1,15 or -1.")) from None
        if any(v == 0 or not -31 <= v <= 31 for v in bymonthday):
            raise _fail(_("BYMONTHDAY takes day numbers between 1 and 31 (or -31 to -1)."))
    wkst = None
    if "WKST" in parts:
        if parts["WKST"] not in _DAYS:
            raise _fail(_("WKST must be a day like MO."))
        wkst = _DAYS[parts["WKST"]]
    normalized = ";".join(f"{k}={parts[k]}" for k in ("FREQ", *sorted(set(parts) - {"FREQ"})))
    return Rule(normalized, freq, interval, count, until, byweekday, bymonthday, wkst)


def _positive_int(value: str, name: str, *, maximum: int) -> int:
    if not value.isdigit() or int(value) < 1:
        raise _fail(_("%(name)s must be a whole number of at least 1.") % {"name": name})
    number = int(value)
    if number > maximum:
        raise _fail(_("%(name)s can be at most %(max)d.") % {"name": name, "max": maximum})
    return number


def _parse_until(value: str, tz: ZoneInfo) -> dt.datetime:
    match = _UNTIL.match(value)
    if not match:
        raise _fail(_("UNTIL must look like 20261231 or 20261231T235959Z."))
    date_part, _t, time_part, zulu = match.groups()
    try:
        day = dt.datetime.strptime(date_part, "%Y%m%d")
        if time_part is None:
            return day.replace(hour=23, minute=59, second=59)  # a date includes its whole day
        moment = dt.datetime.strptime(date_part + time_part, "%Y%m%d%H%M%S")
    except ValueError:
        raise _fail(_("UNTIL is not a real date.")) from None
    if zulu:
        return moment.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    return moment


def occurrences(rule: Rule, dtstart_local: dt.datetime) -> list[dt.datetime]:
    """Local wall-clock starts (naive), the first being `dtstart_local` itself.

    At most MAX_OCCURRENCES; a longer series is refused.
    """
    kwargs: dict = {"dtstart": dtstart_local, "interval": rule.interval}
    if rule.count is not None:
        kwargs["count"] = rule.count
    if rule.until is not None:
        kwargs["until"] = rule.until
    if rule.byweekday is not None:
        kwargs["byweekday"] = rule.byweekday
    if rule.bymonthday is not None:
        kwargs["bymonthday"] = rule.bymonthday
    if rule.wkst is not None:
        kwargs["wkst"] = rule.wkst
    starts = []
    for occurrence in du.rrule(rule.freq, **kwargs):
        starts.append(occurrence)
        if len(starts) > MAX_OCCURRENCES:
            raise _fail(
                _("This rule makes more than %(max)d sessions; shorten it.") % {"max": MAX_OCCURRENCES}
            )
    # RFC 5545: DTSTART is always the first instance, even if the rule would not produce it.
    if not starts or starts[0] != dtstart_local:
        starts.insert(0, dtstart_local)
        if rule.count is not None:
            starts = starts[: rule.count]
    if len(starts) > MAX_OCCURRENCES:
        raise _fail(_("This rule makes more than %(max)d sessions; shorten it.") % {"max": MAX_OCCURRENCES})
    return starts


def wall_to_utc(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """An occurrence's wall time to UTC. A time skipped by a DST jump lands just after the jump
    (the usual calendar behaviour: 02:30 on a spring-forward night becomes 03:30)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)
