"""Recurring series: RRULE expansion in local wall time (DST), validation, and edits of one
occurrence, this-and-following, or all."""

from __future__ import annotations

import datetime as dt

import pytest

from atendo.core.errors import Conflict, ValidationFailed
from atendo.scheduling.models import Session, SessionSeries, SessionStatusChange
from atendo.scheduling.services import session_create, session_delete, session_set_status, session_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_york(workspace, owner):
    """A workspace in a zone with daylight saving (2026: starts 8 March, ends 1 November)."""
    workspace.timezone = "America/New_York"
    workspace.save()
    owner.workspace = workspace
    return workspace


def _series(owner, client, rrule, starts_at="2026-03-03T09:00", **extra):
    return session_create(
        member=owner,
        client_id=client.pk,
        name="Weekly",
        starts_at=starts_at,
        duration_minutes=60,
        recurrence={"rrule": rrule},
        **extra,
    )


def _occurrences(series_id, tz):
    return [
        s.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
        for s in Session.objects.filter(series_id=series_id).order_by("starts_at")
    ]


def test_weekly_series_stays_at_nine_across_spring_forward(owner, new_york, client_ana):
    result = _series(owner, client_ana, "FREQ=WEEKLY;COUNT=3")
    first = result.session
    assert result.occurrences == 3 and first.series_id is not None
    assert _occurrences(first.series_id, new_york.tz) == [
        "2026-03-03 09:00 EST",
        "2026-03-10 09:00 EDT",
        "2026-03-17 09:00 EDT",
    ]
    utc_hours = [s.starts_at.astimezone(dt.UTC).hour for s in Session.objects.order_by("starts_at")]
    assert utc_hours == [14, 13, 13]


def test_weekly_series_stays_at_nine_across_fall_back(owner, new_york, client_ana):
    first = _series(owner, client_ana, "FREQ=WEEKLY;COUNT=2", starts_at="2026-10-27T09:00").session
    assert _occurrences(first.series_id, new_york.tz) == ["2026-10-27 09:00 EDT", "2026-11-03 09:00 EST"]


def test_every_two_weeks_until_a_date(owner, workspace, client_ana):
    first = _series(owner, client_ana, "FREQ=WEEKLY;INTERVAL=2;UNTIL=20260331").session
    assert _occurrences(first.series_id, workspace.tz) == [
        "2026-03-03 09:00 -03",
        "2026-03-17 09:00 -03",
        "2026-03-31 09:00 -03",
    ]


def test_monthly_series(owner, workspace, client_ana):
    first = _series(owner, client_ana, "RRULE:FREQ=MONTHLY;COUNT=3").session
    assert _occurrences(first.series_id, workspace.tz) == [
        "2026-03-03 09:00 -03",
        "2026-04-03 09:00 -03",
        "2026-05-03 09:00 -03",
    ]
    series = SessionSeries.objects.get(pk=first.series_id)
    assert series.rrule == "FREQ=MONTHLY;COUNT=3" and series.timezone == "America/Sao_Paulo"


def test_weekly_on_several_days(owner, workspace, client_ana):
    first = _series(owner, client_ana, "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4").session
    assert [o[:10] for o in _occurrences(first.series_id, workspace.tz)] == [
        "2026-03-03",
        "2026-03-05",
        "2026-03-10",
        "2026-03-12",
    ]
    assert SessionStatusChange.objects.count() == 4


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;COUNT=3",
        "FREQ=WEEKLY",  # never ends
        "FREQ=WEEKLY;COUNT=201",
        "FREQ=WEEKLY;UNTIL=20401231",  # more than 200 occurrences
        "FREQ=WEEKLY;COUNT=2;UNTIL=20260401",
        "FREQ=WEEKLY;COUNT=0",
        "FREQ=WEEKLY;COUNT=x",
        "FREQ=WEEKLY;BYHOUR=9;COUNT=2",
        "FREQ=WEEKLY;BYDAY=XX;COUNT=2",
        "FREQ=WEEKLY;BYMONTHDAY=3;COUNT=2",
        "FREQ=MONTHLY;BYMONTHDAY=40;COUNT=2",
        "FREQ=WEEKLY;UNTIL=20260230",
        "nonsense",
        "",
    ],
)
def test_unsupported_rules_are_refused(owner, client_ana, rule):
    with pytest.raises(ValidationFailed) as info:
        _series(owner, client_ana, rule)
    assert info.value.fields[0].path == "recurrence.rrule"
    assert not Session.objects.exists() and not SessionSeries.objects.exists()


def test_edit_this_occurrence_only(owner, workspace, client_ana):
    first = _series(owner, client_ana, "FREQ=WEEKLY;COUNT=3").session
    second = Session.objects.filter(series_id=first.series_id).order_by("starts_at")[1]
    session_update(
        member=owner, session_id=second.pk, version=1, changes={"name": "Moved", "start_time": "10:00"}
    )
    names = list(Session.objects.order_by("starts_at").values_list("name", flat=True))
    assert names == ["Weekly", "Moved", "Weekly"]
    assert [o[11:16] for o in _occurrences(first.series_id, workspace.tz)] == ["09:00", "10:00", "09:00"]


def test_edit_this_and_following_keeps_local_time_across_dst(owner, new_york, client_ana):
    first = _series(owner, client_ana, "FREQ=WEEKLY;COUNT=4", starts_at="2026-02-24T09:00").session
    rows = list(Session.objects.filter(series_id=first.series_id).order_by("starts_at"))
    session_update(
        member=owner,
        session_id=rows[1].pk,
        version=1,
        changes={"start_time": "11:00", "name": "Later"},
        scope="following",
    )
    tz = new_york.tz
    after = list(Session.objects.order_by("starts_at"))
    assert [s.starts_at.astimezone(tz).strftime("%m-%d %H:%M") for s in after] == [
        "02-24 09:00",
        "03-03 11:00",
        "03-10 11:00",  # after the DST change: still 11:00 local
        "03-17 11:00",
    ]
    assert [s.name for s in after] == ["Weekly", "Later", "Later", "Later"]
    assert [s.version for s in after] == [1, 2, 2, 2]
    # The edited part became a series of its own.
    assert after[0].series_id == first.series_id
    assert len({after[1].series_id, after[2].series_id, after[3].series_id}) == 1
    assert after[1].series_id != first.series_id


def test_edit_all_occurrences(owner, workspace, client_ana, therapist):
    first = _series(owner, client_ana, "FREQ=WEEKLY;COUNT=3").session
    last = Session.objects.filter(series_id=first.series_id).order_by("-starts_at").first()
    session_update(
        member=owner,
        session_id=last.pk,
        version=1,
        changes={"practitioner_id": therapist.pk, "duration_minutes": 30},
        scope="all",
    )
    rows = list(Session.objects.order_by("starts_at"))
    assert {s.practitioner_id for s in rows} == {therapist.pk}
    assert {s.duration_minutes for s in rows} == {30}
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=30) for s in rows)
    assert {s.series_id for s in rows} == {first.series_id}


def test_cancel_this_and_following(owner, client_ana):
    first = _series(owner, client_ana, "FREQ=WEEKLY;COUNT=4").session
    rows = list(Session.objects.filter(series_id=first.series_id).order_by("starts_at"))
    session_set_status(member=owner, session_id=rows[2].pk, status="cancelled", version=1, scope="following")
    assert list(Session.objects.order_by("starts_at").values_list("status", flat=True)) == [
        "scheduled",
        "scheduled",
        "cancelled",
        "cancelled",
    ]
    assert SessionStatusChange.objects.filter(to_status="cancelled", changed_by=owner).count() == 2


def test_delete_all_occurrences(owner, client_ana):
    first = _series(owner, client_ana, "FREQ=WEEKLY;COUNT=3").session
    deleted = session_delete(member=owner, session_id=first.pk, scope="all")
    assert deleted == {"session_status_changes": 3, "sessions": 3}
    assert not Session.objects.exists()


def test_delete_one_occurrence_keeps_the_others(owner, client_ana):
    first = _series(owner, client_ana, "FREQ=WEEKLY;COUNT=3").session
    assert session_delete(member=owner, session_id=first.pk)["sessions"] == 1
    assert Session.objects.count() == 2


def test_series_refused_whole_when_an_occurrence_is_double_booked(owner, workspace, client_ana, client_bia):
    workspace.prevent_double_booking = True
    workspace.save()
    owner.workspace = workspace
    session_create(
        member=owner, client_id=client_bia.pk, name="Busy", starts_at="2026-03-17T09:30", duration_minutes=30
    )
    with pytest.raises(Conflict) as info:
        _series(owner, client_ana, "FREQ=WEEKLY;COUNT=3")
    assert info.value.code == "overlap"
    assert info.value.fields[0].path == "recurrence.occurrences[2]"
    assert Session.objects.count() == 1 and not SessionSeries.objects.exists()


def test_series_in_the_api(api, owner, client_ana):
    response = api(owner).post(
        "sessions",
        {
            "name": "Weekly",
            "client_id": client_ana.pk,
            "starts_at": "2026-03-03T09:00",
            "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=4"},
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["occurrences"] == 4 and body["session"]["series_id"]
    bad = api(owner).post(
        "sessions",
        {
            "name": "x",
            "client_id": client_ana.pk,
            "date": "2026-03-03",
            "recurrence": {"rrule": "FREQ=YEARLY"},
        },
    )
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "recurrence.rrule"
    assert Session.objects.count() == 4


def test_series_scopes_in_the_api(api, owner, client_ana):
    client = api(owner)
    body = {"name": "W", "client_id": client_ana.pk, "starts_at": "2026-03-03T09:00"}
    first = client.post("sessions", {**body, "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=4"}}).json()[
        "session"
    ]
    ids = list(Session.objects.order_by("starts_at").values_list("id", flat=True))
    preview = client.get(f"sessions/{ids[2]}/delete-preview?scope=following").json()
    assert preview["deleted"]["sessions"] == 2
    cancelled = client.post(
        f"sessions/{ids[1]}/status", {"status": "cancelled", "version": 1, "scope": "all"}
    )
    assert cancelled.status_code == 200
    assert set(Session.objects.values_list("status", flat=True)) == {"cancelled"}
    unknown_scope = client.delete(f"sessions/{ids[0]}?scope=sideways")
    assert unknown_scope.status_code == 422
    assert unknown_scope.json()["error"]["fields"][0]["path"] == "scope"
    assert Session.objects.count() == 4
    assert client.delete(f"sessions/{first['id']}?scope=all").json()["deleted"]["sessions"] == 4
    assert not Session.objects.exists()
