"""Client pages: list and live search, detail tabs and the barrier, create/edit with custom fields."""

from __future__ import annotations

import pytest

from atendo.clients.models import Client
from tests.factories import ClientFactory, FieldDefinitionFactory, MemberFactory, RoleFactory, unsealed

pytestmark = pytest.mark.django_db


@pytest.fixture
def definitions(workspace):
    FieldDefinitionFactory(
        workspace=workspace, scope="client", key="diagnosis", label="Diagnosis", type="textarea", order=1
    )
    FieldDefinitionFactory(
        workspace=workspace,
        scope="client",
        key="referral",
        label="Referral",
        type="select",
        clinical=False,
        order=2,
        options=[{"value": "friend", "label": "A friend"}, {"value": "web", "label": "Website"}],
    )
    FieldDefinitionFactory(
        workspace=workspace,
        scope="client",
        key="contacts",
        label="Emergency contacts",
        type="array",
        clinical=False,
        order=3,
        children=[
            {"key": "name", "label": "Contact name", "type": "text", "required": True},
            {"key": "since", "label": "Since", "type": "date"},
        ],
    )


def test_list_and_live_search(page_client, owner):
    ClientFactory(workspace=owner.workspace, name="Bruna Costa", email="bruna@x.test")
    ClientFactory(workspace=owner.workspace, name="Carlos Lima")
    client = page_client(owner)
    page = client.get("/w/serena/clients/")
    assert page.status_code == 200 and "Bruna Costa" in page.content.decode()
    partial = client.get("/w/serena/clients/", {"q": "bruna@"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "Bruna Costa" in body and "Carlos Lima" not in body and "<html" not in body


def test_list_query_count_is_constant(page_client, owner, django_assert_max_num_queries):
    for i in range(25):
        ClientFactory(workspace=owner.workspace, name=f"C{i:02}", practitioners=[owner])
    client = page_client(owner)
    with django_assert_max_num_queries(12):
        assert client.get("/w/serena/clients/").status_code == 200


def test_create_with_custom_fields_and_array_rows(page_client, owner, definitions):
    response = page_client(owner).post(
        "/w/serena/clients/new/",
        {
            "name": "Bruna Costa",
            "email": "bruna@x.test",
            "fields.diagnosis": "Ansiedade",
            "fields.referral": "web",
            "fields.contacts[0].name": "Mãe",
            "fields.contacts[0].since": "2020-01-02",
            "fields.contacts[3].name": "Irmã",
            "fields.contacts[4].name": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person = Client.objects.get()
    assert unsealed(person, "fields") == {
        "diagnosis": "Ansiedade",
        "referral": "web",
        "contacts": [{"name": "Mãe", "since": "2020-01-02"}, {"name": "Irmã"}],
    }
    detail = page_client(owner).get(f"/w/serena/clients/{person.pk}/").content.decode()
    assert "Ansiedade" in detail and "Website" in detail and "Irmã" in detail


def test_errors_are_shown_at_the_field_and_nothing_is_saved(page_client, owner, definitions):
    response = page_client(owner).post(
        "/w/serena/clients/new/",
        {"name": "Bruna", "fields.contacts[0].since": "2020-01-02", "fields.referral": "tv"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="f-fields-contacts-0-name-error"' in body
    assert "Contact name is required." in body
    assert 'id="f-fields-referral-error"' in body
    assert not Client.objects.exists()


def test_detail_withholds_clinical_fields_from_the_assistant(page_client, owner, assistant, definitions):
    person = ClientFactory(
        workspace=owner.workspace, name="Bruna", fields={"diagnosis": "Segredo clínico", "referral": "web"}
    )
    owner_view = page_client(owner).get(f"/w/serena/clients/{person.pk}/").content.decode()
    assert "Segredo clínico" in owner_view
    assistant_view = page_client(assistant).get(f"/w/serena/clients/{person.pk}/").content.decode()
    assert "Segredo clínico" not in assistant_view and "Website" in assistant_view
    assert "withheld" in assistant_view
    edit = page_client(assistant).get(f"/w/serena/clients/{person.pk}/edit/").content.decode()
    assert "Segredo clínico" not in edit and "fields.diagnosis" not in edit


def test_assistant_edit_keeps_clinical_values(page_client, owner, assistant, definitions):
    person = ClientFactory(
        workspace=owner.workspace, name="Bruna", fields={"diagnosis": "Segredo", "referral": "web"}
    )
    response = page_client(assistant).post(
        f"/w/serena/clients/{person.pk}/edit/", {"name": "Bruna C.", "fields.referral": "friend"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.name == "Bruna C."
    assert unsealed(person, "fields") == {"diagnosis": "Segredo", "referral": "friend"}


def test_therapist_sees_clinical_fields_only_of_assigned_clients(page_client, therapist, definitions):
    mine = ClientFactory(
        workspace=therapist.workspace, name="Mine", fields={"diagnosis": "A1"}, practitioners=[therapist]
    )
    other = ClientFactory(workspace=therapist.workspace, name="Other", fields={"diagnosis": "B2"})
    client = page_client(therapist)
    assert "A1" in client.get(f"/w/serena/clients/{mine.pk}/").content.decode()
    assert "B2" not in client.get(f"/w/serena/clients/{other.pk}/").content.decode()


def test_tabs_render(page_client, owner):
    person = ClientFactory(workspace=owner.workspace, name="Bruna")
    client = page_client(owner)
    for tab in ("overview", "sessions", "evaluations", "payments", "bogus"):
        assert client.get(f"/w/serena/clients/{person.pk}/", {"tab": tab}).status_code == 200
    assert 'id="tab-sessions"' in client.get(f"/w/serena/clients/{person.pk}/?tab=sessions").content.decode()


def test_archive_and_delete_pages(page_client, owner):
    person = ClientFactory(workspace=owner.workspace, name="Bruna")
    client = page_client(owner)
    assert client.post(f"/w/serena/clients/{person.pk}/archive/", {"action": "archive"}).status_code == 302
    person.refresh_from_db()
    assert person.archived
    assert client.get(f"/w/serena/clients/{person.pk}/delete/").status_code == 200
    assert client.post(f"/w/serena/clients/{person.pk}/delete/").status_code == 302
    assert not Client.objects.exists()


def test_pages_check_access(page_client, owner, assistant, outsider):
    person = ClientFactory(workspace=owner.workspace, name="Bruna")
    stranger = page_client(outsider)
    for url in ("", "new/", f"{person.pk}/", f"{person.pk}/edit/", f"{person.pk}/delete/"):
        assert stranger.get(f"/w/serena/clients/{url}").status_code == 404
    assert stranger.post(f"/w/serena/clients/{person.pk}/archive/").status_code == 404
    helper = page_client(assistant)  # no client.delete
    assert helper.get(f"/w/serena/clients/{person.pk}/delete/").status_code == 403
    assert helper.post(f"/w/serena/clients/{person.pk}/delete/").status_code == 403
    nobody = page_client(
        MemberFactory(workspace=owner.workspace, role=RoleFactory(workspace=owner.workspace, permissions=[]))
    )
    assert nobody.get("/w/serena/clients/").status_code == 403
    assert nobody.get(f"/w/serena/clients/{person.pk}/").status_code == 403
    assert Client.objects.filter(pk=person.pk).exists()


def test_editing_keeps_retired_options_and_archived_values(page_client, owner):
    FieldDefinitionFactory(
        workspace=owner.workspace,
        scope="client",
        key="plan",
        label="Plan",
        type="select",
        options=[
            {"value": "basic", "label": "Basic"},
            {"value": "legacy", "label": "Legacy", "retired": True},
        ],
    )
    FieldDefinitionFactory(
        workspace=owner.workspace, scope="client", key="old", label="Old", type="text", archived=True
    )
    person = ClientFactory(workspace=owner.workspace, name="Ana", fields={"plan": "legacy", "old": "kept"})
    client = page_client(owner)
    form = client.get(f"/w/serena/clients/{person.pk}/edit/").content.decode()
    assert ">Legacy<" in form and 'name="fields.old"' not in form
    response = client.post(f"/w/serena/clients/{person.pk}/edit/", {"name": "Ana", "fields.plan": "legacy"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.fields == {"plan": "legacy", "old": "kept"}
    other = ClientFactory(workspace=owner.workspace, name="Bia", fields={"plan": "basic"})
    refused = client.post(f"/w/serena/clients/{other.pk}/edit/", {"name": "Bia", "fields.plan": "legacy"})
    assert refused.status_code == 422 and "no longer offers" in refused.content.decode()


def test_update_without_read_permission_is_a_403_page(page_client, owner):
    person = ClientFactory(workspace=owner.workspace, name="Ana")
    role = RoleFactory(workspace=owner.workspace, permissions=["client.update", "client.delete"])
    client = page_client(MemberFactory(workspace=owner.workspace, role=role))
    assert client.get(f"/w/serena/clients/{person.pk}/edit/").status_code == 403
    assert client.post(f"/w/serena/clients/{person.pk}/archive/").status_code == 403
    assert client.get(f"/w/serena/clients/{person.pk}/delete/").status_code == 403
