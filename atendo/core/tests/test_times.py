"""The one time parser: what it accepts, and that every refusal names its path and is translated."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from atendo.core.errors import ValidationFailed
from atendo.core.times import (
    UTC,
    date_or_none,
    format_hhmm,
    parse_date,
    parse_datetime,
    parse_hhmm,
    parse_hhmm_time,
    parse_optional_date,
    time_or_none,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NEW_YORK = ZoneInfo("America/New_York")


def _refusal(fn) -> tuple[str, str]:
    with pytest.raises(ValidationFailed) as info:
        fn()
    return info.value.fields[0].path, info.value.fields[0].message


def test_an_iso_date_is_read_and_a_date_object_passes():
    assert parse_date("2026-03-14", path="date") == dt.date(2026, 3, 14)
    assert parse_date(dt.date(2026, 3, 14), path="date") == dt.date(2026, 3, 14)


@pytest.mark.parametrize(
    "value",
    ["2026-02-30", "2026-13-01", "26-03-01", "2026/03/01", "", "2026-03-01T10:00", "20260301", 20260301],
)
def test_anything_but_an_iso_date_is_refused_at_its_path(value):
    assert _refusal(lambda: parse_date(value, path="birth_date"))[0] == "birth_date"


def test_a_datetime_is_not_a_date():
    assert _refusal(lambda: parse_date(dt.datetime(2026, 3, 1), path="due_date"))[0] == "due_date"


def test_years_outside_the_bounds_are_refused():
    assert _refusal(lambda: parse_date("1899-12-31", path="date"))[0] == "date"
    assert _refusal(lambda: parse_datetime("2201-01-01T00:00", UTC, path="at"))[0] == "at"


def test_an_optional_date_may_be_empty():
    assert parse_optional_date(None, path="d") is None
    assert parse_optional_date("", path="d") is None
    assert parse_optional_date("2026-01-02", path="d") == dt.date(2026, 1, 2)


def test_a_query_string_date_or_time_that_is_not_one_is_none():
    assert date_or_none("2026-01-02") == dt.date(2026, 1, 2)
    assert date_or_none("nope") is None and date_or_none(None) is None
    assert time_or_none("09:30") == dt.time(9, 30)
    assert time_or_none("9:30") is None and time_or_none(None) is None


def test_a_naive_datetime_is_local_to_the_zone_and_an_offset_wins():
    assert parse_datetime("2026-03-10T09:00", SAO_PAULO, path="s") == dt.datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert parse_datetime("2026-03-10T09:00Z", SAO_PAULO, path="s") == dt.datetime(2026, 3, 10, 9, tzinfo=UTC)
    assert parse_datetime("2026-03-10T09:00+01:00", SAO_PAULO, path="s") == dt.datetime(
        2026, 3, 10, 8, tzinfo=UTC
    )


def test_a_bare_date_is_local_midnight_only_when_allowed():
    assert parse_datetime("2026-03-10", SAO_PAULO, path="start", date_only_ok=True) == dt.datetime(
        2026, 3, 10, 3, tzinfo=UTC
    )
    assert _refusal(lambda: parse_datetime("2026-03-10", SAO_PAULO, path="start"))[0] == "start"


def test_a_wall_time_skipped_by_daylight_saving_is_refused():
    with pytest.raises(ValidationFailed) as info:
        parse_datetime("2026-03-08T02:30", NEW_YORK, path="starts_at")
    assert info.value.fields[0].path == "starts_at" and info.value.code == "nonexistent_time"


def test_a_repeated_wall_time_is_its_first_occurrence():
    # 01:30 happens twice in New York on 2026-11-01; the first is still daylight time (-04:00).
    assert parse_datetime("2026-11-01T01:30", NEW_YORK, path="s") == dt.datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("value", ["2026-03-10T25:00", "yesterday", "2026-03-10T09:00:00.1234567", 5, None])
def test_a_bad_datetime_is_refused_at_its_path(value):
    assert _refusal(lambda: parse_datetime(value, SAO_PAULO, path="until"))[0] == "until"


def test_hhmm_reads_24_hour_times():
    assert parse_hhmm("09:30") == 570
    assert parse_hhmm("24:00") is None and parse_hhmm("24:00", allow_24=True) == 1440
    assert parse_hhmm("9:30") is None and parse_hhmm("٠٩:٣٠") is None and parse_hhmm(930) is None
    assert format_hhmm(570) == "09:30" and format_hhmm(1440) == "24:00"
    assert parse_hhmm_time("18:05", path="t") == dt.time(18, 5)
    assert parse_hhmm_time(dt.time(18, 5, 30), path="t") == dt.time(18, 5)
    assert _refusal(lambda: parse_hhmm_time("6pm", path="start_time"))[0] == "start_time"


def test_refusals_are_translated():
    with translation.override("pt-br"):
        _path, message = _refusal(lambda: parse_date("nope", path="date"))
    assert message != _refusal(lambda: parse_date("nope", path="date"))[1]
