"""Import of clients from a CSV file: reading (encodings, delimiters, Portuguese headers and dates),
the dry run's errors by row and column, duplicates, all or nothing, the audit, limits, formulas,
who may import what (owner, therapist, assistant), tenant isolation, the API and the command."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from atendo.audit.models import AuditEvent
from atendo.clients import importing
from atendo.clients.models import Client
from atendo.clinical.models import ClientPractitioner
from atendo.core.csvs import csv_lines
from atendo.core.errors import DomainError, Forbidden, ValidationFailed
from tests.factories import ClientFactory, FieldDefinitionFactory, unsealed

pytestmark = pytest.mark.django_db

PT_HEADER = "Nome;E-mail;Celular;Data de nascimento;CPF;Como nos conheceu\n"


@pytest.fixture
def client_fields(workspace):
    FieldDefinitionFactory(workspace=workspace, scope="client", key="cpf", label="CPF", clinical=False)
    FieldDefinitionFactory(
        workspace=workspace,
        scope="client",
        key="referral",
        label="Como nos conheceu",
        type="select",
        clinical=False,
        options=[{"value": "friend", "label": "Indicação"}, {"value": "web", "label": "Site"}],
    )
    FieldDefinitionFactory(
        workspace=workspace,
        scope="client",
        key="diagnosis",
        label="Diagnóstico",
        type="textarea",
        clinical=True,
    )


def upload(api_client, text, *, encoding="utf-8", mapping=None, dry_run=False, name="clientes.csv"):
    raw = text.encode(encoding) if isinstance(text, str) else text
    data = {"file": SimpleUploadedFile(name, raw, content_type="text/csv"), "dry_run": str(dry_run).lower()}
    if mapping is not None:
        data["mapping"] = json.dumps(mapping)
    return api_client.http.post(api_client.url("clients/import"), data)


def pt_file():
    return (
        PT_HEADER
        + "Ana Lúcia Araújo;ana@example.com;(11) 98888-7777;17/05/1990;123.456.789-09;Indicação\n"
        + "João Conceição;JOAO@example.com;+55 21 3333-4444;1985-12-01;;site\n"
    )


# --- reading the file --------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_a_portuguese_file_imports_in_either_encoding_and_delimiter(
    api, owner, client_fields, encoding, delimiter
):
    text = pt_file().replace(";", delimiter) if delimiter == "," else pt_file()
    if delimiter == ",":
        text = text.replace("123.456.789-09", '"123.456.789-09"')
    response = upload(api(owner), text, encoding=encoding)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 2 and body["errors"] == [] and body["skipped"] == []
    assert body["mapping"] == {
        "Nome": "name",
        "E-mail": "email",
        "Celular": "phone",
        "Data de nascimento": "birth_date",
        "CPF": "fields.cpf",
        "Como nos conheceu": "fields.referral",
    }
    ana = Client.objects.get(workspace=owner.workspace, name="Ana Lúcia Araújo")
    assert ana.email == "ana@example.com" and ana.phone == "(11) 98888-7777"
    assert ana.birth_date == dt.date(1990, 5, 17)
    assert ana.fields == {"cpf": "123.456.789-09", "referral": "friend"}
    joao = Client.objects.get(workspace=owner.workspace, name="João Conceição")
    assert joao.email == "joao@example.com" and joao.birth_date == dt.date(1985, 12, 1)
    assert joao.fields == {"referral": "web"}


def test_english_headers_map_automatically(api, owner):
    text = (
        "Full name,Email address,Mobile phone,Date of birth,Notes\n"
        "Bea Lima,bea@example.com,11 2222-3333,2001-02-03,x\n"
    )
    body = upload(api(owner), text, dry_run=True).json()
    assert body["mapping"] == {
        "Full name": "name",
        "Email address": "email",
        "Mobile phone": "phone",
        "Date of birth": "birth_date",
    }
    assert body["dry_run"] is True and body["created"] == 1


def test_read_table_counts_rows_as_a_spreadsheet_shows_them():
    table = importing.read_table(b'Nome;Email\n\nAna;a@x.com\n"Bia\nSilva";b@x.com\nCaio;c@x.com\n')
    assert table.delimiter == ";" and table.headers == ["Nome", "Email"]
    assert [number for number, _cells in table.rows] == [3, 4, 5]


@pytest.mark.parametrize(
    "cell,value",
    [
        ("3,5", 3.5),
        ("3.5", 3.5),
        ("1.234,50", 1234.5),
        ("1,234.50", 1234.5),
        ("-2", -2),
        ("12", 12),
        ("abc", "abc"),
    ],
)
def test_numbers_are_read_with_a_decimal_comma_or_point(cell, value):
    target = importing.Target("fields.n", "N", "number")
    assert importing.cell_value(target, cell) == value


# --- errors by row and column ----------------------------------------------------------------------


def test_the_dry_run_names_each_bad_cell_by_row_and_column_and_writes_nothing(api, owner, client_fields):
    text = (
        PT_HEADER
        + "Ana;ana@example.com;11 98888-7777;31/02/1990;;Indicação\n"
        + ";nao-e-email;abc;;;Jornal\n"
        + "Caio;caio@example.com;;01/01/1980;;\n"
    )
    response = upload(api(owner), text, dry_run=True)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] == 1 and body["rows"] == 3
    errors = {(e["row"], e["path"], e["column"]) for e in body["errors"]}
    assert errors == {
        (2, "birth_date", "Data de nascimento"),
        (3, "name", "Nome"),
        (3, "email", "E-mail"),
        (3, "phone", "Celular"),
        (3, "fields.referral", "Como nos conheceu"),
    }
    messages = {(e["row"], e["path"]): e["message"] for e in body["errors"]}
    assert "1990-02-31" in messages[(2, "birth_date")]
    assert "Jornal" in messages[(3, "fields.referral")]
    assert not Client.objects.filter(workspace=owner.workspace).exists()
    assert not AuditEvent.objects.filter(workspace=owner.workspace, action__startswith="client.").exists()


def test_one_bad_row_makes_the_commit_write_nothing(api, owner, client_fields):
    text = PT_HEADER + "Ana;ana@example.com;;;;\nBia;bia@example.com;;;;\nCaio;caio@;;;;\n"
    response = upload(api(owner), text)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_invalid" and error["created"] == 0
    assert [(e["row"], e["path"], e["column"]) for e in error["errors"]] == [(4, "email", "E-mail")]
    assert error["fields"][0]["path"] == "rows[4].email"
    assert not Client.objects.filter(workspace=owner.workspace).exists()
    assert not AuditEvent.objects.filter(workspace=owner.workspace, action__startswith="client.").exists()


def test_a_required_field_without_a_column_is_an_error_of_every_row(api, owner):
    FieldDefinitionFactory(
        workspace=owner.workspace, scope="client", key="city", label="Cidade", required=True
    )
    body = upload(api(owner), "Nome\nAna\n", dry_run=True).json()
    assert [(e["row"], e["path"], e["column"]) for e in body["errors"]] == [(2, "fields.city", "")]


# --- duplicates --------------------------------------------------------------------------------------


def test_duplicates_of_existing_clients_and_earlier_rows_are_skipped_and_reported(
    api, owner, other_workspace
):
    existing = ClientFactory(workspace=owner.workspace, name="Ana", email="ana@example.com")
    phone_owner = ClientFactory(workspace=owner.workspace, name="Bia", phone="+55 (11) 97777-6666")
    ClientFactory(workspace=other_workspace, name="Outra", email="caio@example.com")
    text = (
        "Nome,E-mail,Telefone\n"
        "Ana Souza,ANA@example.com,\n"
        "Bia Lima,,11 97777-6666\n"
        "Caio,caio@example.com,\n"
        "Caio de novo,caio@example.com,\n"
        "Davi,,21 95555-4444\n"
        "Davi Filho,davi@example.com,(21) 95555-4444\n"
    )
    response = upload(api(owner), text)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 2
    skipped = [(s["row"], s["path"], s.get("client_id"), s.get("duplicate_of_row")) for s in body["skipped"]]
    assert skipped == [
        (2, "email", existing.pk, None),
        (3, "phone", phone_owner.pk, None),
        (5, "email", None, 4),
        (7, "phone", None, 6),
    ]
    names = set(Client.objects.filter(workspace=owner.workspace).values_list("name", flat=True))
    assert names == {"Ana", "Bia", "Caio", "Davi"}


# --- commit and audit ------------------------------------------------------------------------------


def test_the_commit_is_audited_with_its_counts(api, owner):
    ClientFactory(workspace=owner.workspace, name="Ana", email="ana@example.com")
    response = upload(api(owner), "Nome,E-mail\nAna,ana@example.com\nBia,bia@example.com\nCaio,\n")
    assert response.status_code == 201
    event = AuditEvent.objects.get(workspace=owner.workspace, action="client.import")
    assert event.changes == {"created": 2, "merged": 0, "skipped": 1, "rows": 3}
    assert AuditEvent.objects.filter(workspace=owner.workspace, action="client.create").count() == 2


def test_formula_cells_are_stored_as_text_and_exported_quoted(api, owner):
    text = 'Nome,E-mail,Telefone\n"=HYPERLINK(""http://x"",""y"")",,+55 11 3333-4444\n@SUM(A1),,\n'
    assert upload(api(owner), text).status_code == 201
    names = sorted(Client.objects.filter(workspace=owner.workspace).values_list("name", flat=True))
    assert names == ['=HYPERLINK("http://x","y")', "@SUM(A1)"]
    exported = "".join(csv_lines(["name"], [[n] for n in names]))
    assert "'=HYPERLINK" in exported and "'@SUM" in exported
    assert "\n=" not in exported and "\n@" not in exported


def test_a_file_exported_with_quoted_formulas_imports_as_it_was(api, owner):
    assert upload(api(owner), "Nome,Telefone\n'=Ana,'+55 11 3333-4444\n").status_code == 201
    client = Client.objects.get(workspace=owner.workspace)
    assert (client.name, client.phone) == ("=Ana", "+55 11 3333-4444")


# --- mapping -----------------------------------------------------------------------------------------


def test_a_given_mapping_is_applied_and_other_columns_are_ignored(api, owner):
    text = "Cliente,Contato,Obs\nAna,ana@example.com,xyz\n"
    response = upload(api(owner), text, mapping={"Cliente": "name", "Contato": "email", "Obs": None})
    assert response.status_code == 201, response.json()
    assert Client.objects.get(workspace=owner.workspace).email == "ana@example.com"


@pytest.mark.parametrize(
    "mapping,path",
    [
        ({"Nome": "name", "Coluna": "email"}, "mapping.Coluna"),
        ({"Nome": "name", "E-mail": "nickname"}, "mapping.E-mail"),
        ({"Nome": "name", "E-mail": "name"}, "mapping.E-mail"),
        ({"E-mail": "email"}, "mapping"),
        (["name"], "mapping"),
    ],
)
def test_a_bad_mapping_is_422_naming_the_column(api, owner, mapping, path):
    response = upload(api(owner), "Nome,E-mail\nAna,a@example.com\n", mapping=mapping)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == path


def test_mapping_that_is_not_json_is_422(api, owner):
    data = {"file": SimpleUploadedFile("c.csv", b"Nome\nAna\n"), "mapping": "{nope"}
    response = api(owner).http.post(api(owner).url("clients/import"), data)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["path"] == "mapping"


# --- limits and unreadable files ---------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_413(api, owner):
    raw = b"Nome\n" + b"A" * (importing.MAX_BYTES + 10)
    response = upload(api(owner), raw)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large" and error["fields"][0]["path"] == "file"


def test_a_file_over_the_row_limit_is_422(api, owner, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    response = upload(api(owner), "Nome\nA\nB\nC\nD\n")
    assert response.status_code == 422 and response.json()["error"]["code"] == "too_many_rows"
    assert not Client.objects.filter(workspace=owner.workspace).exists()


def test_the_row_limit_is_ten_thousand():
    assert importing.MAX_ROWS == 10_000 and importing.MAX_BYTES == 5 * 1024 * 1024


@pytest.mark.parametrize(
    "raw,status",
    [
        (b"", 422),
        (b"\n\n", 422),
        (b"PK\x03\x04rest-of-a-broken-workbook", 422),
        (b"\xd0\xcf\x11\xe0 an old .xls workbook", 415),
        (b"Nome\x00\n", 422),
        (b"A,A\n1,2\n", 422),
    ],
)
def test_unreadable_files_are_refused_in_the_error_shape(api, owner, raw, status):
    response = upload(api(owner), raw)
    assert response.status_code == status
    assert response.json()["error"]["fields"][0]["path"] == "file"


def test_without_a_name_column_the_import_asks_for_one(api, owner):
    response = upload(api(owner), "Coluna,Outra\n1,2\n")
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["path"] == "mapping"


def test_a_json_body_without_a_file_is_refused(api, owner):
    response = api(owner).post("clients/import", {})
    assert response.status_code == 422


# --- who may import what -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "therapist", "assistant"])
def test_every_role_that_creates_clients_imports_them(api, who, request):
    member = request.getfixturevalue(who)
    response = upload(api(member), "Nome,E-mail\nAna,ana@example.com\n")
    assert response.status_code == 201, response.json()
    client = Client.objects.get(workspace=member.workspace)
    assigned = set(ClientPractitioner.objects.filter(client=client).values_list("member_id", flat=True))
    # As when creating one client: a therapist becomes the practitioner of what they import.
    assert assigned == ({member.pk} if who == "therapist" else set())


def test_a_member_without_client_create_may_not_import(api, workspace):
    from atendo.workspaces.models import Membership
    from tests.factories import MemberFactory, RoleFactory

    role = RoleFactory(workspace=workspace, name="Leitura", permissions=["client.read"])
    reader: Membership = MemberFactory(workspace=workspace, role=role)
    response = upload(api(reader), "Nome\nAna\n")
    assert response.status_code == 403
    assert not Client.objects.filter(workspace=workspace).exists()


def test_the_assistant_may_not_import_a_clinical_field(api, assistant, client_fields):
    text = "Nome,Diagnóstico\nAna,Ansiedade\n"
    auto = upload(api(assistant), text).json()
    assert auto["mapping"] == {"Nome": "name"}  # the clinical column is not offered, so not imported
    Client.objects.filter(workspace=assistant.workspace).delete()
    for mapping in (
        {"Nome": "name", "Diagnóstico": "fields.diagnosis"},
        {"Nome": "name", "Diagnóstico": "fields.nope"},
    ):
        response = upload(api(assistant), text, mapping=mapping, dry_run=True)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "clinical_forbidden"
    assert not Client.objects.filter(workspace=assistant.workspace).exists()


@pytest.mark.parametrize("who", ["owner", "therapist"])
def test_a_clinical_reader_imports_a_clinical_field_sealed(api, who, request, client_fields):
    member = request.getfixturevalue(who)
    response = upload(api(member), "Nome,Diagnóstico\nAna,Ansiedade\n")
    assert response.status_code == 201, response.json()
    client = Client.objects.get(workspace=member.workspace)
    assert client.fields["diagnosis"] != "Ansiedade"  # sealed at rest
    assert unsealed(client, "fields") == {"diagnosis": "Ansiedade"}


def test_the_owner_assigns_practitioners_by_e_mail(api, owner, therapist):
    text = f"Nome,Terapeuta\nAna,{therapist.user.email.upper()}\nBia,ninguem@example.com\n"
    mapping = {"Nome": "name", "Terapeuta": "practitioners"}
    body = upload(api(owner), text, mapping=mapping, dry_run=True).json()
    assert [(e["row"], e["path"], e["column"]) for e in body["errors"]] == [
        (3, "practitioner_ids", "Terapeuta")
    ]
    response = upload(api(owner), text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n", mapping=mapping)
    assert response.status_code == 201, response.json()
    client = Client.objects.get(workspace=owner.workspace)
    assert list(ClientPractitioner.objects.filter(client=client).values_list("member_id", flat=True)) == [
        therapist.pk
    ]


@pytest.mark.parametrize("who", ["therapist", "assistant"])
def test_without_client_assign_the_import_assigns_nobody(api, who, request, other_therapist):
    member = request.getfixturevalue(who)
    text = f"Nome,Terapeuta\nAna,{other_therapist.user.email}\n"
    auto = upload(api(member), text, dry_run=True).json()
    assert auto["mapping"] == {"Nome": "name"}
    response = upload(api(member), text, mapping={"Nome": "name", "Terapeuta": "practitioners"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "assign_forbidden"
    assert not ClientPractitioner.objects.filter(member=other_therapist).exists()


# --- tenant isolation ------------------------------------------------------------------------------


def test_an_outsider_cannot_import_into_another_workspace(api, outsider, workspace):
    response = upload(api(outsider, workspace_slug=workspace.slug), "Nome\nAna\n")
    assert response.status_code == 404
    assert not Client.objects.filter(workspace=workspace).exists()


def test_practitioners_of_another_workspace_are_not_found(api, owner, outsider):
    text = f"Nome,Terapeuta\nAna,{outsider.user.email}\n"
    response = upload(api(owner), text, mapping={"Nome": "name", "Terapeuta": "practitioners"})
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["path"] == "practitioner_ids"


# --- the service directly --------------------------------------------------------------------------


def test_the_service_refuses_a_clinical_mapping_for_the_assistant(assistant, client_fields):
    with pytest.raises(Forbidden):
        importing.clients_import(
            member=assistant,
            raw=b"Nome,D\nAna,x\n",
            mapping={"Nome": "name", "D": "fields.diagnosis"},
        )


def test_the_dry_run_of_the_service_is_the_default(owner):
    report = importing.clients_import(member=owner, raw=b"Nome\nAna\n")
    assert report.dry_run and report.created == 1
    assert not Client.objects.filter(workspace=owner.workspace).exists()


def test_a_commit_with_errors_raises_with_the_report(owner):
    with pytest.raises(DomainError) as caught:
        importing.clients_import(member=owner, raw=b"Nome,Email\nAna,x\n", dry_run=False)
    assert caught.value.status == 422 and caught.value.extra["errors"][0]["row"] == 2
    assert not isinstance(caught.value, ValidationFailed)


# --- the command ---------------------------------------------------------------------------------


def test_the_command_dry_runs_then_imports(owner, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_bytes("Nome;E-mail;Data de nascimento\nAna;ana@example.com;17/05/1990\n".encode("cp1252"))
    out = io.StringIO()
    call_command(
        "import_clients", "--workspace", owner.workspace.slug, "--file", str(path), "--dry-run", stdout=out
    )
    assert "1" in out.getvalue() and not Client.objects.filter(workspace=owner.workspace).exists()
    out = io.StringIO()
    call_command("import_clients", "--workspace", owner.workspace.slug, "--file", str(path), stdout=out)
    assert Client.objects.get(workspace=owner.workspace).birth_date == dt.date(1990, 5, 17)
    event = AuditEvent.objects.get(workspace=owner.workspace, action="client.import")
    assert event.actor_id == owner.user_id


def test_the_command_reports_errors_and_fails(owner, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "clientes.csv"
    path.write_text("Nome,E-mail\nAna,nao-e-email\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_clients", "--workspace", owner.workspace.slug, "--file", str(path), stderr=err)
    assert "row 2" in err.getvalue().lower() and "E-mail" in err.getvalue()
    assert not Client.objects.filter(workspace=owner.workspace).exists()


def test_the_command_refuses_an_unknown_workspace(tmp_path, db):
    from django.core.management.base import CommandError

    path = tmp_path / "c.csv"
    path.write_text("Nome\nAna\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_clients", "--workspace", "nope", "--file", str(path))
