"""Calendar range, list mode (cursor), filters (including custom fields), CSV export, query counts."""

from __future__ import annotations

import csv
import io

import pytest

from atendo.fields.models import FieldDefinition
from atendo.scheduling.models import Session
from atendo.scheduling.services import session_save_phase, session_set_status

pytestmark = pytest.mark.django_db


def _ids(response):
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["items"]]


def test_range_returns_sessions_intersecting_it(api, owner, client_ana, book):
    before = book(client_ana, "2026-03-09T23:00", minutes=30)  # ends before the range
    straddling = book(client_ana, "2026-03-09T23:30", minutes=60)  # ends inside
    inside = book(client_ana, "2026-03-10T10:00")
    long_one = book(client_ana, "2026-03-10T20:00", minutes=1440)  # started in range, runs past it
    at_end = book(client_ana, "2026-03-11T00:00")  # starts exactly at the end: excluded
    response = api(owner).get("sessions", start="2026-03-10T00:00", end="2026-03-11T00:00")
    assert _ids(response) == [straddling.pk, inside.pk, long_one.pk]
    assert before.pk and at_end.pk
    assert response.json()["next_cursor"] is None


def test_a_day_long_session_from_the_previous_day_is_found(api, owner, client_ana, book):
    overnight = book(client_ana, "2026-03-09T12:00", minutes=1440)
    assert _ids(api(owner).get("sessions", start="2026-03-10", end="2026-03-11")) == [overnight.pk]


def test_range_with_dates_is_read_in_the_workspace_zone(api, owner, client_ana, book):
    late = book(client_ana, "2026-03-10T22:30", minutes=30)  # 01:30 UTC on the 11th
    assert _ids(api(owner).get("sessions", start="2026-03-10", end="2026-03-11")) == [late.pk]
    assert _ids(api(owner).get("sessions", start="2026-03-11", end="2026-03-12")) == []


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"start": "2026-03-10", "end": "2026-03-09"}, "end"),
        ({"start": "2026-03-10", "end": "2026-03-10"}, "end"),
        ({"start": "2026-01-01", "end": "2026-06-01"}, "end"),
        ({"start": "2026-02-30", "end": "2026-03-10"}, "start"),
        ({"start": "2026-03-01"}, "end"),
        ({"end": "2026-03-01"}, "start"),
        ({"start": "garbage", "end": "2026-03-10"}, "start"),
        ({"start": "2026-03-01", "end": "2026-03-10", "status": "nope"}, "status"),
        ({"sort": "notes"}, "sort"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "WyIyMDI2LTAzLTEwVDEwOjAwOjAwKzAwOjAwIiwxMTgwNTkxNjIwNzE3NDExMzAzNDI0XQ"}, "cursor"),
        ({"sort": "duration_minutes", "cursor": "Wzk5OTk5OTk5OTk5OTk5LDFd"}, "cursor"),
        ({"field.nothing": "1"}, "field.nothing"),
        ({"limit": "0"}, "limit"),
        ({"client_id": "x"}, "client_id"),
    ],
)
def test_bad_queries_are_422_naming_the_parameter(api, owner, params, path):
    response = api(owner).get("sessions", **params)
    assert response.status_code == 422, response.content
    assert path in [f["path"] for f in response.json()["error"]["fields"]]


def test_filters_by_client_practitioner_and_status(api, owner, therapist, client_ana, client_bia, book):
    a = book(client_ana, "2026-03-10T10:00")
    b = book(client_bia, "2026-03-10T11:00", practitioner_id=therapist.pk)
    c = book(client_bia, "2026-03-10T14:00")
    session_set_status(member=owner, session_id=c.pk, status="cancelled", version=1)
    rng = {"start": "2026-03-10", "end": "2026-03-11"}
    client = api(owner)
    assert _ids(client.get("sessions", **rng, client_id=client_bia.pk)) == [b.pk, c.pk]
    assert _ids(client.get("sessions", **rng, practitioner_id=therapist.pk)) == [b.pk]
    assert _ids(client.get("sessions", **rng, status="scheduled")) == [a.pk, b.pk]
    assert _ids(client.get("sessions", **rng, status=["scheduled", "cancelled"])) == [a.pk, b.pk, c.pk]


def test_list_mode_paginates_with_a_cursor(api, owner, client_ana, book):
    made = [book(client_ana, f"2026-03-{day:02d}T10:00") for day in (12, 10, 11, 13, 9)]
    expected = sorted(made, key=lambda s: s.starts_at)
    client = api(owner)
    first = client.get("sessions", limit=2)
    assert _ids(first) == [expected[0].pk, expected[1].pk]
    cursor = first.json()["next_cursor"]
    second = client.get("sessions", limit=2, cursor=cursor)
    assert _ids(second) == [expected[2].pk, expected[3].pk]
    third = client.get("sessions", limit=2, cursor=second.json()["next_cursor"])
    assert _ids(third) == [expected[4].pk] and third.json()["next_cursor"] is None


def test_list_mode_sorts_descending_and_by_name_with_ties(api, owner, client_ana, book):
    a = book(client_ana, "2026-03-10T10:00", name="Beta")
    b = book(client_ana, "2026-03-11T10:00", name="Alpha")
    c = book(client_ana, "2026-03-12T10:00", name="Beta")
    client = api(owner)
    assert _ids(client.get("sessions", sort="-starts_at")) == [c.pk, b.pk, a.pk]
    page = client.get("sessions", sort="name", limit=2)
    assert _ids(page) == [b.pk, a.pk]
    assert _ids(client.get("sessions", sort="name", limit=2, cursor=page.json()["next_cursor"])) == [c.pk]


@pytest.fixture
def room_field(workspace):
    """A filterable, administrative pre-session select field."""
    return FieldDefinition.objects.create(
        workspace=workspace,
        scope="session",
        phase="pre",
        key="room",
        label="Room",
        type="select",
        options=[{"value": "blue", "label": "Blue"}, {"value": "green", "label": "Green"}],
        filterable=True,
        clinical=False,
    )


@pytest.fixture
def pain_field(workspace):
    """A filterable, clinical during-session number field."""
    return FieldDefinition.objects.create(
        workspace=workspace,
        scope="session",
        phase="during",
        key="pain",
        label="Pain",
        type="number",
        filterable=True,
        clinical=True,
    )


def test_filters_by_custom_fields(api, owner, client_ana, book, room_field, pain_field):
    blue = book(client_ana, "2026-03-10T10:00", fields={"pre": {"room": "blue"}})
    green = book(client_ana, "2026-03-10T11:00", fields={"pre": {"room": "green"}})
    session_save_phase(member=owner, session_id=green.pk, phase="during", values={"pain": 7}, version=1)
    client = api(owner)
    rng = {"start": "2026-03-10", "end": "2026-03-11"}
    assert _ids(client.get("sessions", **rng, **{"field.room": "blue"})) == [blue.pk]
    assert _ids(client.get("sessions", **{"field.room": "green"})) == [green.pk]
    assert _ids(client.get("sessions", **rng, **{"field.pain": "7"})) == [green.pk]
    assert _ids(client.get("sessions", **rng, **{"field.pain": "7.0"})) == [green.pk]
    assert _ids(client.get("sessions", **rng, **{"field.pain": "3"})) == []


def test_field_filters_refuse_unknown_and_badly_typed_values(api, owner, room_field, pain_field, workspace):
    FieldDefinition.objects.create(
        workspace=workspace, scope="session", phase="pre", key="secret", label="S", type="text"
    )
    client = api(owner)
    for params, path in [
        ({"field.nope": "x"}, "field.nope"),
        ({"field.secret": "x"}, "field.secret"),  # not filterable
        ({"field.pain": "a lot"}, "field.pain"),
    ]:
        response = client.get("sessions", **params)
        assert response.status_code == 422, params
        assert response.json()["error"]["fields"][0]["path"] == path


def test_clinical_field_filter_never_reveals_hidden_values(
    api, owner, assistant, therapist, client_ana, book, pain_field
):
    s = book(client_ana, "2026-03-10T10:00")
    session_save_phase(member=owner, session_id=s.pk, phase="during", values={"pain": 7}, version=1)
    assert _ids(api(owner).get("sessions", **{"field.pain": "7"})) == [s.pk]
    assert _ids(api(assistant).get("sessions", **{"field.pain": "7"})) == []
    assert _ids(api(therapist).get("sessions", **{"field.pain": "7"})) == []  # not their client


def _make_many(owner, therapist, clients, n):
    from atendo.scheduling.services import session_create

    for i in range(n):
        session_create(
            member=owner,
            client_id=clients[i % len(clients)].pk,
            name=f"S{i}",
            starts_at=f"2026-03-{10 + i % 10:02d}T{8 + i % 10:02d}:00",
            practitioner_id=(therapist if i % 2 else owner).pk,
            notes="private",
            fields={"pre": {"room": "blue"}},
        )


@pytest.mark.parametrize("persona", ["owner", "therapist", "assistant"])
def test_range_query_count_does_not_grow_with_rows(
    api, request, owner, therapist, client_ana, client_bia, room_field, django_assert_max_num_queries, persona
):
    member = request.getfixturevalue(persona)
    client = api(member)
    _make_many(owner, therapist, [client_ana, client_bia], 4)
    # The read audit adds its one write per request (the chain's head, the event, its client rows;
    # PostgreSQL locks the chain first), the same for 4 rows as for 34.
    with django_assert_max_num_queries(11) as few:
        small = client.get("sessions", start="2026-03-01", end="2026-04-01", **{"field.room": "blue"})
    _make_many(owner, therapist, [client_ana, client_bia], 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        big = client.get("sessions", start="2026-03-01", end="2026-04-01", **{"field.room": "blue"})
    assert len(small.json()["items"]) == 4 and len(big.json()["items"]) == 34
    with django_assert_max_num_queries(len(few.captured_queries)):
        listed = client.get("sessions", limit=200)
    assert len(listed.json()["items"]) == 34


def test_csv_export_has_no_clinical_column_for_the_assistant(
    api, owner, assistant, therapist, client_ana, client_bia, book, django_assert_max_num_queries
):
    book(client_ana, "2026-03-10T10:00", notes="owner note", name="=HYPERLINK()")
    book(client_bia, "2026-03-10T11:00", practitioner_id=therapist.pk, notes="theo note")
    desk = api(assistant)  # its token is made (and audited) before the count: the export is counted
    with django_assert_max_num_queries(8):
        response = desk.get("sessions/export.csv", start="2026-03-10", end="2026-03-11")
        body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2 and "notes" not in rows[0]
    assert rows[0]["name"] == "'=HYPERLINK()"  # no formula injection
    assert "owner note" not in body and "theo note" not in body

    theo = list(
        csv.DictReader(
            io.StringIO(b"".join(api(therapist).get("sessions/export.csv").streaming_content).decode())
        )
    )
    assert [r["notes"] for r in theo] == ["", "theo note"]
    owner_rows = list(
        csv.DictReader(
            io.StringIO(b"".join(api(owner).get("sessions/export.csv").streaming_content).decode())
        )
    )
    assert [r["notes"] for r in owner_rows] == ["owner note", "theo note"]
    assert Session.objects.count() == 2


@pytest.mark.parametrize("persona", ["owner", "assistant"])
def test_range_answer_conforms_to_the_documented_schema(api, request, owner, client_ana, book, persona):
    from atendo.scheduling.api import SessionListOut

    book(client_ana, "2026-03-10T10:00", notes="n")
    body = api(request.getfixturevalue(persona)).get("sessions", start="2026-03-10", end="2026-03-11").json()
    assert SessionListOut.model_validate(body).items[0].id == body["items"][0]["id"]
