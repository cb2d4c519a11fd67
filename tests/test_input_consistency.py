"""One rule each for what every endpoint accepts: an unknown enum in a list filter is a 422 at the
parameter; an unknown key in a request body is a 422 naming it and nothing is written; an error path
names the key of the body the client sent."""

from __future__ import annotations

from typing import Any

import pytest

from atendo.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

UNKNOWN_KEY = "Unknown field; this operation does not take it."


def error_paths(response: Any) -> list[str]:
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    return [f["path"] for f in error["fields"]]


@pytest.fixture
def world(api, owner, therapist) -> dict[str, Any]:
    """A client, a session, a therapy type, a payment, an invoice, an evaluation, a role and a
    field, all made through the API as the owner."""
    client = api(owner)

    def made(response: Any) -> dict[str, Any]:
        assert response.status_code == 201, response.content
        return response.json()

    therapy_type = made(client.post("therapy-types", {"name": "Reiki", "default_price": "150.00"}))
    practice_client = made(client.post("clients", {"name": "Ana", "practitioner_ids": [therapist.pk]}))
    session = made(
        client.post(
            "sessions",
            {
                "name": "Sessão",
                "client_id": practice_client["id"],
                "practitioner_id": therapist.pk,
                "therapy_type_id": therapy_type["id"],
                "date": "2026-03-02",
                "start_time": "10:00",
                "status": "completed",
            },
        )
    )["session"]
    payment = made(client.post("payments", {"session_id": session["id"]}))
    invoice = made(client.post("invoices", {"session_ids": [session["id"]]}))
    evaluation = made(client.post("evaluations", {"client_id": practice_client["id"], "title": "Intake"}))
    role = made(client.post("roles", {"name": "Front desk", "permissions": ["session.read"]}))
    field = made(
        client.post(
            "fields",
            {
                "scope": "session",
                "phase": "post",
                "key": "mood",
                "label": "Mood",
                "type": "text",
                "clinical": False,
            },
        )
    )
    return {
        "client": practice_client,
        "session": session,
        "therapy_type": therapy_type,
        "payment": payment,
        "invoice": invoice,
        "evaluation": evaluation,
        "role": role,
        "field": field,
        "member_id": therapist.pk,
    }


# --- enum filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "params", "parameter"),
    [
        ("invoices", {"status": "nope"}, "status"),
        ("payments", {"status": "nope"}, "status"),
        ("payments", {"method": "nope"}, "method"),
        ("sessions", {"status": "bogus"}, "status"),
        ("sessions", {"sort": "bogus"}, "sort"),
        ("sessions/export.csv", {"status": "bogus"}, "status"),
        ("clients", {"archived": "maybe"}, "archived"),
        ("fields", {"scope": "planet"}, "scope"),
        ("fields", {"scope": "session", "phase": "bogus"}, "phase"),
        ("fields/schema", {"scope": "planet"}, "scope"),
        ("members", {"include_inactive": "maybe"}, "include_inactive"),
        ("therapy-types", {"include_inactive": "maybe"}, "include_inactive"),
    ],
)
def test_an_unknown_enum_in_a_list_filter_is_a_422_at_the_parameter(api, owner, resource, params, parameter):
    assert error_paths(api(owner).get(resource, **params)) == [parameter]


def test_a_known_enum_in_a_list_filter_still_filters(api, owner, world):
    client = api(owner)
    assert [i["id"] for i in client.get("invoices", status="draft").json()["items"]] == [
        world["invoice"]["id"]
    ]
    assert client.get("invoices", status="void").json()["items"] == []
    assert [p["id"] for p in client.get("payments", method="").json()["items"]] == [world["payment"]["id"]]


# --- unknown keys in request bodies ----------------------------------------------------------------


def test_every_json_request_body_refuses_unknown_keys_in_the_schema(db):
    """New write endpoints join by themselves: every object a JSON body describes (nested ones
    too) says `additionalProperties: false`, which is what InputSchema gives."""
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    loose: list[str] = []

    def visit(node: Any, where: str, seen: set[str]) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    visit(components[name], name, seen | {name})
                return
            object_with_keys = node.get("type") == "object" and node.get("properties")
            if object_with_keys and node.get("additionalProperties") is not False:
                loose.append(where)
            for value in node.values():
                visit(value, where, seen)
        elif isinstance(node, list):
            for item in node:
                visit(item, where, seen)

    bodies = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                bodies += 1
                visit(content["application/json"]["schema"], f"{method.upper()} {path}", set())
    assert bodies > 20
    assert loose == []


def test_an_unknown_key_in_a_session_patch_changes_nothing(api, owner, world):
    client = api(owner)
    session = world["session"]
    response = client.patch(
        f"sessions/{session['id']}", {"version": session["version"], "name": "Renamed", "nmae": "x"}
    )
    assert error_paths(response) == ["nmae"]
    assert response.json()["error"]["fields"][0]["message"] == UNKNOWN_KEY
    after = client.get(f"sessions/{session['id']}").json()
    assert after["version"] == session["version"] and after["name"] == "Sessão"


def test_unknown_keys_are_each_named(api, owner, world):
    response = api(owner).patch(
        f"sessions/{world['session']['id']}", {"version": world["session"]["version"], "a": 1, "b": 2}
    )
    assert sorted(error_paths(response)) == ["a", "b"]


@pytest.mark.parametrize(
    ("method", "path", "body", "bad_path"),
    [
        (
            "post",
            "sessions",
            lambda w: {"name": "S", "client_id": w["client"]["id"], "colour": "x"},
            "colour",
        ),
        (
            "post",
            "sessions",
            lambda w: {
                "name": "S",
                "client_id": w["client"]["id"],
                "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=2", "rule": "x"},
            },
            "recurrence.rule",
        ),
        ("post", "sessions/check", lambda w: {"date": "2026-03-02", "extra": 1}, "extra"),
        (
            "put",
            "sessions/{session}/fields/post",
            lambda w: {"version": w["session"]["version"], "values": {}, "extra": 1},
            "extra",
        ),
        (
            "post",
            "sessions/{session}/status",
            lambda w: {"version": w["session"]["version"], "status": "cancelled", "reason": "x"},
            "reason",
        ),
        (
            "post",
            "sessions/{session}/record",
            lambda w: {"version": w["session"]["version"], "payment": {"status": "paid", "tip": 1}},
            "payment.tip",
        ),
        ("post", "clients", lambda w: {"name": "Bia", "cpf": "1"}, "cpf"),
        ("patch", "clients/{client}", lambda w: {"name": "Bia", "cpf": "1"}, "cpf"),
        ("post", "clients/{client}/practitioners", lambda w: {"member_id": w["member_id"], "x": 1}, "x"),
        ("patch", "fields/{field}", lambda w: {"label": "Humour", "lable": "x"}, "lable"),
        (
            "post",
            "fields",
            lambda w: {
                "scope": "client",
                "key": "kind",
                "label": "Kind",
                "type": "select",
                "options": [{"value": "a", "colour": "red"}],
            },
            "options[0].colour",
        ),
        ("post", "fields/reorder", lambda w: {"scope": "session", "phase": "post", "ids": [], "x": 1}, "x"),
        ("patch", "therapy-types/{therapy_type}", lambda w: {"name": "Reiki II", "price": "1"}, "price"),
        ("post", "therapy-types", lambda w: {"name": "Reiki II", "price": "1"}, "price"),
        ("patch", "payments/{payment}", lambda w: {"status": "paid", "metod": "pix"}, "metod"),
        ("post", "payments", lambda w: {"session_id": w["session"]["id"], "x": 1}, "x"),
        ("patch", "invoices/{invoice}", lambda w: {"notes": "n", "total": "1"}, "total"),
        ("post", "invoices", lambda w: {"session_ids": [], "x": 1}, "x"),
        ("patch", "evaluations/{evaluation}", lambda w: {"title": "T", "score": 3}, "score"),
        ("post", "evaluations", lambda w: {"client_id": w["client"]["id"], "score": 3}, "score"),
        ("patch", "settings", lambda w: {"name": "Clínica", "timezon": "UTC"}, "timezon"),
        ("patch", "members/{member}", lambda w: {"is_active": True, "admin": True}, "admin"),
        ("post", "members", lambda w: {"email": "new@serena.test", "role": "Therapist", "x": 1}, "x"),
        ("patch", "roles/{role}", lambda w: {"name": "Desk", "color": "x"}, "color"),
        ("post", "roles", lambda w: {"name": "Desk 2", "permissions": [], "x": 1}, "x"),
        ("post", "api-tokens", lambda w: {"name": "ci", "scope": "all"}, "scope"),
    ],
)
def test_an_unknown_key_in_a_write_is_refused_and_nothing_is_written(
    api, owner, world, method, path, body, bad_path
):
    client = api(owner)
    url = path.format(
        session=world["session"]["id"],
        client=world["client"]["id"],
        field=world["field"]["id"],
        therapy_type=world["therapy_type"]["id"],
        payment=world["payment"]["id"],
        invoice=world["invoice"]["id"],
        evaluation=world["evaluation"]["id"],
        member=world["member_id"],
        role=world["role"]["id"],
    )
    events = AuditEvent.objects.count()
    response = getattr(client, method)(url, body(world))
    assert error_paths(response) == [bad_path]
    assert AuditEvent.objects.count() == events  # every write is audited: none happened


# --- one path convention: the key of the body the client sent -------------------------------------


def test_a_phase_save_names_the_values_key_of_its_body(api, owner, world):
    client = api(owner)
    session = world["session"]
    url = f"sessions/{session['id']}/fields/post"
    engine = client.put(url, {"version": session["version"], "values": {"mood": 5}})
    assert error_paths(engine) == ["values.mood"]
    unknown = client.put(url, {"version": session["version"], "values": {"nope": "x"}})
    assert error_paths(unknown) == ["values.nope"]
    schema = client.put(url, {"version": session["version"], "values": "x"})
    assert error_paths(schema) == ["values"]


def test_a_phase_save_refused_as_clinical_names_the_values_key(api, owner, assistant, world):
    client = api(owner)
    created = client.post(
        "fields", {"scope": "session", "phase": "post", "key": "notes_field", "label": "N", "type": "text"}
    )
    assert created.status_code == 201
    session = world["session"]
    response = api(assistant).put(
        f"sessions/{session['id']}/fields/post",
        {"version": session["version"], "values": {"notes_field": "x"}},
    )
    assert response.status_code == 403
    assert "values.notes_field" in response.json()["error"]["message"]


def test_session_create_names_fields_pre(api, owner, world):
    client = api(owner)
    client.post(
        "fields", {"scope": "session", "phase": "pre", "key": "goal", "label": "Goal", "type": "number"}
    )
    response = client.post(
        "sessions",
        {
            "name": "S",
            "client_id": world["client"]["id"],
            "date": "2026-03-09",
            "start_time": "10:00",
            "fields": {"pre": {"goal": "x"}},
        },
    )
    assert error_paths(response) == ["fields.pre.goal"]


def test_client_fields_name_fields(api, owner, world):
    response = api(owner).patch(f"clients/{world['client']['id']}", {"fields": {"nope": 1}})
    assert error_paths(response) == ["fields.nope"]


def test_evaluation_values_name_values(api, owner, world):
    response = api(owner).patch(f"evaluations/{world['evaluation']['id']}", {"values": {"nope": 1}})
    assert error_paths(response) == ["values.nope"]


def test_recording_names_therapy_fields(api, owner, world):
    session = world["session"]
    response = api(owner).post(
        f"sessions/{session['id']}/record", {"version": session["version"], "therapy_fields": {"nope": 1}}
    )
    assert error_paths(response) == ["therapy_fields.nope"]
