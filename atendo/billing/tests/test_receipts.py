"""Receipts (recibos): rendered to PDF and read back (pypdf), per payment and per paid invoice, in
the workspace's document language, with the professional's and the client's details and no
clinical content; and who may download them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from atendo.billing.words import amount_in_words
from atendo.core.errors import ValidationFailed
from atendo.core.taxids import clean_tax_id
from atendo.workspaces.profile import member_profile_update
from atendo.workspaces.services import workspace_update_settings
from tests.factories import (
    ClientFactory,
    FieldDefinitionFactory,
    InvoiceFactory,
    MemberFactory,
    PaymentFactory,
    RoleFactory,
    SessionFactory,
    StoredSessionFactory,
    TherapyTypeFactory,
)

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def recibo(workspace, owner, therapist):
    """A Brazilian practice: address, the client's CPF in an administrative field, the therapist's
    professional details, and a paid session of R$ 2.200,00 whose notes and therapy answers are
    clinical markers."""
    workspace_update_settings(
        member=owner,
        language="pt-br",
        address="Rua das Flores, 123 — São Paulo, SP",
        client_tax_id_field="cpf",
    )
    FieldDefinitionFactory(
        workspace=workspace, scope="client", key="cpf", label="CPF", type="text", clinical=False
    )
    FieldDefinitionFactory(workspace=workspace, scope="client", key="segredo", label="Segredo", type="text")
    member_profile_update(
        member=therapist,
        data={
            "name": "Dra. Theo Terapeuta",
            "profession": "Psicóloga",
            "registration": "CRP 06/123456",
            "tax_id": "52998224725",
        },
    )
    client = ClientFactory(
        workspace=workspace,
        name="Maria Silva",
        practitioners=[therapist],
        fields={"cpf": "111.444.777-35", "segredo": "QZXsecretXZQ"},
    )
    psico = TherapyTypeFactory(workspace=workspace, name="Psicoterapia", default_price=Decimal("2200.00"))
    session = StoredSessionFactory(
        client=client,
        practitioner=therapist,
        therapy_type=psico,
        days_ago=3,
        notes="QZXnotesXZQ",
        therapy_fields={"queixa": "QZXtherapyXZQ"},
    )
    payment = PaymentFactory(session=session, status="paid", method="pix", paid_date="2026-03-10")
    return {"payment": payment, "client": client, "session": session, "psico": psico}


def test_a_payment_receipt_in_portuguese_reads_back(api, owner, recibo):
    response = api(owner).get(f"payments/{recibo['payment'].pk}/receipt.pdf")
    text = flat(pdf_text(response))
    assert response["Content-Disposition"] == f'attachment; filename="recibo-{recibo["payment"].pk:06d}.pdf"'
    for expected in (
        "RECIBO",
        f"Recibo nº {recibo['payment'].pk:06d}",
        "Clínica Serena",
        "Rua das Flores, 123",
        "Recebi de Maria Silva (CPF 111.444.777-35) a importância de R$ 2.200,00 (dois mil e duzentos reais)",
        "referente a Psicoterapia",
        "Forma de pagamento PIX",
        "Pago em 10 de março de 2026",
        "Dra. Theo Terapeuta",
        "Psicóloga · CRP 06/123456 · CPF/CNPJ 529.982.247-25",
    ):
        assert expected in text, expected


def test_a_receipt_carries_no_clinical_content(api, owner, therapist, assistant, recibo):
    for member in (owner, therapist, assistant):
        response = api(member).get(f"payments/{recibo['payment'].pk}/receipt.pdf")
        assert "QZX" not in pdf_text(response)
        assert b"QZX" not in response.content


def test_a_clinical_client_field_is_never_printed_as_the_tax_id(api, owner, recibo):
    workspace_update_settings(member=owner, client_tax_id_field="segredo")
    text = pdf_text(api(owner).get(f"payments/{recibo['payment'].pk}/receipt.pdf"))
    assert "QZX" not in text and "CPF" not in text.split("Recebi de")[1].split("a importância")[0]


def test_the_receipt_speaks_the_documents_language_not_the_readers(api, owner, recibo):
    workspace_update_settings(member=owner, language="en", currency="USD")
    session = SessionFactory(
        client=recibo["client"], practitioner=owner, therapy_type=recibo["psico"], days_ago=1
    )
    payment = PaymentFactory(
        session=session, amount="1234.50", status="paid", method="card", paid_date="2026-03-11"
    )
    response = api(owner).get(f"payments/{payment.pk}/receipt.pdf", HTTP_ACCEPT_LANGUAGE="pt-br")
    text = flat(pdf_text(response))
    assert "RECEIPT" in text and "RECIBO" not in text
    assert "I received from Maria Silva (tax id 111.444.777-35) the amount of $1,234.50" in text
    assert "(one thousand two hundred and thirty-four dollars and fifty cents)" in text
    assert "Payment method Card" in text and "Paid on March 11, 2026" in text
    assert response["Content-Disposition"] == f'attachment; filename="receipt-{payment.pk:06d}.pdf"'


def test_no_receipt_before_the_payment_is_paid(api, owner, recibo):
    session = SessionFactory(client=recibo["client"], practitioner=owner, therapy_type=recibo["psico"])
    pending = PaymentFactory(session=session)
    response = api(owner).get(f"payments/{pending.pk}/receipt.pdf")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_paid"


def test_a_paid_invoice_has_a_receipt_of_all_its_sessions(api, owner, therapist, recibo):
    second = StoredSessionFactory(
        client=recibo["client"], practitioner=therapist, therapy_type=recibo["psico"], days_ago=2
    )
    invoice = InvoiceFactory(sessions=[recibo["session"], second], status="paid", method="pix")
    text = flat(pdf_text(api(owner).get(f"invoices/{invoice.pk}/receipt.pdf")))
    assert f"Fatura nº {invoice.display_number}" in text
    assert "R$ 4.400,00 (quatro mil e quatrocentos reais)" in text
    assert text.count("Psicoterapia") >= 3  # the statement and one line per session
    assert "Dra. Theo Terapeuta" in text and "QZX" not in text


def test_an_unpaid_invoice_has_no_receipt(api, owner, recibo):
    invoice = InvoiceFactory(
        sessions=[SessionFactory(client=recibo["client"], therapy_type=recibo["psico"])], status="issued"
    )
    assert api(owner).get(f"invoices/{invoice.pk}/receipt.pdf").status_code == 409


def test_who_may_download_a_receipt(
    api, page_client, owner, therapist, other_therapist, assistant, outsider, workspace, recibo
):
    path = f"payments/{recibo['payment'].pk}/receipt.pdf"
    for member in (owner, therapist, other_therapist, assistant):
        assert api(member).get(path).status_code == 200
        assert page_client(member).get(f"/w/serena/{path}").status_code == 200
    role = RoleFactory(workspace=workspace, name="Desk", permissions=["session.read"])
    desk = MemberFactory(workspace=workspace, role=role, email="desk@serena.test")
    assert api(desk).get(path).status_code == 403
    assert api(outsider, "serena").get(path).status_code == 404
    assert page_client(outsider).get(f"/w/serena/{path}").status_code == 404


# --- amounts in words and tax ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "language", "words"),
    [
        ("2200.00", "BRL", "pt-br", "dois mil e duzentos reais"),
        ("150.50", "BRL", "pt-br", "cento e cinquenta reais e cinquenta centavos"),
        ("1.01", "BRL", "pt-br", "um real e um centavo"),
        ("0.50", "BRL", "pt-br", "cinquenta centavos"),
        ("1000000.00", "BRL", "pt-br", "um milhão de reais"),
        ("2200.00", "USD", "en", "two thousand two hundred dollars"),
        ("21.05", "EUR", "en", "twenty-one euros and five cents"),
        ("150.00", "BRL", "en", "one hundred and fifty reais"),
    ],
)
def test_amounts_in_words(amount, currency, language, words):
    assert amount_in_words(Decimal(amount), currency, language) == words


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("52998224725", "529.982.247-25"),
        ("529.982.247-25", "529.982.247-25"),
        ("11222333000181", "11.222.333/0001-81"),
        ("12-3456789", "12-3456789"),  # a US EIN: kept as written
        ("", ""),
    ],
)
def test_tax_ids_are_checked_and_formatted(raw, stored):
    assert clean_tax_id(raw, "tax_id") == stored


@pytest.mark.parametrize("raw", ["529.982.247-24", "111.111.111-11", "11.222.333/0001-80", "CPF <script>"])
def test_a_wrong_tax_id_is_refused(raw):
    with pytest.raises(ValidationFailed) as caught:
        clean_tax_id(raw, "tax_id")
    assert caught.value.fields[0].path == "tax_id"
