"""Import of clients from an Excel workbook (.xlsx), written in each test with openpyxl: cells as a
person reads them (dates, whole numbers, empty cells), the sheet, bad cells by row and column, the
limits (a zip bomb, too many rows or columns), broken files, and the same doors (API, page,
command)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from atendo.clients import importing, workbooks
from atendo.clients.models import Client
from atendo.core.errors import DomainError, ValidationFailed
from tests.factories import FieldDefinitionFactory

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(*sheets: tuple[str, list[list[object]]]) -> bytes:
    """A real workbook with these sheets (title, rows)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(api_client, raw, **data):
    body = {"file": SimpleUploadedFile("clientes.xlsx", raw, content_type=XLSX), **data}
    return api_client.http.post(api_client.url("clients/import"), body)


@pytest.fixture
def cpf_and_weight(workspace):
    FieldDefinitionFactory(workspace=workspace, scope="client", key="cpf", label="CPF", clinical=False)
    FieldDefinitionFactory(
        workspace=workspace, scope="client", key="weight", label="Peso", type="number", clinical=False
    )


HEADER = ["Nome", "E-mail", "Celular", "Data de nascimento", "CPF", "Peso"]


def test_cells_are_read_as_a_person_reads_them(api, owner, cpf_and_weight):
    raw = xlsx(
        (
            "Clientes",
            [
                HEADER,
                ["Ana Araújo", "ana@example.com", 11988887777, dt.datetime(1990, 5, 17), 12345678909, 72.5],
                [None, None, None, None, None, None],
                ["Bruno Lima", None, "(21) 3333-4444", dt.date(1985, 12, 1), "529.982.247-25", 80],
            ],
        )
    )
    response = upload(api(owner), raw)
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 2
    ana = Client.objects.get(workspace=owner.workspace, name="Ana Araújo")
    assert ana.phone == "11988887777" and ana.birth_date == dt.date(1990, 5, 17)
    assert ana.fields == {"cpf": "12345678909", "weight": 72.5}
    bruno = Client.objects.get(workspace=owner.workspace, name="Bruno Lima")
    assert bruno.email == "" and bruno.fields == {"cpf": "529.982.247-25", "weight": 80}


@pytest.mark.parametrize(
    "value,text",
    [
        (None, ""),
        (11988887777, "11988887777"),
        (11988887777.0, "11988887777"),
        (3.5, "3.5"),
        (0.1 + 0.2, "0.3"),
        (dt.datetime(1990, 5, 17), "1990-05-17"),
        (dt.datetime(2024, 3, 9, 14, 30), "2024-03-09T14:30"),
        (dt.date(2024, 3, 9), "2024-03-09"),
        (dt.time(8, 5), "08:05"),
        (True, "true"),
        ("  texto ", "  texto "),
    ],
)
def test_cell_text(value, text):
    assert workbooks.cell_text(value) == text


def test_the_first_sheet_is_read_unless_another_is_chosen(api, owner):
    raw = xlsx(("Ativos", [["Nome"], ["Ana"]]), ("Arquivo", [["Nome"], ["Bia"], ["Caio"]]))
    first = upload(api(owner), raw, dry_run="true").json()
    assert first["created"] == 1
    chosen = upload(api(owner), raw, dry_run="true", sheet="Arquivo").json()
    assert chosen["created"] == 2
    missing = upload(api(owner), raw, dry_run="true", sheet="Nada")
    assert missing.status_code == 422
    field = missing.json()["error"]["fields"][0]
    assert field["path"] == "sheet" and "Ativos, Arquivo" in field["message"]


def test_bad_cells_are_named_by_row_and_column_and_nothing_is_written(api, owner, cpf_and_weight):
    raw = xlsx(
        (
            "Clientes",
            [
                HEADER,
                ["Ana", "ana@", None, dt.datetime(1990, 5, 17), None, "pesado"],
                [],
                ["Bia", "bia@example.com", "11 9x", "31/02/1990", None, 60],
                ["Caio", "caio@example.com", None, None, None, None],
            ],
        )
    )
    dry = upload(api(owner), raw, dry_run="true")
    assert dry.status_code == 200
    errors = {(e["row"], e["column"]) for e in dry.json()["errors"]}
    assert errors == {(2, "E-mail"), (2, "Peso"), (4, "Celular"), (4, "Data de nascimento")}
    assert dry.json()["created"] == 1
    commit = upload(api(owner), raw)
    assert commit.status_code == 422
    body = commit.json()["error"]
    assert body["code"] == "import_invalid" and body["created"] == 0
    assert {f["path"] for f in body["fields"]} >= {"rows[2].email", "rows[4].birth_date"}
    assert not Client.objects.filter(workspace=owner.workspace).exists()


def _bomb(size: int) -> bytes:
    """A valid workbook plus one part of `size` zero bytes, highly compressed (a zip bomb)."""
    base = xlsx(("Clientes", [["Nome"], ["Ana"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in source.infolist():
            zf.writestr(item, source.read(item.filename))
        zf.writestr("xl/media/padding.bin", b"\0" * size)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(api, owner):
    raw = _bomb(workbooks.MAX_UNPACKED + 1)
    assert len(raw) < 200 * 1024  # small on the wire
    response = upload(api(owner), raw, dry_run="true")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large" and error["fields"][0]["path"] == "file"
    assert "unpacks to more than 50 MB" in error["message"]


def test_a_workbook_with_too_many_parts_is_refused(monkeypatch):
    monkeypatch.setattr(workbooks, "MAX_PARTS", 3)
    with pytest.raises(DomainError) as caught:
        importing.read_table(xlsx(("Clientes", [["Nome"], ["Ana"]])))
    assert caught.value.status == 413


def test_a_sheet_over_the_row_limit_is_422(api, owner, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    raw = xlsx(("Clientes", [["Nome"], *[[f"Cliente {n}"] for n in range(4)]]))
    response = upload(api(owner), raw, dry_run="true")
    assert response.status_code == 422 and response.json()["error"]["code"] == "too_many_rows"


def test_a_sheet_going_on_past_the_scan_limit_is_refused(monkeypatch):
    monkeypatch.setattr(workbooks, "MAX_SHEET_ROWS", 10)
    raw = xlsx(("Clientes", [["Nome"], *[[] for _ in range(20)], ["Ana"]]))
    with pytest.raises(ValidationFailed) as caught:
        importing.read_table(raw)
    assert caught.value.code == "too_many_rows"


def test_a_sheet_with_too_many_columns_is_refused():
    raw = xlsx(("Clientes", [["Nome"], ["Ana", *[""] * importing.MAX_COLUMNS, "longe"]]))
    with pytest.raises(ValidationFailed) as caught:
        importing.read_table(raw)
    assert "more than 200 columns" in caught.value.fields[0].message


@pytest.mark.parametrize(
    "raw",
    [
        b"PK\x03\x04not really a zip",
        b"PK\x03\x04" + b"\0" * 100,
    ],
)
def test_a_broken_workbook_is_422_with_a_human_message(api, owner, raw):
    response = upload(api(owner), raw, dry_run="true")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unreadable_file" and error["fields"][0]["path"] == "file"
    assert "could not be read as an Excel workbook" in error["message"]


def test_a_zip_that_is_not_a_workbook_is_422(api, owner):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    response = upload(api(owner), out.getvalue(), dry_run="true")
    assert response.status_code == 422 and response.json()["error"]["code"] == "unreadable_file"


def test_a_workbook_with_broken_sheet_xml_is_422(api, owner):
    base = xlsx(("Clientes", [["Nome"], ["Ana"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w") as zf:
        for item in source.infolist():
            data = source.read(item.filename)
            zf.writestr(
                item, b"<worksheet><sheetData><row r='1'><c" if "worksheets/" in item.filename else data
            )
    response = upload(api(owner), out.getvalue(), dry_run="true")
    assert response.status_code == 422 and response.json()["error"]["code"] == "unreadable_file"


def test_the_page_checks_and_imports_a_workbook(page_client, owner):
    raw = xlsx(("Clientes", [["Nome", "E-mail"], ["Ana", "ana@example.com"], ["Bia", None]]))
    browser = page_client(owner)
    url = f"/w/{owner.workspace.slug}/clients/import/"
    checked = browser.post(url, {"file": SimpleUploadedFile("c.xlsx", raw), "action": "check"})
    assert checked.status_code == 200 and "2 clients will be imported" in checked.content.decode()
    done = browser.post(url, {"file": SimpleUploadedFile("c.xlsx", raw), "action": "import"})
    assert done.status_code == 302
    assert set(Client.objects.filter(workspace=owner.workspace).values_list("name", flat=True)) == {
        "Ana",
        "Bia",
    }


def test_the_command_reads_a_workbook_and_its_sheet(owner, tmp_path):
    path = tmp_path / "clientes.xlsx"
    path.write_bytes(xlsx(("Outra", [["x"]]), ("Clientes", [["Nome", "Celular"], ["Ana", 11988887777]])))
    out = io.StringIO()
    call_command(
        "import_clients",
        workspace=owner.workspace.slug,
        file=str(path),
        sheet="Clientes",
        mapping=json.dumps({"Nome": "name", "Celular": "phone"}),
        stdout=out,
    )
    assert "1 clients created" in out.getvalue()
    assert Client.objects.get(workspace=owner.workspace).phone == "11988887777"
