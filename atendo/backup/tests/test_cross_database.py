"""Between databases and installations: an archive written here is restored by another
installation — the other database engine (SQLite here: PostgreSQL there, and back when the suite
runs on PostgreSQL), its own master key and its own attachments directory — in a subprocess that
migrates a fresh database, imports and exports again; both archives hold the same content.

Skipped, with the reason, only when PostgreSQL is needed but unreachable outside CI; with CI=true
an unreachable PostgreSQL fails."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from atendo.backup.tests.canonical import assert_same_content
from atendo.backup.tests.rich import build
from atendo.clinical import crypto

pytestmark = pytest.mark.django_db

PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
BASE_DIR = Path(settings.BASE_DIR)


def _manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


def _other_installation(tmp_path: Path) -> tuple[dict[str, str], str | None]:
    """The environment of the other installation, and the PostgreSQL database it uses (or None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "ATENDO_", "SQLITE_"))}
    env.update(
        ATENDO_VAR_DIR=str(tmp_path / "other-var"),
        ATENDO_ATTACHMENTS_ROOT=str(tmp_path / "other-files"),
        ATENDO_MASTER_KEY=crypto.new_master_key(),
        DJANGO_SETTINGS_MODULE="atendo.settings",
    )
    if connection.vendor == "postgresql":
        env["SQLITE_PATH"] = str(tmp_path / "other.sqlite3")
        return env, None
    try:
        psycopg.connect(PG_URL, connect_timeout=5).close()
    except psycopg.Error as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is unreachable at {PG_URL} and CI=true: {exc}")
        pytest.skip(f"PostgreSQL is unreachable at {PG_URL} (outside CI): {exc}")
    name = f"atendo_backup_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    return env, name


def test_an_archive_restores_on_the_other_database_with_another_master_key(tmp_path):
    build("entre-bancos")
    first = tmp_path / "here.zip"
    call_command("export_workspace", workspace="entre-bancos", out=str(first))
    env, database = _other_installation(tmp_path)
    second = tmp_path / "there.zip"
    try:
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "import_workspace", "--file", str(first), "--slug", "restaurada")
        _manage(env, "verify_signatures")
        _manage(env, "verify_audit")
        _manage(env, "export_workspace", "--workspace", "restaurada", "--out", str(second))
    finally:
        if database is not None:
            with psycopg.connect(PG_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert_same_content(first, second)
