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
    from atendo.accounts.services import api_token_revoke

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
