"""Erasure through the API: what is anonymised, what is kept and readable, who may do it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from atendo.audit.models import AuditEvent
from atendo.booking.models import Booking
from atendo.clients.models import Client
from atendo.clients.services import client_create
from atendo.files.models import Attachment
from atendo.files.services import attachment_create, attachment_storage
from atendo.reminders.models import ClientReminderPrefs
from atendo.retention.models import DataRequest
from atendo.retention.services import policy_update, pseudonym
from atendo.workspaces.models import Membership, Workspace
from tests.factories import FieldDefinitionFactory, MemberFactory, RoleFactory, SessionFactory

pytestmark = pytest.mark.django_db

NAME = "Beatriz Identificável"
EMAIL = "beatriz@example.test"
PHONE = "+55 11 98765-4321"
CPF = "123.456.789-09"
ADDRESS = "Rua das Flores 12, São Paulo"
MOTHER = "Marta Identificável"
HISTORY = "Histórico clínico que fica"
NOTES = "Nota clínica da sessão que fica"


@pytest.fixture
def record(workspace: Workspace, owner: Membership, therapist: Membership) -> dict[str, Any]:
    """A client with every kind of identifying data, a clinical history and a session with notes
    by the therapist, who is assigned."""
    FieldDefinitionFactory(workspace=workspace, scope="client", key="cpf", type="text", clinical=False)
    FieldDefinitionFactory(
        workspace=workspace, scope="client", key="address", type="textarea", clinical=False
    )
    FieldDefinitionFactory(workspace=workspace, scope="client", key="mother", type="text", clinical=True)
    FieldDefinitionFactory(workspace=workspace, scope="client", key="history", type="textarea", clinical=True)
    FieldDefinitionFactory(workspace=workspace, scope="client", key="id_doc", type="file", clinical=False)
    Workspace.objects.filter(pk=workspace.pk).update(client_tax_id_field="cpf")
    owner.workspace.refresh_from_db()
    policy_update(member=owner, data={"identifying_fields": ["address", "mother", "id_doc"]})
    upload = attachment_create(
        member=owner, uploaded_file=SimpleUploadedFile("rg.txt", b"RG 12.345.678-9\n"), clinical=False
    )
    client = client_create(
        member=owner,
        data={
            "name": NAME,
            "email": EMAIL,
            "phone": PHONE,
            "birth_date": "1990-05-01",
            "practitioner_ids": [therapist.pk],
            "fields": {
                "cpf": CPF,
                "address": ADDRESS,
                "mother": MOTHER,
                "history": HISTORY,
                "id_doc": upload.pk,
            },
        },
    )
    ClientReminderPrefs.objects.create(workspace=workspace, client=client, channel="email", language="pt-BR")
    session = SessionFactory(client=client, practitioner=therapist, notes=NOTES)
    Booking.objects.create(
        workspace=workspace, session=session, client=client, email=EMAIL, confirmed_at=session.created_at
    )
    upload.refresh_from_db()
    return {"client": client, "session": session, "upload": upload}


def _erase(api: Any, member: Membership, client_id: int, **body: Any) -> Any:
    return api(member).post(f"clients/{client_id}/erasure", body)


def test_erasure_anonymises_exactly_the_identifying_data(
    api, owner, record, django_capture_on_commit_callbacks
):
    client = record["client"]
    stored_name = record["upload"].storage_name
    assert attachment_storage().exists(stored_name)
    with django_capture_on_commit_callbacks(execute=True):
        response = _erase(api, owner, client.pk, note="Pedido recebido por e-mail", received_on="2026-12-01")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "erasure" and body["status"] == "done" and body["received_on"] == "2026-12-01"
    assert body["client_name"] == pseudonym(owner.workspace, client.pk)
    assert body["details"]["cleared"] == [
        "name",
        "email",
        "phone",
        "birth_date",
        "fields.address",
        "fields.id_doc",
        "fields.mother",
        "fields.cpf",
    ]

    client.refresh_from_db()
    assert client.name == pseudonym(owner.workspace, client.pk) == f"Anonymised client #{client.pk}"
    assert (client.email, client.phone, client.phone_digits, client.birth_date) == ("", "", "", None)
    assert client.archived
    assert set(client.fields) == {"history"}
    assert not Attachment.objects.filter(pk=record["upload"].pk).exists()
    assert not attachment_storage().exists(stored_name)
    assert not ClientReminderPrefs.objects.filter(client_id=client.pk).exists()
    booking = Booking.objects.get(client_id=client.pk)
    assert booking.email == "" and booking.confirmed_at is not None
    assert body["details"]["bookings"] == 1


def test_the_clinical_record_stays_readable_to_its_readers(api, owner, therapist, record):
    client, session = record["client"], record["session"]
    assert _erase(api, owner, client.pk).status_code == 201
    for reader in (owner, therapist):
        assert api(reader).get(f"sessions/{session.pk}").json()["notes"] == NOTES
        shown = api(reader).get(f"clients/{client.pk}").json()
        assert shown["fields"] == {"history": HISTORY}
        assert shown["name"].startswith("Anonymised client #")


def test_erasure_does_not_widen_anyones_access(api, owner, therapist, other_therapist, assistant, record):
    client, session = record["client"], record["session"]
    assert _erase(api, owner, client.pk).status_code == 201
    assert set(Client.objects.get(pk=client.pk).assignments.values_list("member_id", flat=True)) == {
        therapist.pk
    }
    for outsider_to_notes in (other_therapist, assistant):
        shown = api(outsider_to_notes).get(f"sessions/{session.pk}").json()
        assert "notes" in shown["withheld"] and NOTES not in json.dumps(shown)


def test_the_audit_event_holds_no_erased_value(api, owner, record):
    client = record["client"]
    assert _erase(api, owner, client.pk).status_code == 201
    event = AuditEvent.objects.get(action="client.erase", object_id=str(client.pk))
    text = json.dumps([event.object_label, event.changes], ensure_ascii=False)
    for value in (NAME, EMAIL, PHONE, CPF, ADDRESS, MOTHER, "1990-05-01", "Identificável"):
        assert value not in text
    assert event.object_label == pseudonym(owner.workspace, client.pk)
    assert event.changes["request_id"] == DataRequest.objects.get(client_id=client.pk).pk


def test_the_search_index_forgets_the_identifying_fields(api, owner, record):
    from atendo.insights.keys import index_key
    from atendo.insights.models import SearchDocument
    from atendo.insights.search import tokens_of

    client = record["client"]
    before = SearchDocument.objects.get(client_id=client.pk, kind="client").tokens.split()
    assert _erase(api, owner, client.pk).status_code == 201
    after = SearchDocument.objects.get(client_id=client.pk, kind="client").tokens
    # What the kept field alone gives: nothing of the erased values is left to match.
    assert after == tokens_of(index_key(owner.workspace_id), [HISTORY], owner.workspace.language)
    assert len(after.split()) < len(before)


def test_a_second_erasure_is_a_conflict(api, owner, record):
    assert _erase(api, owner, record["client"].pk).status_code == 201
    response = _erase(api, owner, record["client"].pk)
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_erased"
    assert DataRequest.objects.filter(kind="erasure").count() == 1


@pytest.mark.parametrize("who", ["therapist", "other_therapist", "assistant"])
def test_a_non_owner_may_not_erase(api, record, who, request):
    member = request.getfixturevalue(who)
    response = _erase(api, member, record["client"].pk)
    assert response.status_code == 403
    client = Client.objects.get(pk=record["client"].pk)
    assert client.name == NAME and client.email == EMAIL
    assert not DataRequest.objects.exists()


def test_an_outsider_gets_404(api, outsider, record):
    assert api(outsider, "serena").post(f"clients/{record['client'].pk}/erasure", {}).status_code == 404
    assert api(outsider).post(f"clients/{record['client'].pk}/erasure", {}).status_code == 404
    assert Client.objects.get(pk=record["client"].pk).name == NAME


def test_erasure_needs_clinical_access_to_the_client(api, workspace, record):
    role = RoleFactory(workspace=workspace, name="Privacy desk", permissions=["client.read", "client.erase"])
    desk = MemberFactory(workspace=workspace, email="desk@serena.test", role=role)
    response = _erase(api, desk, record["client"].pk)
    assert response.status_code == 403 and response.json()["error"]["code"] == "clinical_forbidden"
    assert Client.objects.get(pk=record["client"].pk).fields.get("mother")


def test_erasure_needs_a_recent_sign_in(api, owner, record):
    response = api(owner, scopes=[]).post(f"clients/{record['client'].pk}/erasure", {})
    assert response.status_code == 403 and response.json()["error"]["code"] == "reauth_required"
    assert Client.objects.get(pk=record["client"].pk).name == NAME


def test_bad_input_is_named(api, owner, record):
    response = _erase(api, owner, record["client"].pk, asked_by="neighbour", received_on="2999-01-01")
    assert response.status_code == 422
    assert {f["path"] for f in response.json()["error"]["fields"]} == {"asked_by", "received_on"}
    assert Client.objects.get(pk=record["client"].pk).name == NAME
