"""Browser: the owner sets the practice's PIX key in Settings › PIX (in Portuguese), and a pending
payment then shows its PIX code and QR with a copy button, at desktop and phone widths."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from atendo.billing import pix
from atendo.billing.models import PixSettings
from tests.factories import ClientFactory, PaymentFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_owner_sets_a_pix_key_and_a_pending_payment_shows_its_code(
    page, login, owner, therapist, shot, width
):
    workspace = owner.workspace
    workspace.language = "pt-BR"
    workspace.save()
    client = ClientFactory(workspace=workspace, name="Maria Silva", practitioners=[therapist])
    session = SessionFactory(client=client, practitioner=therapist, days_ago=2)
    payment = PaymentFactory(session=session, amount=Decimal("2200.00"))
    page.set_viewport_size(WIDTHS[width])
    login(page, owner)
    page.goto(f"/w/{workspace.slug}/settings/pix/")
    with page.expect_navigation():
        page.locator("#lang-select").select_option("pt-br")  # the owner reads Atendo in Portuguese
    page.get_by_label("Chave PIX").fill("11.222.333/0001-81")
    page.get_by_label("Nome do recebedor").fill("Clínica Serena")
    page.get_by_label("Cidade").fill("São Paulo")
    page.get_by_role("button", name="Salvar").click()
    expect(page.locator("#pix-example")).to_be_visible()
    assert PixSettings.objects.get(workspace=workspace).key == "11222333000181"
    if width == "desktop":
        shot(page, "pix-settings")
    page.goto(f"/w/{workspace.slug}/clients/{client.pk}/?tab=payments")
    code = page.get_by_test_id("pix-code")
    expect(code).to_be_visible()
    expect(code.locator("svg")).to_be_visible()
    payload = page.locator(f"#pix-payload-{payment.pk}").inner_text()
    assert payload.startswith("00020126") and "br.gov.bcb.pix" in payload and "54072200.00" in payload
    assert "Maria" not in payload and pix.crc16(payload[:-4]) == payload[-4:]
    expect(code.get_by_text("R$ 2.200,00")).to_be_visible()
    code.scroll_into_view_if_needed()
    shot(page, "pix-payment" if width == "desktop" else "pix-payment-phone")
    assert page.js_errors == []
