"""Exporting a client's record in a real browser, at desktop and phone widths: the therapist opens
the client, chooses "Export record", picks the PDF, finds it ready on "Your exports" and downloads
it (read back with pypdf: the notes are in it); the assistant's export of the same client says what
was left out and holds no notes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from atendo.workspaces.profile import member_profile_update
from tests.factories import ClientFactory, SessionFactory, TherapyTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
NOTES = "Relata insônia desde março; combinamos um diário do sono."


@pytest.fixture
def record(owner, therapist, settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    member_profile_update(
        member=therapist,
        data={"name": "Dra. Theo Terapeuta", "profession": "Psicóloga", "registration": "CRP 06/123456"},
    )
    psico = TherapyTypeFactory(workspace=owner.workspace, name="Psicoterapia")
    client = ClientFactory(
        workspace=owner.workspace, name="Carla Dias", email="carla@example.test", practitioners=[therapist]
    )
    for days_ago in (21, 14, 7):
        SessionFactory(
            client=client, practitioner=therapist, therapy_type=psico, days_ago=days_ago, notes=NOTES
        )
    return client


def pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(p.extract_text() or "" for p in reader.pages)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_therapist_exports_and_downloads_the_record(
    page, login, shot, record, therapist, width, tmp_path
):
    page.set_viewport_size(WIDTHS[width])
    login(page, therapist)
    page.goto(f"/w/serena/clients/{record.pk}/")
    page.get_by_role("link", name="Export record").click()
    expect(page.get_by_role("heading", name="Export the record of Carla Dias")).to_be_visible()
    page.get_by_label("PDF — readable").check()
    suffix = "" if width == "desktop" else "-phone"
    shot(page, f"exports-client{suffix}")
    page.get_by_role("button", name="Export", exact=True).click()
    expect(page).to_have_url(f"{page.url.split('/w/')[0]}/w/serena/exports/")
    row = page.locator("tr[data-status='ready']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Carla Dias")
    shot(page, f"exports{suffix}")
    with page.expect_download() as info:
        row.get_by_role("link", name="Download").click()
    download = info.value
    assert download.suggested_filename.startswith(f"client-{record.pk}-record-")
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = pdf_text(saved)
    assert "Carla Dias" in text and "diário do sono" in text
    assert page.js_errors == []


def test_the_assistants_export_leaves_the_notes_out(page, login, record, assistant, tmp_path):
    login(page, assistant)
    page.goto(f"/w/serena/exports/client/{record.pk}/")
    expect(page.get_by_text("Left out for you")).to_be_visible()
    page.get_by_label("PDF — readable").check()
    page.get_by_role("button", name="Export", exact=True).click()
    row = page.locator("tr[data-status='ready']")
    expect(row).to_contain_text("Left out for you:")
    with page.expect_download() as info:
        row.get_by_role("link", name="Download").click()
    saved = tmp_path / "assistant.pdf"
    info.value.save_as(saved)
    text = pdf_text(saved)
    assert "Carla Dias" in text and "Left out of this copy for you" in text
    assert "diário do sono" not in text
