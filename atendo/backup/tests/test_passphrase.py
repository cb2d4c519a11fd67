"""An archive encrypted with a passphrase: nothing of it is readable without it, it restores to the
same content with it, and a wrong passphrase, a missing one or a file cut short is refused with
nothing written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from atendo.backup import passphrase
from atendo.backup.tests.canonical import assert_same_content
from atendo.backup.tests.rich import NOTE, build
from atendo.workspaces.models import Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "passphrase.txt"
    path.write_text("cavalo correto bateria grampo\n")
    return path


@pytest.fixture
def encrypted(tmp_path, secret) -> Path:
    build("cifrada")
    out = tmp_path / "cifrada.zip.enc"
    call_command("export_workspace", workspace="cifrada", out=str(out), passphrase_file=str(secret))
    return out


def test_an_encrypted_archive_shows_nothing_and_restores_with_its_passphrase(encrypted, secret, tmp_path):
    data = encrypted.read_bytes()
    assert data.startswith(passphrase.MAGIC) and not zipfile.is_zipfile(encrypted)
    assert NOTE.encode() not in data and b"Ana Souza" not in data
    call_command("import_workspace", file=str(encrypted), slug="decifrada", passphrase_file=str(secret))
    again = tmp_path / "again.zip"
    call_command("export_workspace", workspace="decifrada", out=str(again))
    plain = tmp_path / "plain.zip"
    passphrase.decrypt_to(str(encrypted), str(plain), passphrase.read_passphrase(str(secret)))
    assert_same_content(plain, again)


def refused(path: Path, **options) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("import_workspace", file=str(path), slug="decifrada", **options)
    assert not Workspace.objects.filter(slug="decifrada").exists()
    return str(caught.value)


def test_a_wrong_or_missing_passphrase_is_refused(encrypted, tmp_path):
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("outra coisa\n")
    assert "passphrase does not open" in refused(encrypted, passphrase_file=str(wrong))
    assert "--passphrase-file" in refused(encrypted)


def test_an_encrypted_archive_cut_short_is_refused(encrypted, secret, tmp_path):
    short = tmp_path / "short.enc"
    short.write_bytes(encrypted.read_bytes()[:-100])
    message = refused(short, passphrase_file=str(secret))
    assert "cut short" in message or "altered" in message


def test_a_big_archive_spans_several_chunks(tmp_path, secret):
    """More than one chunk, and a last chunk exactly full: the marks of the last one still hold."""
    for size in (passphrase.CHUNK * 2 + 123, passphrase.CHUNK * 2):
        source = tmp_path / f"in-{size}"
        payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        with source.open("wb") as handle:
            writer = passphrase.EncryptingWriter(handle, "frase")
            writer.write(payload)
            writer.close()
        opened = tmp_path / f"out-{size}"
        passphrase.decrypt_to(str(source), str(opened), "frase")
        assert opened.read_bytes() == payload
