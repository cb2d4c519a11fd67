"""Who may widen clinical access, and clinical client fields on writes, through the API and the pages.

Assigning a practitioner opens the client's whole record, so it needs `client.assign` (the Owner's
by default), nobody ever assigns themselves where that would open anything, and the answer to a
write never depends on a clinical value the writer cannot read. Ana is Theo's (`therapist`) client.
"""

from __future__ import annotations

from typing import Any

import pytest

from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.models import ClientPractitioner
from atendo.workspaces.models import Role
from atendo.workspaces.services import role_update
from tests.factories import FieldDefinitionFactory, owner_of, unsealed

pytestmark = pytest.mark.django_db

NON_READERS = ["other_therapist", "assistant"]


@pytest.fixture
def ana(api, owner, therapist, workspace) -> Client:
    FieldDefinitionFactory(
        workspace=workspace, scope="client", key="diagnosis", label="Diagnosis", type="text"
    )
    FieldDefinitionFactory(
        workspace=workspace, scope="client", key="referral", label="Referral", type="text", clinical=False
    )
    body = {
        "name": "Ana",
        "practitioner_ids": [therapist.pk],
        "fields": {"diagnosis": "F41", "referral": "web"},
    }
    response = api(owner).post("clients", body)
    assert response.status_code == 201, response.content
    return Client.objects.get(pk=response.json()["id"])


def assigned(client: Client) -> set[int]:
    return set(ClientPractitioner.objects.filter(client=client).values_list("member_id", flat=True))


def reads_diagnosis(api: Any, member: Any, client: Client) -> bool:
    return "diagnosis" in api(member).get(f"clients/{client.pk}").json()["fields"]


def grant(member: Any, *codes: str) -> None:
    """Give a persona's role more permissions (a practice editing its roles, as its owner)."""
    role = Role.objects.get(pk=member.role_id)
    role_update(
        member=owner_of(member.workspace), role_id=role.pk, permissions=sorted({*role.permissions, *codes})
    )


# --- explicit assignment ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["therapist", "other_therapist", "assistant"])
def test_assigning_needs_client_assign(api, request, ana, therapist, other_therapist, persona):
    """The reported hole: with the Therapist role, Olga made herself a reader of Theo's client."""
    response = api(request.getfixturevalue(persona)).post(
        f"clients/{ana.pk}/practitioners", {"member_id": other_therapist.pk}
    )
    assert response.status_code == 403
    assert assigned(ana) == {therapist.pk}
    assert not reads_diagnosis(api, other_therapist, ana)


def test_the_owner_assigns(api, owner, ana, therapist, other_therapist):
    response = api(owner).post(f"clients/{ana.pk}/practitioners", {"member_id": other_therapist.pk})
    assert response.status_code == 200 and response.json()["practitioner_ids"] == [
        therapist.pk,
        other_therapist.pk,
    ]
    assert reads_diagnosis(api, other_therapist, ana)


def test_nobody_assigns_themselves_even_with_client_assign(api, ana, therapist, other_therapist, assistant):
    grant(other_therapist, "client.assign")
    response = api(other_therapist).post(f"clients/{ana.pk}/practitioners", {"member_id": other_therapist.pk})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "assign_forbidden"
    assert not reads_diagnosis(api, other_therapist, ana)
    assert assigned(ana) == {therapist.pk}
    # They may still assign a colleague: that is what the permission is for.
    response = api(other_therapist).post(f"clients/{ana.pk}/practitioners", {"member_id": assistant.pk})
    assert response.status_code == 200
    assert assigned(ana) == {therapist.pk, assistant.pk}


def test_a_member_who_reads_everything_may_assign_themselves(api, owner, ana, therapist):
    assert api(owner).post(f"clients/{ana.pk}/practitioners", {"member_id": owner.pk}).status_code == 200
    assert assigned(ana) == {therapist.pk, owner.pk}


@pytest.mark.parametrize("persona", ["therapist", "assistant"])
def test_unassigning_needs_client_assign(api, request, ana, therapist, persona):
    response = api(request.getfixturevalue(persona)).delete(f"clients/{ana.pk}/practitioners/{therapist.pk}")
    assert response.status_code == 403
    assert assigned(ana) == {therapist.pk}


def test_the_owner_unassigns(api, owner, ana, therapist):
    assert api(owner).delete(f"clients/{ana.pk}/practitioners/{therapist.pk}").status_code == 200
    assert assigned(ana) == set()


# --- practitioner_ids in writes -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", NON_READERS)
def test_editing_a_client_with_practitioner_ids_cannot_assign(
    api, request, ana, therapist, other_therapist, persona
):
    response = api(request.getfixturevalue(persona)).patch(
        f"clients/{ana.pk}", {"practitioner_ids": [therapist.pk, other_therapist.pk]}
    )
    assert response.status_code == 403
    assert assigned(ana) == {therapist.pk}
    assert not reads_diagnosis(api, other_therapist, ana)


@pytest.mark.parametrize("persona", ["therapist", "other_therapist", "assistant"])
def test_sending_the_current_practitioners_needs_no_more_than_client_update(
    api, request, ana, therapist, persona
):
    response = api(request.getfixturevalue(persona)).patch(
        f"clients/{ana.pk}", {"name": "Ana Maria", "practitioner_ids": [therapist.pk]}
    )
    assert response.status_code == 200, response.content
    assert Client.objects.get(pk=ana.pk).name == "Ana Maria" and assigned(ana) == {therapist.pk}


def test_the_owner_changes_the_practitioners(api, owner, ana, other_therapist):
    response = api(owner).patch(f"clients/{ana.pk}", {"practitioner_ids": [other_therapist.pk]})
    assert response.status_code == 200
    assert assigned(ana) == {other_therapist.pk}


def test_creating_a_client_for_a_colleague_needs_client_assign(api, therapist, other_therapist, assistant):
    for member in (assistant, other_therapist):
        response = api(member).post("clients", {"name": "Nova", "practitioner_ids": [therapist.pk]})
        assert response.status_code == 403
    assert not Client.objects.filter(name="Nova").exists()


@pytest.mark.parametrize(("persona", "expected"), [("therapist", "self"), ("assistant", "none")])
def test_the_creator_of_a_new_client_is_assigned_to_it_when_they_read_their_own(
    api, request, persona, expected
):
    member = request.getfixturevalue(persona)
    response = api(member).post("clients", {"name": "Nova"})
    assert response.status_code == 201
    assert response.json()["practitioner_ids"] == ([member.pk] if expected == "self" else [])


# --- the pages -----------------------------------------------------------------------------------------


def _form(client: Client, **extra: Any) -> dict[str, Any]:
    return {
        "name": client.name,
        "email": "",
        "phone": "",
        "birth_date": "",
        "fields.referral": "web",
        **extra,
    }


@pytest.mark.parametrize("persona", ["therapist", "other_therapist", "assistant"])
def test_the_client_form_offers_no_practitioner_picker_without_client_assign(
    page_client, request, ana, therapist, other_therapist, persona
):
    member = request.getfixturevalue(persona)
    http = page_client(member)
    assert 'name="practitioner_ids"' not in http.get(f"/w/serena/clients/{ana.pk}/edit/").content.decode()
    response = http.post(
        f"/w/serena/clients/{ana.pk}/edit/", _form(ana, practitioner_ids=[other_therapist.pk])
    )
    assert response.status_code == 302
    assert assigned(ana) == {therapist.pk}


def test_the_owners_client_form_assigns(page_client, owner, ana, therapist, other_therapist):
    http = page_client(owner)
    assert 'name="practitioner_ids"' in http.get(f"/w/serena/clients/{ana.pk}/edit/").content.decode()
    form = _form(ana, practitioner_ids=[therapist.pk, other_therapist.pk], **{"fields.diagnosis": "F41"})
    assert http.post(f"/w/serena/clients/{ana.pk}/edit/", form).status_code == 302
    assert assigned(ana) == {therapist.pk, other_therapist.pk}


def test_a_therapist_creating_a_client_on_the_page_is_assigned(page_client, therapist, workspace):
    response = page_client(therapist).post(
        "/w/serena/clients/new/", {"name": "Nova", "birth_date": "1990-05-04"}
    )
    assert response.status_code == 302
    client = Client.objects.get(name="Nova")
    assert assigned(client) == {therapist.pk} and str(client.birth_date) == "1990-05-04"


# --- clinical fields: no oracle, nothing unseen dropped -------------------------------------------------


@pytest.mark.parametrize("persona", NON_READERS)
@pytest.mark.parametrize("key", ["diagnosis", "no_such_field"])
def test_a_hidden_field_from_a_non_reader_is_refused_whatever_its_value(api, request, ana, persona, key):
    member = request.getfixturevalue(persona)
    bodies = []
    for guess in ("F41", "F32"):
        response = api(member).patch(f"clients/{ana.pk}", {"fields": {key: guess}})
        assert response.status_code == 403
        bodies.append(response.json())
    assert bodies[0] == bodies[1] and bodies[0]["error"]["code"] == "clinical_forbidden"
    assert unsealed(ana, "fields") == {"diagnosis": "F41", "referral": "web"}


@pytest.mark.parametrize("persona", NON_READERS)
def test_a_non_readers_page_save_keeps_the_clinical_fields(page_client, request, ana, persona):
    http = page_client(request.getfixturevalue(persona))
    response = http.post(f"/w/serena/clients/{ana.pk}/edit/", _form(ana, **{"fields.referral": "friend"}))
    assert response.status_code == 302
    assert unsealed(ana, "fields") == {"diagnosis": "F41", "referral": "friend"}


def test_a_readers_page_save_keeps_values_no_form_shows(page_client, therapist, ana):
    """A value stored under a key with no definition (an import, a deleted definition) is not in the
    form, so saving the form must not drop it."""
    # Written with the model, sealed as every clinical value is stored (no definition: clinical).
    legacy = crypto.sealer(ana.workspace_id).value(crypto.CLIENT_FIELDS, ana.pk, "legacy", "old")
    Client.objects.filter(pk=ana.pk).update(fields={**ana.fields, "legacy": legacy})
    form = _form(ana, **{"fields.diagnosis": "F41.1"})
    assert page_client(therapist).post(f"/w/serena/clients/{ana.pk}/edit/", form).status_code == 302
    assert unsealed(ana, "fields") == {"diagnosis": "F41.1", "referral": "web", "legacy": "old"}
