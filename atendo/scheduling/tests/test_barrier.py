"""The clinical barrier on sessions, persona by persona: notes, therapy fields and clinical field
values reach only allowed readers; the response lists what was withheld."""

from __future__ import annotations

import pytest

from atendo.core.errors import Forbidden
from atendo.scheduling import sealing
from atendo.scheduling.models import Session
from atendo.scheduling.serializers import sessions_to_json
from atendo.scheduling.services import session_save_phase, session_update
from tests.factories import FieldDefinitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def definitions(workspace):
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="pre",
        key="room",
        label="Room",
        type="text",
        clinical=False,
    )
    FieldDefinitionFactory(
        workspace=workspace, scope="session", phase="during", key="mood", label="Mood", type="text"
    )


@pytest.fixture
def theos_session(owner, therapist, client_ana, book, definitions):
    """A session of the therapist's client (scheduling assigned them), with clinical content."""
    s = book(
        client_ana,
        "2026-03-10T10:00",
        practitioner_id=therapist.pk,
        notes="Sensitive",
        fields={"pre": {"room": "2"}},
    )
    session_save_phase(member=owner, session_id=s.pk, phase="during", values={"mood": "anxious"}, version=1)
    # Therapy values with no therapy type: a state no service writes, stored here only to be read
    # (the barrier withholds whatever is stored).
    Session.objects.filter(pk=s.pk).update(therapy_fields={"chakras": ["root"]})
    return Session.objects.get(pk=s.pk)


def _get(api, member, session):
    response = api(member).get(f"sessions/{session.pk}")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("persona", ["owner", "therapist"])
def test_allowed_readers_see_everything(api, request, theos_session, persona):
    body = _get(api, request.getfixturevalue(persona), theos_session)
    assert body["notes"] == "Sensitive"
    assert body["therapy_fields"] == {"chakras": ["root"]}
    assert body["fields"]["during"] == {"mood": "anxious"}
    assert body["fields"]["pre"] == {"room": "2"}
    assert body["withheld"] == []


@pytest.mark.parametrize("persona", ["assistant", "other_therapist"])
def test_others_never_receive_clinical_content(api, request, theos_session, persona):
    response = api(request.getfixturevalue(persona)).get(f"sessions/{theos_session.pk}")
    body = response.json()
    assert "notes" not in body and "therapy_fields" not in body
    assert body["fields"]["during"] == {}
    assert body["fields"]["pre"] == {"room": "2"}  # administrative field: visible
    assert body["withheld"] == ["notes", "therapy_fields", "fields.during.mood"]
    raw = response.content.decode()
    assert "Sensitive" not in raw and "anxious" not in raw and "root" not in raw


@pytest.mark.parametrize("persona", ["assistant", "other_therapist"])
def test_redaction_holds_in_ranges_lists_history_and_conflicts(
    api, request, owner, theos_session, client_ana, persona
):
    client = api(request.getfixturevalue(persona))
    responses = [
        client.get("sessions", start="2026-03-10", end="2026-03-11"),
        client.get("sessions"),
        client.get(f"clients/{client_ana.pk}/sessions"),
        client.patch(f"sessions/{theos_session.pk}", {"version": 1, "name": "stale"}),  # 409 with current
    ]
    assert responses[-1].status_code == 409
    for response in responses:
        raw = response.content.decode()
        assert "Sensitive" not in raw and "anxious" not in raw and "root" not in raw


def test_unknown_keys_are_treated_as_clinical(owner, assistant, client_ana, book):
    s = book(client_ana, "2026-03-10T10:00")
    # A value kept under a key with no definition (no service writes one): only read here.
    Session.objects.filter(pk=s.pk).update(post_fields={"legacy": "old secret"})
    s = Session.objects.select_related("client", "practitioner__user", "therapy_type").get(pk=s.pk)
    [body] = sessions_to_json(assistant, [s])
    assert body["fields"]["post"] == {} and "fields.post.legacy" in body["withheld"]


def test_serializer_runs_in_constant_queries(
    owner, assistant, therapist, client_ana, client_bia, book, definitions, django_assert_num_queries
):
    for i in range(6):
        book(client_ana if i % 2 else client_bia, f"2026-03-1{i}T10:00", fields={"pre": {"room": str(i)}})
    rows = list(Session.objects.select_related("client", "practitioner__user", "therapy_type"))
    with django_assert_num_queries(1):  # the definitions (an assistant reads no client: no lookup)
        sessions_to_json(assistant, rows)
    with django_assert_num_queries(2):  # the therapist's readable clients + the definitions
        sessions_to_json(therapist, rows)
    with django_assert_num_queries(0):  # the owner reads everything: no lookup at all
        sessions_to_json(owner, rows)


def test_assistant_cannot_write_clinical_fields_or_notes(assistant, theos_session):
    with pytest.raises(Forbidden):
        session_save_phase(
            member=assistant, session_id=theos_session.pk, phase="during", values={"mood": "calm"}, version=2
        )
    with pytest.raises(Forbidden):
        session_update(member=assistant, session_id=theos_session.pk, version=2, changes={"notes": "x"})
    s = Session.objects.get(pk=theos_session.pk)
    assert s.during_fields == theos_session.during_fields and s.notes == theos_session.notes  # untouched
    assert sealing.open_phase(s, "during") == {"mood": "anxious"} and sealing.open_notes(s) == "Sensitive"
    assert s.version == 2


def test_assistant_phase_save_keeps_the_clinical_values_they_cannot_see(assistant, workspace, theos_session):
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="during",
        key="room_temp",
        label="T",
        type="number",
        clinical=False,
    )
    session_save_phase(
        member=assistant, session_id=theos_session.pk, phase="during", values={"room_temp": 21}, version=2
    )
    stored = Session.objects.get(pk=theos_session.pk)
    # The hidden value stays exactly as it was sealed (never opened nor re-sealed by the assistant).
    assert stored.during_fields == {"mood": theos_session.during_fields["mood"], "room_temp": 21}
    assert sealing.open_phase(stored, "during") == {"mood": "anxious", "room_temp": 21}


def test_therapist_becomes_a_reader_when_scheduled_with_the_client(
    api, owner, other_therapist, theos_session, client_ana, book
):
    assert "notes" not in _get(api, other_therapist, theos_session)
    book(client_ana, "2026-03-20T10:00", practitioner_id=other_therapist.pk)
    assert _get(api, other_therapist, theos_session)["notes"] == "Sensitive"


@pytest.mark.parametrize("persona", ["owner", "therapist", "other_therapist", "assistant"])
def test_the_fast_path_serializes_exactly_like_the_instances(
    request, theos_session, client_bia, book, persona
):
    from atendo.scheduling.selectors import sessions_for
    from atendo.scheduling.serializers import sessions_queryset_to_json

    member = request.getfixturevalue(persona)
    book(client_bia, "2026-03-11T10:00", notes="Other")
    qs = sessions_for(member).order_by("starts_at", "id")
    assert sessions_queryset_to_json(member, qs) == sessions_to_json(member, list(qs))


def test_session_rows_read_the_same_values_as_the_orm(theos_session, client_bia, book, owner):
    """The cursor read skips Django's converters: it must still give aware UTC datetimes and decoded
    JSON, value for value, including the optional columns (recorded_at, therapy type, series)."""
    from atendo.scheduling.selectors import sessions_for
    from atendo.scheduling.serializers import COLUMNS, session_rows

    book(client_bia, "2026-03-11T10:00", recurrence={"rrule": "FREQ=WEEKLY;COUNT=2"})
    # Stored columns for the read to decode (recording would also change the status and notes).
    Session.objects.filter(pk=theos_session.pk).update(
        recorded_at=theos_session.starts_at, actual_duration_minutes=55
    )
    qs = sessions_for(owner).order_by("starts_at", "id")
    rows = session_rows(qs)
    assert rows == list(qs.values(*COLUMNS))
    assert len(rows) == 3 and all(r["starts_at"].utcoffset() is not None for r in rows)
    assert rows[0]["recorded_at"] == theos_session.starts_at
    assert session_rows(qs.none()) == []


@pytest.mark.parametrize("persona", ["owner", "therapist", "other_therapist", "assistant"])
def test_list_pages_from_rows_serialize_exactly_like_the_instances(
    request, theos_session, client_bia, book, persona
):
    from atendo.scheduling.selectors import sessions_page, sessions_page_rows
    from atendo.scheduling.serializers import session_rows_to_json

    member = request.getfixturevalue(persona)
    for day in (11, 12, 13):
        book(client_bia, f"2026-03-{day}T10:00", notes="Other")
    for sort in ("starts_at", "-name", "duration_minutes"):
        cursor = None
        pages = 0
        while True:
            rows, next_rows = sessions_page_rows(member, sort=sort, cursor=cursor, limit=3)
            sessions, next_sessions = sessions_page(member, sort=sort, cursor=cursor, limit=3)
            assert next_rows == next_sessions
            assert session_rows_to_json(member, rows) == sessions_to_json(member, sessions)
            pages += 1
            cursor = next_rows
            if cursor is None:
                break
        assert pages == 2


@pytest.mark.parametrize("persona", ["owner", "therapist", "assistant"])
def test_a_created_session_answers_exactly_what_reading_it_back_gives(
    api, request, owner, client_ana, definitions, therapist, persona
):
    """The create response is serialized from the inserted objects (no reload): it must match a GET."""
    member = request.getfixturevalue(persona)
    # The therapist writes notes for their own client (booking alone assigns no one).
    assert (
        api(owner).post(f"clients/{client_ana.pk}/practitioners", {"member_id": therapist.pk}).status_code
        == 200
    )
    body = {
        "name": "New",
        "client_id": client_ana.pk,
        "practitioner_id": therapist.pk,
        "starts_at": "2026-03-16T10:00",
        "fields": {"pre": {"room": "3"}},
    }
    if persona != "assistant":
        body["notes"] = "Private"
    response = api(member).post("sessions", body)
    assert response.status_code == 201, response.content
    created = response.json()["session"]
    assert created == _get(api, member, Session.objects.get(pk=created["id"]))
    assert ("notes" in created) is (persona != "assistant")


@pytest.mark.parametrize("persona", ["owner", "therapist", "other_therapist", "assistant"])
def test_the_range_response_is_the_json_of_the_instances(
    request, api, theos_session, client_bia, book, persona
):
    """The range endpoint's fast path (cursor rows, C timestamps on PostgreSQL, local times
    remembered per value, orjson) answers exactly the JSON the model instances serialize to, written
    by the standard encoder: same values and, for these, the same bytes."""
    import json

    from atendo.scheduling.selectors import parse_range, sessions_in_range
    from atendo.scheduling.services import session_set_status
    from tests.factories import FieldDefinitionFactory

    member = request.getfixturevalue(persona)
    FieldDefinitionFactory(
        workspace=member.workspace, scope="session", phase="post", key="score", label="Score", type="number"
    )
    book(
        client_bia,
        "2026-03-11T10:00",
        notes="Ação — “quoted” \\ \n\t 中",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=2"},
    )
    book(client_bia, "2026-03-12T10:00", fields={"pre": {"room": "3"}})
    cancelled = book(client_bia, "2026-03-14T09:00")
    session_set_status(
        member=request.getfixturevalue("owner"), session_id=cancelled.pk, status="cancelled", version=1
    )
    Session.objects.filter(pk=theos_session.pk).update(
        recorded_at=theos_session.starts_at, actual_duration_minutes=55, video_url="https://v.example/ä"
    )
    start, end = "2026-03-09", "2026-03-16"
    response = api(member).get("sessions", start=start, end=end)
    assert response.status_code == 200
    begin, finish = parse_range(member, start, end)
    instances = list(
        sessions_in_range(
            member, begin, finish, client_id=None, practitioner_id=None, status=None, field_filters={}
        )
    )
    assert len(instances) == 4 and len(response.json()["items"]) == 4
    expected = json.dumps(
        {"items": sessions_to_json(member, instances), "next_cursor": None},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    assert response.content == expected
    assert response.json() == json.loads(expected)
