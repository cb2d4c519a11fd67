"""The import page: choose a file, check it (columns mapped, each changeable; errors and skipped
rows), import all or none; per persona, with and without htmx."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from atendo.clients import importing
from atendo.clients.models import Client
from tests.factories import ClientFactory, FieldDefinitionFactory, MemberFactory, RoleFactory

pytestmark = pytest.mark.django_db

PT = "Nome;E-mail;Celular;Data de nascimento\nAna Araújo;ana@example.com;11 98888-7777;17/05/1990\n"


def url(workspace):
    return f"/w/{workspace.slug}/clients/import/"


def post(client, workspace, text, encoding="utf-8", **data):
    raw = text.encode(encoding) if isinstance(text, str) else text
    if "mapped" in data:  # a post after a check of this same file, as the page's form sends it
        data.setdefault("checked", f"clientes.csv:{len(raw)}")
    return client.post(
        url(workspace), {"file": SimpleUploadedFile("clientes.csv", raw), **data}, **data.pop("headers", {})
    )


@pytest.mark.parametrize("who", ["owner", "therapist", "assistant"])
def test_each_role_that_creates_clients_checks_then_imports(page_client, who, request):
    member = request.getfixturevalue(who)
    browser = page_client(member)
    page = browser.get(url(member.workspace))
    assert page.status_code == 200 and 'name="file"' in page.content.decode()
    listing = browser.get(f"/w/{member.workspace.slug}/clients/").content.decode()
    assert url(member.workspace) in listing

    checked = post(browser, member.workspace, PT, encoding="cp1252", action="check")
    html = checked.content.decode()
    assert checked.status_code == 200
    assert 'value="birth_date" selected' in html and 'value="phone" selected' in html
    assert 'id="import-commit"' in html and not Client.objects.filter(workspace=member.workspace).exists()

    mapping = {"mapped": "1", "map-0": "name", "map-1": "email", "map-2": "phone", "map-3": "birth_date"}
    done = post(browser, member.workspace, PT, encoding="cp1252", action="import", **mapping)
    assert done.status_code == 302 and done["Location"] == f"/w/{member.workspace.slug}/clients/"
    client = Client.objects.get(workspace=member.workspace)
    assert client.name == "Ana Araújo" and client.birth_date.isoformat() == "1990-05-17"


def test_the_check_lists_errors_by_row_and_column_and_the_import_writes_nothing(page_client, owner):
    ClientFactory(workspace=owner.workspace, name="Bia", email="bia@example.com")
    text = "Nome,E-mail\nAna,ana@\nBia Lima,bia@example.com\nCaio,caio@example.com\n"
    browser = page_client(owner)
    html = post(browser, owner.workspace, text, action="check").content.decode()
    assert "import-errors" in html and "import-duplicates" in html and 'id="import-commit"' not in html
    assert "<td>2</td><td>E-mail</td>" in html and '<select id="dup-3" name="dup-3">' in html
    refused = post(
        browser, owner.workspace, text, action="import", **{"mapped": "1", "map-0": "name", "map-1": "email"}
    )
    assert refused.status_code == 422 and "import-errors" in refused.content.decode()
    assert Client.objects.filter(workspace=owner.workspace).count() == 1


def test_with_htmx_the_check_is_a_partial_and_the_import_redirects(page_client, owner):
    browser = page_client(owner)
    partial = browser.post(
        url(owner.workspace),
        {"file": SimpleUploadedFile("c.csv", PT.encode()), "action": "check"},
        HTTP_HX_REQUEST="true",
    )
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert 'name="mapped"' in partial.content.decode()
    done = browser.post(
        url(owner.workspace),
        {"file": SimpleUploadedFile("c.csv", PT.encode()), "action": "import"},
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 204 and done["HX-Redirect"] == f"/w/{owner.workspace.slug}/clients/"
    assert Client.objects.filter(workspace=owner.workspace).count() == 1


def test_a_changed_mapping_is_applied(page_client, owner):
    text = "Pessoa,Contato\nAna,ana@example.com\n"
    browser = page_client(owner)
    html = post(browser, owner.workspace, text, action="check").content.decode()
    assert "Choose the column that holds the clients' names." in html
    assert 'id="import-commit"' not in html
    html = post(
        browser, owner.workspace, text, action="check", **{"mapped": "1", "map-0": "name", "map-1": "email"}
    ).content.decode()
    assert 'id="import-commit"' in html


def test_the_assistant_is_not_offered_a_clinical_field_and_a_forged_one_is_403(page_client, assistant):
    FieldDefinitionFactory(
        workspace=assistant.workspace, scope="client", key="diagnosis", label="Diagnóstico", clinical=True
    )
    browser = page_client(assistant)
    text = "Nome,Diagnóstico\nAna,Ansiedade\n"
    html = post(browser, assistant.workspace, text, action="check").content.decode()
    assert 'value="fields.diagnosis"' not in html
    forged = post(
        browser,
        assistant.workspace,
        text,
        action="import",
        **{"mapped": "1", "map-0": "name", "map-1": "fields.diagnosis"},
    )
    assert forged.status_code == 403
    assert not Client.objects.filter(workspace=assistant.workspace).exists()


def test_the_owner_is_offered_clinical_fields_and_practitioners(page_client, owner):
    FieldDefinitionFactory(
        workspace=owner.workspace, scope="client", key="diagnosis", label="Diagnóstico", clinical=True
    )
    html = post(
        page_client(owner), owner.workspace, "Nome,Diagnóstico\nAna,x\n", action="check"
    ).content.decode()
    assert 'value="fields.diagnosis" selected' in html and 'value="practitioners"' in html


def test_no_file_an_oversized_file_and_a_workbook_are_explained(page_client, owner, monkeypatch):
    browser = page_client(owner)
    missing = browser.post(url(owner.workspace), {"action": "check"})
    assert missing.status_code == 422 and "Choose a CSV or Excel (.xlsx) file" in missing.content.decode()
    monkeypatch.setattr(importing, "MAX_BYTES", 10)
    big = post(browser, owner.workspace, "Nome\nAna Araújo Lima\n", action="check")
    assert big.status_code == 413
    monkeypatch.undo()
    broken = post(browser, owner.workspace, b"PK\x03\x04xxxx", action="check")
    assert broken.status_code == 422 and "could not be read as an Excel workbook" in broken.content.decode()
    old = post(browser, owner.workspace, b"\xd0\xcf\x11\xe0xxxx", action="check")
    assert old.status_code == 415 and "save it as .xlsx or CSV" in old.content.decode()


def test_a_member_without_client_create_gets_403(page_client, workspace):
    role = RoleFactory(workspace=workspace, name="Leitura", permissions=["client.read"])
    reader = MemberFactory(workspace=workspace, role=role)
    browser = page_client(reader)
    assert browser.get(url(workspace)).status_code == 403
    assert post(browser, workspace, PT, action="import").status_code == 403
    assert url(workspace) not in browser.get(f"/w/{workspace.slug}/clients/").content.decode()


def test_an_outsider_gets_404(page_client, outsider, workspace):
    browser = page_client(outsider)
    assert browser.get(url(workspace)).status_code == 404
    assert post(browser, workspace, PT, action="import").status_code == 404
    assert not Client.objects.filter(workspace=workspace).exists()


def test_with_htmx_an_unreadable_file_is_explained_in_place(page_client, owner):
    partial = page_client(owner).post(
        url(owner.workspace),
        {"file": SimpleUploadedFile("c.xlsx", b"PK\x03\x04xx"), "action": "check"},
        HTTP_HX_REQUEST="true",
    )
    assert partial.status_code == 200 and "could not be read as an Excel workbook" in partial.content.decode()


def test_another_file_starts_from_its_own_titles(page_client, owner):
    """The columns chosen for one file are not applied by position to the next file chosen."""
    browser = page_client(owner)
    other = "E-mail,Nome\nbia@example.com,Bia\n"
    html = post(
        browser,
        owner.workspace,
        other,
        action="check",
        mapped="1",
        checked="clientes.csv:1",
        **{"map-0": "name", "map-1": "email"},
    ).content.decode()
    assert '<option value="email" selected>' in html.split('id="map-0"')[1].split("</select>")[0]
    assert "1 client will be imported" in html
