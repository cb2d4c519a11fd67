"""The `clients` resource: CRUD, search and cursor pages, custom fields, the clinical barrier."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from atendo.audit.models import AuditEvent
from atendo.clients.models import Client
from atendo.clinical.models import ClientPractitioner
from atendo.fields.models import FieldDefinition
from tests.factories import unsealed

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_fields(workspace):
    FieldDefinition.objects.create(
        workspace=workspace, scope="client", key="diagnosis", label="Diagnosis", type="textarea"
    )
    FieldDefinition.objects.create(
        workspace=workspace,
        scope="client",
        key="referral",
        label="Referral",
        type="select",
        clinical=False,
        filterable=True,
        options=[{"value": "friend", "label": "Friend"}, {"value": "web", "label": "Website"}],
    )


def make(workspace, name, **extra):
    return Client.objects.create(workspace=workspace, name=name, **extra)


def test_owner_creates_a_client_with_custom_fields(api, owner, therapist, client_fields):
    response = api(owner).post(
        "clients",
        {
            "name": "  Bruna   Costa ",
            "email": "Bruna@Example.com",
            "phone": "+55 11 98888-7777",
            "birth_date": "1990-05-17",
            "practitioner_ids": [therapist.pk],
            "fields": {"diagnosis": "Ansiedade", "referral": "friend"},
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Bruna Costa" and body["email"] == "bruna@example.com"
    assert body["practitioner_ids"] == [therapist.pk]
    assert body["fields"] == {"diagnosis": "Ansiedade", "referral": "friend"}
    assert body["withheld"] == []
    assert set(body) == {
        "id",
        "name",
        "email",
        "phone",
        "birth_date",
        "practitioner_ids",
        "archived",
        "fields",
        "withheld",
    }
    event = AuditEvent.objects.get(action="client.create")
    assert "Ansiedade" not in str(event.changes)


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"name": ""}, "name"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "birth_date": "1990-02-30"}, "birth_date"),
        ({"name": "A", "phone": "call me"}, "phone"),
        ({"name": "A", "fields": {"referral": "tv"}}, "fields.referral"),
        ({"name": "A", "fields": {"colour": "red"}}, "fields.colour"),
        ({"name": "A", "practitioner_ids": [999999]}, "practitioner_ids[0]"),
    ],
)
def test_bad_client_input_names_the_path_and_stores_nothing(api, owner, client_fields, payload, path):
    response = api(owner).post("clients", payload)
    assert response.status_code == 422, response.json()
    assert path in [f["path"] for f in response.json()["error"]["fields"]]
    assert not Client.objects.exists()


def test_practitioner_from_another_workspace_is_refused(api, owner, outsider):
    response = api(owner).post("clients", {"name": "A", "practitioner_ids": [outsider.pk]})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "practitioner_ids[0]"


def test_required_client_fields_are_enforced_on_create_not_on_patch(api, owner):
    FieldDefinition.objects.create(
        workspace=owner.workspace,
        scope="client",
        key="consent",
        label="Consent",
        type="boolean",
        required=True,
    )
    client = api(owner)
    missing = client.post("clients", {"name": "Ana"})
    assert missing.status_code == 422 and missing.json()["error"]["fields"][0]["path"] == "fields.consent"
    created = client.post("clients", {"name": "Ana", "fields": {"consent": True}}).json()
    patched = client.patch(f"clients/{created['id']}", {"phone": "1234"})
    assert patched.status_code == 200 and patched.json()["fields"] == {"consent": True}
    cleared = client.patch(f"clients/{created['id']}", {"fields": {"consent": None}})
    assert cleared.status_code == 422


def test_patch_merges_fields_and_null_removes(api, owner, client_fields):
    person = make(owner.workspace, "Ana", fields={"diagnosis": "x", "referral": "web"})
    client = api(owner)
    body = client.patch(f"clients/{person.pk}", {"fields": {"referral": "friend"}}).json()
    assert body["fields"] == {"diagnosis": "x", "referral": "friend"}
    body = client.patch(f"clients/{person.pk}", {"fields": {"diagnosis": None}}).json()
    assert body["fields"] == {"referral": "friend"}


def test_barrier_owner_sees_everything(api, owner, client_fields):
    person = make(owner.workspace, "Ana", fields={"diagnosis": "x", "referral": "web"})
    body = api(owner).get(f"clients/{person.pk}").json()
    assert body["fields"] == {"diagnosis": "x", "referral": "web"} and body["withheld"] == []


def test_barrier_therapist_sees_clinical_fields_of_assigned_clients_only(api, therapist, client_fields):
    mine = make(therapist.workspace, "Mine", fields={"diagnosis": "x", "referral": "web"})
    theirs = make(therapist.workspace, "Theirs", fields={"diagnosis": "y", "referral": "friend"})
    ClientPractitioner.objects.create(workspace=therapist.workspace, client=mine, member=therapist)
    client = api(therapist)
    assert client.get(f"clients/{mine.pk}").json()["fields"]["diagnosis"] == "x"
    hidden = client.get(f"clients/{theirs.pk}").json()
    assert hidden["fields"] == {"referral": "friend"}
    assert hidden["withheld"] == ["fields.diagnosis"]
    listed = {c["name"]: c for c in client.get("clients").json()["items"]}
    assert "diagnosis" not in listed["Theirs"]["fields"] and listed["Mine"]["fields"]["diagnosis"] == "x"


def test_barrier_assistant_never_sees_clinical_fields(api, owner, assistant, client_fields):
    person = make(owner.workspace, "Ana", fields={"diagnosis": "secret", "referral": "web"})
    ClientPractitioner.objects.create(workspace=assistant.workspace, client=person, member=assistant)
    client = api(assistant)
    body = client.get(f"clients/{person.pk}").json()
    assert body["fields"] == {"referral": "web"} and body["withheld"] == ["fields.diagnosis"]
    assert "secret" not in client.get("clients").content.decode()


def test_member_without_clinical_access_cannot_write_clinical_fields_and_keeps_them(
    api, owner, assistant, client_fields
):
    person = make(owner.workspace, "Ana", fields={"diagnosis": "secret", "referral": "web"})
    client = api(assistant)
    refused = client.patch(f"clients/{person.pk}", {"fields": {"diagnosis": "overwrite"}})
    assert refused.status_code == 403
    ok = client.patch(f"clients/{person.pk}", {"fields": {"referral": "friend"}})
    assert ok.status_code == 200
    assert unsealed(person, "fields") == {"diagnosis": "secret", "referral": "friend"}
    assert client.post("clients", {"name": "B", "fields": {"diagnosis": "x"}}).status_code == 403


def test_therapist_who_creates_a_client_is_assigned(api, therapist, client_fields):
    body = api(therapist).post("clients", {"name": "Novo", "fields": {"diagnosis": "d"}}).json()
    assert body["practitioner_ids"] == [therapist.pk] and body["fields"]["diagnosis"] == "d"


def test_search_and_cursor_pages(api, owner):
    for i in range(7):
        make(owner.workspace, f"Cliente {i}", email=f"c{i}@mail.test", phone=f"+55 11 9000-000{i}")
    make(owner.workspace, "Zélia", archived=True)
    client = api(owner)
    first = client.get("clients", limit=3).json()
    assert [c["name"] for c in first["items"]] == ["Cliente 0", "Cliente 1", "Cliente 2"]
    second = client.get("clients", limit=3, cursor=first["next_cursor"]).json()
    third = client.get("clients", limit=3, cursor=second["next_cursor"]).json()
    assert [c["name"] for c in third["items"]] == ["Cliente 6"] and third["next_cursor"] is None
    assert [c["name"] for c in client.get("clients", q="c4@").json()["items"]] == ["Cliente 4"]
    assert [c["name"] for c in client.get("clients", q="9000-0005").json()["items"]] == ["Cliente 5"]
    assert [c["name"] for c in client.get("clients", archived="true").json()["items"]] == ["Zélia"]
    assert client.get("clients", cursor="garbage!").status_code == 422
    assert client.get("clients", limit=0).status_code == 422


def test_filter_by_filterable_field(api, owner, client_fields):
    make(owner.workspace, "A", fields={"referral": "web"})
    make(owner.workspace, "B", fields={"referral": "friend"})
    body = api(owner).get("clients", **{"field.referral": "web"}).json()
    assert [c["name"] for c in body["items"]] == ["A"]
    assert api(owner).get("clients", **{"field.diagnosis": "x"}).status_code == 422


def test_list_runs_a_constant_number_of_queries(
    api, owner, therapist, client_fields, django_assert_max_num_queries
):
    for i in range(30):
        person = make(owner.workspace, f"C{i:02}", fields={"diagnosis": "x", "referral": "web"})
        ClientPractitioner.objects.create(workspace=therapist.workspace, client=person, member=therapist)
        ClientPractitioner.objects.create(workspace=owner.workspace, client=person, member=owner)
    client = api(therapist)
    # auth (token + member) + clients + practitioners + definitions + clinical access
    with django_assert_max_num_queries(7):
        response = client.get("clients", limit=30)
    assert len(response.json()["items"]) == 30


def test_archive_unarchive(api, owner):
    person = make(owner.workspace, "Ana")
    client = api(owner)
    assert client.post(f"clients/{person.pk}/archive").json()["archived"] is True
    assert client.get("clients").json()["items"] == []
    assert client.post(f"clients/{person.pk}/unarchive").json()["archived"] is False


def test_delete_is_refused_when_sessions_exist(api, owner):
    from atendo.scheduling.models import Session

    person = make(owner.workspace, "Ana")
    start = timezone.now()
    Session.objects.create(
        workspace=owner.workspace,
        name="S",
        client=person,
        practitioner=owner,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        duration_minutes=60,
    )
    response = api(owner).delete(f"clients/{person.pk}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "has_sessions"
    assert "1 session" in response.json()["error"]["message"]
    lonely = make(owner.workspace, "Sem sessões")
    assert api(owner).delete(f"clients/{lonely.pk}").status_code == 204
    assert not Client.objects.filter(pk=lonely.pk).exists()


def test_assign_and_unassign(api, owner, therapist):
    person = make(owner.workspace, "Ana")
    client = api(owner)
    body = client.post(f"clients/{person.pk}/practitioners", {"member_id": therapist.pk}).json()
    assert body["practitioner_ids"] == [therapist.pk]
    body = client.delete(f"clients/{person.pk}/practitioners/{therapist.pk}").json()
    assert body["practitioner_ids"] == []
    assert client.delete(f"clients/{person.pk}/practitioners/{therapist.pk}").status_code == 404


def test_it_checks_access(api, owner, therapist, outsider):
    person = make(owner.workspace, "Ana")
    role = therapist.role
    role.permissions = ["client.read"]
    role.save()
    reader = api(therapist)
    assert reader.get("clients").status_code == 200
    assert reader.get(f"clients/{person.pk}").status_code == 200
    assert reader.post("clients", {"name": "X"}).status_code == 403
    assert reader.patch(f"clients/{person.pk}", {"name": "X"}).status_code == 403
    assert reader.post(f"clients/{person.pk}/archive").status_code == 403
    assert reader.post(f"clients/{person.pk}/unarchive").status_code == 403
    assert reader.delete(f"clients/{person.pk}").status_code == 403
    assert reader.post(f"clients/{person.pk}/practitioners", {"member_id": owner.pk}).status_code == 403
    assert reader.delete(f"clients/{person.pk}/practitioners/{owner.pk}").status_code == 403
    role.permissions = []
    role.save()
    assert api(therapist).get("clients").status_code == 403
    assert api(therapist).get(f"clients/{person.pk}").status_code == 403
    stranger = api(outsider, workspace_slug="serena")
    for response in (
        stranger.get("clients"),
        stranger.get(f"clients/{person.pk}"),
        stranger.post("clients", {"name": "X"}),
        stranger.patch(f"clients/{person.pk}", {"name": "X"}),
        stranger.post(f"clients/{person.pk}/archive"),
        stranger.post(f"clients/{person.pk}/unarchive"),
        stranger.delete(f"clients/{person.pk}"),
        stranger.post(f"clients/{person.pk}/practitioners", {"member_id": owner.pk}),
        stranger.delete(f"clients/{person.pk}/practitioners/{owner.pk}"),
    ):
        assert response.status_code == 404
    own = api(outsider)  # serena's ids from the outsider's own workspace
    assert own.get(f"clients/{person.pk}").status_code == 404
    assert own.patch(f"clients/{person.pk}", {"name": "X"}).status_code == 404
    assert own.delete(f"clients/{person.pk}").status_code == 404
    assert Client.objects.get(pk=person.pk).name == "Ana"


def test_reading_clinical_fields_is_audited_without_values(api, owner, assistant, client_fields):
    person = make(owner.workspace, "Ana", fields={"diagnosis": "segredo", "referral": "web"})
    api(owner).get(f"clients/{person.pk}")
    event = AuditEvent.objects.get(action="clinical.read")
    assert (event.client_id, event.changes["client_fields"]) == (person.pk, ["diagnosis"])
    assert "segredo" not in str(event.changes)
    api(assistant).get(f"clients/{person.pk}")  # nothing clinical shown: nothing recorded
    assert AuditEvent.objects.filter(action="clinical.read").count() == 1


def test_phone_search_ignores_formatting(api, owner):
    make(owner.workspace, "Ana", phone="+55 (11) 98765-4321")
    make(owner.workspace, "Bia", phone="+55 21 91111-2222")
    client = api(owner)
    assert [c["name"] for c in client.get("clients", q="98765 4321").json()["items"]] == ["Ana"]
    assert [c["name"] for c in client.get("clients", q="987654321").json()["items"]] == ["Ana"]
    person = Client.objects.get(name="Bia")
    person.phone = "11 3333-4444"
    person.save(update_fields=["phone"])
    assert [c["name"] for c in client.get("clients", q="33334444").json()["items"]] == ["Bia"]
