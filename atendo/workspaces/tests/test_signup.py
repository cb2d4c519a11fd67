"""A practice started from the web: the user, the workspace and its owner, landing on the home;
throttled, CSRF-protected, and off for a single-practice install."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from atendo.audit.models import AuditEvent
from atendo.workspaces.models import Membership, Workspace

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Mariana Souza",
    "email": "mariana@example.com",
    "password": "uma-senha-bem-longa-42",
    "practice": "Clínica Serena",
    "timezone": "America/Sao_Paulo",
}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def test_signup_creates_the_user_the_workspace_and_lands_on_its_home(client):
    response = client.post("/signup/", FORM)
    assert response.status_code == 302
    workspace = Workspace.objects.get()
    assert (workspace.name, workspace.slug, workspace.timezone) == (
        "Clínica Serena",
        "clinica-serena",
        "America/Sao_Paulo",
    )
    owner = Membership.objects.select_related("user", "role").get(workspace=workspace)
    assert owner.role.is_owner and owner.offers_sessions and owner.user.name == "Mariana Souza"
    assert owner.user.check_password(FORM["password"])
    assert response["Location"] == "/w/clinica-serena/"
    assert AuditEvent.objects.filter(workspace=workspace, action="workspace.create").exists()
    home = client.get(response["Location"])
    assert home.status_code == 200  # logged in, on the new workspace's home


def test_in_portuguese_the_workspace_speaks_portuguese(client):
    page = client.get("/signup/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert 'lang="pt-br"' in page.lower() or "pt-br" in page.lower()
    client.post("/signup/", FORM, HTTP_ACCEPT_LANGUAGE="pt-br")
    assert Workspace.objects.get().language == "pt-br"


def test_a_second_practice_of_the_same_name_gets_its_own_slug(client):
    client.post("/signup/", FORM)
    other = HttpClient()
    other.post("/signup/", {**FORM, "email": "joana@example.com"})
    assert sorted(Workspace.objects.values_list("slug", flat=True)) == ["clinica-serena", "clinica-serena-2"]


def test_bad_input_is_shown_and_creates_nothing(client, owner):
    response = client.post("/signup/", {**FORM, "email": "owner@serena.test", "password": "123"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "already has an account" in body
    assert Workspace.objects.count() == 1  # only the fixture's
    response = client.post("/signup/", {**FORM, "email": "not-an-email", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert Workspace.objects.count() == 1


def test_signup_is_throttled_per_address(client, settings):
    settings.SIGNUP_THROTTLE_MAX_PER_IP = 2
    for i in range(2):
        assert client.post("/signup/", {**FORM, "email": f"p{i}@example.com"}).status_code == 302
        client.logout()
    response = client.post("/signup/", {**FORM, "email": "p9@example.com"})
    assert response.status_code == 429
    assert Workspace.objects.count() == 2


def test_signup_needs_the_csrf_token():
    strict = HttpClient(enforce_csrf_checks=True)
    assert strict.post("/signup/", FORM).status_code == 403
    assert not Workspace.objects.exists()


def test_signup_can_be_turned_off(client, settings):
    settings.ATENDO_SIGNUP = False
    assert client.get("/signup/").status_code == 404
    assert client.post("/signup/", FORM).status_code == 404
    assert "/signup/" not in client.get("/login/").content.decode()
    settings.ATENDO_SIGNUP = True
    assert "/signup/" in client.get("/login/").content.decode()
