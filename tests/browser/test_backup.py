"""Backing up the whole workspace in a real browser, at desktop and phone widths: the owner opens
Settings › Backup, backs up, finds the archive ready on "Your exports" and downloads it; the archive
restores as a new workspace. The therapist has no Backup tile and the page refuses them."""

from __future__ import annotations

import json
import zipfile

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from atendo.clients.models import Client
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def practice(owner, therapist, settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    client = ClientFactory(workspace=owner.workspace, name="Carla Dias", practitioners=[therapist])
    SessionFactory(client=client, practitioner=therapist, notes="Diário do sono.")
    return client


@pytest.mark.parametrize("width", WIDTHS)
def test_the_owner_backs_up_downloads_and_the_archive_restores(
    page, login, shot, practice, owner, width, tmp_path
):
    page.set_viewport_size(WIDTHS[width])
    login(page, owner)
    page.goto("/w/serena/settings/")
    page.locator("a.settings-tile[href='/w/serena/backup/']").click()
    expect(page.get_by_role("heading", name="Back up the workspace")).to_be_visible()
    suffix = "" if width == "desktop" else "-phone"
    shot(page, f"backup{suffix}")
    page.get_by_role("button", name="Back up now").click()
    expect(page).to_have_url(f"{page.url.split('/w/')[0]}/w/serena/exports/")
    row = page.locator("tr[data-status='ready']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Whole workspace (backup)")
    with page.expect_download() as info:
        row.get_by_role("link", name="Download").click()
    download = info.value
    assert download.suggested_filename.startswith("workspace-serena-backup-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "atendo-workspace" and manifest["tables"]["sessions"]["rows"] == 1
    call_command("import_workspace", file=str(saved), slug="serena-copia")
    assert Client.objects.filter(workspace__slug="serena-copia", name="Carla Dias").exists()
    assert page.js_errors == []


def test_the_therapist_has_no_backup(page, login, practice, therapist):
    login(page, therapist)
    page.goto("/w/serena/settings/")
    expect(page.locator("a[href='/w/serena/backup/']")).to_have_count(0)
    response = page.goto("/w/serena/backup/")
    assert response is not None and response.status == 403
