"""The pages: the retention page (policy and log) and a client's data requests page, per persona."""

from __future__ import annotations

import pytest
from django.urls import reverse

from atendo.clients.models import Client
from atendo.retention.models import DataRequest, RetentionPolicy
from atendo.retention.services import pseudonym
from tests.factories import ClientFactory, FieldDefinitionFactory, StoredSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_row(workspace, therapist):
    client = ClientFactory(workspace=workspace, name="Elisa Página", practitioners=[therapist])
    Client.objects.filter(pk=client.pk).update(email="elisa@example.test", phone="11 91234-5678")
    client.refresh_from_db()
    return client


def _index(slug: str = "serena") -> str:
    return reverse("retention:index", args=[slug])


def _client_page(client: Client, slug: str = "serena") -> str:
    return reverse("retention:client", args=[slug, client.pk])


def test_the_owner_sees_the_policy_and_the_log(page_client, owner, workspace):
    FieldDefinitionFactory(
        workspace=workspace, scope="client", key="address", label="Endereço", clinical=False
    )
    html = page_client(owner).get(_index()).content.decode()
    assert "Retention policy" in html and 'name="years"' in html and "Endereço" in html
    assert "No requests recorded yet." in html


def test_the_owner_saves_the_policy(page_client, owner, workspace):
    FieldDefinitionFactory(workspace=workspace, scope="client", key="address", clinical=False)
    response = page_client(owner).post(_index(), {"years": "7", "identifying_fields": ["address"]})
    assert response.status_code == 302
    policy = RetentionPolicy.objects.get(workspace=workspace)
    assert (policy.years, policy.identifying_fields) == (7, ["address"])


def test_a_period_under_five_years_is_refused(page_client, owner):
    response = page_client(owner).post(_index(), {"years": "3"}, follow=True)
    assert "Give a number between 5 and 100." in response.content.decode()
    assert not RetentionPolicy.objects.exists()


@pytest.mark.parametrize("who", ["therapist", "other_therapist", "assistant"])
def test_non_owners_are_refused_the_pages(page_client, who, request, client_row):
    browser = page_client(request.getfixturevalue(who))
    assert browser.get(_index()).status_code == 403
    assert browser.get(_client_page(client_row)).status_code == 403
    response = browser.post(_client_page(client_row), {"action": "erase", "confirm": "yes"})
    assert response.status_code == 403
    assert Client.objects.get(pk=client_row.pk).name == "Elisa Página"


def test_an_outsider_gets_404(page_client, outsider, client_row):
    browser = page_client(outsider)
    assert browser.get(_index()).status_code == 404
    assert browser.get(_client_page(client_row)).status_code == 404
    assert browser.get(_client_page(client_row, "outra")).status_code == 404


def test_the_client_page_links_to_data_requests_for_the_owner_only(page_client, owner, therapist, client_row):
    detail = reverse("clients:detail", args=["serena", client_row.pk])
    assert _client_page(client_row) in page_client(owner).get(detail).content.decode()
    assert _client_page(client_row) not in page_client(therapist).get(detail).content.decode()


def test_the_owner_erases_from_the_page(page_client, owner, therapist, client_row):
    StoredSessionFactory(client=client_row, practitioner=therapist, notes="Fica")
    browser = page_client(owner)
    html = browser.get(_client_page(client_row)).content.decode()
    assert "Erase identifying data" in html and "the e-mail" in html and "the phone" in html
    # Without the confirmation box, nothing happens.
    browser.post(_client_page(client_row), {"action": "erase"})
    assert Client.objects.get(pk=client_row.pk).name == "Elisa Página"
    response = browser.post(_client_page(client_row), {"action": "erase", "confirm": "yes", "note": "Pedido"})
    assert response.status_code == 302
    client = Client.objects.get(pk=client_row.pk)
    assert (client.name, client.email, client.phone) == (pseudonym(owner.workspace, client.pk), "", "")
    html = browser.get(_client_page(client_row)).content.decode()
    assert "This client was anonymised." in html and "Erasure (anonymisation)" in html
    assert "Elisa" not in html


def test_the_owner_records_a_request_from_the_page(page_client, owner, client_row):
    response = page_client(owner).post(
        _client_page(client_row), {"action": "record", "kind": "portability", "asked_by": "representative"}
    )
    assert response.status_code == 302
    entry = DataRequest.objects.get()
    assert (entry.kind, entry.asked_by, entry.recorded_by) == ("portability", "representative", owner)
    html = page_client(owner).get(_index()).content.decode()
    assert "Copy / portability" in html and "A legal representative" in html


def test_a_bad_request_shows_its_message(page_client, owner, client_row):
    response = page_client(owner).post(
        _client_page(client_row), {"action": "record", "kind": "erasure"}, follow=True
    )
    assert "Unknown value" in response.content.decode()
    assert not DataRequest.objects.exists()
