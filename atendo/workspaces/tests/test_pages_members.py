"""Members and roles pages: list, add, change role, remove, restore; roles with permission boxes."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from atendo.workspaces import permissions
from atendo.workspaces.models import Membership, Role
from atendo.workspaces.services import member_add

pytestmark = pytest.mark.django_db


def role_id(name: str, slug: str = "serena") -> int:
    return Role.objects.get(workspace__slug=slug, name=name).pk


def test_members_page_lists_everyone_in_constant_queries(
    owner, therapist, assistant, page_client, django_assert_max_num_queries
):
    client = page_client(owner)
    client.get("/w/serena/settings/members/")
    with django_assert_max_num_queries(12):
        few = client.get("/w/serena/settings/members/")
    for i in range(15):
        member_add(workspace=owner.workspace, actor=None, email=f"m{i}@serena.test", role_name="Assistant")
    with django_assert_max_num_queries(12):
        many = client.get("/w/serena/settings/members/")
    html = many.content.decode()
    assert few.status_code == many.status_code == 200
    assert "Theo Therapist" in html and "m14@serena.test" in html
    assert '<label class="visually-hidden" for="role-' in html


def test_owner_adds_a_new_person_who_gets_an_invitation(owner, page_client):
    response = page_client(owner).post(
        "/w/serena/settings/members/",
        {"email": "New.Person@Serena.test", "name": "Nina New", "role": role_id("Therapist")},
    )
    assert response.status_code == 302
    added = Membership.objects.get(workspace=owner.workspace, user__email="new.person@serena.test")
    assert added.role.name == "Therapist" and added.user.name == "Nina New"
    assert len(mail.outbox) == 1
    invitation = mail.outbox[0]
    assert invitation.to == ["new.person@serena.test"]
    assert "Clínica Serena" in invitation.subject
    link = re.search(r"http://testserver(/password-reset/\S+/)", invitation.body)
    assert link
    page = page_client(owner).get(link.group(1), follow=True)
    assert "Choose a new password" in page.content.decode()


def test_adding_someone_who_already_has_a_password_sends_nothing(owner, outsider, page_client):
    page_client(owner).post(
        "/w/serena/settings/members/", {"email": outsider.user.email, "role": role_id("Assistant")}
    )
    assert Membership.objects.get(workspace=owner.workspace, user=outsider.user).role.name == "Assistant"
    assert mail.outbox == []


def test_adding_with_a_bad_email_or_a_foreign_role_is_refused(owner, page_client, other_workspace):
    client = page_client(owner)
    response = client.post(
        "/w/serena/settings/members/", {"email": "not-an-email", "role": role_id("Assistant")}
    )
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    foreign = role_id("Assistant", slug="outra")
    response = client.post("/w/serena/settings/members/", {"email": "x@serena.test", "role": foreign})
    assert response.status_code == 422
    assert not Membership.objects.filter(user__email="x@serena.test").exists()


def test_owner_changes_a_members_role(owner, therapist, page_client):
    response = page_client(owner).post(
        f"/w/serena/settings/members/{therapist.pk}/", {"role": role_id("Assistant")}
    )
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.role.name == "Assistant"


def test_the_last_owner_cannot_be_demoted_or_removed_and_is_told_why(owner, page_client):
    client = page_client(owner)
    response = client.post(
        f"/w/serena/settings/members/{owner.pk}/", {"role": role_id("Therapist")}, follow=True
    )
    assert "last owner" in response.content.decode()
    response = client.post(f"/w/serena/settings/members/{owner.pk}/remove/", follow=True)
    assert "last owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.is_active and owner.role.is_owner


def test_owner_removes_and_restores_a_member(owner, therapist, page_client):
    client = page_client(owner)
    response = client.post(f"/w/serena/settings/members/{therapist.pk}/remove/", follow=True)
    assert "no longer has access" in response.content.decode()
    therapist.refresh_from_db()
    assert not therapist.is_active
    assert page_client(therapist).get("/w/serena/settings/").status_code == 404
    client.post(f"/w/serena/settings/members/{therapist.pk}/", {"is_active": "1"})
    therapist.refresh_from_db()
    assert therapist.is_active


def test_member_actions_check_access(owner, therapist, assistant, outsider, page_client):
    for url, data in [
        (f"/w/serena/settings/members/{therapist.pk}/", {"role": role_id("Assistant")}),
        (f"/w/serena/settings/members/{therapist.pk}/remove/", {}),
        ("/w/serena/settings/members/", {"email": "a@b.test", "role": role_id("Owner")}),
    ]:
        assert page_client(assistant).post(url, data).status_code == 403, url
        assert page_client(outsider).post(url, data).status_code == 404, url
    therapist.refresh_from_db()
    assert therapist.is_active and therapist.role.name == "Therapist"
    # A membership of another workspace is not found from this one.
    assert page_client(owner).post(f"/w/serena/settings/members/{outsider.pk}/remove/").status_code == 404
    assert page_client(owner).get(f"/w/serena/settings/members/{therapist.pk}/").status_code == 405


# --- Roles -----------------------------------------------------------------------------------------


def test_roles_page_lists_roles_with_counts(owner, therapist, other_therapist, page_client):
    html = page_client(owner).get("/w/serena/settings/roles/").content.decode()
    assert "Owner" in html and "Therapist" in html and "Assistant" in html
    assert "Every permission" in html
    assert "12 permissions" in html


def test_role_form_groups_and_labels_every_permission(owner, page_client):
    html = page_client(owner).get("/w/serena/settings/roles/new/").content.decode()
    for legend in ["Sessions", "Clients", "Clinical content", "Billing and reports", "Administration"]:
        assert f"<legend>{legend}</legend>" in html
    assert html.count('type="checkbox" name="permissions"') == len(permissions.CATALOGUE)
    assert "Read clinical content of own clients" in html
    assert "Assign practitioners to clients" in html


def test_owner_creates_and_edits_a_role(owner, page_client):
    client = page_client(owner)
    response = client.post(
        "/w/serena/settings/roles/new/",
        {"name": "Receptionist", "permissions": ["session.read", "client.read"]},
    )
    assert response.status_code == 302
    role = Role.objects.get(workspace=owner.workspace, name="Receptionist")
    assert role.permissions == ["client.read", "session.read"]
    html = client.get(f"/w/serena/settings/roles/{role.pk}/").content.decode()
    assert 'value="session.read" checked' in html and 'value="billing.read">' in html
    client.post(
        f"/w/serena/settings/roles/{role.pk}/", {"name": "Front desk", "permissions": ["billing.read"]}
    )
    role.refresh_from_db()
    assert (role.name, role.permissions) == ("Front desk", ["billing.read"])


def test_a_role_with_an_unknown_permission_or_a_taken_name_is_refused(owner, page_client):
    client = page_client(owner)
    response = client.post(
        "/w/serena/settings/roles/new/", {"name": "Odd", "permissions": ["session.read", "root"]}
    )
    assert response.status_code == 422
    assert "Unknown permission code &#x27;root&#x27;." in response.content.decode()
    response = client.post("/w/serena/settings/roles/new/", {"name": "therapist", "permissions": []})
    assert response.status_code == 422
    assert "already a role named" in response.content.decode()
    assert not Role.objects.filter(workspace=owner.workspace, name="Odd").exists()


def test_the_owner_role_is_shown_read_only_and_cannot_be_changed(owner, page_client):
    owner_role = role_id("Owner")
    client = page_client(owner)
    html = client.get(f"/w/serena/settings/roles/{owner_role}/").content.decode()
    assert "always holds every permission" in html
    assert html.count("disabled") >= 20
    response = client.post(f"/w/serena/settings/roles/{owner_role}/", {"name": "Boss", "permissions": []})
    assert response.status_code == 422
    assert Role.objects.get(pk=owner_role).name == "Owner"


def test_owner_deletes_an_unused_role_but_not_one_in_use(owner, therapist, page_client):
    client = page_client(owner)
    response = client.post(f"/w/serena/settings/roles/{role_id('Therapist')}/delete/", follow=True)
    assert "give them another role first" in response.content.decode()
    assert Role.objects.filter(workspace=owner.workspace, name="Therapist").exists()
    unused = role_id("Assistant")
    client.post(f"/w/serena/settings/roles/{unused}/delete/")
    assert not Role.objects.filter(pk=unused).exists()


def test_role_pages_check_access(owner, assistant, outsider, page_client):
    therapist_role = role_id("Therapist")
    foreign_role = role_id("Assistant", slug="outra")
    assert page_client(assistant).get(f"/w/serena/settings/roles/{therapist_role}/").status_code == 403
    assert (
        page_client(assistant).post(f"/w/serena/settings/roles/{therapist_role}/delete/").status_code == 403
    )
    assert page_client(outsider).get(f"/w/serena/settings/roles/{therapist_role}/").status_code == 404
    assert page_client(owner).get(f"/w/serena/settings/roles/{foreign_role}/").status_code == 404
    assert page_client(owner).post(f"/w/serena/settings/roles/{foreign_role}/delete/").status_code == 404
    assert Role.objects.filter(pk=foreign_role).exists()


def test_the_last_owner_refusal_is_shown_in_portuguese(owner, page_client):
    client = page_client(owner)
    client.post("/account/language/", {"language": "pt-br", "next": "/"})
    response = client.post(f"/w/serena/settings/members/{owner.pk}/remove/", follow=True)
    html = response.content.decode()
    assert "último proprietário" in html
    owner.refresh_from_db()
    assert owner.is_active


def test_an_owner_who_leaves_goes_home(owner, page_client):
    second = member_add(workspace=owner.workspace, actor=None, email="co@serena.test", role_name="Owner")
    client = page_client(second)
    response = client.post(f"/w/serena/settings/members/{second.pk}/remove/")
    assert response["Location"] == "/"
    assert client.get("/w/serena/settings/").status_code == 404
