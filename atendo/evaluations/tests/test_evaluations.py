"""Evaluations: validated values, clinical by default (withheld whole), pages, access."""

from __future__ import annotations

import pytest

from atendo.evaluations.models import Evaluation
from atendo.workspaces.permissions import DEFAULT_ROLES
from tests.factories import (
    ClientFactory,
    FieldDefinitionFactory,
    MemberFactory,
    RoleFactory,
    SessionFactory,
    unsealed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ev(workspace, therapist):
    FieldDefinitionFactory(
        workspace=workspace,
        scope="evaluation",
        key="pain",
        label="Pain (0–10)",
        type="number",
        required=True,
        validation={"min": 0, "max": 10},
    )
    FieldDefinitionFactory(
        workspace=workspace, scope="evaluation", key="attended_with", label="Attended with", clinical=False
    )
    client = ClientFactory(workspace=workspace, practitioners=[therapist])
    session = SessionFactory(client=client, practitioner=therapist)
    return {"client": client, "session": session}


def test_therapist_creates_reads_updates_and_deletes(api, therapist, ev):
    client = api(therapist)
    response = client.post(
        "evaluations",
        {
            "client_id": ev["client"].pk,
            "session_id": ev["session"].pk,
            "title": "Initial",
            "date": "2026-03-01",
            "values": {"pain": 7, "attended_with": "mãe"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["values"] == {"pain": 7, "attended_with": "mãe"} and body["clinical"] is True
    assert body["performed_by_name"] == "Theo Therapist"
    response = client.patch(f"evaluations/{body['id']}", {"values": {"pain": 4}, "version": body["version"]})
    assert response.status_code == 200 and response.json()["values"] == {"pain": 4}
    assert client.patch(f"evaluations/{body['id']}", {"title": "x", "version": 1}).status_code == 409
    listed = client.get("evaluations", session_id=ev["session"].pk).json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]
    assert client.delete(f"evaluations/{body['id']}").status_code == 204
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({}, "values.pain"),
        ({"pain": 11}, "values.pain"),
        ({"pain": "x"}, "values.pain"),
        ({"pain": 1, "mood": 2}, "values.mood"),
    ],
)
def test_values_are_validated(api, therapist, ev, values, path):
    response = api(therapist).post("evaluations", {"client_id": ev["client"].pk, "values": values})
    assert response.status_code == 422
    assert path in [f["path"] for f in response.json()["error"]["fields"]]
    assert not Evaluation.objects.exists()


def test_a_session_of_another_client_is_refused(api, owner, therapist, ev):
    other = SessionFactory(
        client=ClientFactory(workspace=owner.workspace, name="Other"), practitioner=therapist
    )
    response = api(therapist).post(
        "evaluations", {"client_id": ev["client"].pk, "session_id": other.pk, "values": {"pain": 1}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "session_id"


def test_clinical_evaluations_are_withheld_whole(api, therapist, other_therapist, assistant, ev):
    client = api(therapist)
    clinical = client.post(
        "evaluations", {"client_id": ev["client"].pk, "values": {"pain": 9, "attended_with": "avó Zuleica"}}
    ).json()
    admin = client.post(
        "evaluations",
        {"client_id": ev["client"].pk, "clinical": False, "values": {"pain": 2, "attended_with": "só"}},
    ).json()
    for reader in (assistant, other_therapist):
        listing = api(reader).get("evaluations", client_id=ev["client"].pk)
        body = listing.json()
        assert [e["id"] for e in body["items"]] == [admin["id"]]
        assert body["withheld"] == ["evaluations"]
        assert body["items"][0]["values"] == {"attended_with": "só"}
        assert body["items"][0]["withheld"] == ["values.pain"]
        assert "Zuleica" not in listing.content.decode()
        assert api(reader).get(f"evaluations/{clinical['id']}").status_code == 404
        # A clinical evaluation does not exist for a non-reader, to write either.
        assert api(reader).patch(f"evaluations/{clinical['id']}", {"title": "x"}).status_code == 404
        assert api(reader).delete(f"evaluations/{clinical['id']}").status_code == 404
    # Writing an evaluation needs clinical access to the client.
    response = api(other_therapist).post("evaluations", {"client_id": ev["client"].pk, "values": {"pain": 1}})
    assert response.status_code == 403


def test_access_is_checked(api, therapist, outsider, workspace, ev):
    created = api(therapist).post("evaluations", {"client_id": ev["client"].pk, "values": {"pain": 1}}).json()
    ours, theirs = api(outsider, "serena"), api(outsider)
    for other in (ours, theirs):
        assert other.get(f"evaluations/{created['id']}").status_code == 404
        assert other.patch(f"evaluations/{created['id']}", {"title": "x"}).status_code == 404
        assert other.delete(f"evaluations/{created['id']}").status_code == 404
    assert ours.get("evaluations").status_code == 404
    new = {"client_id": ev["client"].pk, "values": {"pain": 1}}
    assert ours.post("evaluations", new).status_code == 404
    # In their own workspace our client does not exist: a 422 naming client_id.
    refused = theirs.post("evaluations", new)
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["path"] == "client_id"
    no_clients = [code for code in DEFAULT_ROLES["Assistant"] if code != "client.read"]
    member = MemberFactory(workspace=workspace, role=RoleFactory(workspace=workspace, permissions=no_clients))
    assert api(member).get("evaluations").status_code == 403
    assert api(member).post("evaluations", new).status_code == 403
    assert Evaluation.objects.count() == 1


def test_list_query_count(api, therapist, ev, django_assert_max_num_queries):
    client = api(therapist)
    for i in range(6):
        client.post("evaluations", {"client_id": ev["client"].pk, "values": {"pain": i}})
    with django_assert_max_num_queries(7):
        assert len(client.get("evaluations").json()["items"]) == 6


def test_pages(page_client, therapist, assistant, outsider, ev):
    client = page_client(therapist)
    url = f"/w/serena/clients/{ev['client'].pk}/evaluations/new/"
    page = client.get(url)
    assert page.status_code == 200 and "Pain (0–10)" in page.content.decode()
    response = client.post(
        url, {"title": "Inicial", "date": "2026-03-02", "clinical": "on", "values.pain": "11"}
    )
    assert response.status_code == 422
    response = client.post(
        url, {"title": "Inicial", "date": "2026-03-02", "clinical": "on", "values.pain": "6"}
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert unsealed(evaluation, "values") == {"pain": 6} and unsealed(evaluation, "title") == "Inicial"
    tab = client.get(
        f"/w/serena/clients/{ev['client'].pk}/evaluations/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Inicial" in tab
    assert client.get(f"/w/serena/evaluations/{evaluation.pk}/").status_code == 200
    tab = page_client(assistant).get(f"/w/serena/clients/{ev['client'].pk}/evaluations/").content.decode()
    assert "Inicial" not in tab and "hidden from you" in tab
    assert page_client(assistant).get(url).status_code == 403
    assert page_client(assistant).get(f"/w/serena/evaluations/{evaluation.pk}/").status_code == 404
    assert page_client(outsider).get(url).status_code == 404
    assert page_client(outsider).get(f"/w/serena/clients/{ev['client'].pk}/evaluations/").status_code == 404


def test_session_evaluations_partial(page_client, api, therapist, assistant, outsider, ev):
    api(therapist).post(
        "evaluations",
        {
            "client_id": ev["client"].pk,
            "session_id": ev["session"].pk,
            "title": "Durante",
            "values": {"pain": 3},
        },
    )
    url = f"/w/serena/sessions/{ev['session'].pk}/evaluations/"
    html = page_client(therapist).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Durante" in html and "Pain (0–10)" in html
    html = page_client(assistant).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Durante" not in html and "hidden from you" in html
    assert page_client(outsider).get(url).status_code == 404
