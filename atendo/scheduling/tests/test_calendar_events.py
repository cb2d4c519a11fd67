"""`GET calendar?start=&end=`: the calendar's lean events — their shape, the same door as the range
list (access, filters), no clinical content for anyone, "+N more" per day, workspace days."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from atendo.scheduling.models import Session
from atendo.scheduling.services import session_save_phase
from tests.factories import (
    ClientFactory,
    FieldDefinitionFactory,
    TherapyTypeFactory,
    WorkspaceFactory,
    owner_of,
)

pytestmark = pytest.mark.django_db

MARCH = {"start": "2026-03-01", "end": "2026-04-01"}
EVENT_KEYS = {
    "id",
    "title",
    "name",
    "start",
    "end",
    "status",
    "practitioner_id",
    "therapy_type_id",
    "version",
    "flags",
}


def _calendar(api, member, **params):
    response = api(member).get("calendar", **params)
    assert response.status_code == 200, response.content
    return response.json()


def test_an_event_carries_what_the_calendar_draws(api, owner, therapist, client_ana, book, workspace):
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", color="#2f9e8f")
    plain = book(client_ana, "2026-03-10T10:00", minutes=50, name="Primeira")
    typed = book(client_ana, "2026-03-11T14:30", practitioner_id=therapist.pk, therapy_type_id=reiki.pk)
    Session.objects.filter(pk=typed.pk).update(recorded_at=dt.datetime(2026, 3, 11, 18, 0, tzinfo=dt.UTC))
    body = _calendar(api, owner, **MARCH)
    assert body["timezone"] == "America/Sao_Paulo"
    assert (body["start"], body["end"]) == ("2026-03-01T00:00:00-03:00", "2026-04-01T00:00:00-03:00")
    assert body["per_day"] is None and body["more"] == []
    first, second = body["events"]
    assert set(first) == EVENT_KEYS
    assert first == {
        "id": plain.pk,
        "title": "Ana Cliente",
        "name": "Primeira",
        "start": "2026-03-10T10:00:00-03:00",
        "end": "2026-03-10T10:50:00-03:00",
        "status": "scheduled",
        "practitioner_id": owner.pk,
        "therapy_type_id": None,
        "version": 1,
        "flags": [],
    }
    assert (second["id"], second["therapy_type_id"], second["flags"]) == (typed.pk, reiki.pk, ["recorded"])
    assert body["practitioners"] == [
        {"id": owner.pk, "name": owner.display_name},
        {"id": therapist.pk, "name": "Theo Therapist"},
    ]
    assert body["therapy_types"] == [
        {"id": reiki.pk, "name": "Reiki", "color": "#2f9e8f", "text_color": "#000000"}
    ]


def test_a_late_cancellation_is_flagged(api, owner, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00")
    Session.objects.filter(pk=session.pk).update(
        status="cancelled", cancellation_late=True, cancelled_by="client"
    )
    (event,) = _calendar(api, owner, **MARCH)["events"]
    assert (event["status"], event["flags"]) == ("cancelled", ["late_cancellation"])


@pytest.fixture
def clinical_session(owner, therapist, client_ana, book, workspace):
    """A session of the therapist's client with a marker in every clinical place."""
    FieldDefinitionFactory(
        workspace=workspace, scope="session", phase="during", key="mood", label="Mood", type="text"
    )
    session = book(client_ana, "2026-03-10T10:00", practitioner_id=therapist.pk, notes="QZXnotesXZQ")
    session_save_phase(
        member=owner, session_id=session.pk, phase="during", values={"mood": "QZXmoodXZQ"}, version=1
    )
    return session


@pytest.mark.parametrize("persona", ["owner", "therapist", "other_therapist", "assistant"])
def test_no_persona_receives_clinical_content_and_all_see_the_same_events(
    api, request, owner, clinical_session, persona
):
    member = request.getfixturevalue(persona)
    response = api(member).get("calendar", **MARCH)
    assert response.status_code == 200
    assert b"QZX" not in response.content
    assert response.json() == _calendar(api, owner, **MARCH)
    # The details come with the session when it is opened, redacted for its reader as ever.
    detail = api(member).get(f"sessions/{clinical_session.pk}").json()
    readers = {"owner", "therapist"}
    assert (detail.get("notes") == "QZXnotesXZQ") == (persona in readers)


def test_without_session_read_the_calendar_is_refused(api, receptionist, client_ana, book):
    book(client_ana, "2026-03-10T10:00")
    response = api(receptionist).get("calendar", **MARCH)
    assert response.status_code == 403
    assert response.json()["error"]["code"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "cancelled"},
        {"status": ["scheduled", "completed"]},
        {"client_id": "CLIENT"},
        {"practitioner_id": "THERAPIST"},
        {"field.room": "2"},
        {"field.mood": "calm"},  # clinical: only over clients whose notes the member reads
    ],
)
@pytest.mark.parametrize("persona", ["owner", "therapist", "other_therapist", "assistant"])
def test_the_same_sessions_as_the_range_list(
    api, request, owner, therapist, client_ana, client_bia, book, workspace, params, persona
):
    for key, clinical in (("room", False), ("mood", True)):
        FieldDefinitionFactory(
            workspace=workspace,
            scope="session",
            phase="pre",
            key=key,
            label=key.title(),
            type="text",
            clinical=clinical,
            filterable=True,
        )
    for i, client in enumerate([client_ana, client_bia] * 3):
        session = book(
            client,
            f"2026-03-{10 + i}T10:00",
            practitioner_id=therapist.pk if i % 2 else owner.pk,
            fields={"pre": {"room": str(i % 3), "mood": "calm"}},
        )
        if i == 4:
            Session.objects.filter(pk=session.pk).update(status="cancelled")
    substitutes = {"CLIENT": client_bia.pk, "THERAPIST": therapist.pk}
    filled = {k: substitutes.get(v, v) if isinstance(v, str) else v for k, v in params.items()}
    member = request.getfixturevalue(persona)
    listed = api(member).get("sessions", **MARCH, **filled).json()["items"]
    drawn = _calendar(api, member, **MARCH, **filled)["events"]
    assert [e["id"] for e in drawn] == [s["id"] for s in listed]
    assert [(e["start"], e["end"], e["title"]) for e in drawn] == [
        (s["starts_at"], s["ends_at"], s["client_name"]) for s in listed
    ]


def test_a_busy_day_answers_k_events_and_counts_the_rest(api, owner, therapist, workspace):
    clients = [ClientFactory(workspace=workspace, name=f"Cliente {i:02d}") for i in range(30)]
    start = dt.datetime(2026, 3, 10, 7, 0, tzinfo=workspace.tz)
    rows = [
        Session(
            workspace=workspace,
            name=f"Busy {i}",
            client=clients[i],
            practitioner=owner if i % 2 else therapist,
            starts_at=start + dt.timedelta(minutes=20 * i),
            ends_at=start + dt.timedelta(minutes=20 * i + 50),
            duration_minutes=50,
        )
        for i in range(30)
    ]
    quiet = [
        Session(
            workspace=workspace,
            name="Quiet",
            client=clients[0],
            practitioner=owner,
            starts_at=dt.datetime(2026, 3, 12, 9 + i, 0, tzinfo=workspace.tz),
            ends_at=dt.datetime(2026, 3, 12, 9 + i, 50, tzinfo=workspace.tz),
            duration_minutes=50,
        )
        for i in range(3)
    ]
    Session.objects.bulk_create(rows + quiet)
    body = _calendar(api, owner, **MARCH, per_day=4)
    assert body["per_day"] == 4
    assert [e["name"] for e in body["events"]] == [
        "Busy 0",
        "Busy 1",
        "Busy 2",
        "Busy 3",
        "Quiet",
        "Quiet",
        "Quiet",
    ]
    assert body["more"] == [{"date": "2026-03-10", "more": 26}]
    # Only the practitioners of the events shown are named.
    assert {p["id"] for p in body["practitioners"]} == {owner.pk, therapist.pk}
    # Without per_day: every session.
    assert len(_calendar(api, owner, **MARCH)["events"]) == 33


def test_days_split_at_the_workspace_midnight(api, owner, client_ana, book):
    """São Paulo: 23:30 on the 10th is 02:30 UTC on the 11th, and still the 10th's."""
    late = [book(client_ana, f"2026-03-10T{h}:{m}", minutes=15) for h, m in (("22", "00"), ("23", "30"))]
    early = book(client_ana, "2026-03-11T00:15", minutes=15)
    body = _calendar(api, owner, **MARCH, per_day=1)
    assert [e["id"] for e in body["events"]] == [late[0].pk, early.pk]
    assert body["more"] == [{"date": "2026-03-10", "more": 1}]
    assert body["events"][1]["start"] == "2026-03-11T00:15:00-03:00"


def test_tokyo_days_split_at_tokyo_midnight(api):
    tokyo = WorkspaceFactory(slug="tokyo", timezone="Asia/Tokyo")
    owner = owner_of(tokyo)
    client = ClientFactory(workspace=tokyo, name="Yuki")
    from atendo.scheduling.services import session_create

    def book(starts_at):
        return session_create(
            member=owner, client_id=client.pk, name="S", starts_at=starts_at, duration_minutes=30
        ).session

    # 00:10 and 08:59 in Tokyo on the 11th are the 10th in UTC (15:10 and 23:59); 09:00 is the 11th.
    sessions = [
        book(t) for t in ("2026-03-10T23:50", "2026-03-11T00:10", "2026-03-11T08:59", "2026-03-11T09:00")
    ]
    body = _calendar(api, owner, start="2026-03-10", end="2026-03-12", per_day=1)
    assert [e["id"] for e in body["events"]] == [sessions[0].pk, sessions[1].pk]
    assert body["more"] == [{"date": "2026-03-11", "more": 2}]
    assert body["events"][1]["start"] == "2026-03-11T00:10:00+09:00"


def test_a_session_begun_before_the_range_counts_on_its_first_day(api, owner, client_ana, book):
    overnight = book(client_ana, "2026-02-28T23:00", minutes=120)
    morning = book(client_ana, "2026-03-01T09:00")
    body = _calendar(api, owner, **MARCH, per_day=1)
    assert [e["id"] for e in body["events"]] == [overnight.pk]
    assert body["more"] == [{"date": "2026-03-01", "more": 1}]
    assert morning.pk


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"end": "2026-04-01"}, "start"),
        ({"start": "2026-03-01"}, "end"),
        ({"start": "garbage", "end": "2026-04-01"}, "start"),
        ({"start": "2026-03-01", "end": "2026-09-01"}, "end"),
        ({"start": "2026-03-02", "end": "2026-03-01"}, "end"),
        ({**MARCH, "per_day": "0"}, "per_day"),
        ({**MARCH, "per_day": "51"}, "per_day"),
        ({**MARCH, "per_day": "many"}, "per_day"),
        ({**MARCH, "status": "nope"}, "status"),
        ({**MARCH, "field.nothing": "1"}, "field.nothing"),
        ({**MARCH, "practitioner_id": "x"}, "practitioner_id"),
    ],
)
def test_bad_queries_are_422_naming_the_parameter(api, owner, params, path):
    response = api(owner).get("calendar", **params)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert path in [f["path"] for f in error["fields"]]
    assert all(f["message"] for f in error["fields"])


def test_a_constant_number_of_queries(api, owner, therapist, workspace, django_assert_max_num_queries):
    types = [TherapyTypeFactory(workspace=workspace, name=f"T{i}") for i in range(3)]
    clients = [ClientFactory(workspace=workspace, name=f"C{i}") for i in range(20)]
    rows = []
    for i in range(200):
        start = dt.datetime(2026, 3, 1 + i % 28, 8 + i % 10, 0, tzinfo=workspace.tz)
        rows.append(
            Session(
                workspace=workspace,
                name="S",
                client=clients[i % 20],
                practitioner=owner if i % 2 else therapist,
                therapy_type=types[i % 3],
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=50),
                duration_minutes=50,
            )
        )
    Session.objects.bulk_create(rows)
    client = api(owner)
    client.get("calendar", **MARCH)  # the token's first use writes its last-used time
    with django_assert_max_num_queries(8):
        assert len(client.get("calendar", **MARCH).json()["events"]) == 200
    with django_assert_max_num_queries(9):
        body = client.get("calendar", **MARCH, per_day=5).json()
    assert len(body["events"]) == 5 * 28 and sum(m["more"] for m in body["more"]) == 60


def test_the_answer_is_gzipped_when_the_browser_asks(api, owner, client_ana, book):
    for day in range(1, 29):
        book(client_ana, f"2026-03-{day:02d}T10:00")
    client = api(owner)
    plain = client.get("calendar", **MARCH)
    zipped = client.http.get(client.url("calendar"), MARCH, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert json.loads(gzip.decompress(zipped.content)) == plain.json()
    assert len(zipped.content) < len(plain.content) / 3
