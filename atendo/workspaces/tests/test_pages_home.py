"""Landing: a member lands on their workspace's home (the last workspace used is remembered); the
switcher appears for people in several."""

from __future__ import annotations

import pytest
from django.test import Client

from atendo.accounts.models import User
from atendo.workspaces.services import member_add

pytestmark = pytest.mark.django_db


def test_home_opens_the_home_of_the_only_workspace(owner, page_client):
    response = page_client(owner).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/w/serena/"


def test_home_opens_the_workspace_used_last_even_after_logging_out(owner, other_workspace, page_client):
    member_add(workspace=other_workspace, actor=None, email=owner.user.email, role_name="Therapist")
    client = page_client(owner)
    assert client.get("/w/outra/settings/").status_code == 200
    assert client.get("/")["Location"] == "/w/outra/"
    cookie = client.cookies["atendo_workspace"].value
    assert cookie == "outra"
    # A fresh session (logged out and in again) still has the cookie.
    fresh = Client()
    fresh.cookies["atendo_workspace"] = cookie
    fresh.force_login(owner.user)
    assert fresh.get("/")["Location"] == "/w/outra/"


def test_a_remembered_workspace_one_has_left_is_ignored(owner, therapist, page_client):
    client = page_client(therapist)
    client.cookies["atendo_workspace"] = "outra"
    assert client.get("/")["Location"] == "/w/serena/"


def test_someone_without_a_workspace_is_told_so(db):
    user = User.objects.create_user(email="lonely@x.test", password="pw-123456789")
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert "You are not a member of any workspace" in response.content.decode()


def test_switcher_lists_every_workspace_of_the_user(owner, other_workspace, page_client):
    single = page_client(owner).get("/w/serena/settings/").content.decode()
    assert 'class="menu switcher"' not in single
    member_add(workspace=other_workspace, actor=None, email=owner.user.email, role_name="Assistant")
    html = page_client(owner).get("/w/serena/settings/").content.decode()
    assert 'class="menu switcher"' in html
    assert 'href="/w/outra/"' in html and 'href="/w/serena/" aria-current="true"' in html


def test_settings_index_runs_few_queries(owner, page_client, django_assert_max_num_queries):
    client = page_client(owner)
    with django_assert_max_num_queries(8):
        assert client.get("/w/serena/settings/").status_code == 200


def test_a_member_without_session_access_starts_where_they_may_go(owner, page_client):
    from atendo.workspaces.services import role_create

    role_create(member=owner, name="Bookkeeper", permissions=["billing.read"])
    keeper = member_add(
        workspace=owner.workspace, actor=None, email="books@serena.test", role_name="Bookkeeper"
    )
    client = page_client(keeper)
    assert client.get("/")["Location"] == "/w/serena/"  # the home has the payments due
    html = client.get("/w/serena/settings/").content.decode()
    assert 'href="/w/serena/sessions/"' not in html and 'href="/w/serena/clients/"' not in html
    role_create(member=owner, name="Nothing much", permissions=[])
    idle = member_add(
        workspace=owner.workspace, actor=None, email="idle@serena.test", role_name="Nothing much"
    )
    assert page_client(idle).get("/")["Location"] == "/w/serena/settings/"
    role_create(member=owner, name="Desk", permissions=["client.read"])
    desk = member_add(workspace=owner.workspace, actor=None, email="desk@serena.test", role_name="Desk")
    assert page_client(desk).get("/")["Location"] == "/w/serena/clients/"
