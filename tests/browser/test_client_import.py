"""Browser: importing clients from a CSV file or an Excel workbook — choose it, the check appears in
place (htmx keeps the chosen file), a changed column or duplicate choice re-checks, then import;
desktop and phone."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from atendo.clients.models import Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    "Nome;E-mail;Celular;Data de nascimento;Observação\n"
    "Ana Araújo;ana@example.com;(11) 98888-7777;17/05/1990;primeira\n"
    "Bruno Lima;bruno@example.com;(21) 97777-6666;01/02/1985;\n"
).encode("cp1252")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_the_owner_checks_and_imports_a_portuguese_file(page, login, owner, shot, viewport):
    page.set_viewport_size(viewport)
    login(page, owner)
    page.goto(f"/w/{owner.workspace.slug}/clients/")
    page.get_by_role("link", name="Import clients").click()
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(
        files=[{"name": "clientes.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    summary = page.locator("#import-summary")
    summary.wait_for()
    assert "2 clients will be imported" in summary.inner_text()
    assert page.get_by_label("Data de nascimento", exact=True).input_value() == "birth_date"
    assert page.get_by_label("Observação", exact=True).input_value() == ""
    # Leaving out the e-mail re-checks in place, with the file still chosen. The old result is
    # marked first, so the test waits for the swapped-in one rather than the one being replaced.
    summary.evaluate("el => el.dataset.stale = '1'")
    with page.expect_response(lambda r: "/clients/import/" in r.url and r.status == 200):
        page.get_by_label("E-mail", exact=True).select_option("")
    page.locator("#import-summary:not([data-stale])").wait_for()
    expect(page.locator(".htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)
    page.locator("#import-commit").wait_for()
    assert page.get_by_label("E-mail", exact=True).input_value() == ""
    page.locator("#import-commit").scroll_into_view_if_needed()
    shot(page, "client-import" + ("-phone" if viewport["width"] < 600 else ""))
    page.locator("#import-commit").click()
    page.wait_for_url(f"**/w/{owner.workspace.slug}/clients/")
    assert "2 clients were imported." in page.content()
    clients = {c.name: c for c in Client.objects.filter(workspace=owner.workspace)}
    assert set(clients) == {"Ana Araújo", "Bruno Lima"}
    assert clients["Ana Araújo"].email == "" and clients["Ana Araújo"].birth_date.isoformat() == "1990-05-17"
    assert page.js_errors == []


def test_errors_are_listed_and_nothing_can_be_imported(page, login, assistant):
    login(page, assistant)
    page.goto(f"/w/{assistant.workspace.slug}/clients/import/")
    bad = b"Nome,E-mail\nAna,ana@\n,b@example.com\n"
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(
        files=[{"name": "c.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.locator(".import-errors").wait_for()
    rows = page.locator(".import-errors tbody tr")
    assert rows.count() == 2
    assert page.locator("#import-commit").count() == 0
    assert not Client.objects.filter(workspace=assistant.workspace).exists()
    workbook = b"PK\x03\x04 an Excel workbook"
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(
        files=[{"name": "c.xlsx", "mimeType": "application/octet-stream", "buffer": workbook}]
    )
    page.get_by_text("could not be read as an Excel workbook").wait_for()
    assert page.locator(".import-errors").count() == 0


def _workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Clientes"
    sheet.append(["Nome", "E-mail", "Celular", "Data de nascimento"])
    sheet.append(["Ana Araújo", "ana@example.com", 11988887777, dt.datetime(1990, 5, 17)])
    sheet.append(["Bruno Lima", "bruno@example.com", 21977776666, dt.datetime(1985, 2, 1)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_the_owner_imports_a_workbook_and_completes_an_existing_client(page, login, owner, shot, viewport):
    ana = ClientFactory(workspace=owner.workspace, name="Ana A. Souza", email="ana@example.com")
    page.set_viewport_size(viewport)
    login(page, owner)
    page.goto(f"/w/{owner.workspace.slug}/clients/import/")
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(
        files=[
            {
                "name": "clientes.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _workbook(),
            }
        ]
    )
    summary = page.locator("#import-summary")
    summary.wait_for()
    assert "1 client will be imported" in summary.inner_text()
    duplicates = page.locator(".import-duplicates")
    assert "A client with this e-mail already exists." in duplicates.inner_text()
    assert duplicates.get_by_role("link", name="Ana A. Souza").count() == 1
    choice = page.get_by_label("What to do with row 2")
    assert choice.input_value() == "skip"
    summary.evaluate("el => el.dataset.stale = '1'")
    with page.expect_response(lambda r: "/clients/import/" in r.url and r.status == 200):
        choice.select_option("merge")
    page.locator("#import-summary:not([data-stale])").wait_for()
    expect(page.locator(".htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)
    assert (
        "1 existing client will be completed from the file." in page.locator("#import-summary").inner_text()
    )
    row = page.locator("#duplicate-2")
    assert "Fills: Celular, Data de nascimento" in row.inner_text()
    assert "Nome: “Ana A. Souza” is kept (the file has “Ana Araújo”)." in row.inner_text()
    assert page.get_by_label("What to do with row 2").input_value() == "merge"
    page.locator(".import-duplicates").scroll_into_view_if_needed()
    shot(page, "client-import-merge" + ("-phone" if viewport["width"] < 600 else ""))
    page.locator("#import-commit").click()
    page.wait_for_url(f"**/w/{owner.workspace.slug}/clients/")
    assert "1 client was imported." in page.content()
    assert "1 existing client was completed from the file." in page.content()
    ana.refresh_from_db()
    assert ana.name == "Ana A. Souza" and ana.phone == "11988887777"
    assert ana.birth_date == dt.date(1990, 5, 17)
    assert Client.objects.filter(workspace=owner.workspace).count() == 2
    assert page.js_errors == []
