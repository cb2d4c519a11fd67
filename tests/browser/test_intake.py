"""Browser: intake forms. A client signs a consent on a phone (390x844) by drawing on the canvas
with the mouse, after the page refused a blank signature; a client fills their details on a phone;
a member sends a form from the client's page and sees its status; the signed PDF is kept."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from atendo.files.models import Attachment
from atendo.files.services import attachment_storage
from atendo.intake import links, services
from atendo.intake.models import FormRequest
from tests.factories import ClientFactory, FieldDefinitionFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _path(fr: FormRequest) -> str:
    return links.form_path(links.make_token(workspace_id=fr.workspace_id, request_id=fr.pk))


def _draw(page, selector: str) -> None:
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for fx, fy in ((0.25, 0.3), (0.4, 0.75), (0.55, 0.25), (0.7, 0.7), (0.9, 0.35)):
        page.mouse.move(x + w * fx, y + h * fy, steps=8)
    page.mouse.up()


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_a_client_signs_a_consent(page, owner, therapist, shot, width):
    client = ClientFactory(workspace=owner.workspace, name="Alice Cliente", practitioners=[therapist])
    document = services.consent_document_create(
        member=owner,
        title="Consent to treatment",
        text="I agree to take part in psychotherapy sessions with the practice.\n\n"
        "What is said in a session stays confidential, except where the law requires otherwise.\n\n"
        "I may end this consent at any time by telling the practice.",
    )
    fr = services.form_request_create(
        member=owner, kind="consent", client_id=client.pk, consent_document_id=document.pk, send_email=False
    ).form_request
    suffix = "-phone" if width == "phone" else ""
    page.set_viewport_size(PHONE if width == "phone" else DESKTOP)
    page.goto(_path(fr))
    expect(page.get_by_role("heading", name="Consent to treatment")).to_be_visible()
    expect(page.get_by_text("stays confidential")).to_be_visible()
    shot(page, f"intake-consent{suffix}")
    # Nothing drawn: refused at the signature, with the other answers kept.
    page.get_by_label("Your full name").fill("Alice Maria Cliente")
    page.get_by_role("button", name="Sign and send").click()
    expect(page.locator("#f-signature-error")).to_be_visible()
    expect(page.locator("#f-agree-error")).to_be_visible()
    expect(page.get_by_label("Your full name")).to_have_value("Alice Maria Cliente")
    if width == "phone":
        page.locator("#f-signature").scroll_into_view_if_needed()
        shot(page, "intake-consent-errors-phone")
    _draw(page, "canvas.signature-pad")
    page.get_by_label("I have read this text and I agree to it.").check()
    if width == "phone":
        shot(page, "intake-consent-signed-phone")
    page.get_by_role("button", name="Sign and send").click()
    expect(page.get_by_role("heading", name="Signed. Thank you!")).to_be_visible()
    shot(page, f"intake-consent-done{suffix}")
    assert not page.js_errors
    fr.refresh_from_db()
    assert fr.locked and fr.signer_name == "Alice Maria Cliente"
    pdf = Attachment.objects.get(pk=fr.consent_pdf_id)
    with attachment_storage().open(pdf.storage_name) as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Alice Maria Cliente" in text and fr.text_sha256 in text.replace("\n", "").replace(" ", "")
    assert reader.pages[-1].images, "the drawn signature is in the PDF"
    # Once signed, the link says so.
    page.goto(_path(fr))
    expect(page.get_by_role("heading", name="Already submitted")).to_be_visible()


def test_a_client_fills_their_details_on_a_phone(page, owner, therapist, shot):
    FieldDefinitionFactory(
        workspace=owner.workspace, scope="client", key="city", label="City", clinical=False, required=True
    )
    FieldDefinitionFactory(
        workspace=owner.workspace,
        scope="client",
        key="reason",
        label="What brings you here?",
        type="textarea",
    )
    client = ClientFactory(workspace=owner.workspace, name="Bruno Cliente", practitioners=[therapist])
    fr = services.form_request_create(
        member=owner, kind="client_fields", client_id=client.pk, send_email=False
    ).form_request
    page.set_viewport_size(PHONE)
    page.goto(_path(fr))
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    page.get_by_label("What brings you here?").fill("Sleep")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#f-fields-city-error")).to_be_visible()
    shot(page, "intake-details-errors-phone")
    page.get_by_label("City").fill("Recife")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Sent. Thank you!")).to_be_visible()
    assert not page.js_errors


def test_a_member_sends_a_form_from_the_client_page(page, login, assistant, therapist, shot):
    FieldDefinitionFactory(
        workspace=assistant.workspace, scope="client", key="city", label="City", clinical=False
    )
    client = ClientFactory(workspace=assistant.workspace, name="Carla Cliente", practitioners=[therapist])
    login(page, assistant)
    page.goto(f"/w/serena/clients/{client.pk}/")
    page.get_by_role("link", name="Forms").click()
    expect(page.get_by_role("heading", name="Send a form")).to_be_visible()
    page.get_by_label("Form", exact=True).select_option("client_fields")
    page.get_by_role("button", name="Send the form").click()
    expect(page.get_by_test_id("form-link")).to_be_visible()
    expect(page.get_by_text("Waiting for the client")).to_be_visible()
    shot(page, "intake-request")
    page.goto(f"/w/serena/clients/{client.pk}/forms/")
    shot(page, "intake-client-forms")
