"""PIX "copia e cola": the BR Code encoder against the Banco Central's published payloads, CRC16,
key validation, the settings (API and page), a payment's code (API, pages) per persona, and tenant
isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from atendo.billing import pix
from atendo.billing.models import PixSettings
from tests.factories import ClientFactory, MemberFactory, PaymentFactory, RoleFactory, SessionFactory

# Published strings, copied from their sources (the encoder must reproduce them, CRC included).
# Manual de Padrões para Iniciação do Pix (Banco Central do Brasil), static example: random key
# 123e4567-e12b-12d1-a456-426655440000, "Fulano de Tal", "BRASILIA", no amount.
BCB_STATIC = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
# The same key with description "Teste", amount 5.00 and txid "123" (a published library test
# vector built on the manual's example).
STATIC_WITH_AMOUNT = (
    "00020126670014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400000205Teste"
    "52040000530398654045.005802BR5913Fulano de Tal6008BRASILIA6207050312363040E95"
)
# The manual's dynamic example (a location URL in 26-25): only its CRC is checked here.
BCB_DYNAMIC = (
    "00020101021226720014br.gov.bcb.pix2550bx.com.br/pix/8b3da2f3-9a41-40d1-a91a-bd93113bd441"
    "5204000053039865406123.455802BR5913Fulano de Tal6008BRASILIA62190515RP12345678-2019630445C8"
)


# --- encoder -------------------------------------------------------------------------------------


def test_crc16_check_value():
    assert pix.crc16("123456789") == "29B1"
    assert pix.crc16(b"123456789") == "29B1"


@pytest.mark.parametrize("published", [BCB_STATIC, STATIC_WITH_AMOUNT, BCB_DYNAMIC])
def test_crc16_of_published_payloads(published):
    assert pix.crc16(published[:-4]) == published[-4:]


def test_encoder_reproduces_the_manuals_static_example():
    payload = pix.static_payload(
        key="123e4567-e12b-12d1-a456-426655440000", name="Fulano de Tal", city="BRASILIA"
    )
    assert payload == BCB_STATIC


def test_encoder_with_amount_description_and_txid():
    payload = pix.static_payload(
        key="123e4567-e12b-12d1-a456-426655440000",
        name="Fulano de Tal",
        city="BRASILIA",
        amount=Decimal("5"),
        txid="123",
        description="Teste",
    )
    assert payload == STATIC_WITH_AMOUNT


def test_name_and_city_lose_accents_and_are_cut():
    payload = pix.static_payload(
        key="+5561912345678",
        name="Clínica Serena de Atendimento Integrado",
        city="São José dos Campos",
        amount=Decimal("2200"),
        txid="ATENDO-42",
    )
    assert "5925Clinica Serena de Atendim" in payload
    assert "6015Sao Jose dos Ca6" in payload
    assert "54072200.00" in payload
    assert "62120508ATENDO42" in payload
    assert pix.crc16(payload[:-4]) == payload[-4:]
    assert payload.isascii()


# --- keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("529.982.247-25", "cpf", "52998224725"),
        ("52998224725", "cpf", "52998224725"),
        ("11.222.333/0001-81", "cnpj", "11222333000181"),
        ("Maria@Exemplo.com.br", "email", "maria@exemplo.com.br"),
        ("+55 (61) 91234-5678", "phone", "+5561912345678"),
        ("+556132345678", "phone", "+556132345678"),
        ("123E4567-E12B-12D1-A456-426655440000", "evp", "123e4567-e12b-12d1-a456-426655440000"),
    ],
)
def test_valid_keys(raw, kind, value):
    assert pix.normalize_key(raw) == pix.PixKey(kind, value)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "Enter a PIX key"),
        ("529.982.247-24", "CPF is not valid"),
        ("111.111.111-11", "CPF is not valid"),
        ("11.222.333/0001-82", "CNPJ is not valid"),
        ("maria@", "e-mail is not a valid"),
        ("+1 202 555 0100", "+55"),
        ("+55 61 123", "+55"),
        ("not a key", "A PIX key is"),
        ("1234567", "A PIX key is"),
    ],
)
def test_invalid_keys(raw, words):
    with pytest.raises(pix.PixKeyError) as exc:
        pix.normalize_key(raw)
    assert words in exc.value.message


def test_qr_svg_is_inline_svg():
    svg = pix.qr_svg(BCB_STATIC, title="PIX")
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert pix.qr_png(BCB_STATIC).startswith(b"\x89PNG")


# --- settings ------------------------------------------------------------------------------------

KEY = "123e4567-e12b-12d1-a456-426655440000"


@pytest.fixture
def pix_on(workspace):
    return PixSettings.objects.create(
        workspace=workspace, key=KEY, key_type="evp", merchant_name="Clinica Serena", city="SAO PAULO"
    )


@pytest.mark.django_db
def test_settings_api_owner_saves_and_everyone_with_billing_reads(api, owner, therapist, assistant):
    response = api(owner).put(
        "billing/pix", {"key": "529.982.247-25", "merchant_name": "Clínica Serena", "city": "São Paulo"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {
        "key": "52998224725",
        "key_type": "cpf",
        "merchant_name": "Clinica Serena",
        "city": "Sao Paulo",
        "description": "",
        "enabled": True,
    }
    for member in (therapist, assistant):
        assert api(member).get("billing/pix").json()["key"] == "52998224725"
        assert api(member).put("billing/pix", {"key": KEY}).status_code == 403
    assert PixSettings.objects.get().key == "52998224725"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"key": "529.982.247-24", "merchant_name": "A", "city": "B"}, "key"),
        ({"key": KEY, "merchant_name": "", "city": "B"}, "merchant_name"),
        ({"key": KEY, "merchant_name": "A", "city": "  "}, "city"),
        ({"key": KEY, "merchant_name": "A", "city": "B", "description": "x" * 41}, "description"),
        ({"key": 5}, "key"),
    ],
)
def test_settings_api_errors_name_the_field(api, owner, data, path):
    response = api(owner).put("billing/pix", data)
    assert response.status_code == 422, response.content
    assert path in [f["path"] for f in response.json()["error"]["fields"]]
    assert not PixSettings.objects.filter(key__gt="").exists()


@pytest.mark.django_db
def test_settings_api_unknown_field_is_refused(api, owner):
    assert api(owner).put("billing/pix", {"chave": KEY}).status_code == 422


@pytest.mark.django_db
def test_empty_key_turns_pix_off(api, owner, pix_on):
    body = api(owner).put("billing/pix", {"key": ""}).json()
    assert body["key"] == "" and body["enabled"] is False


@pytest.mark.django_db
def test_settings_page(page_client, owner, therapist):
    url = reverse("billing:pix_settings", args=[owner.workspace.slug])
    client = page_client(owner)
    assert (
        url
        in client.get(reverse("workspaces:settings_general", args=[owner.workspace.slug])).content.decode()
    )
    response = client.post(url, {"key": "11.222.333/0001-81", "merchant_name": "Serena", "city": "Recife"})
    assert response.status_code == 302
    assert PixSettings.objects.get().key == "11222333000181"
    page = client.get(url).content.decode()
    assert "<svg" in page and "br.gov.bcb.pix011411222333000181" in page
    bad = client.post(url, {"key": "11.222.333/0001-80", "merchant_name": "Serena", "city": "Recife"})
    assert bad.status_code == 200 and "CNPJ is not valid" in bad.content.decode()
    assert page_client(therapist).get(url).status_code == 403


# --- a payment's code ----------------------------------------------------------------------------


@pytest.fixture
def due(workspace, therapist):
    client = ClientFactory(workspace=workspace, name="Maria Silva", practitioners=[therapist])
    session = SessionFactory(client=client, practitioner=therapist, days_ago=2)
    return PaymentFactory(session=session, amount=Decimal("2200.00"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["owner", "therapist", "assistant"])
def test_payment_pix_api_per_persona(request, api, pix_on, due, persona):
    """Every default role holds billing.read: each gets the same code for the amount due."""
    member = request.getfixturevalue(persona)
    response = api(member).get(f"payments/{due.pk}/pix")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["amount"] == "2200.00"
    assert body["txid"] == f"ATENDO{due.pk}"
    assert body["payload"].startswith("00020126580014br.gov.bcb.pix0136" + KEY)
    assert "54072200.00" in body["payload"]
    assert "Maria" not in body["payload"]
    assert pix.crc16(body["payload"][:-4]) == body["payload"][-4:]


@pytest.mark.django_db
def test_payment_pix_404s(api, owner, workspace, pix_on, due):
    reader = MemberFactory(
        workspace=workspace,
        role=RoleFactory(workspace=workspace, name="Front desk", permissions=["session.read"]),
    )
    assert api(reader).get(f"payments/{due.pk}/pix").status_code == 404
    assert api(owner).get("payments/999999/pix").status_code == 404
    api(owner).patch(f"payments/{due.pk}", {"status": "paid", "method": "pix"})
    assert api(owner).get(f"payments/{due.pk}/pix").status_code == 404


@pytest.mark.django_db
def test_no_key_or_not_brl_is_404(api, owner, workspace, due):
    assert api(owner).get(f"payments/{due.pk}/pix").status_code == 404
    PixSettings.objects.create(workspace=workspace, key=KEY, key_type="evp", merchant_name="A", city="B")
    assert api(owner).get(f"payments/{due.pk}/pix").status_code == 200
    workspace.currency = "EUR"
    workspace.save()
    assert api(owner).get(f"payments/{due.pk}/pix").status_code == 404
    assert api(owner).get("billing/pix").json()["enabled"] is False


@pytest.mark.django_db
def test_another_workspaces_payment_is_404(api, outsider, other_workspace, pix_on, due):
    PixSettings.objects.create(
        workspace=other_workspace, key=KEY, key_type="evp", merchant_name="A", city="B"
    )
    assert api(outsider).get(f"payments/{due.pk}/pix").status_code == 404
    assert api(outsider, workspace_slug="serena").get(f"payments/{due.pk}/pix").status_code == 404


@pytest.mark.django_db
def test_pages_show_the_code_with_a_copy_button(page_client, therapist, workspace, pix_on, due):
    code = pix.static_payload(
        key=KEY, name="Clinica Serena", city="SAO PAULO", amount=due.amount, txid=f"ATENDO{due.pk}"
    )
    client = page_client(therapist)
    tab = client.get(reverse("billing:client_payments", args=[workspace.slug, due.session.client_id]))
    session = client.get(reverse("billing:session_payment", args=[workspace.slug, due.session_id]))
    for response in (tab, session):
        html = response.content.decode()
        assert response.status_code == 200
        assert code in html and "<svg" in html
        assert f'data-copy="pix-payload-{due.pk}"' in html


@pytest.mark.django_db
def test_a_paid_payment_shows_no_code(page_client, api, owner, workspace, pix_on, due):
    api(owner).patch(f"payments/{due.pk}", {"status": "paid", "method": "pix"})
    html = page_client(owner).get(reverse("billing:session_payment", args=[workspace.slug, due.session_id]))
    assert "br.gov.bcb.pix" not in html.content.decode()


def _pdf_text(response) -> tuple[str, int]:
    import io

    from pypdf import PdfReader

    assert response.status_code == 200, response.content[:300]
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join((page.extract_text() or "") for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    return "".join(text.split()), images


@pytest.mark.django_db
def test_issued_invoice_pdf_carries_the_code_and_qr(api, owner, workspace, pix_on, due):
    from tests.factories import InvoiceFactory

    issued = InvoiceFactory(sessions=[due.session], status="issued")
    text, images = _pdf_text(api(owner).get(f"invoices/{issued.pk}/pdf"))
    code = pix.static_payload(
        key=KEY, name="Clinica Serena", city="SAO PAULO", amount=issued.total, txid=f"ATENDOF{issued.number}"
    )
    assert code.replace(" ", "") in text
    assert images == 1
    api(owner).post(f"invoices/{issued.pk}/mark-paid", {})
    text, images = _pdf_text(api(owner).get(f"invoices/{issued.pk}/pdf"))
    assert "br.gov.bcb.pix" not in text and images == 0
