"""The sessions API: envelopes, errors, versions, status, phases, delete, and access on every endpoint."""

from __future__ import annotations

import pytest

from atendo.scheduling.models import Session

pytestmark = pytest.mark.django_db


def _create(api, member, client, **extra):
    body = {"name": "Sessão", "client_id": client.pk, "starts_at": "2026-03-10T10:00", **extra}
    return api(member).post("sessions", body)


def test_create_answers_the_session_and_its_warnings(api, owner, client_ana):
    response = _create(api, owner, client_ana, duration_minutes=50)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["warnings"] == [] and body["occurrences"] == 1
    session = body["session"]
    assert session["starts_at"] == "2026-03-10T10:00:00-03:00"
    assert session["ends_at"] == "2026-03-10T10:50:00-03:00"
    assert session["version"] == 1 and session["status"] == "scheduled"
    assert session["client_name"] == "Ana Cliente"
    assert session["fields"] == {"pre": {}, "during": {}, "post": {}}
    assert session["withheld"] == [] and session["notes"] == ""


def test_create_with_date_and_start_time(api, owner, client_ana):
    body = {"name": "x", "client_id": client_ana.pk, "date": "2026-03-10", "start_time": "15:30"}
    response = api(owner).post("sessions", body)
    assert response.status_code == 201
    assert response.json()["session"]["starts_at"] == "2026-03-10T15:30:00-03:00"


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 1.5}, "duration_minutes"),
        ({"starts_at": None, "date": "2026-02-30"}, "date"),
        ({"starts_at": None, "date": "2026-03-10", "start_time": "25:00"}, "start_time"),
        ({"status": "unknown"}, "status"),
        ({"fields": {"during": {"mood": "ok"}}}, "fields.during"),
        ({"practitioner_id": 987654}, "practitioner_id"),
        ({"client_id": "abc"}, "client_id"),
        ({"client_id": 2**70}, "client_id"),
        ({"starts_at": "9999-12-31T23:00-05:00"}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00"}, "starts_at"),
        ({"recurrence": {"rrule": "FREQ=WEEKLY;UNTIL=99991231"}}, "recurrence.rrule"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, owner, client_ana, extra, path):
    response = _create(api, owner, client_ana, **extra)
    assert response.status_code == 422, response.content
    assert path in [f["path"] for f in response.json()["error"]["fields"]]
    assert not Session.objects.exists()


def test_client_of_another_workspace_is_a_422(api, owner, foreign_client):
    response = _create(api, owner, foreign_client)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "client_id"


def test_practitioner_who_is_not_a_member_is_a_422(api, owner, outsider, client_ana):
    response = _create(api, owner, client_ana, practitioner_id=outsider.pk)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "practitioner_id"


def test_bad_json_is_a_400(api, owner, workspace):
    response = api(owner).http.post(
        "/api/v1/workspaces/serena/sessions", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_nonexistent_local_time_is_a_422(api, owner, client_ana, workspace):
    workspace.timezone = "America/New_York"
    workspace.save()
    response = _create(api, owner, client_ana, starts_at="2026-03-08T02:30")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["fields"][0]["path"] == "starts_at" and "does not exist" in error["message"]


def test_update_with_a_stale_version_is_a_409_with_the_current_session(api, owner, client_ana):
    created = _create(api, owner, client_ana).json()["session"]
    first = api(owner).patch(f"sessions/{created['id']}", {"version": 1, "name": "Edited"})
    assert first.status_code == 200 and first.json()["session"]["version"] == 2
    stale = api(owner).patch(f"sessions/{created['id']}", {"version": 1, "name": "Lost"})
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "version_conflict"
    assert error["current"]["name"] == "Edited" and error["current"]["version"] == 2
    assert Session.objects.get().name == "Edited"


def test_update_without_version_is_a_422(api, owner, client_ana):
    created = _create(api, owner, client_ana).json()["session"]
    response = api(owner).patch(f"sessions/{created['id']}", {"name": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "version"


def test_update_moves_and_answers_warnings(api, owner, client_ana):
    created = _create(api, owner, client_ana).json()["session"]
    response = api(owner).patch(f"sessions/{created['id']}", {"version": 1, "starts_at": "2026-03-10T20:00"})
    assert response.status_code == 200
    body = response.json()
    assert body["session"]["starts_at"] == "2026-03-10T20:00:00-03:00"
    assert [w["code"] for w in body["warnings"]] == ["outside_working_hours"]


def test_status_change_and_history(api, owner, client_ana):
    created = _create(api, owner, client_ana).json()["session"]
    sid = created["id"]
    assert (
        api(owner).post(f"sessions/{sid}/status", {"status": "in_progress", "version": 1}).status_code == 200
    )
    assert api(owner).post(f"sessions/{sid}/status", {"status": "completed", "version": 2}).status_code == 200
    history = api(owner).get(f"sessions/{sid}/history").json()["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("", "scheduled"),
        ("scheduled", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert {h["changed_by_id"] for h in history} == {owner.pk}
    assert history[0]["changed_by_name"]


def test_phase_save_checks_the_phase_name(api, owner, client_ana):
    sid = _create(api, owner, client_ana).json()["session"]["id"]
    response = api(owner).put(f"sessions/{sid}/fields/later", {"version": 1, "values": {}})
    assert response.status_code == 422
    ok = api(owner).put(f"sessions/{sid}/fields/post", {"version": 1, "values": {}})
    assert ok.status_code == 200 and ok.json()["session"]["version"] == 2


def test_delete_and_preview(api, owner, client_ana):
    sid = _create(api, owner, client_ana).json()["session"]["id"]
    preview = api(owner).get(f"sessions/{sid}/delete-preview")
    assert preview.status_code == 200
    assert preview.json() == {"deleted": {"sessions": 1, "session_status_changes": 1}}
    deleted = api(owner).delete(f"sessions/{sid}")
    assert deleted.status_code == 200 and deleted.json() == preview.json()
    assert api(owner).get(f"sessions/{sid}").status_code == 404


def test_check_returns_warnings_without_saving(api, owner, client_ana, book):
    existing = book(client_ana, "2026-03-10T10:00")
    response = api(owner).post(
        "sessions/check",
        {"client_id": client_ana.pk, "starts_at": "2026-03-10T10:30", "duration_minutes": 30},
    )
    assert response.status_code == 200
    assert response.json()["warnings"] == [
        {
            "code": "overlap",
            "message": "Overlaps another session of the same client or practitioner: "
            "Ana Cliente, 10:00–11:00 with owner@serena.test.",
            "conflicts": [existing.pk],
            "details": [
                {
                    "session_id": existing.pk,
                    "client_name": "Ana Cliente",
                    "practitioner_name": "owner@serena.test",
                    "starts_at": "2026-03-10T10:00:00-03:00",
                    "ends_at": "2026-03-10T11:00:00-03:00",
                    "url": f"/w/serena/sessions/{existing.pk}/",
                }
            ],
        }
    ]
    assert Session.objects.count() == 1
    # Editing the session itself: it does not overlap with itself.
    itself = api(owner).post("sessions/check", {"session_id": existing.pk, "start_time": "10:30"})
    assert itself.json()["warnings"] == []


def test_client_history_is_chronological(api, owner, client_ana, client_bia, book):
    late = book(client_ana, "2026-03-12T10:00")
    early = book(client_ana, "2026-03-10T10:00")
    book(client_bia, "2026-03-11T10:00")
    response = api(owner).get(f"clients/{client_ana.pk}/sessions")
    assert response.status_code == 200
    assert [s["id"] for s in response.json()["items"]] == [early.pk, late.pk]


def test_client_history_of_a_foreign_client_is_404(api, owner, foreign_client):
    assert api(owner).get(f"clients/{foreign_client.pk}/sessions").status_code == 404


# --- access on every endpoint -----------------------------------------------------------------


def _endpoints(sid, client_id, practitioner_id):
    return [
        ("get", "sessions", None),
        ("get", "sessions?start=2026-03-01&end=2026-03-31", None),
        ("get", "calendar?start=2026-03-01&end=2026-03-31&per_day=5", None),
        ("post", "sessions", {"name": "x", "client_id": client_id, "date": "2026-03-11"}),
        ("post", "sessions/check", {"client_id": client_id, "date": "2026-03-11"}),
        ("get", "sessions/export.csv", None),
        ("get", f"sessions/{sid}", None),
        ("patch", f"sessions/{sid}", {"version": 1, "name": "y"}),
        ("get", f"sessions/{sid}/delete-preview", None),
        ("put", f"sessions/{sid}/fields/pre", {"version": 1, "values": {}}),
        ("post", f"sessions/{sid}/status", {"status": "completed", "version": 1}),
        ("get", f"sessions/{sid}/history", None),
        (
            "get",
            f"availability?practitioner_id={practitioner_id}&duration=60&start=2026-03-09&end=2026-03-10",
            None,
        ),
        ("get", f"clients/{client_id}/sessions", None),
        ("delete", f"sessions/{sid}", None),
    ]


def _call(client, method, path, body):
    if method in {"get", "delete"}:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body)


def test_outsider_gets_404_everywhere(api, outsider, owner, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    client = api(outsider, "serena")
    for method, path, body in _endpoints(s.pk, client_ana.pk, owner.pk):
        response = _call(client, method, path, body)
        assert response.status_code == 404, (method, path, response.status_code)
    assert Session.objects.get(pk=s.pk).version == 1


def test_member_without_session_read_gets_403_everywhere(api, receptionist, owner, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    client = api(receptionist)
    for method, path, body in _endpoints(s.pk, client_ana.pk, owner.pk):
        response = _call(client, method, path, body)
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "forbidden"
    assert Session.objects.count() == 1 and Session.objects.get(pk=s.pk).version == 1


def test_assistant_cannot_delete_sessions(api, assistant, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    assert api(assistant).delete(f"sessions/{s.pk}").status_code == 403
    assert api(assistant).get(f"sessions/{s.pk}/delete-preview").status_code == 403
    assert Session.objects.filter(pk=s.pk).exists()


def test_session_of_another_workspace_is_404(api, outsider, owner, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    own = api(outsider)  # outsider in their own workspace asks for serena's session id
    assert own.get(f"sessions/{s.pk}").status_code == 404
    assert own.patch(f"sessions/{s.pk}", {"version": 1, "name": "x"}).status_code == 404
    assert own.delete(f"sessions/{s.pk}").status_code == 404
    assert Session.objects.filter(pk=s.pk, name="Sessão").exists()


def test_huge_ids_are_404_in_the_path_and_422_in_a_query_never_500(api, owner, client_ana):
    huge = 2**70
    client = api(owner)
    assert client.get(f"sessions/{huge}").status_code == 404
    assert client.get("sessions", client_id=huge).status_code == 422
    assert client.get(f"clients/{huge}/sessions").status_code == 404
    assert client.post("sessions/check", {"session_id": huge}).status_code == 422


def test_client_history_query_count_does_not_grow(
    api, owner, client_ana, book, django_assert_max_num_queries
):
    client = api(owner)
    book(client_ana, "2026-03-09T10:00")
    with django_assert_max_num_queries(8) as few:
        client.get(f"clients/{client_ana.pk}/sessions")
    for day in range(10, 25):
        book(client_ana, f"2026-03-{day:02d}T10:00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"clients/{client_ana.pk}/sessions")
    assert len(response.json()["items"]) == 16
