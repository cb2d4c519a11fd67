"""Pages: record a session, invoices (new, detail, issue, PDF), a client's payments tab,
session attachments; access on every page."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from atendo.billing.models import Invoice, Payment
from atendo.files.models import Attachment
from atendo.scheduling import sealing
from atendo.workspaces.permissions import DEFAULT_ROLES
from tests.factories import (
    ClientFactory,
    FieldDefinitionFactory,
    InvoiceFactory,
    MemberFactory,
    PaymentFactory,
    RoleFactory,
    SessionFactory,
    TherapyTypeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(workspace, therapist):
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("150.00"))
    FieldDefinitionFactory(
        workspace=workspace,
        therapy_type=reiki,
        key="sensations",
        label="Sensations",
        type="textarea",
        required=True,
    )
    client = ClientFactory(workspace=workspace, name="Maria Silva", practitioners=[therapist])
    session = SessionFactory(
        client=client, practitioner=therapist, therapy_type=reiki, status="completed", days_ago=1
    )
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
    assert sealing.open_therapy(session) == {"sensations": "calor"}
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
    session = SessionFactory(
        client=setup["client"], practitioner=therapist, therapy_type=setup["reiki"], notes="Segredo clínico"
    )
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
    assert sealing.open_notes(session) == "Segredo clínico"
    assert Payment.objects.get().method == "cash"


def test_a_future_session_cannot_be_recorded(page_client, therapist, setup):
    future = SessionFactory(client=setup["client"], practitioner=therapist, status="scheduled", days_ago=-2)
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
        session = SessionFactory(
            client=setup["client"],
            practitioner=setup["session"].practitioner,
            therapy_type=setup["reiki"],
            days_ago=5 + i,
        )
        PaymentFactory(session=session, status="paid", method="pix")
    client = page_client(assistant)
    with django_assert_max_num_queries(16):
        response = client.get(f"/w/serena/clients/{setup['client'].pk}/payments/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "R$ 750.00" in response.content.decode()  # money per locale (English here)


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


def test_pages_check_access(page_client, owner, outsider, workspace, setup):
    invoice = InvoiceFactory(sessions=[setup["session"]])
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
    reads_sessions_only = [
        code
        for code in DEFAULT_ROLES["Assistant"]
        if not code.startswith("billing.") and code != "session.update"
    ]
    role = RoleFactory(workspace=workspace, permissions=reads_sessions_only)
    client = page_client(MemberFactory(workspace=workspace, role=role))
    for url in urls[:6]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/w/serena/invoices/{invoice.pk}/issue/").status_code == 403
    assert client.get(urls[6]).status_code == 200  # reading attachments needs session.read only


def test_assistant_marks_a_pending_payment_paid_from_the_client_tab(
    page_client, owner, assistant, outsider, setup
):
    payment = PaymentFactory(session=setup["session"])
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


def test_a_refused_mark_paid_never_redirects_off_site(page_client, owner, assistant, setup):
    payment = PaymentFactory(session=setup["session"])
    response = page_client(assistant).post(
        f"/w/serena/payments/{payment.pk}/paid/", {"method": "", "next": "https://evil.example/phish"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/w/serena/invoices/"
