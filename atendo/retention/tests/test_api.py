"""The policy and the request log through the API, for every persona."""

from __future__ import annotations

import pytest

from atendo.audit.models import AuditEvent
from atendo.retention.models import DataRequest, RetentionPolicy
from tests.factories import ClientFactory, FieldDefinitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_row(workspace):
    return ClientFactory(workspace=workspace, name="Dora Dados")


def test_the_policy_defaults_to_five_years(api, owner):
    body = api(owner).get("retention").json()
    assert body == {
        "years": 5,
        "identifying_fields": [],
        "tax_id_field": None,
        "erased_fields": [],
        "expired_clients": 0,
    }


def test_the_owner_changes_the_policy(api, owner, workspace):
    FieldDefinitionFactory(workspace=workspace, scope="client", key="address", type="text", clinical=False)
    response = api(owner).patch("retention", {"years": 10, "identifying_fields": ["address"]})
    assert response.status_code == 200, response.content
    assert response.json()["years"] == 10 and response.json()["erased_fields"] == ["address"]
    assert RetentionPolicy.objects.get(workspace=workspace).years == 10
    event = AuditEvent.objects.get(action="retention.update")
    assert event.changes == {"years": [5, 10], "identifying_fields": [[], ["address"]]}


def test_the_period_is_at_least_five_years_and_fields_must_exist(api, owner, workspace):
    response = api(owner).patch("retention", {"years": 4, "identifying_fields": ["nope"]})
    assert response.status_code == 422
    assert {f["path"] for f in response.json()["error"]["fields"]} == {"years", "identifying_fields[0]"}
    assert api(owner).patch("retention", {"surprise": 1}).status_code == 422
    assert not RetentionPolicy.objects.exists()


def test_changing_the_policy_needs_a_recent_sign_in(api, owner):
    response = api(owner, scopes=[]).patch("retention", {"years": 6})
    assert response.status_code == 403 and response.json()["error"]["code"] == "reauth_required"


@pytest.mark.parametrize("who", ["therapist", "assistant"])
def test_others_may_not_read_or_change_the_policy(api, who, request):
    member = request.getfixturevalue(who)
    assert api(member).get("retention").status_code == 403
    assert api(member).patch("retention", {"years": 6}).status_code == 403
    assert not RetentionPolicy.objects.exists()


def test_an_outsider_gets_404_everywhere(api, outsider, client_row):
    stranger = api(outsider, "serena")
    assert stranger.get("retention").status_code == 404
    assert stranger.get("data-requests").status_code == 404
    body = {"client_id": client_row.pk, "kind": "access"}
    assert stranger.post("data-requests", body).status_code == 404
    # Their own workspace does not know the client either.
    assert api(outsider).post("data-requests", body).status_code == 404
    assert not DataRequest.objects.exists()


def test_the_owner_records_and_lists_requests(api, owner, client_row):
    response = api(owner).post(
        "data-requests",
        {"client_id": client_row.pk, "kind": "access", "note": "Cópia enviada", "received_on": "2026-11-30"},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "access" and created["client_name"] == "Dora Dados"
    assert created["recorded_by"]["id"] == owner.pk and created["received_on"] == "2026-11-30"
    api(owner).post("data-requests", {"client_id": client_row.pk, "kind": "correction", "status": "refused"})
    listed = api(owner).get("data-requests").json()
    assert [i["kind"] for i in listed["items"]] == ["correction", "access"] and listed["next_cursor"] is None
    assert [i["kind"] for i in api(owner).get("data-requests", kind="access").json()["items"]] == ["access"]
    assert api(owner).get("data-requests", client_id=client_row.pk + 1000).json()["items"] == []
    assert AuditEvent.objects.filter(action="data_request.create").count() == 2


def test_the_log_pages_with_a_cursor(api, owner, client_row):
    for _ in range(3):
        api(owner).post("data-requests", {"client_id": client_row.pk, "kind": "other"})
    first = api(owner).get("data-requests", limit=2).json()
    second = api(owner).get("data-requests", limit=2, cursor=first["next_cursor"]).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None


def test_erasure_and_purge_are_not_recorded_by_hand(api, owner, client_row):
    for kind in ("erasure", "purge", "nonsense"):
        response = api(owner).post("data-requests", {"client_id": client_row.pk, "kind": kind})
        assert response.status_code == 422 and response.json()["error"]["fields"][0]["path"] == "kind"
    assert api(owner).get("data-requests", kind="nonsense").status_code == 422


@pytest.mark.parametrize("who", ["therapist", "other_therapist", "assistant"])
def test_non_owners_neither_read_nor_write_the_log(api, who, request, client_row):
    member = request.getfixturevalue(who)
    assert api(member).get("data-requests").status_code == 403
    assert (
        api(member).post("data-requests", {"client_id": client_row.pk, "kind": "access"}).status_code == 403
    )
    assert not DataRequest.objects.exists()


def test_the_log_runs_a_constant_number_of_queries(api, owner, client_row, django_assert_max_num_queries):
    for _ in range(5):
        api(owner).post("data-requests", {"client_id": client_row.pk, "kind": "access"})
    reader = api(owner)
    with django_assert_max_num_queries(12):
        assert len(reader.get("data-requests").json()["items"]) == 5
