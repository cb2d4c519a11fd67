"""A restore is all or nothing: an unknown format version, a damaged member, a row naming what
the archive lacks or an existing slug are refused with a message naming the place, and nothing is
written (no workspace, no user, no file)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from atendo.accounts.models import User
from atendo.backup import codec
from atendo.backup.tests.rich import build
from atendo.workspaces.models import Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(tmp_path) -> Path:
    build("origem")
    out = tmp_path / "origem.zip"
    call_command("export_workspace", workspace="origem", out=str(out))
    return out


def rewrite(source: Path, target: Path, change) -> Path:
    """A copy of the archive with `change(name, data) -> data` applied to each member."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info.filename)))
    return target


def refused(path: Path, slug: str = "copia") -> str:
    users, workspaces = User.objects.count(), Workspace.objects.count()
    with pytest.raises(CommandError) as caught:
        call_command("import_workspace", file=str(path), slug=slug)
    assert Workspace.objects.count() == workspaces
    assert User.objects.count() == users
    return str(caught.value)


def with_manifest(manifest: dict, name: str, data: bytes) -> bytes:
    return json.dumps(manifest).encode() if name == "manifest.json" else data


def test_an_unknown_format_version_is_refused(archive, tmp_path):
    manifest = json.loads(zipfile.ZipFile(archive).read("manifest.json"))
    manifest["version"] = codec.VERSION + 1
    message = refused(rewrite(archive, tmp_path / "v2.zip", lambda n, d: with_manifest(manifest, n, d)))
    assert "format version 2" in message and "reads version 1 only" in message


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    path = tmp_path / "nota.zip"
    path.write_text("not a zip")
    assert "not a readable ZIP archive" in refused(path)


def test_a_damaged_member_is_refused_before_anything_is_written(archive, tmp_path):
    def damage(name: str, data: bytes) -> bytes:
        return data.replace(b"Ana Souza", b"Ana Sousa") if name == "tables/clients.jsonl" else data

    message = refused(rewrite(archive, tmp_path / "damaged.zip", damage))
    assert "tables/clients.jsonl" in message and "SHA-256" in message


def test_a_row_naming_a_row_the_archive_lacks_names_the_table_and_row(archive, tmp_path):
    manifest = json.loads(zipfile.ZipFile(archive).read("manifest.json"))
    lines = zipfile.ZipFile(archive).read("tables/sessions.jsonl").splitlines()
    first = json.loads(lines[0])
    first["client_id"] = 999_999
    lines[0] = codec.line(first).rstrip(b"\n")
    body = b"\n".join(lines) + b"\n"
    manifest["tables"]["sessions"]["sha256"] = hashlib.sha256(body).hexdigest()

    def change(name: str, data: bytes) -> bytes:
        if name == "tables/sessions.jsonl":
            return body
        return with_manifest(manifest, name, data)

    message = refused(rewrite(archive, tmp_path / "dangling.zip", change))
    assert f"sessions, row {first['id']}: client_id names clients #999999" in message


def test_an_altered_audit_trail_is_refused(archive, tmp_path):
    manifest = json.loads(zipfile.ZipFile(archive).read("manifest.json"))
    body = (
        zipfile.ZipFile(archive)
        .read("tables/audit_events.jsonl")
        .replace(b'"action":"client.read"', b'"action":"client.fake"', 1)
    )
    manifest["tables"]["audit_events"]["sha256"] = hashlib.sha256(body).hexdigest()

    def change(name: str, data: bytes) -> bytes:
        return body if name == "tables/audit_events.jsonl" else with_manifest(manifest, name, data)

    assert "audit trail does not verify" in refused(rewrite(archive, tmp_path / "audit.zip", change))


def test_an_existing_slug_or_a_bad_one_is_refused(archive):
    assert "exists already" in refused(archive, slug="origem")
    assert "not a valid slug" in refused(archive, slug="não vale")


def test_export_refuses_an_existing_file_and_an_unknown_workspace(archive, tmp_path):
    with pytest.raises(CommandError, match="exists already"):
        call_command("export_workspace", workspace="origem", out=str(archive))
    with pytest.raises(CommandError, match="No workspace"):
        call_command("export_workspace", workspace="nenhum", out=str(tmp_path / "x.zip"))


def test_an_import_may_name_an_owner_who_can_then_reset_a_password(archive):
    call_command("import_workspace", file=str(archive), slug="copia", owner_email="nova@dona.test")
    workspace = Workspace.objects.get(slug="copia")
    user = User.objects.get(email="nova@dona.test")
    assert not user.has_usable_password()
    assert user.memberships.get(workspace=workspace).role.is_owner
    # Members of the archive who were already users here are linked, not duplicated.
    assert User.objects.filter(email__iexact="owner@origem.test").count() == 1


def test_a_column_this_installation_does_not_know_is_refused_not_dropped(archive, tmp_path):
    manifest = json.loads(zipfile.ZipFile(archive).read("manifest.json"))
    lines = zipfile.ZipFile(archive).read("tables/clients.jsonl").splitlines()
    first = json.loads(lines[0])
    first["nickname"] = "Aninha"
    body = b"\n".join([codec.line(first).rstrip(b"\n"), *lines[1:]]) + b"\n"
    manifest["tables"]["clients"]["sha256"] = hashlib.sha256(body).hexdigest()

    def change(name: str, data: bytes) -> bytes:
        return body if name == "tables/clients.jsonl" else with_manifest(manifest, name, data)

    message = refused(rewrite(archive, tmp_path / "newer.zip", change))
    assert f"clients, row {first['id']}: unknown columns nickname" in message
