"""Duplicates in a client import, offered for merging: found by e-mail, phone or tax id; per row
skip (the default), merge into the existing client (empty fields only, conflicts listed) or create
anyway; per persona (owner, therapist with a hidden duplicate, assistant, a member who may not
edit); all or nothing; the API, the page and the command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from atendo.audit.models import AuditEvent
from atendo.clients import importing, services
from atendo.clients.models import Client
from tests.factories import ClientFactory, FieldDefinitionFactory, MemberFactory, RoleFactory, unsealed

pytestmark = pytest.mark.django_db


def upload(api_client, text, **data):
    body = {"file": SimpleUploadedFile("c.csv", text.encode(), content_type="text/csv"), **data}
    for key in ("mapping", "duplicates"):
        if key in body and not isinstance(body[key], str):
            body[key] = json.dumps(body[key])
    return api_client.http.post(api_client.url("clients/import"), body)


@pytest.fixture
def cpf(workspace):
    return FieldDefinitionFactory(workspace=workspace, scope="client", key="cpf", label="CPF", clinical=False)


@pytest.fixture
def clinical_cpf(workspace):
    return FieldDefinitionFactory(workspace=workspace, scope="client", key="cpf", label="CPF", clinical=True)


def test_a_duplicate_is_listed_with_its_client_and_skipped_by_default(api, owner, cpf):
    ana = ClientFactory(workspace=owner.workspace, name="Ana Souza", email="ana@example.com")
    body = upload(api(owner), "Nome,E-mail,Telefone\nAna S.,ANA@example.com,11 98888-7777\n").json()
    assert body["created"] == 0 and body["merged"] == 0
    (dup,) = body["duplicates"]
    assert dup["row"] == 2 and dup["client_id"] == ana.pk and dup["client_name"] == "Ana Souza"
    assert dup["matched"] == ["email"] and dup["action"] == "skip" and dup["column"] == "E-mail"
    assert body["skipped"] == [dup]
    assert Client.objects.get(pk=ana.pk).phone == ""


def test_merge_fills_only_empty_fields_and_lists_the_conflicts(api, owner, cpf):
    ana = ClientFactory(
        workspace=owner.workspace, name="Ana Souza", email="ana@example.com", phone="(11) 3333-4444"
    )
    text = (
        "Nome,E-mail,Telefone,Data de nascimento,CPF\n"
        "Ana Lúcia,ana@example.com,21 95555-4444,17/05/1990,123.456.789-09\n"
    )
    dry = upload(api(owner), text, dry_run="true", on_duplicate="merge").json()
    (dup,) = dry["duplicates"]
    assert dry["merged"] == 1 and dry["created"] == 0 and dup["action"] == "merge"
    assert [f["path"] for f in dup["fills"]] == ["birth_date", "fields.cpf"]
    assert dup["conflicts"] == [
        {"path": "name", "column": "Nome", "existing": "Ana Souza", "file": "Ana Lúcia"},
        {"path": "phone", "column": "Telefone", "existing": "(11) 3333-4444", "file": "21 95555-4444"},
    ]
    ana.refresh_from_db()
    assert ana.birth_date is None and ana.fields == {}  # a dry run writes nothing
    done = upload(api(owner), text, on_duplicate="merge")
    assert done.status_code == 201 and done.json()["merged"] == 1
    ana.refresh_from_db()
    assert ana.name == "Ana Souza" and ana.phone == "(11) 3333-4444"  # never overwritten
    assert ana.birth_date.isoformat() == "1990-05-17" and ana.fields == {"cpf": "123.456.789-09"}
    update = AuditEvent.objects.get(workspace=owner.workspace, action="client.update", object_id=str(ana.pk))
    assert update.changes == {"birth_date": "changed", "fields": ["cpf"]}
    event = AuditEvent.objects.get(workspace=owner.workspace, action="client.import")
    assert event.changes == {"created": 0, "merged": 1, "skipped": 0, "rows": 1}
    assert Client.objects.filter(workspace=owner.workspace).count() == 1


def test_phone_and_tax_id_find_duplicates_normalised(api, owner, cpf):
    by_phone = ClientFactory(workspace=owner.workspace, name="Bia", phone="+55 (11) 97777-6666")
    by_cpf = ClientFactory(workspace=owner.workspace, name="Caio", fields={"cpf": "12345678909"})
    text = "Nome,Telefone,CPF\nBia,11977776666,\nCaio,,123.456.789-09\nDavi,,529.982.247-25\n"
    body = upload(api(owner), text, dry_run="true").json()
    found = [(d["row"], d["client_id"], d["matched"]) for d in body["duplicates"]]
    assert found == [(2, by_phone.pk, ["phone"]), (3, by_cpf.pk, ["fields.cpf"])]
    assert body["created"] == 1


def test_each_row_gets_its_own_choice(api, owner):
    ana = ClientFactory(workspace=owner.workspace, name="Ana", email="ana@example.com")
    bia = ClientFactory(workspace=owner.workspace, name="Bia", email="bia@example.com")
    ClientFactory(workspace=owner.workspace, name="Caio", email="caio@example.com")
    text = (
        "Nome,E-mail,Telefone\nAna,ana@example.com,11 98888-7777\nBia,bia@example.com,11 97777-6666\n"
        "Caio,caio@example.com,11 96666-5555\n"
    )
    response = upload(api(owner), text, duplicates={"2": "merge", "3": "create"})
    assert response.status_code == 201
    body = response.json()
    assert [d["action"] for d in body["duplicates"]] == ["merge", "create", "skip"]
    assert body["merged"] == 1 and body["created"] == 1 and [s["row"] for s in body["skipped"]] == [4]
    assert Client.objects.get(pk=ana.pk).phone == "11 98888-7777"
    assert Client.objects.get(pk=bia.pk).phone == ""
    assert Client.objects.filter(workspace=owner.workspace, name="Bia").count() == 2


def test_what_a_merge_filled_finds_the_client_for_later_rows(api, owner):
    ana = ClientFactory(workspace=owner.workspace, name="Ana", email="ana@example.com")
    text = "Nome,E-mail,Telefone\nAna,ana@example.com,11 98888-7777\nAna Celular,,(11) 98888-7777\n"
    body = upload(api(owner), text, on_duplicate="merge").json()
    assert [(d["row"], d["client_id"], d["matched"]) for d in body["duplicates"]] == [
        (2, ana.pk, ["email"]),
        (3, ana.pk, ["phone"]),
    ]
    assert body["merged"] == 2 and Client.objects.filter(workspace=owner.workspace).count() == 1


def test_a_second_row_for_the_same_client_never_overwrites_what_the_first_filled(api, owner):
    ana = ClientFactory(workspace=owner.workspace, name="Ana", email="ana@example.com")
    text = "Nome,E-mail,Telefone\nAna,ana@example.com,11 98888-7777\nAna,ana@example.com,21 95555-4444\n"
    dry = upload(api(owner), text, dry_run="true", on_duplicate="merge").json()
    second = dry["duplicates"][1]
    assert second["fills"] == [] and second["conflicts"] == [
        {"path": "phone", "column": "Telefone", "existing": "11 98888-7777", "file": "21 95555-4444"}
    ]
    assert upload(api(owner), text, on_duplicate="merge").status_code == 201
    assert Client.objects.get(pk=ana.pk).phone == "11 98888-7777"


def test_finding_duplicates_takes_the_same_queries_for_many_rows(owner, django_assert_max_num_queries):
    for n in range(40):
        ClientFactory(workspace=owner.workspace, name=f"C{n}", email=f"c{n}@example.com")
    text = "Nome,E-mail\n" + "".join(f"C{n},c{n}@example.com\n" for n in range(40))
    for action in ("skip", "merge"):
        with django_assert_max_num_queries(12):
            report = importing.clients_import(member=owner, raw=text.encode(), on_duplicate=action)
        assert len(report.duplicates) == 40


def test_a_row_repeating_an_earlier_row_cannot_be_merged(api, owner):
    text = "Nome,E-mail\nAna,ana@example.com\nAna de novo,ana@example.com\n"
    response = upload(api(owner), text, on_duplicate="merge")
    assert response.status_code == 422
    (error,) = response.json()["error"]["errors"]
    assert error["row"] == 3 and error["path"] == "duplicate" and "repeats row 2" in error["message"]
    assert not Client.objects.filter(workspace=owner.workspace).exists()
    created = upload(api(owner), text, on_duplicate="create")
    assert created.status_code == 201 and created.json()["created"] == 2


def test_a_merge_and_a_bad_row_commit_nothing(api, owner):
    ana = ClientFactory(workspace=owner.workspace, name="Ana", email="ana@example.com")
    text = "Nome,E-mail,Telefone\nAna,ana@example.com,11 98888-7777\nBia,bia@,\n"
    response = upload(api(owner), text, on_duplicate="merge")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["merged"] == 0 and error["duplicates"][0]["action"] == "merge"
    assert Client.objects.get(pk=ana.pk).phone == ""
    assert not AuditEvent.objects.filter(workspace=owner.workspace, action="client.update").exists()


def test_a_merged_value_goes_through_the_client_rules(api, owner, workspace):
    # A required field the row does not fill is not the merge's problem (the client is not new).
    FieldDefinitionFactory(workspace=workspace, scope="client", key="origem", required=True, clinical=False)
    ana = ClientFactory(workspace=owner.workspace, name="Ana", phone="11 98888-7777")
    text = "Nome,Telefone,E-mail\nAna,11988887777,ana@\n"
    dry = upload(api(owner), text, dry_run="true", on_duplicate="merge").json()
    (error,) = dry["errors"]
    assert (error["row"], error["path"], error["column"]) == (2, "email", "E-mail")
    response = upload(api(owner), text, on_duplicate="merge")
    assert response.status_code == 422
    assert response.json()["error"]["errors"] == [error]
    assert Client.objects.get(pk=ana.pk).email == ""
    fine = upload(api(owner), "Nome,Telefone,E-mail\nAna,11988887777,ana@example.com\n", on_duplicate="merge")
    assert fine.status_code == 201 and Client.objects.get(pk=ana.pk).email == "ana@example.com"


@pytest.mark.parametrize(
    "data,path",
    [
        ({"on_duplicate": "overwrite"}, "on_duplicate"),
        ({"duplicates": {"2": "overwrite"}}, "duplicates.2"),
        ({"duplicates": {"dois": "merge"}}, "duplicates.dois"),
        ({"duplicates": ["merge"]}, "duplicates"),
        ({"duplicates": "{not json"}, "duplicates"),
    ],
)
def test_bad_choices_are_422_at_their_path(api, owner, data, path):
    response = upload(api(owner), "Nome\nAna\n", **data)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == path


# --- who may merge what --------------------------------------------------------------------------


def test_the_assistant_merges_administrative_details(api, assistant, cpf):
    ana = ClientFactory(workspace=assistant.workspace, name="Ana", email="ana@example.com")
    response = upload(
        api(assistant), "Nome,E-mail,CPF\nAna,ana@example.com,12345678909\n", on_duplicate="merge"
    )
    assert response.status_code == 201 and response.json()["merged"] == 1
    assert Client.objects.get(pk=ana.pk).fields == {"cpf": "12345678909"}


def test_a_member_who_may_not_edit_clients_cannot_merge(api, workspace):
    role = RoleFactory(workspace=workspace, name="Cadastro", permissions=["client.read", "client.create"])
    clerk = MemberFactory(workspace=workspace, role=role)
    ana = ClientFactory(workspace=workspace, name="Ana", email="ana@example.com")
    text = "Nome,E-mail,Telefone\nAna,ana@example.com,11 98888-7777\n"
    response = upload(api(clerk), text, on_duplicate="merge")
    assert response.status_code == 422
    (error,) = response.json()["error"]["errors"]
    assert error["path"] == "duplicate" and "client.update" in error["message"]
    assert Client.objects.get(pk=ana.pk).phone == ""
    assert upload(api(clerk), text).status_code == 201  # skipping needs nothing more


def _owners_client_with_cpf(owner, value):
    return services.client_create(member=owner, data={"name": "Helena Oculta", "fields": {"cpf": value}})


def test_a_hidden_tax_id_is_no_duplicate_for_a_therapist_who_cannot_read_it(
    api, owner, therapist, clinical_cpf
):
    text = "Nome,CPF\nHelena,123.456.789-09\n"
    hidden = _owners_client_with_cpf(owner, "12345678909")
    assert unsealed(hidden, "fields") == {"cpf": "12345678909"}
    seen = upload(api(therapist), text, dry_run="true").json()
    # Exactly the answer of a workspace where no client has that tax id: nothing about Helena.
    Client.objects.filter(pk=hidden.pk).delete()
    _owners_client_with_cpf(owner, "52998224725")
    unseen = upload(api(therapist), text, dry_run="true").json()
    assert seen == unseen
    assert seen["duplicates"] == [] and seen["created"] == 1
    assert "Helena Oculta" not in json.dumps(seen)
    # The owner reads every client's clinical content: for them it is a duplicate.
    owners = upload(api(owner), "Nome,CPF\nHelena,529.982.247-25\n", dry_run="true").json()
    assert [d["matched"] for d in owners["duplicates"]] == [["fields.cpf"]]


def test_the_therapist_merges_clinical_values_only_into_their_own_clients(
    api, owner, therapist, clinical_cpf
):
    mine = ClientFactory(
        workspace=owner.workspace, name="Minha", email="minha@example.com", practitioners=[therapist]
    )
    theirs = ClientFactory(workspace=owner.workspace, name="Alheia", email="alheia@example.com")
    header = "Nome,E-mail,CPF,Telefone\nMinha,minha@example.com,12345678909,\n"
    text = header + "Alheia,alheia@example.com,52998224725,\n"
    refused = upload(api(therapist), text, on_duplicate="merge")
    assert refused.status_code == 422
    (error,) = refused.json()["error"]["errors"]
    assert (
        error["row"] == 3
        and error["path"] == "fields.cpf"
        and "cannot read this client's clinical" in error["message"]
    )
    assert unsealed(Client.objects.get(pk=mine.pk), "fields") == {}
    # Without a clinical value the other row merges its administrative details.
    text = header + "Alheia,alheia@example.com,,11 98888-7777\n"
    done = upload(api(therapist), text, on_duplicate="merge")
    assert done.status_code == 201 and done.json()["merged"] == 2
    assert unsealed(Client.objects.get(pk=mine.pk), "fields") == {"cpf": "12345678909"}
    assert Client.objects.get(pk=theirs.pk).phone == "11 98888-7777"
    assert not Client.objects.get(pk=theirs.pk).assignments.filter(member=therapist).exists()  # no widening


def test_a_clinical_conflict_never_shows_the_stored_value(api, owner, clinical_cpf):
    helena = _owners_client_with_cpf(owner, "12345678909")
    Client.objects.filter(pk=helena.pk).update(email="helena@example.com")
    body = upload(
        api(owner),
        "Nome,E-mail,CPF\nHelena Oculta,helena@example.com,52998224725\n",
        dry_run="true",
        on_duplicate="merge",
    ).json()
    (dup,) = body["duplicates"]
    assert dup["conflicts"] == [
        {"path": "fields.cpf", "column": "CPF", "existing": None, "file": "52998224725"}
    ]
    assert "12345678909" not in json.dumps(body)


# --- page and command ----------------------------------------------------------------------------


def test_the_page_offers_a_choice_per_duplicate_and_merges_the_chosen_row(page_client, owner):
    ana = ClientFactory(workspace=owner.workspace, name="Ana", email="ana@example.com")
    text = b"Nome,E-mail,Telefone\nAna,ana@example.com,11 98888-7777\nBia,bia@example.com,\n"
    browser = page_client(owner)
    url = f"/w/{owner.workspace.slug}/clients/import/"
    html = browser.post(url, {"file": SimpleUploadedFile("c.csv", text), "action": "check"}).content.decode()
    assert '<select id="dup-2" name="dup-2">' in html and 'value="merge"' in html
    assert f"/w/{owner.workspace.slug}/clients/{ana.pk}/" in html
    # The form sends back the last check's choices, with the file they were made for.
    same = {"checked": f"c.csv:{len(text)}", "dup-2": "merge"}
    checked = browser.post(
        url, {"file": SimpleUploadedFile("c.csv", text), "action": "check", **same}
    ).content.decode()
    assert "1 existing client will be completed from the file." in checked and "Fills:" in checked
    done = browser.post(url, {"file": SimpleUploadedFile("c.csv", text), "action": "import", **same})
    assert done.status_code == 302
    assert Client.objects.get(pk=ana.pk).phone == "11 98888-7777"
    assert Client.objects.filter(workspace=owner.workspace).count() == 2


def test_the_page_drops_the_choices_made_for_another_file(page_client, owner):
    ana = ClientFactory(workspace=owner.workspace, name="Ana", email="ana@example.com")
    text = b"Nome,E-mail,Telefone\nAna,ana@example.com,11 98888-7777\n"
    browser = page_client(owner)
    url = f"/w/{owner.workspace.slug}/clients/import/"
    html = browser.post(
        url, {"file": SimpleUploadedFile("c.csv", text), "checked": "outro.csv:10", "dup-2": "merge"}
    ).content.decode()
    assert '<option value="skip" selected>' in html and "will be completed" not in html
    assert Client.objects.get(pk=ana.pk).phone == ""


def test_the_page_offers_the_sheets_of_a_workbook(page_client, owner):
    book = Workbook()
    book.active.title = "Resumo"
    book.active.append(["Total"])
    clients = book.create_sheet("Clientes")
    clients.append(["Nome", "E-mail"])
    clients.append(["Ana", "ana@example.com"])
    out = io.BytesIO()
    book.save(out)
    raw = out.getvalue()
    browser = page_client(owner)
    url = f"/w/{owner.workspace.slug}/clients/import/"
    first = browser.post(url, {"file": SimpleUploadedFile("c.xlsx", raw)}).content.decode()
    assert '<select id="import-sheet" name="sheet">' in first
    assert "Choose the column that holds the clients" in first  # "Resumo" has no names
    checked = f"c.xlsx:{len(raw)}"
    chosen = browser.post(
        url,
        {
            "file": SimpleUploadedFile("c.xlsx", raw),
            "checked": checked,
            "checked_sheet": "Resumo",
            "mapped": "1",
            "map-0": "",
            "sheet": "Clientes",
        },
    ).content.decode()
    assert '<option value="Clientes" selected>' in chosen and "1 client will be imported" in chosen
    done = browser.post(
        url,
        {
            "file": SimpleUploadedFile("c.xlsx", raw),
            "checked": checked,
            "checked_sheet": "Clientes",
            "mapped": "1",
            "map-0": "name",
            "map-1": "email",
            "sheet": "Clientes",
            "action": "import",
        },
    )
    assert done.status_code == 302
    assert Client.objects.get(workspace=owner.workspace).email == "ana@example.com"


def test_the_command_merges_with_on_duplicate(owner, tmp_path):
    ana = ClientFactory(workspace=owner.workspace, name="Ana Souza", email="ana@example.com")
    path = tmp_path / "c.csv"
    path.write_text("Nome,E-mail,Telefone\nAna,ana@example.com,11 98888-7777\n")
    out = io.StringIO()
    call_command(
        "import_clients", workspace=owner.workspace.slug, file=str(path), on_duplicate="merge", stdout=out
    )
    text = out.getvalue()
    assert (
        f"row 2 merged (E-mail): A client with this e-mail already exists. (client {ana.pk}, Ana Souza)"
        in text
    )
    assert "Nome: kept 'Ana Souza', file has 'Ana'" in text and "1 merged" in text
    assert Client.objects.get(pk=ana.pk).phone == "11 98888-7777"
