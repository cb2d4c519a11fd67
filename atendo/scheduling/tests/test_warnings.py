"""Warnings: working hours (workspace and practitioner, workspace zone) and overlaps (boundaries,
cancelled sessions, client or practitioner), and the double-booking refusal."""

from __future__ import annotations

import pytest

from atendo.core.errors import Conflict
from atendo.scheduling.models import Session
from atendo.scheduling.services import session_create, session_set_status, session_update

pytestmark = pytest.mark.django_db


def _codes(result):
    return [w["code"] for w in result.warnings]


def _create(owner, client, starts_at, minutes=60, **extra):
    return session_create(
        member=owner, client_id=client.pk, name="x", starts_at=starts_at, duration_minutes=minutes, **extra
    )


@pytest.mark.parametrize(
    ("starts_at", "minutes", "outside"),
    [
        ("2026-03-10T09:00", 60, False),  # Tuesday, first interval starts at 09:00
        ("2026-03-10T11:00", 60, False),  # ends exactly at 12:00
        ("2026-03-10T11:30", 60, True),  # runs into the lunch break
        ("2026-03-10T08:30", 60, True),  # starts before opening
        ("2026-03-10T17:00", 60, False),  # ends exactly at 18:00
        ("2026-03-10T17:30", 60, True),
        ("2026-03-14T10:00", 60, True),  # Saturday: no hours
        ("2026-03-10T12:00Z", 60, False),  # 09:00 in São Paulo, given in UTC
        ("2026-03-10T09:00Z", 60, True),  # 06:00 in São Paulo
    ],
)
def test_working_hours_in_the_workspace_zone(owner, client_ana, starts_at, minutes, outside):
    result = _create(owner, client_ana, starts_at, minutes)
    assert ("outside_working_hours" in _codes(result)) is outside
    assert Session.objects.count() == 1  # saved anyway


def test_practitioner_hours_replace_the_workspace_hours(owner, therapist, client_ana):
    therapist.working_hours = {"tue": [["19:00", "22:00"]]}
    therapist.save()
    evening = _create(owner, client_ana, "2026-03-10T20:00", practitioner_id=therapist.pk)
    assert "outside_working_hours" not in _codes(evening)
    morning = _create(owner, client_ana, "2026-03-10T10:00", practitioner_id=therapist.pk)
    assert "outside_working_hours" in _codes(morning)


@pytest.mark.parametrize(
    ("starts_at", "minutes", "overlaps"),
    [
        ("2026-03-10T09:00", 60, False),  # ends exactly when the other starts
        ("2026-03-10T11:00", 60, False),  # starts exactly when the other ends
        ("2026-03-10T09:01", 60, True),
        ("2026-03-10T10:59", 60, True),
        ("2026-03-10T10:15", 15, True),  # inside
        ("2026-03-10T09:30", 120, True),  # around
        ("2026-03-10T10:00", 1, True),
    ],
)
def test_overlap_boundaries(owner, client_ana, client_bia, starts_at, minutes, overlaps):
    other = _create(owner, client_ana, "2026-03-10T10:00", 60).session
    # Another client, same practitioner (the owner).
    result = _create(owner, client_bia, starts_at, minutes)
    warning = next((w for w in result.warnings if w["code"] == "overlap"), None)
    assert (warning is not None) is overlaps
    if overlaps:
        assert warning["conflicts"] == [other.pk]
        assert warning["message"]


def test_overlap_of_the_same_client_with_another_practitioner(owner, therapist, client_ana):
    first = _create(owner, client_ana, "2026-03-10T10:00").session
    result = _create(owner, client_ana, "2026-03-10T10:30", practitioner_id=therapist.pk)
    assert result.warnings[-1] == {
        "code": "overlap",
        "message": "Overlaps another session of the same client or practitioner: "
        "Ana Cliente, 10:00–11:00 with owner@serena.test.",
        "conflicts": [first.pk],
        "details": [
            {
                "session_id": first.pk,
                "client_name": "Ana Cliente",
                "practitioner_name": "owner@serena.test",
                "starts_at": "2026-03-10T10:00:00-03:00",
                "ends_at": "2026-03-10T11:00:00-03:00",
                "url": f"/w/serena/sessions/{first.pk}/",
            }
        ],
    }


def test_no_overlap_between_different_clients_and_practitioners(owner, therapist, client_ana, client_bia):
    _create(owner, client_ana, "2026-03-10T10:00")
    result = _create(owner, client_bia, "2026-03-10T10:00", practitioner_id=therapist.pk)
    assert "overlap" not in _codes(result)


def test_cancelled_sessions_do_not_overlap(owner, client_ana, client_bia):
    first = _create(owner, client_ana, "2026-03-10T10:00").session
    session_set_status(member=owner, session_id=first.pk, status="cancelled", version=1)
    assert "overlap" not in _codes(_create(owner, client_bia, "2026-03-10T10:00"))


def test_several_conflicts_are_listed_in_start_order(owner, client_ana, client_bia):
    b = _create(owner, client_ana, "2026-03-10T10:30", 30).session
    a = _create(owner, client_ana, "2026-03-10T10:00", 30).session
    result = _create(owner, client_bia, "2026-03-10T10:00", 60)
    assert result.warnings[-1]["conflicts"] == [a.pk, b.pk]


def test_double_booking_refused_when_the_workspace_prevents_it(owner, workspace, client_ana, client_bia):
    workspace.prevent_double_booking = True
    workspace.save()
    owner.workspace = workspace
    first = _create(owner, client_ana, "2026-03-10T10:00").session
    with pytest.raises(Conflict) as info:
        _create(owner, client_bia, "2026-03-10T10:30")
    assert info.value.code == "overlap" and info.value.extra["conflicts"] == [first.pk]
    assert Session.objects.count() == 1
    # Touching is fine; cancelled sessions do not block.
    _create(owner, client_bia, "2026-03-10T11:00")
    second = _create(owner, client_bia, "2026-03-10T14:00").session
    with pytest.raises(Conflict):
        session_update(member=owner, session_id=second.pk, version=1, changes={"start_time": "10:15"})
    assert Session.objects.get(pk=second.pk).version == 1


def test_double_booking_is_a_409_in_the_api(api, owner, workspace, client_ana, client_bia):
    workspace.prevent_double_booking = True
    workspace.save()
    body = {"name": "x", "client_id": client_ana.pk, "starts_at": "2026-03-10T10:00"}
    first = api(owner).post("sessions", body)
    assert first.status_code == 201
    clash = api(owner).post("sessions", {**body, "client_id": client_bia.pk})
    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["code"] == "overlap" and error["conflicts"] == [first.json()["session"]["id"]]
    assert error["fields"][0]["path"] == "starts_at"


def test_check_validates_like_create(api, owner):
    response = api(owner).post("sessions/check", {"date": "2026-02-30", "start_time": "25:00"})
    assert response.status_code == 422
    assert {f["path"] for f in response.json()["error"]["fields"]} == {"date", "start_time"}
    response = api(owner).post("sessions/check", {"date": "2026-03-10", "duration_minutes": 0})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "duration_minutes"


def test_check_outside_hours_for_a_new_session(api, owner):
    response = api(owner).post("sessions/check", {"date": "2026-03-14"})  # Saturday 09:00
    assert response.status_code == 200
    assert response.json()["warnings"] == [
        {"code": "outside_working_hours", "message": "This session is outside the working hours."}
    ]
