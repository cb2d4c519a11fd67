"""Pages: record a session, invoices (new, detail, issue, PDF), a client's payments tab,
session attachments; access on every page."""

from __future__ import annotations

import io

import pytest

from atendo.billing import services
from atendo.billing.models import Invoice, Payment
from atendo.billing.testing import make_client, make_session, make_therapy_type
from atendo.fields.services import field_create
from atendo.files.models import Attachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(owner, therapist, settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "files"
    reiki = make_therapy_type(owner, "Reiki", "150.00")
    field_create(
        member=owner,
        scope="therapy_type",
        therapy_type_id=reiki.pk,
        data={"key": "sensations", "label": "Sensations", "type": "textarea", "required": True},
    )
    client = make_client(owner, assign=therapist)
    session = make_session(client, therapist, therapy_type=reiki, status="completed", days_ago=1)
    return {"reiki": reiki, "client": client, "session": session}


def test_record_page_saves_everything(page_client, therapist, setup):
    session = setup["session"]
    client = page_client(therapist)
    url = f"/w/serena/sessions/{session.pk}/record/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sensations" in html and 'value="150.00"' in html and 'value="60"' in html
    response = client.post(
        url,
        {
            "version": session.version,
            "therapy_type": setup["reiki"].pk,
            "actual_duration_minutes": "55",
            "notes": "Boa sessão",
            "therapy_fields.sensations": "calor",
            "take_payment": "on",
            "pay-amount": "150,00",
            "pay-status": "paid",
            "pay-method": "pix",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session.refresh_from_db()
    assert session.recorded_at and session.actual_duration_minutes == 55
    assert session.therapy_fields == {"sensations": "calor"}
    assert Payment.objects.get().status == "paid"


def test_record_page_shows_errors_in_place(page_client, therapist, setup):
    session = setup["session"]
    response = page_client(therapist).post(
        f"/w/serena/sessions/{session.pk}/record/",
        {
            "version": session.version,
            "therapy_type": setup["reiki"].pk,
            "actual_duration_minutes": "55",
            "take_payment": "on",
            "pay-amount": "-3",
            "pay-status": "pending",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "cannot be negative" in html
    assert "required" in html.lower()
    session.refresh_from_db()
    assert session.recorded_at is None


def test_assistant_record_page_has_no_clinical_inputs(page_client, therapist, assistant, setup):
    session = setup["session"]
    session.notes = "Segredo clínico"
    session.save()
    response = page_client(assistant).get(f"/w/serena/sessions/{session.pk}/record/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Segredo" not in html and "therapy_fields.sensations" not in html and 'name="notes"' not in html
    response = page_client(assistant).post(
        f"/w/serena/sessions/{session.pk}/record/",
        {
            "version": session.version,
            "therapy_type": setup["reiki"].pk,
            "actual_duration_minutes": "60",
            "take_payment": "on",
            "pay-status": "paid",
            "pay-method": "cash",
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.notes == "Segredo clínico"
    assert Payment.objects.get().method == "cash"


def test_a_future_session_cannot_be_recorded(page_client, therapist, setup):
    future = make_session(setup["client"], therapist, status="scheduled", days_ago=-2)
    assert page_client(therapist).get(f"/w/serena/sessions/{future.pk}/record/").status_code == 409


def test_invoice_pages(page_client, owner, setup):
    client = page_client(owner)
    new = client.get(f"/w/serena/invoices/new/?client={setup['client'].pk}")
    assert new.status_code == 200 and setup["session"].name in new.content.decode()
    response = client.post(
        "/w/serena/invoices/new/", {"client": setup["client"].pk, "sessions": [setup["session"].pk]}
    )
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    detail = client.get(f"/w/serena/invoices/{invoice.pk}/")
    assert detail.status_code == 200 and "150.00" in detail.content.decode()
    client.post(f"/w/serena/invoices/{invoice.pk}/issue/")
    invoice.refresh_from_db()
    assert invoice.number == 1
    pdf = client.get(f"/w/serena/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    listing = client.get("/w/serena/invoices/")
    assert "000001" in listing.content.decode()
    client.post(f"/w/serena/invoices/{invoice.pk}/mark-paid/", {"method": "card"})
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    client.post(f"/w/serena/invoices/{invoice.pk}/void/")  # refused, shown as a message
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_client_payments_tab(page_client, owner, assistant, setup, django_assert_max_num_queries):
    for i in range(5):
        s = make_session(
            setup["client"], setup["session"].practitioner, therapy_type=setup["reiki"], days_ago=5 + i
        )
        services.payment_create(member=owner, session_id=s.pk, data={"status": "paid", "method": "pix"})
    client = page_client(assistant)
    with django_assert_max_num_queries(16):
        response = client.get(f"/w/serena/clients/{setup['client'].pk}/payments/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "BRL 750.00" in response.content.decode()


def test_session_attachments_include(page_client, therapist, assistant, setup):
    session = setup["session"]
    url = f"/w/serena/sessions/{session.pk}/attachments/"
    upload = io.BytesIO(b"plain text notes\n")
    upload.name = "notes.txt"
    response = page_client(therapist).post(url, {"file": upload, "clinical": "1", "kind": "file"})
    assert response.status_code == 302
    assert Attachment.objects.get().session_id == session.pk
    html = page_client(therapist).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "notes.txt" in html
    html = page_client(assistant).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "notes.txt" not in html and "hidden from you" in html


def test_pages_check_access(page_client, owner, assistant, outsider, workspace, setup):
    from atendo.workspaces.models import Role

    invoice = services.invoice_create(member=owner, session_ids=[setup["session"].pk])
    s, c = setup["session"].pk, setup["client"].pk
    urls = [
        "/w/serena/invoices/",
        f"/w/serena/invoices/new/?client={c}",
        f"/w/serena/invoices/{invoice.pk}/",
        f"/w/serena/invoices/{invoice.pk}/pdf/",
        f"/w/serena/clients/{c}/payments/",
        f"/w/serena/sessions/{s}/record/",
        f"/w/serena/sessions/{s}/attachments/",
    ]
    for url in urls:
        assert page_client(outsider).get(url).status_code == 404, url
    assert page_client(outsider).post(f"/w/serena/invoices/{invoice.pk}/issue/").status_code == 404
    role = Role.objects.get(workspace=workspace, name="Assistant")
    role.permissions = [p for p in role.permissions if not p.startswith("billing.") and p != "session.update"]
    role.save()
    client = page_client(assistant)
    for url in urls[:6]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/w/serena/invoices/{invoice.pk}/issue/").status_code == 403
    assert client.get(urls[6]).status_code == 200  # reading attachments needs session.read only


def test_assistant_marks_a_pending_payment_paid_from_the_client_tab(
    page_client, owner, assistant, outsider, setup
):
    payment = services.payment_create(member=owner, session_id=setup["session"].pk, data={})
    tab = page_client(assistant).get(
        f"/w/serena/clients/{setup['client'].pk}/payments/", HTTP_HX_REQUEST="true"
    )
    assert f"/w/serena/payments/{payment.pk}/paid/" in tab.content.decode()
    assert (
        page_client(outsider).post(f"/w/serena/payments/{payment.pk}/paid/", {"method": "pix"}).status_code
        == 404
    )
    response = page_client(assistant).post(f"/w/serena/payments/{payment.pk}/paid/", {"method": "pix"})
    assert response.status_code == 302 and "tab=payments" in response["Location"]
    payment.refresh_from_db()
    assert (payment.status, payment.method) == ("paid", "pix")
