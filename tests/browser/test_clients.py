"""Browser: creating a client with custom fields (nested rows and a drawn signature)."""

from __future__ import annotations

import pytest

from atendo.clients.models import Client
from atendo.fields.models import FieldDefinition
from atendo.files.models import Attachment
from tests.factories import unsealed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def attachments_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "files"


@pytest.fixture
def client_fields(workspace):
    FieldDefinition.objects.create(
        workspace=workspace, scope="client", key="complaint", label="Main complaint", type="textarea", order=1
    )
    FieldDefinition.objects.create(
        workspace=workspace,
        scope="client",
        key="referral",
        label="Referral",
        type="select",
        order=2,
        clinical=False,
        options=[{"value": "friend", "label": "A friend"}, {"value": "web", "label": "Website"}],
    )
    FieldDefinition.objects.create(
        workspace=workspace,
        scope="client",
        key="contacts",
        label="Emergency contacts",
        type="array",
        order=3,
        clinical=False,
        children=[
            {"key": "name", "label": "Contact name", "type": "text", "required": True},
            {"key": "since", "label": "Known since", "type": "date"},
        ],
    )
    FieldDefinition.objects.create(
        workspace=workspace,
        scope="client",
        key="consent",
        label="Consent signature",
        type="signature",
        order=4,
    )


def draw_signature(page, selector):
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + 100)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + 30 + step * 25, y + 100 - (step % 3) * 30, steps=3)
    page.mouse.up()


def test_owner_creates_a_client_with_custom_fields_and_a_signature(page, login, owner, client_fields, shot):
    login(page, owner)
    page.goto("/w/serena/clients/")
    page.get_by_role("link", name="New client").click()
    page.locator("#id_name").fill("Bruna Costa")
    page.locator("#id_email").fill("bruna@example.com")
    page.get_by_label("Main complaint").fill("Ansiedade antes de provas")
    page.get_by_label("Referral").select_option("web")
    # The spare row is there; add a second one with the button.
    page.locator('[name="fields.contacts[0].name"]').fill("Mãe")
    page.locator('[name="fields.contacts[0].since"]').fill("2001-05-20")
    page.get_by_role("button", name="Add to Emergency contacts").click()
    page.locator('[name="fields.contacts[1].name"]').fill("Irmã")
    draw_signature(page, "canvas.signature-pad")
    shot(page, "client-form-custom-fields")
    page.get_by_role("button", name="Save client").click()
    page.wait_for_url("**/w/serena/clients/*/")
    client = Client.objects.get(name="Bruna Costa")
    signature = Attachment.objects.get(kind="signature")
    assert unsealed(client, "fields") == {
        "complaint": "Ansiedade antes de provas",
        "referral": "web",
        "contacts": [{"name": "Mãe", "since": "2001-05-20"}, {"name": "Irmã"}],
        "consent": signature.pk,
    }
    assert signature.content_type == "image/png" and signature.client_id == client.pk
    assert page.get_by_text("Website").is_visible()
    assert page.locator("img.signature-image").count() == 1
    shot(page, "client-detail")
    assert page.js_errors == []


def test_errors_show_at_the_nested_field(page, login, owner, client_fields):
    login(page, owner)
    page.goto("/w/serena/clients/new/")
    page.locator("#id_name").fill("Carlos")
    page.locator('[name="fields.contacts[0].since"]').fill("2001-05-20")
    page.get_by_role("button", name="Save client").click()
    error = page.locator("#f-fields-contacts-0-name-error")
    assert error.is_visible() and "Contact name is required." in error.inner_text()
    assert not Client.objects.exists()


def test_live_search(page, login, owner):
    Client.objects.create(workspace=owner.workspace, name="Bruna Costa")
    Client.objects.create(workspace=owner.workspace, name="Carlos Lima")
    login(page, owner)
    page.goto("/w/serena/clients/")
    page.get_by_label("Search clients").fill("carl")
    page.wait_for_function("() => !document.querySelector('#client-rows').textContent.includes('Bruna')")
    assert page.get_by_role("link", name="Carlos Lima").is_visible()
    assert page.js_errors == []
