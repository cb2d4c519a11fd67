"""A therapist records a finished session with its payment, then invoices it and downloads the PDF."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from atendo.billing.models import Invoice, Payment
from atendo.scheduling.models import Session
from tests.factories import (
    ClientFactory,
    FieldDefinitionFactory,
    SessionFactory,
    TherapyTypeFactory,
    unsealed,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_therapist_records_a_session_with_payment_and_downloads_the_invoice(
    page, login, owner, therapist, shot, tmp_path
):
    workspace = owner.workspace
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("150.00"))
    FieldDefinitionFactory(
        workspace=workspace,
        therapy_type=reiki,
        key="chakras",
        label="Chakras worked on",
        type="multi_select",
        options=[{"value": "root", "label": "Root"}, {"value": "heart", "label": "Heart"}],
    )
    FieldDefinitionFactory(
        workspace=workspace, therapy_type=reiki, key="sensations", label="Sensations", type="textarea"
    )
    client = ClientFactory(workspace=workspace, name="Maria Silva", practitioners=[therapist])
    session = SessionFactory(
        client=client, practitioner=therapist, therapy_type=reiki, status="completed", name="Reiki com Maria"
    )

    login(page, therapist)
    page.goto(f"/w/serena/sessions/{session.pk}/")
    page.get_by_role("link", name="Record session").click()
    expect(page.get_by_role("heading", name="Record session")).to_be_visible()
    expect(page.get_by_label("Actual duration (minutes)")).to_have_value("60")
    expect(page.get_by_label("Amount")).to_have_value("150.00")
    page.get_by_label("Actual duration (minutes)").fill("70")
    page.get_by_label("Session notes").fill("Relaxou bem; dor nas costas diminuiu.")
    page.get_by_label("Root").check()
    page.get_by_label("Heart").check()
    page.get_by_label("Sensations").fill("Calor nas mãos")
    page.get_by_label("Payment status").select_option("paid")
    page.get_by_label("Method").select_option("pix")
    shot(page, "record-session")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert f"/sessions/{session.pk}/" in page.url and "/record/" not in page.url
    expect(page.get_by_text("Session recorded.")).to_be_visible()
    expect(page.get_by_role("link", name="Edit the record")).to_be_visible()

    # Attach an administrative receipt on the session page (the attachments include).
    receipt = tmp_path / "recibo.txt"
    receipt.write_text("Recibo PIX 150,00\n")
    page.get_by_label("Attach a file or an image").set_input_files(str(receipt))
    page.get_by_label("Visibility").select_option("0")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("link", name="recibo.txt")).to_be_visible()

    session = Session.objects.get(pk=session.pk)
    assert session.recorded_at is not None and session.actual_duration_minutes == 70
    assert unsealed(session, "therapy_fields") == {
        "chakras": ["root", "heart"],
        "sensations": "Calor nas mãos",
    }
    payment = Payment.objects.get(session=session)
    assert (payment.status, payment.method, str(payment.amount)) == ("paid", "pix", "150.00")

    # Invoice it from the client's payments and download the PDF.
    page.goto(f"/w/serena/clients/{client.pk}/?tab=payments")
    expect(page.locator(".amount-paid")).to_contain_text("150.00")
    shot(page, "client-payments-tab")
    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Reiki com Maria", exact=False).check()
    page.get_by_role("button", name="Create draft").click()
    page.get_by_role("link", name="Issue…").click()  # issuing asks for confirmation first
    expect(page.get_by_role("heading", name="Issue the invoice?")).to_be_visible()
    page.get_by_role("button", name="Issue the invoice").click()
    expect(page.locator("#invoice-status")).to_have_text("Issued")
    expect(page.get_by_role("heading", name="Invoice 000001")).to_be_visible()
    shot(page, "invoice-issued")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == "invoice-000001.pdf"
    target = tmp_path / "invoice.pdf"
    download.save_as(str(target))
    assert target.read_bytes().startswith(b"%PDF-")
    assert Invoice.objects.get().number == 1
    assert page.js_errors == []


def test_owner_manages_therapy_types_in_settings(page, login, owner, shot):
    from atendo.therapies.models import TherapyType

    login(page, owner)
    page.goto("/w/serena/settings/therapy-types/")
    page.get_by_label("Name").fill("Constelação Familiar")
    page.get_by_label("Default duration (minutes)").fill("90")
    page.get_by_label("Default price").fill("-280")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("The amount cannot be negative.")).to_be_visible()
    page.get_by_label("Default price").fill("280,00")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("link", name="Constelação Familiar", exact=True)).to_be_visible()
    tt = TherapyType.objects.get()
    assert str(tt.default_price) == "280.00" and tt.default_duration_minutes == 90
    shot(page, "therapy-types")
    page.get_by_role("link", name="Fields of Constelação Familiar").click()
    page.wait_for_url(f"**/w/serena/settings/fields/therapy_type:{tt.pk}/")
    assert page.js_errors == []
