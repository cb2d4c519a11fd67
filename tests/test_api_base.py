"""The API's ground rules: authentication, the one error shape, tenant isolation, the schema."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_anonymous_gets_401_in_the_error_shape(workspace):
    response = Client().get("/api/v1/workspaces/serena")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthorized" and error["message"] and error["fields"] == []


def test_wrong_token_gets_401(workspace):
    response = Client(HTTP_AUTHORIZATION="Bearer atd_nope").get("/api/v1/workspaces/serena")
    assert response.status_code == 401


def test_member_reads_workspace(api, owner):
    response = api(owner).get("/api/v1/workspaces/serena")
    assert response.status_code == 200
    assert response.json()["timezone"] == "America/Sao_Paulo"


def test_outsider_gets_404_not_403(api, outsider, workspace):
    client = api(outsider)
    response = client.get("/api/v1/workspaces/serena")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_token_only_opens_its_own_workspace(api, owner, other_workspace):
    from atendo.workspaces.services import member_add

    member_add(workspace=other_workspace, actor=None, email=owner.user.email, role_name="Owner")
    client = api(owner)  # token made in "serena"
    assert client.get("/api/v1/workspaces/outra").status_code == 404


def test_revoked_token_is_refused(api, owner):
    from atendo.workspaces.tokens import api_token_revoke

    client = api(owner)
    token_id = owner.user.api_tokens.get().pk
    api_token_revoke(member=owner, token_id=token_id)
    assert client.get("/api/v1/workspaces/serena").status_code == 401


def test_token_is_stored_hashed(api, owner):
    client = api(owner)
    stored = owner.user.api_tokens.get()
    assert client.raw_token not in (stored.token_hash, stored.hint)
    assert len(stored.token_hash) == 64


def test_openapi_schema_and_docs_are_served(db):
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger-ui-bundle.js" in docs.content


# --- The one error shape, whatever goes wrong ----------------------------------------------------


def _shape(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and isinstance(error["fields"], list)
    return error


def test_unknown_api_url_is_a_404_in_the_shape(api, owner):
    _shape(api(owner).get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_a_405_in_the_shape(api, owner):
    response = api(owner).delete("settings")
    _shape(response, 405, "method_not_allowed")
    assert "PATCH" in response["Allow"]


def test_malformed_json_is_a_400(api, owner):
    response = api(owner).http.patch(
        "/api/v1/workspaces/serena/settings", data="{not json", content_type="application/json"
    )
    error = _shape(response, 400, "bad_request")
    assert "JSON" in error["message"]


def test_wrong_type_is_a_422_naming_the_path(api, owner):
    error = _shape(
        api(owner).post("roles", {"name": "X", "permissions": "session.read"}), 422, "validation_error"
    )
    assert [f["path"] for f in error["fields"]] == ["permissions"]
    error = _shape(api(owner).post("roles", {"name": "X", "permissions": ["ok", 5]}), 422, "validation_error")
    assert "permissions[1]" in [f["path"] for f in error["fields"]]


def test_body_that_is_not_an_object_is_a_422(api, owner):
    _shape(api(owner).patch("settings", [1, 2]), 422, "validation_error")


def test_too_large_body_is_a_413(api, owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _shape(api(owner).patch("settings", {"name": "x" * 5000}), 413, "too_large")


def test_nul_and_huge_numbers_never_reach_the_database(api, owner):
    client = api(owner)
    _shape(client.get("members/99999999999999999999999"), 404, "not_found")
    error = _shape(client.get("audit-events", action="a\x00b"), 422, "validation_error")
    assert error["fields"][0]["path"] == "action"
    error = _shape(client.patch("settings", {"name": "a\x00b"}), 422, "validation_error")
    assert error["fields"][0]["path"] == "name"
    error = _shape(client.patch("settings", {"payment_due_days": 10**30}), 422, "validation_error")
    assert error["fields"][0]["path"] == "payment_due_days"
    owner.workspace.refresh_from_db()
    assert owner.workspace.name == "Clínica Serena"


def test_forbidden_and_conflict_are_in_the_shape(api, owner, therapist):
    _shape(api(therapist).post("roles", {"name": "R", "permissions": []}), 403, "forbidden")
    _shape(api(owner).delete(f"members/{owner.pk}"), 409, "last_owner")


def test_an_unexpected_failure_is_a_500_in_the_shape_and_logged(api, owner, monkeypatch, caplog):
    from atendo.workspaces import selectors

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(selectors, "roles_list", boom)
    client = api(owner)
    client.http.raise_request_exception = False
    error = _shape(client.get("roles"), 500, "server_error")
    assert "kaboom" not in error["message"]
    assert any("Unexpected error" in r.getMessage() for r in caplog.records)


def test_every_operation_documents_the_error_shape(db):
    schema = Client().get("/api/v1/openapi.json").json()
    assert "Error" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "404", "422"):
                assert status in operation["responses"], (method, path, status)


@pytest.mark.parametrize("error", [OverflowError("int too big"), "data_error"])
def test_a_value_the_database_refuses_is_a_422_not_a_500(api, owner, monkeypatch, error):
    from django.db import DataError

    from atendo.workspaces import selectors

    exc = DataError("value too long for type character varying(60)") if error == "data_error" else error

    def refuse(*args, **kwargs):
        raise exc

    monkeypatch.setattr(selectors, "roles_list", refuse)
    _shape(api(owner).get("roles"), 422, "validation_error")
