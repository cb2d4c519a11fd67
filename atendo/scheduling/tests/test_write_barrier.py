"""The clinical barrier on writes to sessions, persona by persona, through the API and the pages.

- Nobody widens their own clinical access, and booking or moving a session assigns its
  practitioner only when the writer holds `client.assign` (the owner here).
- Changing a session's client, practitioner or therapy type, or deleting it, needs read access to
  its clinical content: 403 for everyone else, whether or not the session holds any.
- A save never drops what the saver cannot see, and the answer to a write never depends on it.
- Notes have one limit, at every door.

Theo (`therapist`) is assigned to Ana, Olga (`other_therapist`) to Bia; the owner reads everything;
the assistant reads no clinical content.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from atendo.scheduling import sealing
from atendo.scheduling.models import MAX_NOTES_LENGTH, Session
from atendo.workspaces.models import Role
from atendo.workspaces.services import role_update
from tests.factories import FieldDefinitionFactory, TherapyTypeFactory, owner_of

pytestmark = pytest.mark.django_db

READERS = ["owner", "therapist"]
NON_READERS = ["other_therapist", "assistant"]
BASE = "/w/serena/sessions"


def assign(api: Any, owner: Any, client: Any, member: Any) -> None:
    response = api(owner).post(f"clients/{client.pk}/practitioners", {"member_id": member.pk})
    assert response.status_code == 200, response.content


def create(api: Any, member: Any, client: Any, practitioner: Any, **extra: Any) -> Any:
    body = {"name": "Sessão", "client_id": client.pk, "practitioner_id": practitioner.pk}
    body.setdefault("starts_at", "2026-03-10T10:00")
    body.update(extra)
    response = api(member).post("sessions", body)
    assert response.status_code == 201, response.content
    return Session.objects.get(pk=response.json()["session"]["id"])


def notes_seen_by(api: Any, member: Any, session: Session) -> str | None:
    body = api(member).get(f"sessions/{session.pk}").json()
    return body.get("notes")


def grant(member: Any, *codes: str) -> None:
    """Give a persona's role more permissions (a practice editing its roles, as its owner)."""
    role = Role.objects.get(pk=member.role_id)
    role_update(
        member=owner_of(member.workspace), role_id=role.pk, permissions=sorted({*role.permissions, *codes})
    )
    member.role.refresh_from_db()


@pytest.fixture
def world(api, owner, therapist, other_therapist, assistant, client_ana, client_bia, workspace):
    """Ana's session with Theo, full of clinical content; Bia's session with Olga."""
    assign(api, owner, client_ana, therapist)
    assign(api, owner, client_bia, other_therapist)
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
        workspace=workspace,
        scope="session",
        phase="during",
        key="room_temp",
        label="Room temperature",
        type="number",
        clinical=False,
    )
    FieldDefinitionFactory(
        workspace=workspace, scope="session", phase="during", key="mood", label="Mood", type="text"
    )
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki")
    massage = TherapyTypeFactory(workspace=workspace, name="Massagem")
    FieldDefinitionFactory(
        workspace=workspace,
        scope="therapy_type",
        therapy_type=reiki,
        key="chakras",
        label="Chakras",
        type="text",
    )
    ana = create(
        api,
        owner,
        client_ana,
        therapist,
        notes="Sensitive",
        therapy_type_id=reiki.pk,
        fields={"pre": {"room": "2"}},
    )
    owner_api = api(owner)
    assert (
        owner_api.put(
            f"sessions/{ana.pk}/fields/during", {"version": 1, "values": {"mood": "anxious"}}
        ).status_code
        == 200
    )
    recorded = owner_api.post(
        f"sessions/{ana.pk}/record", {"version": 2, "therapy_fields": {"chakras": "root"}}
    )
    assert recorded.status_code == 200, recorded.content
    bia = create(api, owner, client_bia, other_therapist, starts_at="2026-03-11T10:00", notes="Bia's notes")
    empty = create(api, owner, client_ana, therapist, starts_at="2026-03-12T10:00")
    return {
        "ana": Session.objects.get(pk=ana.pk),
        "bia": bia,
        "empty": empty,
        "reiki": reiki,
        "massage": massage,
    }


def _clinical_state(session: Session) -> tuple[Any, ...]:
    s = Session.objects.get(pk=session.pk)
    return (s.client_id, s.practitioner_id, s.therapy_type_id, s.notes, s.during_fields, s.therapy_fields)


# --- self-granted access --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["therapist", "other_therapist"])
def test_booking_a_colleagues_client_with_oneself_opens_nothing(
    api, request, world, client_ana, client_bia, persona
):
    member = request.getfixturevalue(persona)
    theirs, client = (world["bia"], client_bia) if persona == "therapist" else (world["ana"], client_ana)
    assert notes_seen_by(api, member, theirs) is None
    create(api, member, client, member, starts_at="2026-03-20T10:00")
    assert notes_seen_by(api, member, theirs) is None


@pytest.mark.parametrize("persona", ["therapist", "other_therapist"])
def test_booking_a_colleagues_client_with_oneself_through_the_page_opens_nothing(
    api, page_client, request, world, client_ana, client_bia, persona
):
    member = request.getfixturevalue(persona)
    theirs, client = (world["bia"], client_bia) if persona == "therapist" else (world["ana"], client_ana)
    form = {
        "name": "Cobertura",
        "client": client.pk,
        "practitioner": member.pk,
        "therapy_type": "",
        "date": "2026-03-20",
        "start_time": "10:00",
        "duration_minutes": 50,
        "status": "scheduled",
        "admin_notes": "",
    }
    assert page_client(member).post(f"{BASE}/new/", form).status_code == 302
    page = page_client(member).get(f"{BASE}/{theirs.pk}/").content.decode()
    assert "Sensitive" not in page and "Bia&#x27;s notes" not in page and "Bia's notes" not in page
    assert notes_seen_by(api, member, theirs) is None


@pytest.mark.parametrize(
    ("persona", "assigns"), [("owner", True), ("assistant", False), ("therapist", False)]
)
def test_booking_assigns_the_practitioner_only_for_a_booker_with_client_assign(
    api, request, world, client_ana, other_therapist, persona, assigns
):
    create(api, request.getfixturevalue(persona), client_ana, other_therapist, starts_at="2026-03-20T10:00")
    assert (notes_seen_by(api, other_therapist, world["ana"]) == "Sensitive") is assigns


def test_a_front_desk_given_client_assign_assigns_by_booking(
    api, world, assistant, client_ana, other_therapist
):
    grant(assistant, "client.assign")
    create(api, assistant, client_ana, other_therapist, starts_at="2026-03-20T10:00")
    assert notes_seen_by(api, other_therapist, world["ana"]) == "Sensitive"


def test_moving_ones_session_to_another_client_does_not_open_that_client(api, world, therapist, client_bia):
    empty = world["empty"]
    response = api(therapist).patch(
        f"sessions/{empty.pk}", {"version": empty.version, "client_id": client_bia.pk}
    )
    assert response.status_code == 200, response.content
    assert notes_seen_by(api, therapist, world["bia"]) is None


def test_the_owner_moving_a_session_assigns_its_practitioner(api, owner, world, therapist, client_bia):
    empty = world["empty"]
    response = api(owner).patch(
        f"sessions/{empty.pk}", {"version": empty.version, "client_id": client_bia.pk}
    )
    assert response.status_code == 200
    assert notes_seen_by(api, therapist, world["bia"]) == "Bia's notes"


# --- moving content -------------------------------------------------------------------------------


def _move(world: dict[str, Any], member: Any, change: str, client_bia: Any) -> dict[str, Any]:
    return {
        "client_id": {"client_id": client_bia.pk},
        # The reported hole: a colleague (or the assistant) making themselves the practitioner.
        "practitioner_id": {"practitioner_id": member.pk},
        "therapy_type_id": {"therapy_type_id": world["massage"].pk},
    }[change]


@pytest.mark.parametrize("persona", NON_READERS)
@pytest.mark.parametrize("change", ["client_id", "practitioner_id", "therapy_type_id"])
@pytest.mark.parametrize("which", ["ana", "empty"])
def test_non_readers_cannot_move_a_session_whether_or_not_it_holds_content(
    api, request, world, client_bia, persona, change, which
):
    member = request.getfixturevalue(persona)
    # An assistant who also sees clients (offers sessions), so the refusal is the barrier's, not
    # "this member is no practitioner" (a 422 for any booker).
    type(member).objects.filter(pk=member.pk).update(offers_sessions=True)
    member.refresh_from_db()
    session = world[which]
    before = _clinical_state(session)
    body = {"version": session.version, **_move(world, member, change, client_bia)}
    response = api(member).patch(f"sessions/{session.pk}", body)
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "clinical_forbidden",
        "message": "Changing the client, practitioner or therapy type of a session needs read access "
        "to its clinical content.",
        "fields": [],
    }
    assert _clinical_state(session) == before
    assert Session.objects.get(pk=session.pk).version == session.version


@pytest.mark.parametrize("persona", READERS)
@pytest.mark.parametrize("change", ["client_id", "practitioner_id", "therapy_type_id"])
def test_readers_may_move_a_session(api, request, world, client_bia, other_therapist, persona, change):
    member = request.getfixturevalue(persona)
    session = world["ana"]
    move = _move(world, other_therapist, change, client_bia)
    response = api(member).patch(f"sessions/{session.pk}", {"version": session.version, **move})
    assert response.status_code == 200, response.content
    assert getattr(Session.objects.get(pk=session.pk), change) == next(iter(move.values()))


@pytest.mark.parametrize("persona", NON_READERS)
def test_non_readers_still_move_the_time_and_the_status(api, request, world, persona):
    member = request.getfixturevalue(persona)
    session = world["ana"]
    response = api(member).patch(
        f"sessions/{session.pk}", {"version": session.version, "start_time": "11:00", "status": "cancelled"}
    )
    assert response.status_code == 200, response.content
    assert _clinical_state(session) == _clinical_state(world["ana"])


def test_a_series_move_needs_read_access_to_every_session_it_reaches(
    api, owner, therapist, other_therapist, world, client_ana, client_bia
):
    # Olga's series with Ana (whom Theo reads); its last session moves to Bia (whom Theo does not).
    first = create(
        api,
        owner,
        client_ana,
        other_therapist,
        starts_at="2026-04-06T10:00",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
    )
    series = list(Session.objects.filter(series_id=first.series_id).order_by("starts_at"))
    last = series[-1]
    assert (
        api(owner).patch(f"sessions/{last.pk}", {"version": 1, "client_id": client_bia.pk}).status_code == 200
    )
    refused = api(therapist).patch(
        f"sessions/{first.pk}", {"version": 1, "scope": "all", "therapy_type_id": world["massage"].pk}
    )
    assert refused.status_code == 403
    assert {s.therapy_type_id for s in Session.objects.filter(series_id=first.series_id)} == {None}
    alone = api(therapist).patch(
        f"sessions/{first.pk}", {"version": 1, "therapy_type_id": world["massage"].pk}
    )
    assert alone.status_code == 200


@pytest.mark.parametrize("persona", NON_READERS)
def test_the_edit_page_of_a_non_reader_cannot_move_the_session(
    page_client, request, world, client_bia, persona
):
    member = request.getfixturevalue(persona)
    session = world["ana"]
    http = page_client(member)
    page = http.get(f"{BASE}/{session.pk}/edit/").content.decode()
    for name in ("client", "practitioner", "therapy_type"):
        assert re.search(rf'<select name="{name}"[^>]*\sdisabled[\s>]', page), name
    form = {
        "name": "Renomeada",
        "client": client_bia.pk,
        "practitioner": member.pk,
        "therapy_type": world["massage"].pk,
        "date": "2026-03-10",
        "start_time": "10:00",
        "duration_minutes": 60,
        "status": "completed",
        "admin_notes": "",
        "version": session.version,
    }
    assert http.post(f"{BASE}/{session.pk}/edit/", form).status_code == 302
    after = Session.objects.get(pk=session.pk)
    assert after.name == "Renomeada"
    assert _clinical_state(after) == _clinical_state(world["ana"])


@pytest.mark.parametrize("persona", READERS)
def test_the_edit_page_of_a_reader_moves_the_session(page_client, request, world, client_bia, persona):
    member = request.getfixturevalue(persona)
    session = world["ana"]
    form = {
        "name": session.name,
        "client": client_bia.pk,
        "practitioner": session.practitioner_id,
        "therapy_type": world["reiki"].pk,
        "date": "2026-03-10",
        "start_time": "10:00",
        "duration_minutes": 60,
        "status": "completed",
        "notes": "Sensitive",
        "admin_notes": "",
        "version": session.version,
    }
    assert page_client(member).post(f"{BASE}/{session.pk}/edit/", form).status_code == 302
    assert Session.objects.get(pk=session.pk).client_id == client_bia.pk


# --- deleting -------------------------------------------------------------------------------------


@pytest.fixture
def deleters(assistant):
    """The assistant may delete sessions too, so only the clinical rule stands in the way."""
    grant(assistant, "session.delete")


@pytest.mark.parametrize("persona", NON_READERS)
@pytest.mark.parametrize("which", ["ana", "empty"])
def test_non_readers_cannot_delete_a_session_whether_or_not_it_holds_content(
    api, request, world, deleters, persona, which
):
    member = request.getfixturevalue(persona)
    session = world[which]
    for response in (
        api(member).get(f"sessions/{session.pk}/delete-preview"),
        api(member).delete(f"sessions/{session.pk}"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "clinical_forbidden"
    assert Session.objects.filter(pk=session.pk).exists()


@pytest.mark.parametrize("persona", READERS)
def test_readers_may_delete_a_session(api, request, world, persona):
    member = request.getfixturevalue(persona)
    assert api(member).get(f"sessions/{world['ana'].pk}/delete-preview").status_code == 200
    assert api(member).delete(f"sessions/{world['ana'].pk}").status_code == 200
    assert not Session.objects.filter(pk=world["ana"].pk).exists()


@pytest.mark.parametrize("scope", ["following", "all"])
def test_a_series_delete_needs_read_access_to_every_session_it_reaches(
    api, owner, therapist, other_therapist, client_ana, client_bia, world, scope
):
    # Olga's series with Ana (whom Theo reads); its last session moves to Bia (whom Theo does not).
    first = create(
        api,
        owner,
        client_ana,
        other_therapist,
        starts_at="2026-04-06T10:00",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
    )
    last = Session.objects.filter(series_id=first.series_id).order_by("-starts_at").first()
    assert (
        api(owner).patch(f"sessions/{last.pk}", {"version": 1, "client_id": client_bia.pk}).status_code == 200
    )
    response = api(therapist).delete(f"sessions/{first.pk}?scope={scope}")
    assert response.status_code == 403
    assert Session.objects.filter(series_id=first.series_id).count() == 3


@pytest.mark.parametrize("persona", NON_READERS)
def test_the_delete_page_refuses_non_readers(page_client, request, world, deleters, persona):
    member = request.getfixturevalue(persona)
    session = world["ana"]
    http = page_client(member)
    assert f"{BASE}/{session.pk}/delete/" not in http.get(f"{BASE}/{session.pk}/").content.decode()
    assert http.get(f"{BASE}/{session.pk}/delete/").status_code == 403
    assert http.post(f"{BASE}/{session.pk}/delete/").status_code == 403
    assert Session.objects.filter(pk=session.pk).exists()


@pytest.mark.parametrize("persona", READERS)
def test_the_delete_page_deletes_for_readers(page_client, request, world, persona):
    session = world["ana"]
    http = page_client(request.getfixturevalue(persona))
    assert f"{BASE}/{session.pk}/delete/" in http.get(f"{BASE}/{session.pk}/").content.decode()
    assert http.post(f"{BASE}/{session.pk}/delete/").status_code == 302
    assert not Session.objects.filter(pk=session.pk).exists()


# --- erasing and oracles: phase saves and notes -------------------------------------------------------


@pytest.mark.parametrize("persona", NON_READERS)
def test_a_non_readers_phase_save_keeps_what_they_cannot_see(api, page_client, request, world, persona):
    member = request.getfixturevalue(persona)
    session = world["ana"]
    response = api(member).put(
        f"sessions/{session.pk}/fields/during", {"version": session.version, "values": {}}
    )
    assert response.status_code == 200, response.content
    assert sealing.open_phase(Session.objects.get(pk=session.pk), "during") == {"mood": "anxious"}
    page = page_client(member).post(
        f"{BASE}/{session.pk}/fields/during/",
        {"version": session.version + 1, "fields.during.room_temp": "21", "fields.during.mood": "calm"},
    )
    assert page.status_code == 302
    assert sealing.open_phase(Session.objects.get(pk=session.pk), "during") == {
        "mood": "anxious",
        "room_temp": 21,
    }


@pytest.mark.parametrize("persona", NON_READERS)
def test_a_non_readers_phase_save_answers_the_same_whether_hidden_required_values_exist(
    api, owner, request, world, workspace, persona
):
    """A required clinical field is not theirs to fill: a 422 naming it would say it is empty."""
    member = request.getfixturevalue(persona)
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="during",
        key="risk",
        label="Risk",
        type="text",
        required=True,
    )
    filled, empty = world["ana"], world["empty"]
    values = {"mood": "anxious", "risk": "low"}
    assert (
        api(owner)
        .put(f"sessions/{filled.pk}/fields/during", {"version": filled.version, "values": values})
        .status_code
        == 200
    )
    answers = []
    for session in (Session.objects.get(pk=filled.pk), empty):
        response = api(member).put(
            f"sessions/{session.pk}/fields/during", {"version": session.version, "values": {"room_temp": 20}}
        )
        answers.append(response.status_code)
    assert answers == [200, 200]
    assert sealing.open_phase(Session.objects.get(pk=filled.pk), "during") == {
        "mood": "anxious",
        "risk": "low",
        "room_temp": 20,
    }
    assert sealing.open_phase(Session.objects.get(pk=empty.pk), "during") == {"room_temp": 20}


@pytest.mark.parametrize("persona", NON_READERS)
@pytest.mark.parametrize("key", ["mood", "no_such_field"])
def test_a_non_readers_phase_save_with_a_hidden_key_is_refused_whatever_the_value(
    api, request, world, persona, key
):
    member = request.getfixturevalue(persona)
    session = world["ana"]
    bodies = []
    for guess in ("anxious", "calm"):
        response = api(member).put(
            f"sessions/{session.pk}/fields/during", {"version": session.version, "values": {key: guess}}
        )
        assert response.status_code == 403
        bodies.append(response.json())
    assert bodies[0] == bodies[1]
    assert bodies[0]["error"]["code"] == "clinical_forbidden"
    assert sealing.open_phase(Session.objects.get(pk=session.pk), "during") == {"mood": "anxious"}


@pytest.mark.parametrize("persona", NON_READERS)
@pytest.mark.parametrize("which", ["ana", "empty"])
def test_notes_from_a_non_reader_are_refused_whatever_they_say(api, request, world, persona, which):
    """Before: the hidden notes themselves answered 200, a wrong guess 403."""
    member = request.getfixturevalue(persona)
    session = world[which]
    bodies = []
    for guess in ("Sensitive", "A wrong guess", ""):
        response = api(member).patch(f"sessions/{session.pk}", {"version": session.version, "notes": guess})
        assert response.status_code == 403
        bodies.append(response.json())
    assert bodies[0] == bodies[1] == bodies[2]
    assert Session.objects.get(pk=session.pk).version == session.version


@pytest.mark.parametrize("persona", READERS)
def test_readers_edit_notes(api, request, world, persona):
    session = world["ana"]
    response = api(request.getfixturevalue(persona)).patch(
        f"sessions/{session.pk}", {"version": session.version, "notes": "Revisadas"}
    )
    assert response.status_code == 200
    assert sealing.open_notes(Session.objects.get(pk=session.pk)) == "Revisadas"


# --- one notes limit --------------------------------------------------------------------------------


@pytest.mark.parametrize("door", ["create", "update", "record"])
def test_notes_have_one_limit_at_every_door(api, owner, therapist, client_ana, world, door):
    longest, too_long = "n" * MAX_NOTES_LENGTH, "n" * (MAX_NOTES_LENGTH + 1)

    def send(notes: str) -> Any:
        client = api(therapist)
        if door == "create":
            return client.post(
                "sessions",
                {"name": "S", "client_id": client_ana.pk, "starts_at": "2026-03-20T10:00", "notes": notes},
            )
        session = Session.objects.get(pk=world["empty"].pk)
        if door == "update":
            return client.patch(f"sessions/{session.pk}", {"version": session.version, "notes": notes})
        return client.post(f"sessions/{session.pk}/record", {"version": session.version, "notes": notes})

    refused = send(too_long)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == [
        {"path": "notes", "message": f"Use at most {MAX_NOTES_LENGTH} characters."}
    ]
    assert send(longest).status_code == {"create": 201, "update": 200, "record": 200}[door]
