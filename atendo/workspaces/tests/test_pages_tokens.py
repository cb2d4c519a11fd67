"""The API tokens page: create (shown once), list with last use, revoke."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from atendo.accounts.models import ApiToken
from atendo.workspaces.tokens import api_token_create

pytestmark = pytest.mark.django_db


def test_member_creates_a_token_shown_once_that_opens_the_api(therapist, page_client):
    client = page_client(therapist)
    response = client.post("/w/serena/settings/api-tokens/", {"name": "Spreadsheet"})
    assert response.status_code == 302
    page = client.get("/w/serena/settings/api-tokens/")
    html = page.content.decode()
    raw = re.search(r'<code id="new-token">(atd_[^<]+)</code>', html)
    assert raw, html
    assert page["Cache-Control"] == "no-store"
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw.group(1)}").get("/api/v1/workspaces/serena")
    assert api.status_code == 200
    again = client.get("/w/serena/settings/api-tokens/").content.decode()
    assert raw.group(1) not in again
    assert "Spreadsheet" in again and "Never" not in again  # used once already


def test_a_token_needs_a_name(therapist, page_client):
    response = page_client(therapist).post("/w/serena/settings/api-tokens/", {"name": "  "})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_member_revokes_their_token(therapist, page_client):
    token, _raw = api_token_create(member=therapist, name="Old sync")
    client = page_client(therapist)
    response = client.post(f"/w/serena/settings/api-tokens/{token.pk}/revoke/", follow=True)
    assert "was revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in client.get("/w/serena/settings/api-tokens/").content.decode()


def test_tokens_page_checks_access(owner, therapist, assistant, outsider, page_client):
    token, _raw = api_token_create(member=therapist, name="Therapist's")
    # Someone else's token is not listed, and an assistant cannot revoke it.
    assert (
        "Therapist&#x27;s"
        not in page_client(assistant).get("/w/serena/settings/api-tokens/").content.decode()
    )
    assert page_client(assistant).post(f"/w/serena/settings/api-tokens/{token.pk}/revoke/").status_code == 404
    assert page_client(outsider).get("/w/serena/settings/api-tokens/").status_code == 404
    assert page_client(outsider).post(f"/w/serena/settings/api-tokens/{token.pk}/revoke/").status_code == 404
    assert page_client(therapist).get(f"/w/serena/settings/api-tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_tokens_page_lists_in_constant_queries(therapist, page_client, django_assert_max_num_queries):
    for i in range(12):
        api_token_create(member=therapist, name=f"t{i}")
    client = page_client(therapist)
    with django_assert_max_num_queries(8):
        assert client.get("/w/serena/settings/api-tokens/").status_code == 200
