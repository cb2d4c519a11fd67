"""Free slots: inside working hours, on the slot grid, skipping non-cancelled sessions."""

from __future__ import annotations

import pytest

from atendo.scheduling.services import session_set_status

pytestmark = pytest.mark.django_db


def _slots(api, member, practitioner, duration, start, end):
    response = api(member).get(
        "availability", practitioner_id=practitioner.pk, duration=duration, start=start, end=end
    )
    assert response.status_code == 200, response.content
    return [(s["start"][11:16], s["end"][11:16]) for s in response.json()["items"]]


def test_free_slots_skip_sessions_and_breaks(api, owner, client_ana, book):
    book(client_ana, "2026-03-10T10:00")
    slots = _slots(api, owner, owner, 60, "2026-03-10", "2026-03-11")
    assert [s for s, _ in slots] == [
        "09:00",
        "11:00",
        "13:00",
        "13:30",
        "14:00",
        "14:30",
        "15:00",
        "15:30",
        "16:00",
        "16:30",
        "17:00",
    ]
    assert slots[0] == ("09:00", "10:00")


def test_cancelled_sessions_free_their_slot(api, owner, client_ana, book):
    s = book(client_ana, "2026-03-10T09:00", minutes=180)
    assert not any(start < "12:00" for start, _ in _slots(api, owner, owner, 60, "2026-03-10", "2026-03-11"))
    session_set_status(member=owner, session_id=s.pk, status="cancelled", version=1)
    assert ("09:00", "10:00") in _slots(api, owner, owner, 60, "2026-03-10", "2026-03-11")


def test_slots_follow_the_practitioner_hours_and_the_slot_size(api, owner, therapist, workspace):
    therapist.working_hours = {"tue": [["19:10", "21:00"]]}
    therapist.save()
    workspace.slot_minutes = 45
    workspace.save()
    # Grid points every 45 minutes from midnight: 19:30 and 20:15 fit a 45-minute session before 21:00.
    assert _slots(api, owner, therapist, 45, "2026-03-10", "2026-03-11") == [
        ("19:30", "20:15"),
        ("20:15", "21:00"),
    ]


def test_other_practitioners_sessions_do_not_block(api, owner, therapist, client_ana, book):
    book(client_ana, "2026-03-10T09:00", practitioner_id=therapist.pk)
    assert ("09:00", "10:00") in _slots(api, owner, owner, 60, "2026-03-10", "2026-03-11")


def test_weekend_has_no_slots(api, owner):
    assert _slots(api, owner, owner, 30, "2026-03-14", "2026-03-16") == []


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"duration": 0}, "duration"),
        ({"duration": 2000}, "duration"),
        ({"end": "2026-03-09"}, "end"),
        ({"end": "2026-09-01"}, "end"),
        ({"start": "2026-02-30"}, "start"),
        ({"practitioner_id": 999999}, "practitioner_id"),
    ],
)
def test_bad_availability_queries_are_422(api, owner, params, path):
    query = {
        "practitioner_id": owner.pk,
        "duration": 60,
        "start": "2026-03-10",
        "end": "2026-03-11",
        **params,
    }
    response = api(owner).get("availability", **query)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == path


def test_practitioner_of_another_workspace_is_refused(api, owner, outsider):
    response = api(owner).get(
        "availability", practitioner_id=outsider.pk, duration=60, start="2026-03-10", end="2026-03-11"
    )
    assert response.status_code == 422


def test_slots_keep_local_hours_across_a_dst_change(api, owner, workspace):
    workspace.timezone = "America/New_York"
    workspace.working_hours = {"sat": [["09:00", "10:00"]], "mon": [["09:00", "10:00"]]}
    workspace.save()
    response = api(owner).get(
        "availability", practitioner_id=owner.pk, duration=60, start="2026-03-07", end="2026-03-10"
    )
    assert [s["start"] for s in response.json()["items"]] == [
        "2026-03-07T09:00:00-05:00",  # Saturday, before the change
        "2026-03-09T09:00:00-04:00",  # Monday, after it
    ]


def test_availability_query_count_does_not_grow(api, owner, client_ana, book, django_assert_max_num_queries):
    client = api(owner)
    with django_assert_max_num_queries(6) as few:
        client.get(
            "availability", practitioner_id=owner.pk, duration=30, start="2026-03-09", end="2026-03-21"
        )
    for day in range(9, 21):
        book(client_ana, f"2026-03-{day:02d}T10:00")
        book(client_ana, f"2026-03-{day:02d}T15:00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(
            "availability", practitioner_id=owner.pk, duration=30, start="2026-03-09", end="2026-03-21"
        )
    assert "2026-03-10T10:00:00-03:00" not in [s["start"] for s in response.json()["items"]]
