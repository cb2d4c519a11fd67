"""The exports pages for every persona: the client page's "Export record", what an export holds for
this member, asking for one (a recent sign-in when it carries clinical content), "Your exports"
with its download link and its htmx partial, deleting one; another member's export is a 404."""

from __future__ import annotations

import pytest

from atendo.accounts import signin
from atendo.exports.models import Export
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("owner", "therapist", "other_therapist", "assistant")
NOTES = "Relata insônia desde março"


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"


@pytest.fixture
def record(owner, therapist):
    client = ClientFactory(workspace=owner.workspace, name="Carla Cliente", practitioners=[therapist])
    SessionFactory(client=client, practitioner=therapist, notes=NOTES)
    return client


def stale(client):
    session = client.session
    session[signin.AUTH_AT] -= signin.reauth_window() + 60
    session.save()
    return client


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.parametrize("who", PERSONAS)
def test_the_client_page_offers_the_export_and_the_menu_the_exports(page_client, record, request, who):
    member = request.getfixturevalue(who)
    client = page_client(member)
    page = html(client.get(f"/w/serena/clients/{record.pk}/"))
    assert f'href="/w/serena/exports/client/{record.pk}/"' in page
    assert 'href="/w/serena/exports/"' in page  # the account menu's "Your exports"


@pytest.mark.parametrize(
    "who,clinical",
    [("owner", True), ("therapist", True), ("other_therapist", False), ("assistant", False)],
)
def test_the_export_page_says_what_it_holds_for_this_member(page_client, record, request, who, clinical):
    member = request.getfixturevalue(who)
    page = html(page_client(member).get(f"/w/serena/exports/client/{record.pk}/"))
    assert "Export the record of Carla Cliente" in page
    for value in ("pdf", "json", "fhir", "zip"):
        assert f'name="format" value="{value}"' in page
    assert "Private notes are never exported." in page
    assert ("Clinical content: notes, clinical fields" in page) is clinical
    assert ("Left out for you" in page) is not clinical
    assert ("confirm your password" in page) is clinical
    assert NOTES not in page


@pytest.mark.parametrize("who", PERSONAS)
def test_each_persona_asks_and_finds_the_download_on_their_exports_page(page_client, record, request, who):
    member = request.getfixturevalue(who)
    client = page_client(member)
    response = client.post(
        "/w/serena/exports/new/", {"kind": "client", "client_id": record.pk, "format": "pdf"}, follow=True
    )
    page = html(response)
    assert response.redirect_chain[-1][0] == "/w/serena/exports/"
    assert "Your export is on the way" in page
    export = Export.objects.get(requested_by=member)
    assert export.status == "ready"
    assert f'href="/api/v1/workspaces/serena/exports/{export.pk}/download"' in page
    assert "Carla Cliente" in page and NOTES not in page
    assert ("Left out for you:" in page) is (who in ("other_therapist", "assistant"))
    # The browser's session downloads it through the API (the link of the page).
    download = client.get(f"/api/v1/workspaces/serena/exports/{export.pk}/download")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    # The htmx partial is the list alone.
    partial = html(client.get("/w/serena/exports/", HTTP_HX_REQUEST="true"))
    assert partial.lstrip().startswith('<section id="exports-list"') and "<html" not in partial


def test_a_stale_sign_in_confirms_the_password_before_an_export_with_clinical_content(
    page_client, record, owner
):
    client = stale(page_client(owner))
    response = client.post(
        "/w/serena/exports/new/", {"kind": "client", "client_id": record.pk, "format": "json"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/account/confirm/")
    assert not Export.objects.exists()


def test_an_assistant_with_a_stale_sign_in_exports_what_they_may_read(page_client, record, assistant):
    client = stale(page_client(assistant))
    response = client.post(
        "/w/serena/exports/new/", {"kind": "client", "client_id": record.pk, "format": "json"}
    )
    assert response["Location"] == "/w/serena/exports/"
    assert Export.objects.get(requested_by=assistant).status == "ready"


def test_a_bad_request_comes_back_with_its_message(page_client, record, owner):
    client = page_client(owner)
    response = client.post(
        "/w/serena/exports/new/", {"kind": "client", "client_id": record.pk, "format": "docx"}, follow=True
    )
    assert "A client export is one of: json, pdf, fhir, zip." in html(response)
    response = client.post("/w/serena/exports/new/", {"kind": "client", "client_id": "x"}, follow=True)
    assert "Choose what to export." in html(response)
    assert not Export.objects.exists()


def test_a_client_the_member_cannot_see_is_a_404(page_client, owner, other_workspace):
    foreign = ClientFactory(workspace=other_workspace, name="Alheia")
    client = page_client(owner)
    assert client.get(f"/w/serena/exports/client/{foreign.pk}/").status_code == 404
    response = client.post(
        "/w/serena/exports/new/", {"kind": "client", "client_id": foreign.pk, "format": "json"}
    )
    assert response.status_code == 404


def test_deleting_is_for_the_member_who_asked(page_client, record, owner, therapist):
    page_client(therapist).post(
        "/w/serena/exports/new/", {"kind": "client", "client_id": record.pk, "format": "json"}
    )
    export = Export.objects.get(requested_by=therapist)
    assert page_client(owner).post(f"/w/serena/exports/{export.pk}/delete/").status_code == 404
    assert page_client(owner).get(f"/w/serena/exports/{export.pk}/delete/").status_code == 405
    assert f"exports/{export.pk}/" not in html(page_client(owner).get("/w/serena/exports/"))
    response = page_client(therapist).post(f"/w/serena/exports/{export.pk}/delete/", follow=True)
    assert "The export and its file were deleted." in html(response)
    assert not Export.objects.filter(pk=export.pk).exists()
