"""Production settings pass Django's deployment checklist, and pages carry a CSP header."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MASTER_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    environment.pop("ATENDO_TESTING", None)
    environment.pop("DATABASE_URL", None)  # the production start migrates a SQLite file of its own
    # The browser tests' harness sets this in the test process; a production server never has it.
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    environment.update(env)
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False
    )


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "manage.py", *args], **env)


def _production(tmp: Path, static_root: Path) -> dict[str, str]:
    return {
        "ATENDO_PRODUCTION": "1",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "atendo.example.com",
        "ATENDO_VAR_DIR": str(tmp),
        "STATIC_ROOT": str(static_root),
        # Encryption at rest: production never generates a master key (README, "The master key").
        "ATENDO_MASTER_KEY": MASTER_KEY,
    }


@pytest.fixture(scope="module")
def started(tmp_path_factory) -> dict[str, str]:
    """A production start through scripts/start.sh (gunicorn only checks its configuration)."""
    tmp = tmp_path_factory.mktemp("production")
    env = _production(tmp, tmp / "static")
    result = _run(["bash", "scripts/start.sh", "--check-config"], PYTHON=sys.executable, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    return env


def test_the_production_start_collects_static_files_before_serving(started):
    assert (Path(started["STATIC_ROOT"]) / "staticfiles.json").is_file()


def test_check_deploy_is_clean_with_production_flags(started):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **started)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_fails_when_static_files_were_not_collected(tmp_path):
    result = _manage("check", "--deploy", **_production(tmp_path, tmp_path / "never-collected"))
    assert result.returncode != 0
    assert "atendo.E001" in result.stderr and "collectstatic" in result.stderr, result.stderr


def test_the_production_start_refuses_to_serve_when_collectstatic_fails(tmp_path):
    static_root = tmp_path / "static"
    static_root.write_text("a file where the static directory should be")
    result = _run(
        ["bash", "scripts/start.sh", "--check-config"],
        PYTHON=sys.executable,
        **_production(tmp_path, static_root),
    )
    assert result.returncode != 0
    assert not (tmp_path / "atendo.sqlite3").exists()  # it stopped there: no migrate, no server


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path):
    result = _manage(
        "check",
        ATENDO_PRODUCTION="1",
        SECRET_KEY="short",
        ALLOWED_HOSTS="x.test",
        ATENDO_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("key", "problem"),
    [("", "needs ATENDO_MASTER_KEY"), ("bm90LTMyLWJ5dGVz", "must be the base64 of 32 random bytes")],
)
def test_production_refuses_to_start_without_a_valid_master_key(tmp_path, key, problem):
    """Encryption at rest: production never makes a key up (development generates one under var/)."""
    env = {**_production(tmp_path, tmp_path / "static"), "ATENDO_MASTER_KEY": key}
    result = _manage("check", "--deploy", **env)
    assert result.returncode != 0
    assert "atendo.E010" in result.stderr and problem in result.stderr, result.stderr
    assert not (tmp_path / "master.key").exists()  # nothing generated


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client):
    response = client.get("/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
