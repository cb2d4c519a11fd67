"""A member's own profile: name and professional details (API `members/me` and the page), checked
tax ids, audited, never someone else's; members lists show the professional details, not the tax id."""

from __future__ import annotations

import pytest

from atendo.audit.models import AuditEvent
from atendo.workspaces.models import Membership

pytestmark = pytest.mark.django_db


def test_read_and_change_my_profile(api, therapist):
    client = api(therapist)
    body = client.get("members/me").json()
    assert body == {
        "member_id": therapist.pk,
        "email": "therapist@serena.test",
        "name": "Theo Therapist",
        "display_name": "Theo Therapist",
        "profession": "",
        "registration": "",
        "tax_id": "",
        "video_room_url": "",
    }
    response = client.patch(
        "members/me",
        {
            "name": "Dra. Theo",
            "profession": "Psicóloga",
            "registration": "CRP 06/123456",
            "tax_id": "52998224725",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["tax_id"] == "529.982.247-25"
    member = Membership.objects.select_related("user").get(pk=therapist.pk)
    assert (member.user.name, member.profession, member.registration) == (
        "Dra. Theo",
        "Psicóloga",
        "CRP 06/123456",
    )
    event = AuditEvent.objects.get(action="member.profile")
    assert event.changes["tax_id"] == "changed"  # the audit keeps no tax id
    assert event.changes["registration"] == ["", "CRP 06/123456"]


def test_only_the_keys_sent_change(api, therapist):
    client = api(therapist)
    client.patch("members/me", {"profession": "Reikiana"})
    client.patch("members/me", {"registration": "ABRATH 123"})
    body = client.get("members/me").json()
    assert (body["profession"], body["registration"], body["name"]) == (
        "Reikiana",
        "ABRATH 123",
        "Theo Therapist",
    )


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"tax_id": "529.982.247-24"}, "tax_id"),
        ({"registration": "x" * 61}, "registration"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_profile_input_is_a_422_at_its_path(api, therapist, body, path):
    response = api(therapist).patch("members/me", body)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == path


def test_members_lists_show_professional_details_but_not_the_tax_id(api, owner, therapist):
    api(therapist).patch(
        "members/me", {"profession": "Psicóloga", "registration": "CRP 06/1", "tax_id": "52998224725"}
    )
    items = {m["id"]: m for m in api(owner).get("members").json()["items"]}
    assert (items[therapist.pk]["profession"], items[therapist.pk]["registration"]) == (
        "Psicóloga",
        "CRP 06/1",
    )
    assert "tax_id" not in items[therapist.pk]
    assert "529.982.247-25" not in api(owner).get(f"members/{therapist.pk}").content.decode()


def test_an_outsider_gets_404(api, outsider):
    assert api(outsider, "serena").get("members/me").status_code == 404
    assert api(outsider, "serena").patch("members/me", {"profession": "x"}).status_code == 404


def test_the_profile_page_for_every_persona(page_client, owner, therapist, other_therapist, assistant):
    for member in (owner, therapist, other_therapist, assistant):
        response = page_client(member).get("/w/serena/settings/profile/")
        assert response.status_code == 200
        assert 'name="registration"' in response.content.decode()


def test_saving_the_profile_page(page_client, assistant):
    client = page_client(assistant)
    response = client.post(
        "/w/serena/settings/profile/",
        {"name": "Ana Recepção", "profession": "", "registration": "", "tax_id": "111.444.777-35"},
    )
    assert response.status_code == 302
    member = Membership.objects.select_related("user").get(pk=assistant.pk)
    assert (member.user.name, member.tax_id) == ("Ana Recepção", "111.444.777-35")


def test_a_wrong_cpf_on_the_page_is_shown_next_to_its_field(page_client, assistant):
    response = page_client(assistant).post(
        "/w/serena/settings/profile/", {"name": "Ana", "tax_id": "111.444.777-36"}
    )
    assert response.status_code == 422
    assert "This CPF is not valid" in response.content.decode()
    assert Membership.objects.get(pk=assistant.pk).tax_id == ""


# --- the receipt settings ---------------------------------------------------------------------------


def test_receipt_settings_through_the_api(api, owner):
    client = api(owner)
    body = client.get("settings").json()
    assert (body["address"], body["client_tax_id_field"]) == ("", "")
    response = client.patch("settings", {"address": "Rua A, 1\nSão Paulo", "client_tax_id_field": "cpf"})
    assert response.status_code == 200
    assert (response.json()["address"], response.json()["client_tax_id_field"]) == (
        "Rua A, 1\nSão Paulo",
        "cpf",
    )
    assert client.patch("settings", {"client_tax_id_field": ""}).json()["client_tax_id_field"] == ""
    bad = client.patch("settings", {"client_tax_id_field": "CPF do cliente"})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["path"] == "client_tax_id_field"


def test_the_settings_page_has_the_receipts_card(page_client, owner):
    body = page_client(owner).get("/w/serena/settings/workspace/").content.decode()
    assert (
        'id="settings-receipts"' in body and 'name="address"' in body and 'name="client_tax_id_field"' in body
    )
    assert "Language of documents for clients" in body
