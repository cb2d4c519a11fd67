"""Time reading at the edges, checked over generated wall times in zones with daylight saving."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atendo.core.errors import ValidationFailed
from atendo.core.times import exists_locally, isoformat_local, parse_date, parse_datetime
from atendo.scheduling import series

ZONES = ["America/New_York", "Europe/Lisbon", "America/Sao_Paulo", "Australia/Sydney", "UTC"]
wall_times = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


@settings(max_examples=300, deadline=None)
@given(naive=wall_times, zone=st.sampled_from(ZONES))
def test_a_naive_time_is_read_as_local_wall_time(naive, zone):
    tz = ZoneInfo(zone)
    text = naive.isoformat(timespec="minutes")
    if not exists_locally(naive, tz):
        with pytest.raises(ValidationFailed) as info:
            parse_datetime(text, tz, path="starts_at")
        assert info.value.fields[0].path == "starts_at"
        return
    moment = parse_datetime(text, tz, path="starts_at")
    assert moment.tzinfo == dt.UTC
    # Shown back in the workspace offset, it is the same wall time (first occurrence if ambiguous).
    assert isoformat_local(moment, tz).startswith(naive.isoformat(timespec="seconds"))


@settings(max_examples=100, deadline=None)
@given(
    first=wall_times.filter(lambda d: d.year < 2090),
    zone=st.sampled_from(ZONES),
    interval=st.integers(1, 4),
    count=st.integers(1, 30),
)
def test_weekly_occurrences_keep_the_local_wall_time(first, zone, interval, count):
    tz = ZoneInfo(zone)
    rule = series.parse_rule(f"FREQ=WEEKLY;INTERVAL={interval};COUNT={count}", tz)
    starts = series.occurrences(rule, first)
    assert len(starts) == count
    for local in starts:
        moment = series.wall_to_utc(local, tz)
        if exists_locally(local, tz):
            assert moment.astimezone(tz).replace(tzinfo=None) == local
        assert (local - first).days % (7 * interval) == 0


@pytest.mark.parametrize(
    "text", ["2026-02-30", "2026-13-01", "26-03-01", "2026/03/01", "", "2026-03-01T10:00"]
)
def test_bad_dates(text):
    with pytest.raises(ValidationFailed):
        parse_date(text, path="date")


def test_date_only_range_bound_is_local_midnight():
    tz = ZoneInfo("America/Sao_Paulo")
    assert parse_datetime("2026-03-10", tz, path="start", date_only_ok=True) == dt.datetime(
        2026, 3, 10, 3, 0, tzinfo=dt.UTC
    )
