"""The issue's bad-input list through the clients API: each gets a clear 4xx naming the path and
nothing is stored."""

from __future__ import annotations

import pytest

from atendo.audit.models import AuditEvent
from atendo.clients.models import Client
from tests.factories import ClientFactory, EvaluationFactory, FieldDefinitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def definitions(workspace):
    FieldDefinitionFactory(
        workspace=workspace,
        scope="client",
        key="plan",
        label="Plan",
        type="array",
        children=[
            {
                "key": "stage",
                "label": "Stage",
                "type": "object",
                "fields": [
                    {
                        "key": "steps",
                        "label": "Steps",
                        "type": "array",
                        "fields": [{"key": "due", "label": "Due", "type": "date"}],
                    }
                ],
            }
        ],
    )
    FieldDefinitionFactory(
        workspace=workspace,
        scope="client",
        key="level",
        label="Level",
        type="select",
        options=[{"value": "low", "label": "Low"}, {"value": "high", "label": "High"}],
    )
    FieldDefinitionFactory(
        workspace=workspace, scope="client", key="buddy", label="Buddy", type="team_member"
    )
    FieldDefinitionFactory(
        workspace=workspace, scope="client", key="old_notes", label="Old notes", type="text", archived=True
    )


GOOD_PLAN = [{"stage": {"steps": [{"due": "2026-01-01"}]}}]


@pytest.mark.parametrize(
    ("fields", "path", "fragment"),
    [
        ({"level": "medium"}, "fields.level", "has no option 'medium'"),
        (
            {"plan": [*GOOD_PLAN, {"stage": {"steps": [{"due": "2026-01-02"}, {"due": "2026-02-31"}]}}]},
            "fields.plan[1].stage.steps[1].due",
            "YYYY-MM-DD",
        ),
        ({"buddy": "OUTSIDER"}, "fields.buddy", "active member of this workspace"),
        ({"old_notes": "new text"}, "fields.old_notes", "archived"),
        ({"nope": 1}, "fields.nope", "Unknown field"),
    ],
)
def test_bad_values_are_refused_with_the_path_and_nothing_is_stored(
    api, owner, outsider, definitions, fields, path, fragment
):
    if fields.get("buddy") == "OUTSIDER":
        fields = {"buddy": outsider.pk}
    client = api(owner)
    before = AuditEvent.objects.count()
    response = client.post("clients", {"name": "Ana", "fields": {"plan": GOOD_PLAN, **fields}})
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert [f["path"] for f in error["fields"]] == [path]
    assert fragment in error["fields"][0]["message"]
    assert not Client.objects.exists()
    # The same on an update leaves the stored client untouched.
    person = ClientFactory(workspace=owner.workspace, name="Bia", fields={"level": "low"})
    response = client.patch(f"clients/{person.pk}", {"name": "Changed", "fields": fields})
    assert response.status_code == 422
    person.refresh_from_db()
    assert person.name == "Bia" and person.fields == {"level": "low"}
    assert AuditEvent.objects.count() == before


def test_evaluation_field_type_change_is_refused_when_values_exist(api, owner):
    client = api(owner)
    field_id = client.post(
        "fields", {"scope": "evaluation", "key": "score", "label": "Score", "type": "number"}
    ).json()["id"]
    person = ClientFactory(workspace=owner.workspace, name="Ana")
    EvaluationFactory(client=person, date="2026-01-01", values={"score": 3})
    response = client.patch(f"fields/{field_id}", {"type": "text"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "values_exist"


def test_nul_characters_are_refused_not_a_server_error(api, owner, definitions):
    FieldDefinitionFactory(workspace=owner.workspace, scope="client", key="note", label="Note", type="text")
    client = api(owner)
    assert client.post("clients", {"name": "A\x00B"}).json()["error"]["fields"][0]["path"] == "name"
    response = client.post("clients", {"name": "Ana", "fields": {"note": "x\x00y"}})
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["path"] == "fields.note"
    assert client.get("clients", q="a\x00").status_code == 422
    bad_filter = client.get("clients", **{"field.level": "lo\x00w"})
    assert bad_filter.status_code == 422 and bad_filter.json()["error"]["fields"][0]["path"] == "field.level"
    bad_definition = client.post("fields", {"scope": "client", "key": "x", "label": "L\x00", "type": "text"})
    assert bad_definition.status_code == 422
    assert bad_definition.json()["error"]["fields"][0]["path"] == "label"
    assert not Client.objects.exists()


def test_numbers_beyond_the_database_range_are_refused(api, owner, page_client):
    import base64
    import json

    FieldDefinitionFactory(
        workspace=owner.workspace, scope="client", key="who", label="Who", type="team_member"
    )
    client = api(owner)
    huge_order = client.post(
        "fields", {"scope": "client", "key": "x", "label": "X", "type": "text", "order": 2**40}
    )
    assert huge_order.status_code == 422 and huge_order.json()["error"]["fields"][0]["path"] == "order"
    response = client.post("clients", {"name": "Ana", "fields": {"who": 2**63}})
    assert response.status_code == 422
    cursor = base64.urlsafe_b64encode(json.dumps(["A", 2**70]).encode()).decode().rstrip("=")
    assert client.get("clients", cursor=cursor).status_code == 422
    assert page_client(owner).get("/w/serena/clients/", {"cursor": cursor}).status_code == 200
    assert (
        page_client(owner).post("/w/serena/clients/new/", {"name": "Bia", "fields.who": "9" * 30}).status_code
        == 422
    )
    assert not Client.objects.exists()
